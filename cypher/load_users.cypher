// Upsert one batch of users. $rows: [{id, props}] where props holds no nulls, so a
// re-load never erases a stored property (including written-back scores).
UNWIND $rows AS row
MERGE (u:User {id: row.id})
SET u += row.props
