// Title: A user's ego network
// Shows: one user and everyone they interacted with (either direction), strongest ties
//   first: interactions (count) and summed weight per neighbour, with the neighbour's
//   community and PageRank. The graph view also draws the ties among the neighbours.
//   One hop; for wider neighbourhoods use `graphkit centrality --ego USER --hops K`.
// Needs: a load (`graphkit load`); community and PageRank after `features --write-back`.
// Parameters (run these in Browser first; take a user_id from top_influencers):
// :param user_id => 'u000001'
// :param limit => 100
MATCH (ego:User {id: $user_id})-[r:INTERACTED]-(friend:User)
WHERE friend <> ego
WITH ego, friend, count(r) AS interactions, sum(r.weight) AS weight
RETURN ego,
       friend,
       friend.id AS friend_id,
       friend.community AS community,
       friend.pagerank AS pagerank,
       interactions,
       weight
ORDER BY weight DESC, friend_id
LIMIT $limit
