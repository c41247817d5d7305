// Title: Cross-arm ties of an experiment (interference exposure)
// Shows: interactions from a user in one arm to a user in another arm of the same
//   experiment, one row per ordered pair, heaviest first. Each such tie is a path by
//   which the treatment can leak into the control group (and bias the estimate).
// Needs: a dataset with assignments.csv loaded by `graphkit load`
//   ((:User)-[:ASSIGNED {variant}]->(:Experiment {name})).
// Parameters (run these in Browser first):
// :param experiment => 'onboarding'
// :param limit => 100
MATCH (x:Experiment {name: $experiment})<-[sa:ASSIGNED]-(s:User)-[r:INTERACTED]->(t:User),
      (t)-[ta:ASSIGNED]->(x)
WHERE sa.variant <> ta.variant AND s <> t
WITH s, t, sa.variant AS source_variant, ta.variant AS target_variant,
     count(r) AS interactions, sum(r.weight) AS weight
RETURN s AS source,
       t AS target,
       s.id AS source_id,
       source_variant,
       t.id AS target_id,
       target_variant,
       interactions,
       weight
ORDER BY weight DESC, source_id, target_id
LIMIT $limit
