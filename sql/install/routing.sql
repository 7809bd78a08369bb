
-- Routing ---------------------------------------------------------------

-- IMMUTABLE because the ring's shape cannot change without a restart (or,
-- not preloaded, a reload) that the recorded shape detects: see shape.sql.
CREATE OR REPLACE FUNCTION shard_for(key text) RETURNS int
AS 'MODULE_PATHNAME', 'shard_for_server'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_for(text) IS
    'The key''s shard under the server''s ring (dakera_shard.* settings), as dakera-engine routes it.';

CREATE OR REPLACE FUNCTION shard_for(key text, num_shards int,
                          strategy text DEFAULT 'consistent_hash',
                          virtual_nodes int DEFAULT 150) RETURNS int
AS 'MODULE_PATHNAME', 'shard_for_explicit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_for(text, int, text, int) IS
    'The key''s shard under an explicit ring; reads nothing but its arguments.';

CREATE OR REPLACE FUNCTION shard_key_hash(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'shard_key_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_hash(text) IS
    'SipHash-1-3 of the key''s UTF-8 bytes, as the engine hashes it; the 64 bits read as signed.';

CREATE OR REPLACE FUNCTION shard_batch(keys text[])
RETURNS TABLE (shard_id int, ids text[])
AS 'MODULE_PATHNAME', 'shard_batch'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 16;
COMMENT ON FUNCTION shard_batch(text[]) IS
    'The engine''s get_shards_batch: one row per shard that received keys, ids in input order.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.ring_cache(OUT rings int, OUT bytes bigint, OUT builds bigint)
AS 'MODULE_PATHNAME', 'ring_cache'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dakera_shard_internal.ring_cache() IS
    'Rings of explicit shapes this backend holds, their bytes, and how many rings it has built since it started.';
