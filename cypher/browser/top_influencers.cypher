// Title: Top influencers by PageRank
// Shows: the users with the highest written-back PageRank, best first, with their
//   community, degree and betweenness. In the graph view Browser also draws the ties
//   among them ("Connect result nodes", on by default).
// Needs: `graphkit features --write-back` (or `centrality --write-back`).
// Parameters (run these in Browser first):
// :param limit => 25
MATCH (u:User)
WHERE u.pagerank IS NOT NULL
RETURN u AS user,
       u.id AS user_id,
       u.pagerank AS pagerank,
       u.community AS community,
       u.degree AS degree,
       u.betweenness AS betweenness
ORDER BY pagerank DESC, user_id
LIMIT $limit
