-- no_preload: without shared_preload_libraries routing and placement work
-- from a backend-local ring, and node health says what it needs.
\set VERBOSITY default
SELECT shared_memory FROM shard_ring();
SELECT set_node_health('n1', false);
SELECT * FROM node_health();
SELECT reset_node_health();
-- health is unknown: is_healthy NULL, and the preferred node is the primary
SELECT count(*) AS shards, count(*) FILTER (WHERE is_healthy IS NULL) AS health_unknown,
       count(*) FILTER (WHERE preferred_node = primary_node) AS preferred_is_primary
FROM placement_map();
SELECT count(*) FILTER (WHERE is_healthy IS NULL) AS health_unknown FROM partition_info();
SELECT a.shard_id = shard_for('vec-1') AS same_shard, a.preferred_node = a.nodes[1] AS preferred_is_primary
FROM shard_assignment('vec-1') a;
-- the backend-local ring and the cache of explicit rings live in memory
-- contexts of their own, which pg_backend_memory_contexts names (not their
-- parent: PostgreSQL 18 replaced that column by a path)
SELECT shard_for('vec-1', 8, 'consistent_hash', 10) >= 0 AS routed;
SELECT name, total_bytes > 0 AS holds_memory
FROM pg_backend_memory_contexts WHERE name LIKE 'dakera_shard%' ORDER BY name;
