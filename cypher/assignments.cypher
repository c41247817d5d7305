// Experiment assignments, of one experiment ($experiment) or of all (null).
MATCH (u:User)-[a:ASSIGNED]->(x:Experiment)
WHERE $experiment IS NULL OR x.name = $experiment
RETURN x.name AS experiment, u.id AS user_id, a.variant AS variant,
       a.assigned_at.epochMillis AS assigned_ms
ORDER BY experiment, user_id
