// Louvain on graphkit's projection $graph; stores community ids in the projection as
// $config.mutateProperty (read back with gds_node_property.cypher).
CALL gds.louvain.mutate($graph, $config) YIELD communityCount
RETURN communityCount
