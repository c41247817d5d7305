// Exact weighted closeness input: all-pairs shortest paths on graphkit's projection $graph
// ($config: relationship types and weight property), summed per target user (the user the
// paths lead to). Unreachable pairs and a user's distance to itself are left out.
// Returns parallel lists: user ids, summed distance from the users reaching it, how many.
CALL gds.allShortestPaths.stream($graph, $config) YIELD sourceNodeId, targetNodeId, distance
WHERE sourceNodeId <> targetNodeId AND gds.util.isFinite(distance)
WITH targetNodeId, sum(distance) AS total, count(*) AS reached
RETURN collect(gds.util.asNode(targetNodeId).id) AS ids, collect(total) AS totals,
       collect(reached) AS reached
