// Delete every relationship, then every node: for throwaway test and benchmark servers.
// Relationships go first, in small transactions, so a hub with many interactions never
// has to be deleted in one transaction (the transaction memory pool would refuse it).
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS;

MATCH (n)
CALL (n) { DELETE n } IN TRANSACTIONS OF 50000 ROWS;
