// LOAD CSV version of `graphkit load` (interactions), for importing from Neo4j Browser.
//   :param interactions_url => 'file:///interactions.csv'
// Load users first. Interactions MERGE on the same key `graphkit load` uses
// (source|target|type|epoch milliseconds|occurrence, with '\' and '|' inside values
// escaped as '\\' and '\|'), so both loaders can be mixed and re-run. One difference: rows
// repeating the same source, target, type and time are counted once here (occurrence 1),
// while `graphkit load` keeps each repeat. Only the columns named here are read: no
// column of the file can overwrite the key.
LOAD CSV WITH HEADERS FROM $interactions_url AS row
CALL (row) {
  WITH row, trim(row.source_id) AS source, trim(row.target_id) AS target,
       trim(row.type) AS type, datetime(trim(row.at)) AS at
  MATCH (a:User {id: source})
  MATCH (b:User {id: target})
  WITH a, b, type, at, row,
       [part IN [source, target, type] |
        replace(replace(part, '\\', '\\\\'), '|', '\\|')] AS parts
  MERGE (a)-[r:INTERACTED {key: parts[0] + '|' + parts[1] + '|' + parts[2] + '|'
                                + toString(at.epochMillis) + '|1'}]->(b)
  SET r.type = type, r.at = at,
      r.weight = coalesce(toFloat(trim(coalesce(row.weight, ''))), 1.0)
} IN TRANSACTIONS OF 10000 ROWS
