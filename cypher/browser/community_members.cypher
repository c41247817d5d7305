// Title: A community, its members and its bridges
// Shows: every member of one community with PageRank, betweenness and how many distinct
//   neighbours they have inside and outside it. Members with a neighbour outside are
//   the community's bridges; they come first, by betweenness. other_communities lists
//   the communities they reach.
// Needs: `graphkit features --write-back` (or `communities --write-back` and
//   `centrality --write-back`). Community ids: 0 is the largest.
// Parameters (run these in Browser first):
// :param community => 0
// :param limit => 100
MATCH (u:User {community: $community})
WITH u,
     COLLECT {
       MATCH (u)-[:INTERACTED]-(v:User)
       WHERE v <> u
       RETURN DISTINCT v
     } AS neighbours
WITH u,
     size([v IN neighbours WHERE v.community = $community]) AS inside_neighbours,
     [v IN neighbours WHERE v.community IS NULL OR v.community <> $community] AS outside
RETURN u AS user,
       u.id AS user_id,
       u.pagerank AS pagerank,
       u.betweenness AS betweenness,
       inside_neighbours,
       size(outside) AS outside_neighbours,
       COLLECT {
         UNWIND outside AS v
         WITH DISTINCT v.community AS c
         WHERE c IS NOT NULL
         RETURN c ORDER BY c
       } AS other_communities,
       size(outside) > 0 AS bridge
ORDER BY bridge DESC, betweenness DESC, user_id
LIMIT $limit
