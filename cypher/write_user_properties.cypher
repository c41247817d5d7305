// Write-back: store scores and community ids on users. $rows: [{id, props, times}] as in
// load_users.cypher. Users not in the graph are skipped (MATCH, not MERGE): write-back
// never creates users.
UNWIND $rows AS row
MATCH (u:User {id: row.id})
SET u += row.props
FOREACH (name IN keys(row.times) |
  SET u[name] = datetime({epochSeconds: row.times[name][0], nanosecond: row.times[name][1]}))
RETURN count(u) AS written
