// All user ids, or only the members of community $community (null: everyone).
MATCH (u:User)
WHERE $community IS NULL OR u.community = $community
RETURN collect(u.id) AS ids
