// Heap the server can still give to GDS (bytes), and its maximum heap.
CALL gds.debug.sysInfo() YIELD key, value
WITH collect([key, value]) AS pairs
RETURN [p IN pairs WHERE p[0] = 'availableHeapInBytes' | p[1]][0] AS available,
       [p IN pairs WHERE p[0] = 'heapMaxInBytes' | p[1]][0] AS max
