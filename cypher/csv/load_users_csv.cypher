// LOAD CSV version of `graphkit load` (users), for importing from Neo4j Browser.
// Put users.csv in Neo4j's import folder (docker-compose mounts ./data there), then:
//   :param users_url => 'file:///users.csv'
// Run cypher/schema.cypher first. Unlike `graphkit load`, this does not validate the file
// and keeps extra columns as text (graphkit load stores numeric columns as numbers).
LOAD CSV WITH HEADERS FROM $users_url AS row
CALL (row) {
  MERGE (u:User {id: trim(row.user_id)})
  SET u += row,
      u.signup_at = CASE WHEN row.signup_at IS NULL THEN null ELSE datetime(row.signup_at) END
  REMOVE u.user_id
} IN TRANSACTIONS OF 10000 ROWS
