// gds.localClusteringCoefficient.stream on graphkit's projection $graph with $config (a map graphkit builds).
// Returns parallel lists: user ids and their raw GDS values (graphkit rescales them).
CALL gds.localClusteringCoefficient.stream($graph, $config) YIELD nodeId, localClusteringCoefficient
RETURN collect(gds.util.asNode(nodeId).id) AS ids, collect(localClusteringCoefficient) AS values
