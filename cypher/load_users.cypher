// Upsert one batch of users. $rows: [{id, props, times}] where props holds no nulls, so a
// re-load never erases a stored property (including written-back scores); times maps
// datetime properties (signup_at) to [epoch seconds, nanoseconds].
UNWIND $rows AS row
MERGE (u:User {id: row.id})
SET u += row.props
FOREACH (name IN keys(row.times) |
  SET u[name] = datetime({epochSeconds: row.times[name][0], nanosecond: row.times[name][1]}))
