// LOAD CSV version of `graphkit load` (users), for importing from Neo4j Browser.
// Put users.csv in Neo4j's import folder (docker-compose mounts ./data there), then:
//   :param users_url => 'file:///users.csv'
// Run cypher/schema.cypher first. Unlike `graphkit load`, this does not validate the file
// and keeps extra columns as text (graphkit load stores numeric columns as numbers).
// Values are trimmed; empty values leave a stored property as it is (as graphkit load
// does). Columns graphkit owns are skipped, never copied: `id` (the key users are matched
// on), `user_id` (it becomes `id`) and the scores written back (pagerank, community...).
LOAD CSV WITH HEADERS FROM $users_url AS row
CALL (row) {
  MERGE (u:User {id: trim(row.user_id)})
  FOREACH (name IN [key IN keys(row)
                    WHERE NOT key IN ['id', 'user_id', 'signup_at', 'degree',
                                      'weighted_degree', 'betweenness', 'closeness',
                                      'pagerank', 'clustering', 'community', 'influencer']
                      AND trim(coalesce(row[key], '')) <> ''] |
    SET u[name] = trim(row[name]))
  FOREACH (at IN CASE WHEN trim(coalesce(row.signup_at, '')) = '' THEN []
                      ELSE [datetime(trim(row.signup_at))] END |
    SET u.signup_at = at)
} IN TRANSACTIONS OF 10000 ROWS
