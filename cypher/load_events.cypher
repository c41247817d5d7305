// MERGE one batch of activity events by key: (:User)-[:DID {key, at, value, session_id}]->(:Event {name}).
// One :Event node per event name (session, view, like, ...), so Browser queries can ask
// "who did what" with a pattern; re-running a load changes nothing.
UNWIND range(0, size($keys) - 1) AS i
MATCH (u:User {id: $users[i]})
MERGE (e:Event {name: $events[i]})
MERGE (u)-[d:DID {key: $keys[i]}]->(e)
SET d.at = datetime({epochMillis: $at_ms[i]}),
    d.value = $values[i],
    d.session_id = $sessions[i]
