// One :Event node per event name, created if missing; returns their internal ids so the
// events of a load can address them (load_events.cypher).
UNWIND $names AS name
MERGE (e:Event {name: name})
RETURN collect(e.name) AS names, collect(id(e)) AS node_ids
