// Size of the subgraph gds_project.cypher would project, before projecting it, for the
// memory estimate: `users` in scope ($ids or null for all) and `interactions`, the
// interactions between them that pass the filters (an upper bound on the pairs).
// Always one row (aggregation without grouping keys), also on an empty database.
CALL () {
  MATCH (u:User) WHERE $ids IS NULL RETURN u
  UNION
  UNWIND coalesce($ids, []) AS id MATCH (u:User {id: id}) RETURN u
}
OPTIONAL MATCH (u)-[r:INTERACTED]->(v:User)
WHERE u <> v
  AND ($ids IS NULL OR v.id IN $ids)
  AND ($since IS NULL OR r.at >= $since)
  AND ($until IS NULL OR r.at < $until)
  AND ($types IS NULL OR r.type IN $types)
RETURN count(DISTINCT u) AS users, count(r) AS interactions
