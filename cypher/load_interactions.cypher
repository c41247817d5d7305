// CREATE one batch of interactions: the fast path of a load.
// $sources / $targets are internal ids of User nodes (from user_node_ids.cypher): a seek
// by node id costs far less than an index lookup by user id. Columnar parameters
// (parallel lists) pack much faster over Bolt than a list of maps.
// The uniqueness constraint on INTERACTED.key makes the whole batch fail if any of its
// interactions is already stored; graphkit then loads that batch with
// merge_interactions.cypher instead, so loading twice never duplicates a relationship.
// Returns how many were written, so a user deleted meanwhile cannot drop rows silently.
UNWIND range(0, size($keys) - 1) AS i
MATCH (a:User) WHERE id(a) = $sources[i]
MATCH (b:User) WHERE id(b) = $targets[i]
CREATE (a)-[:INTERACTED {
  key: $keys[i],
  type: $types[i],
  at: datetime({epochMillis: $at_ms[i]}),
  weight: $weights[i]
}]->(b)
RETURN count(*) AS written
