// Title: Interference exposure per arm of an experiment
// Shows: for each arm, how many assigned users have at least one tie (either direction)
//   to a user assigned to another arm, and their share. A high share means arms are
//   not independent: consider cluster-randomising by community.
// Needs: a dataset with assignments.csv loaded by `graphkit load`.
// Parameters (run these in Browser first):
// :param experiment => 'onboarding'
MATCH (x:Experiment {name: $experiment})<-[a:ASSIGNED]-(u:User)
WITH u, a.variant AS variant,
     COUNT {
       MATCH (u)-[:INTERACTED]-(v:User)-[b:ASSIGNED]->(x)
       WHERE v <> u AND b.variant <> a.variant
       RETURN DISTINCT v
     } AS cross_arm_neighbours
WITH variant,
     count(u) AS users,
     count(CASE WHEN cross_arm_neighbours > 0 THEN 1 END) AS exposed_users,
     sum(cross_arm_neighbours) AS cross_arm_neighbours
RETURN variant,
       users,
       exposed_users,
       toFloat(exposed_users) / users AS exposed_share,
       cross_arm_neighbours
ORDER BY variant
