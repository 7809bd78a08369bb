
-- Placement ---------------------------------------------------------------

-- Used by the CHECK constraint of shard_placement: the same rule as
-- register_shard_nodes, whatever route a row takes into the table.
CREATE OR REPLACE FUNCTION dakera_shard_internal.valid_node_ids(node_ids text[]) RETURNS bool
AS 'MODULE_PATHNAME', 'valid_node_ids'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dakera_shard_internal.valid_node_ids(text[]) IS
    'Whether node_ids is a valid placement: one dimension, 1 to 100 distinct names of 1 to 63 bytes, no NULL, no comma, no white space at either end.';

CREATE OR REPLACE FUNCTION register_shard_nodes(shard_id int, node_ids text[]) RETURNS void
AS 'MODULE_PATHNAME', 'register_shard_nodes'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION register_shard_nodes(int, text[]) IS
    'Sets an explicit placement for one shard (primary first), replacing any earlier one.';

CREATE OR REPLACE FUNCTION unregister_shard_nodes(shard_id int) RETURNS bool
AS 'MODULE_PATHNAME', 'unregister_shard_nodes'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION unregister_shard_nodes(int) IS
    'Removes a shard''s explicit placement; true if there was one.';

CREATE OR REPLACE FUNCTION set_node_health(node text, healthy bool) RETURNS void
AS 'MODULE_PATHNAME', 'set_node_health'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_node_health(text, bool) IS
    'Reports a node up or down (shared memory; needs shared_preload_libraries; forgotten at restart).';

CREATE OR REPLACE FUNCTION reset_node_health(node text DEFAULT NULL) RETURNS int
AS 'MODULE_PATHNAME', 'reset_node_health'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION reset_node_health(text) IS
    'Forgets one node''s health report, or all of them; returns how many.';

CREATE OR REPLACE FUNCTION node_health()
RETURNS TABLE (node text, healthy bool, changed_at timestamptz)
AS 'MODULE_PATHNAME', 'node_health'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION node_health() IS
    'Every node health report, by node name.';

CREATE OR REPLACE FUNCTION placement_map(num_shards int DEFAULT NULL)
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               preferred_node text, is_healthy bool, registered bool)
AS 'MODULE_PATHNAME', 'placement_map'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION placement_map(int) IS
    'Nodes, primary, preferred node and health of shards 0..num_shards-1 (NULL: the server''s shards).';

CREATE OR REPLACE FUNCTION partition_info()
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               is_healthy bool, vector_count bigint, memory_bytes bigint)
LANGUAGE sql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.shard_id, m.node_ids, m.primary_node, m.is_healthy, NULL::pg_catalog.int8, NULL::pg_catalog.int8
    FROM @extschema@.placement_map(NULL::pg_catalog.int4) m
$$;
COMMENT ON FUNCTION partition_info() IS
    'The engine''s PartitionInfo for every shard of the server''s ring; sizes NULL (see partition_info(regclass)).';

CREATE OR REPLACE FUNCTION shard_assignment(key text,
    OUT shard_id int, OUT nodes text[], OUT preferred_node text)
AS 'MODULE_PATHNAME', 'shard_assignment'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_assignment(text) IS
    'The engine''s ShardAssignment: the key''s shard, its nodes and its preferred (first healthy) node.';

CREATE OR REPLACE FUNCTION rebalance_plan(nodes text[], replication_factor int)
RETURNS TABLE (shard_id int, current_nodes text[], planned_nodes text[],
               primary_moves bool, nodes_change bool, changed_shards int)
AS 'MODULE_PATHNAME', 'rebalance_plan'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rebalance_plan(text[], int) IS
    'Per shard, its nodes now and after dakera_shard.nodes and replication_factor become these.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.local_node() RETURNS text
AS 'MODULE_PATHNAME', 'local_node'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dakera_shard_internal.local_node() IS
    'dakera_shard.local_node, defined whether or not the library was loaded before the call.';
