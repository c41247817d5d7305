// Like edges_all.cypher, but only interactions whose two endpoints are both in $ids.
WITH $ids AS ids
UNWIND ids AS id
MATCH (a:User {id: id})-[r:INTERACTED]->(b:User)
WHERE a <> b AND b.id IN ids
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
