// Memory (bytes) Louvain needs on a fictive graph of $nodes nodes and $relationships
// relationships (one of the most memory-hungry steps graphkit runs).
CALL gds.louvain.stream.estimate(
  {nodeCount: $nodes, relationshipCount: $relationships, nodeProjection: '*',
   relationshipProjection: {R: {orientation: 'UNDIRECTED', properties: 'weight'}}},
  {relationshipWeightProperty: 'weight'})
YIELD bytesMax
RETURN bytesMax
