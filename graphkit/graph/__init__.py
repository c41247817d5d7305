"""The NetworkX side: pull a subgraph from a store, then centralities, communities, features."""
