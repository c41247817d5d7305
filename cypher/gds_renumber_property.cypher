// After a GDS write of community ids: replace GDS's ids by graphkit's (0 = largest).
// $mapping: GDS id (as text) -> graphkit id; $property: graphkit's property name.
UNWIND $ids AS id
MATCH (u:User {id: id})
SET u[$property] = $mapping[toString(u[$property])]
RETURN count(u) AS renumbered
