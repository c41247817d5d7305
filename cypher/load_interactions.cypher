// MERGE one batch of interactions by their key: loading twice, or re-running an
// interrupted load, leaves exactly one relationship per interaction.
// Columnar parameters (parallel lists) pack much faster over Bolt than a list of maps.
UNWIND range(0, size($keys) - 1) AS i
MATCH (a:User {id: $sources[i]})
MATCH (b:User {id: $targets[i]})
MERGE (a)-[r:INTERACTED {key: $keys[i]}]->(b)
SET r.type = $types[i],
    r.at = datetime({epochMillis: $at_ms[i]}),
    r.weight = $weights[i]
