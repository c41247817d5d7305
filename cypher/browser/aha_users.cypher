// Title: Users above the aha threshold
// Shows: users who connected with at least $k distinct users (interactions in either
//   direction) in their first $days calendar days (UTC; the signup day is day 0), most
//   connections first: the "10 friends in 7 days" kind of rule, counted as graphkit's
//   simulator plants it. Users without signup_at are left out.
// Needs: a load (`graphkit load`) with signup_at in users.csv.
// Parameters (run these in Browser first):
// :param k => 3
// :param days => 7
// :param limit => 100
MATCH (u:User)
WHERE u.signup_at IS NOT NULL
WITH u,
     COUNT {
       MATCH (u)-[r:INTERACTED]-(v:User)
       WHERE v <> u
         AND r.at >= u.signup_at
         AND date(r.at) < date(u.signup_at) + duration({days: $days})
       RETURN DISTINCT v
     } AS connections
WHERE connections >= $k
RETURN u AS user,
       u.id AS user_id,
       u.signup_at AS signup_at,
       connections
ORDER BY connections DESC, user_id
LIMIT $limit
