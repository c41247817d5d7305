// Interactions aggregated per unordered pair of users, over the whole graph.
// $since / $until: datetimes or null (half-open window); $types: list or null;
// $min_weight: minimum summed weight of a pair.
// The undirected pattern meets each relationship from both ends; id(a) < id(b) keeps one
// (and drops self-loops), so `a` is always the pair's lower internal id and grouping by
// the two nodes aggregates both directions.
// $parts / $part: graphkit runs $parts copies at once, each on the users whose internal
// id is $part modulo $parts, so every pair lands in exactly one part and a multi-core
// server aggregates in parallel.
// Returns one row of parallel lists of internal ids (see user_node_ids.cypher): far fewer
// Bolt records and bytes to decode than a row per pair with string ids.
MATCH (a:User)
WHERE id(a) % $parts = $part
MATCH (a)-[r:INTERACTED]-(b:User)
WHERE id(a) < id(b)
  AND ($since IS NULL OR r.at >= $since)
  AND ($until IS NULL OR r.at < $until)
  AND ($types IS NULL OR r.type IN $types)
WITH a, b, count(*) AS interactions, sum(r.weight) AS weight
WHERE weight >= $min_weight
RETURN collect(id(a)) AS sources, collect(id(b)) AS targets,
       collect(interactions) AS interactions, collect(weight) AS weights
