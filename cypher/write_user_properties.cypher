// Write-back: store scores and community ids on users. $rows: [{id, props}].
// Users not in the graph are skipped (MATCH, not MERGE): write-back never creates users.
UNWIND $rows AS row
MATCH (u:User {id: row.id})
SET u += row.props
RETURN count(u) AS written
