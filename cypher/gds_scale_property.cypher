// After a GDS write: multiply the users' property $property (one of graphkit's score names,
// checked by graphkit) by $factor, turning GDS's scale into graphkit's. $ids: the users in
// the projection.
UNWIND $ids AS id
MATCH (u:User {id: id})
SET u[$property] = u[$property] * $factor
RETURN count(u) AS scaled
