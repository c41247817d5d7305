// Like edges_all.cypher, but only interactions with at least one endpoint in $ids
// (one hop of an ego-network expansion). DISTINCT: an interaction between two users
// of $ids is matched from both ends.
UNWIND $ids AS id
MATCH (:User {id: id})-[r:INTERACTED]-(:User)
WITH DISTINCT r
WITH r, startNode(r) AS a, endNode(r) AS b
WHERE a <> b
  AND ($since IS NULL OR r.at >= $since)
  AND ($until IS NULL OR r.at < $until)
  AND ($types IS NULL OR r.type IN $types)
WITH CASE WHEN $directed OR a.id < b.id THEN a.id ELSE b.id END AS source,
     CASE WHEN $directed OR a.id < b.id THEN b.id ELSE a.id END AS target,
     r.weight AS w
WITH source, target, count(*) AS interactions, sum(w) AS weight
WHERE weight >= $min_weight
RETURN collect(source) AS sources, collect(target) AS targets,
       collect(interactions) AS interactions, collect(weight) AS weights
