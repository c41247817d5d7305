// MERGE one batch of interactions by their key: the path for batches that are (partly)
// stored already, i.e. a re-load or the re-run of an interrupted load. Leaves exactly
// one relationship per interaction. Parameters as in load_interactions.cypher.
UNWIND range(0, size($keys) - 1) AS i
MATCH (a:User) WHERE id(a) = $sources[i]
MATCH (b:User) WHERE id(b) = $targets[i]
MERGE (a)-[r:INTERACTED {key: $keys[i]}]->(b)
SET r.type = $types[i],
    r.at = datetime({epochMillis: $at_ms[i]}),
    r.weight = $weights[i]
RETURN count(*) AS written
