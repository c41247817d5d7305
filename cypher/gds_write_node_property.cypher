// Write-back in GDS write mode: projection node properties stored on the users.
// $properties: [{<projection property>: <user property>}] (graphkit builds it: the
// community ids of a mutate step, under graphkit's name).
CALL gds.graph.nodeProperties.write($graph, $properties) YIELD propertiesWritten
RETURN propertiesWritten AS written
