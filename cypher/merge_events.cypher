// MERGE one batch of activity events by key: (:User)-[:DID {key, at, value, session_id}]->(:Event {name}).
// The path for batches stored already (re-load, re-run after a crash); parameters as in
// load_events.cypher. Re-running a load changes nothing.
UNWIND range(0, size($keys) - 1) AS i
MATCH (u:User) WHERE id(u) = $users[i]
MATCH (e:Event) WHERE id(e) = $events[i]
MERGE (u)-[d:DID {key: $keys[i]}]->(e)
SET d.at = datetime({epochMillis: $at_ms[i]}),
    d.value = $values[i],
    d.session_id = $sessions[i]
RETURN count(*) AS written
