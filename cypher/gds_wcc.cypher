// gds.wcc.stream on graphkit's projection $graph with $config (a map graphkit builds).
// Returns parallel lists: user ids and their raw GDS values (graphkit rescales them).
CALL gds.wcc.stream($graph, $config) YIELD nodeId, componentId
RETURN collect(gds.util.asNode(nodeId).id) AS ids, collect(componentId) AS values
