// How much is stored: users and interactions (both answered from Neo4j's count store).
MATCH (u:User)
WITH count(u) AS users
MATCH ()-[r:INTERACTED]->()
RETURN users, count(r) AS interactions
