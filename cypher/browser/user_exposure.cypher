// Title: Each user's exposure in a network experiment
// Shows: the users of an experiment with their arm, how many of their neighbours (ties in
//   either direction) are in the treatment arm, and the exposure condition stored by
//   `graphkit ab spillover --write-back` (e.g. dir_ind1, isol_dir, ind1, no; null until
//   then). The stored count is over the ties before the assignment, the live one over all.
// Needs: a loaded experiment; `graphkit ab spillover EXPERIMENT -m METRIC --write-back`
//   for the exposure condition.
// Parameters (run these in Browser first):
// :param experiment => 'onboarding'
// :param treatment => 'treatment'
// :param limit => 200
MATCH (x:Experiment {name: $experiment})<-[a:ASSIGNED]-(u:User)
WITH u, a.variant AS variant,
     COUNT {
       MATCH (u)-[:INTERACTED]-(v:User)-[b:ASSIGNED]->(x)
       WHERE v <> u AND b.variant = $treatment
       RETURN DISTINCT v
     } AS treated_neighbours_now
RETURN u AS user,
       u.id AS user_id,
       variant,
       CASE WHEN u.exposure_experiment = $experiment THEN u.exposure END AS exposure,
       CASE WHEN u.exposure_experiment = $experiment THEN u.treated_neighbours END
         AS treated_neighbours,
       treated_neighbours_now
ORDER BY exposure, user_id
LIMIT $limit
