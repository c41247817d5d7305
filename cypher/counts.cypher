// How much is stored: users and interactions (both answered from Neo4j's count store).
// OPTIONAL MATCH: an empty database still answers one row of zeros.
MATCH (u:User)
WITH count(u) AS users
OPTIONAL MATCH ()-[r:INTERACTED]->()
RETURN users, count(r) AS interactions
