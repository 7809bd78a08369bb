-- first_call: without preloading, a session whose first call is
-- create_shard_partitions works (the library defines its settings when the
-- function loads it, before the function reads them).  Run in a new session
-- on a server without shared_preload_libraries.
CREATE TABLE first_call (id text NOT NULL) PARTITION BY LIST (shard_for(id, 3));
SELECT * FROM create_shard_partitions('first_call');
SELECT current_setting('dakera_shard.local_node') = '' AS local_node_defined;
DROP TABLE first_call;
