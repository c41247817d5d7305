// Memory (bytes) a projection of $nodes nodes and $relationships relationships with two
// properties needs, estimated by GDS on a fictive graph of that size.
CALL gds.graph.project.estimate('*', {R: {properties: ['weight', 'distance']}},
                                {nodeCount: $nodes, relationshipCount: $relationships})
YIELD bytesMax
RETURN bytesMax
