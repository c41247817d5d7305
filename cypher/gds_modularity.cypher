// Each community's share of modularity (resolution 1) for the community ids in
// $config.communityProperty of graphkit's projection $graph; graphkit adds them up.
CALL gds.modularity.stream($graph, $config) YIELD communityId, modularity
RETURN collect(modularity) AS values
