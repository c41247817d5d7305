// Project the subgraph graphkit analyses into the GDS catalog as $graph (Cypher projection,
// gds.graph.project aggregation function), with the same pairs as edges_all*.cypher /
// edges_among_users.cypher, so every engine sees the same graph.
// Scope: $ids (user ids) or null for every user. Filters: $since / $until (half-open, or
// null), $types (list or null), $min_weight (summed weight of a pair: per ordered pair when
// $directed, per unordered pair otherwise).
// Relationship types:
//   UND  one per unordered pair, undirected; weight = summed weight of the pair (when
//        $directed: of its ordered pairs that pass $min_weight, as the undirected fold of
//        the pulled digraph). Clustering, components and communities run on it; so do all
//        measures of an undirected subgraph.
//   OUT  ($directed only) one per ordered pair a->b; IN: the same pair reversed (b->a):
//        degree over OUT and IN is in + out degree, as nx.DiGraph.degree.
// Properties: weight, and distance = 1 / weight on the grid $grid (graphkit's path length;
// see graphkit.graph.engines.base.path_distance).
// Every user in scope is a node, also when none of its ties survive the filters.
// Returns the projection's counts, `pairs` (UND pairs, or OUT pairs when $directed) and
// `fold_pairs` (UND pairs).
CALL () {
  MATCH (u:User) WHERE $ids IS NULL RETURN u
  UNION
  UNWIND coalesce($ids, []) AS id MATCH (u:User {id: id}) RETURN u
}
CALL (u) {
  RETURN u AS source, null AS target, null AS type, null AS props
  UNION ALL
  MATCH (u)-[r:INTERACTED]-(v:User)
  WHERE id(u) < id(v)
    AND ($ids IS NULL OR v.id IN $ids)
    AND ($since IS NULL OR r.at >= $since)
    AND ($until IS NULL OR r.at < $until)
    AND ($types IS NULL OR r.type IN $types)
  WITH u, v,
       sum(CASE WHEN startNode(r) = u THEN 1 ELSE 0 END) AS c_uv,
       sum(CASE WHEN startNode(r) = u THEN r.weight ELSE 0.0 END) AS w_uv,
       sum(CASE WHEN startNode(r) = v THEN 1 ELSE 0 END) AS c_vu,
       sum(CASE WHEN startNode(r) = v THEN r.weight ELSE 0.0 END) AS w_vu
  WITH u, v, w_uv, w_vu,
       c_uv > 0 AND w_uv >= $min_weight AS keep_uv,
       c_vu > 0 AND w_vu >= $min_weight AS keep_vu
  WITH u, v, w_uv, w_vu, keep_uv, keep_vu,
       CASE WHEN $directed
            THEN (CASE WHEN keep_uv THEN w_uv ELSE 0.0 END)
               + (CASE WHEN keep_vu THEN w_vu ELSE 0.0 END)
            ELSE w_uv + w_vu END AS w_und
  WITH u, v, w_uv, w_vu, keep_uv, keep_vu, w_und,
       CASE WHEN $directed THEN keep_uv OR keep_vu ELSE w_und >= $min_weight END AS keep_und
  UNWIND [
    {keep: keep_und, s: u, t: v, type: 'UND', w: w_und},
    {keep: $directed AND keep_uv, s: u, t: v, type: 'OUT', w: w_uv},
    {keep: $directed AND keep_uv, s: v, t: u, type: 'IN', w: w_uv},
    {keep: $directed AND keep_vu, s: v, t: u, type: 'OUT', w: w_vu},
    {keep: $directed AND keep_vu, s: u, t: v, type: 'IN', w: w_vu}
  ] AS rel
  WITH rel WHERE rel.keep
  WITH rel, round((1.0 / rel.w) / $grid, 0, 'HALF_EVEN') AS steps
  RETURN rel.s AS source, rel.t AS target, rel.type AS type,
         {weight: rel.w, distance: CASE WHEN steps < 1 THEN 1.0 ELSE steps END * $grid} AS props
}
WITH source, target, type, props
RETURN gds.graph.project(
         $graph, source, target,
         {relationshipType: type, relationshipProperties: props},
         {undirectedRelationshipTypes: ['UND']}
       ) AS projection,
       sum(CASE WHEN type = (CASE WHEN $directed THEN 'OUT' ELSE 'UND' END) THEN 1 ELSE 0 END)
         AS pairs,
       sum(CASE WHEN type = 'UND' THEN 1 ELSE 0 END) AS fold_pairs
