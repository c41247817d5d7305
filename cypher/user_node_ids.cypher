// Every user's id with the internal id of its node. Loads address interaction endpoints,
// and whole-graph pulls return pairs, by internal id: integers pack and compare far
// faster than the string ids (measured: pulls 2x, loads 1.3x). id() is deprecated in
// Neo4j 5 in favour of elementId(), whose long strings would cost that gain back; an
// internal id is valid while its node exists, and graphkit uses one only within a load
// or pull that starts with this query.
MATCH (u:User)
RETURN collect(id(u)) AS node_ids, collect(u.id) AS ids
