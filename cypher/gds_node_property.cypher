// One node property of graphkit's projection $graph ($property, written by a mutate step),
// as parallel lists of user ids and values.
CALL gds.graph.nodeProperty.stream($graph, $property) YIELD nodeId, propertyValue
RETURN collect(gds.util.asNode(nodeId).id) AS ids, collect(propertyValue) AS values
