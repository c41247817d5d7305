// The value type of each named user property ($names), as valueType() spells it, taken
// from one user that has it; names no user has are not returned. A load compares them with
// the kinds of its columns (README, "Property types across loads").
UNWIND $names AS name
CALL (name) {
  MATCH (u:User)
  WHERE u[name] IS NOT NULL
  RETURN valueType(u[name]) AS type
  LIMIT 1
}
RETURN name, type
