// Title: Each user's exposure in a network experiment
// Shows: the users of an experiment with their arm, the exposure condition stored by
//   `graphkit ab spillover --write-back` (e.g. dir_ind1, isol_dir, ind1, no) and how many
//   of their neighbours were treated; the graph view shows the users and their ties.
// Needs: `graphkit ab spillover EXPERIMENT -m METRIC --write-back` on a loaded experiment.
// Parameters (run these in Browser first):
// :param experiment => 'feed'
// :param limit => 200
MATCH (x:Experiment {name: $experiment})<-[a:ASSIGNED]-(u:User)
WHERE u.exposure_experiment = $experiment
RETURN u AS user,
       u.id AS user_id,
       a.variant AS variant,
       u.exposure AS exposure,
       u.treated_neighbours AS treated_neighbours
ORDER BY exposure, user_id
LIMIT $limit
