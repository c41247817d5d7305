// Activity events in a half-open window ($since, $until: datetimes or null), one row each.
// Streamed row by row (not collected): event tables can hold millions of rows.
MATCH (u:User)-[d:DID]->(e:Event)
WHERE ($since IS NULL OR d.at >= $since)
  AND ($until IS NULL OR d.at < $until)
RETURN u.id AS user_id, d.at.epochMillis AS at_ms, e.name AS event, d.value AS value,
       d.session_id AS session_id
