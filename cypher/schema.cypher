// graphkit schema: run before any load. Idempotent (IF NOT EXISTS).
// The only file with several statements; graphkit runs them one by one, split on ';'.
// Users are identified by `id`; each interaction by `key` (see README, "Idempotent loads").
CREATE CONSTRAINT graphkit_user_id IF NOT EXISTS
FOR (u:User) REQUIRE u.id IS UNIQUE;

CREATE CONSTRAINT graphkit_interaction_key IF NOT EXISTS
FOR ()-[r:INTERACTED]-() REQUIRE r.key IS UNIQUE;

// Time windows (--since/--until) and type filters (--type) of graph pulls.
CREATE INDEX graphkit_interaction_at IF NOT EXISTS
FOR ()-[r:INTERACTED]-() ON (r.at);

CREATE INDEX graphkit_interaction_type IF NOT EXISTS
FOR ()-[r:INTERACTED]-() ON (r.type);

// --community pulls after write-back.
CREATE INDEX graphkit_user_community IF NOT EXISTS
FOR (u:User) ON (u.community);

// Activity events and experiments (issue: experiments and engagement).
CREATE CONSTRAINT graphkit_event_name IF NOT EXISTS
FOR (e:Event) REQUIRE e.name IS UNIQUE;

CREATE CONSTRAINT graphkit_did_key IF NOT EXISTS
FOR ()-[d:DID]-() REQUIRE d.key IS UNIQUE;

CREATE INDEX graphkit_did_at IF NOT EXISTS
FOR ()-[d:DID]-() ON (d.at);

CREATE CONSTRAINT graphkit_experiment_name IF NOT EXISTS
FOR (x:Experiment) REQUIRE x.name IS UNIQUE;
