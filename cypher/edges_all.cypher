// Interactions aggregated per pair of users, over the whole graph.
// $since / $until: datetimes or null (half-open window); $types: list or null;
// $min_weight: minimum summed weight of a pair; $directed: keep direction or fold pairs.
// Returns one row of parallel lists: far fewer Bolt records to decode than a row per pair.
MATCH (a:User)-[r:INTERACTED]->(b:User)
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
