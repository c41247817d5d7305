// Names of the GDS projections in the catalog whose name starts with $prefix (graphkit's
// own start with "graphkit-"): to see that none is left behind.
CALL gds.graph.list() YIELD graphName
WITH graphName WHERE graphName STARTS WITH $prefix
RETURN collect(graphName) AS names
