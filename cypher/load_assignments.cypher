// MERGE one batch of experiment assignments: (:User)-[:ASSIGNED {variant, assigned_at}]->(:Experiment {name}).
// A user has at most one ASSIGNED relationship per experiment (validation guarantees it).
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
MERGE (x:Experiment {name: row.experiment})
MERGE (u)-[a:ASSIGNED]->(x)
SET a.variant = row.variant,
    a.assigned_at = datetime({epochMillis: row.assigned_ms})
