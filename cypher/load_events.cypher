// CREATE one batch of activity events: (:User)-[:DID {key, at, value, session_id}]->(:Event {name}).
// One :Event node per event name (session, view, like, ...), so Browser queries can ask
// "who did what" with a pattern. $users / $events: internal node ids (user_node_ids.cypher,
// merge_event_names.cypher). As with interactions, a batch with a stored key fails whole
// on the uniqueness constraint and graphkit merges it instead (merge_events.cypher).
UNWIND range(0, size($keys) - 1) AS i
MATCH (u:User) WHERE id(u) = $users[i]
MATCH (e:Event) WHERE id(e) = $events[i]
CREATE (u)-[:DID {
  key: $keys[i],
  at: datetime({epochMillis: $at_ms[i]}),
  value: $values[i],
  session_id: $sessions[i]
}]->(e)
RETURN count(*) AS written
