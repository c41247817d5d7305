// gds.closeness.stream on graphkit's projection $graph with $config (a map graphkit builds).
// Returns parallel lists: user ids and their raw GDS values (graphkit rescales them).
CALL gds.closeness.stream($graph, $config) YIELD nodeId, score
RETURN collect(gds.util.asNode(nodeId).id) AS ids, collect(score) AS values
