// Write-back in GDS write mode: gds.degree.write on graphkit's projection $graph with $config
// (the settings the scores were computed with, plus writeProperty). graphkit rescales the
// written values afterwards where its definition differs (gds_scale_property.cypher).
CALL gds.degree.write($graph, $config) YIELD nodePropertiesWritten
RETURN nodePropertiesWritten AS written
