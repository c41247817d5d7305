// Shortest-path distances from each pivot user in $pivots (user ids) to every user it
// reaches, summed per reached user: the input of the Eppstein-Wang closeness estimate.
// $config: delta-stepping settings (relationship types; weight property, or none for one
// per hop); the pivot's node becomes sourceNode. A pivot's distance to itself is left out.
// Returns parallel lists: reached user ids, summed distance, number of pivots reaching it.
WITH $config AS config
UNWIND $pivots AS pivot
MATCH (p:User {id: pivot})
CALL gds.allShortestPaths.delta.stream($graph, config {.*, sourceNode: id(p)})
YIELD targetNode, totalCost
WHERE targetNode <> id(p)
WITH targetNode, sum(totalCost) AS total, count(*) AS reached
RETURN collect(gds.util.asNode(targetNode).id) AS ids, collect(total) AS totals,
       collect(reached) AS reached
