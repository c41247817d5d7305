// Title: Display labels for graphkit.grass (run once after every write-back)
// Shows: nothing new; it writes labels. Browser styles (GraSS) match labels only, never
//   property values, so this query copies the written-back numbers into labels the
//   style file knows: :PageRankTier1 for the top $tier1_share of users by PageRank,
//   :PageRankTier2 for the rest of the top $tier2_share, and :Community0 … :Community9
//   for the ten largest communities. It first removes those labels everywhere, so a
//   re-run after a new write-back leaves no stale label. Returns the counts it set.
// Needs: `graphkit features --write-back` (pagerank and community on :User).
// Parameters (run these in Browser first):
// :param tier1_share => 0.01
// :param tier2_share => 0.10
MATCH (u:User)
REMOVE u:PageRankTier1:PageRankTier2:Community0:Community1:Community2:Community3:Community4
REMOVE u:Community5:Community6:Community7:Community8:Community9
FOREACH (c IN CASE WHEN u.community IN range(0, 9) THEN [u.community] ELSE [] END |
  SET u:$('Community' + toString(c)))
WITH u
WHERE u.pagerank IS NOT NULL
WITH u
ORDER BY u.pagerank DESC, u.id
WITH collect(u) AS ranked
WITH ranked,
     toInteger(ceil($tier1_share * size(ranked))) AS tier1,
     toInteger(ceil($tier2_share * size(ranked))) AS tier2
UNWIND range(0, size(ranked) - 1) AS i
WITH ranked[i] AS u, i, tier1, tier2
FOREACH (_ IN CASE WHEN i < tier1 THEN [1] ELSE [] END | SET u:PageRankTier1)
FOREACH (_ IN CASE WHEN tier1 <= i < tier2 THEN [1] ELSE [] END | SET u:PageRankTier2)
RETURN count(u) AS ranked_users,
       count(CASE WHEN i < tier1 THEN 1 END) AS tier1_users,
       count(CASE WHEN tier1 <= i < tier2 THEN 1 END) AS tier2_users,
       count(CASE WHEN u.community IN range(0, 9) THEN 1 END) AS community_labelled_users
