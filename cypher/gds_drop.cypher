// Drop graphkit's projection $graph from the GDS catalog (no error when it is gone).
CALL gds.graph.drop($graph, false) YIELD graphName
RETURN count(graphName) AS dropped
