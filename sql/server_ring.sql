-- server_ring: shard_for(text) under the server's own ring, whatever its shape.
-- The output is the same under every server configuration run by make test.

-- the shape comes from the settings; shared memory exactly when preloaded
SELECT r.strategy = current_setting('dakera_shard.strategy') AS strategy_from_settings,
       r.num_shards = current_setting('dakera_shard.num_shards')::int AS shards_from_settings,
       r.virtual_nodes = current_setting('dakera_shard.virtual_nodes')::int AS vnodes_from_settings,
       r.shared_memory = (current_setting('shared_preload_libraries') ~ 'dakera_shard') AS shared_iff_preloaded,
       r.routes_alike,
       (r.ring_points > 0) = (r.strategy IN ('consistent_hash', 'modulo')) AS ring_iff_ring_strategy
FROM shard_ring() r;

-- the vector rows made with the server's shape (modulo and consistent_hash
-- route alike; virtual nodes matter only to the ring) come out the same
WITH server AS (SELECT * FROM shard_ring())
SELECT count(*) >= 120 AS has_vectors,
       count(*) FILTER (WHERE shard_for(v.key) <> v.shard_id) AS mismatches
FROM shard_vectors v, server s
WHERE v.num_shards = s.num_shards
  AND CASE WHEN s.strategy IN ('consistent_hash', 'modulo')
           THEN v.strategy IN ('consistent_hash', 'modulo') AND v.virtual_nodes = s.virtual_nodes
           ELSE v.strategy = s.strategy END;

-- every key: the server form equals the explicit form with the server's shape
WITH server AS (SELECT * FROM shard_ring())
SELECT count(*) AS keys,
       count(*) FILTER (WHERE shard_for(k.key) <> shard_for(k.key, s.num_shards, s.strategy, s.virtual_nodes)) AS differ
FROM (SELECT key FROM hash_vectors UNION SELECT key FROM shard_vectors) k, server s;

-- shard_for in parallel workers (each checks the recorded shape on its own
-- first call) answers as the explicit form with the server's settings
CREATE TABLE par_keys AS SELECT 'vec-' || g AS id FROM generate_series(1, 20000) g;
ANALYZE par_keys;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE VIEW par_check AS
SELECT count(*) FILTER (WHERE shard_for(id) <> shard_for(id,
           current_setting('dakera_shard.num_shards')::int,
           current_setting('dakera_shard.strategy'),
           current_setting('dakera_shard.virtual_nodes')::int)) AS differ
FROM par_keys;
EXPLAIN (COSTS OFF) SELECT * FROM par_check;
SELECT * FROM par_check;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP VIEW par_check;
DROP TABLE par_keys;
