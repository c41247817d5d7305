// Interactions aggregated per ordered pair (source, target) of users, over the whole
// graph; self-loops dropped. Parameters and result as in edges_all.cypher.
MATCH (a:User)
WHERE id(a) % $parts = $part
MATCH (a)-[r:INTERACTED]->(b:User)
WHERE a <> b
  AND ($since IS NULL OR r.at >= $since)
  AND ($until IS NULL OR r.at < $until)
  AND ($types IS NULL OR r.type IN $types)
WITH a, b, count(*) AS interactions, sum(r.weight) AS weight
WHERE weight >= $min_weight
RETURN collect(id(a)) AS sources, collect(id(b)) AS targets,
       collect(interactions) AS interactions, collect(weight) AS weights
