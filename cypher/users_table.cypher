// Every user with all stored properties, for joins on user_id.
MATCH (u:User)
RETURN u.id AS user_id, properties(u) AS props
