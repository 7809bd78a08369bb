-- dakera_shard 0.1.0: route vector ids to shards as dakera-engine 0.10.2 does.
-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dakera_shard" to load this file. \quit

-- Routing ---------------------------------------------------------------

-- The key's shard under the server's ring (dakera_shard.* settings).
-- IMMUTABLE because the ring's shape is fixed for the life of the server and
-- every database records the shape its stored shard ids were made with: if the
-- server starts with a shape that routes differently, this raises an ERROR
-- instead of returning other shards (see shard_ring_record below).
CREATE FUNCTION shard_for(key text) RETURNS int
AS 'MODULE_PATHNAME', 'shard_for_server'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The same routing with an explicit ring: reads nothing but its arguments.
CREATE FUNCTION shard_for(key text, num_shards int,
                          strategy text DEFAULT 'consistent_hash',
                          virtual_nodes int DEFAULT 150) RETURNS int
AS 'MODULE_PATHNAME', 'shard_for_explicit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- SipHash-1-3 of the key, as the engine hashes it; the 64 bits read as signed.
CREATE FUNCTION shard_key_hash(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'shard_key_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The engine's get_shards_batch: one row per shard that received keys.
CREATE FUNCTION shard_batch(keys text[])
RETURNS TABLE (shard_id int, ids text[])
AS 'MODULE_PATHNAME', 'shard_batch'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 16;

-- Placement ---------------------------------------------------------------

-- One row per shard: serving nodes (primary first) from dakera_shard.nodes and
-- dakera_shard.replication_factor.  Health and sizes are unknown here: NULL.
CREATE FUNCTION partition_info()
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               is_healthy bool, vector_count bigint, memory_bytes bigint)
AS 'MODULE_PATHNAME', 'partition_info'
LANGUAGE C STABLE PARALLEL SAFE;

-- The recorded ring shape -------------------------------------------------

-- One row: the shape this database's stored shard ids were made with.
CREATE TABLE shard_ring_record (
    singleton     bool PRIMARY KEY DEFAULT true CHECK (singleton),
    strategy      text NOT NULL,
    num_shards    int NOT NULL,
    virtual_nodes int NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    recorded_by   name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE shard_ring_record IS
    'Ring shape the shard ids stored in this database were made with; change it with record_shard_ring().';

-- Any change to the record, by any route, tells every backend to check again.
CREATE FUNCTION shard_ring_record_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'shard_ring_record_changed'
LANGUAGE C;

CREATE TRIGGER shard_ring_record_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shard_ring_record
FOR EACH STATEMENT EXECUTE FUNCTION shard_ring_record_changed();

-- The server's shape, the recorded one, whether they route alike, the ring.
CREATE FUNCTION shard_ring(
    OUT strategy text, OUT num_shards int, OUT virtual_nodes int,
    OUT recorded_strategy text, OUT recorded_num_shards int,
    OUT recorded_virtual_nodes int, OUT recorded_at timestamptz,
    OUT routes_alike bool, OUT ring_points int, OUT ring_bytes bigint,
    OUT shared_memory bool, OUT build_ms float8)
AS 'MODULE_PATHNAME', 'shard_ring'
LANGUAGE C STABLE PARALLEL RESTRICTED;

-- Record the server's shape as the one stored shard ids are made with.  Run it
-- after re-sharding the stored rows; returns the shape recorded.
CREATE FUNCTION record_shard_ring() RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.shard_ring_record AS r (strategy, num_shards, virtual_nodes)
    SELECT s.strategy, s.num_shards, s.virtual_nodes FROM @extschema@.shard_ring() s
    ON CONFLICT (singleton) DO UPDATE
        SET strategy = excluded.strategy,
            num_shards = excluded.num_shards,
            virtual_nodes = excluded.virtual_nodes,
            recorded_at = now(),
            recorded_by = current_user
    RETURNING format('strategy=%s num_shards=%s virtual_nodes=%s',
                     r.strategy, r.num_shards, r.virtual_nodes);
$$;

REVOKE ALL ON FUNCTION record_shard_ring() FROM PUBLIC;
REVOKE ALL ON FUNCTION shard_ring_record_changed() FROM PUBLIC;
REVOKE ALL ON shard_ring_record FROM PUBLIC;
GRANT SELECT ON shard_ring_record TO PUBLIC;

-- A new database's stored shard ids will be made with the server's shape.
SELECT record_shard_ring();
