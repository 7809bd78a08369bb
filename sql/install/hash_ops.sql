
-- Partitioning by shard: PARTITION BY HASH (id shard_ops) ------------------
-- Support function 2 returns shard - 0x49a0f4dd15e5a8e3, so that PostgreSQL's
-- hash partitioning (hash_combine64(0, h) = h + 0x49a0f4dd15e5a8e3) puts shard
-- s in the partition FOR VALUES WITH (MODULUS <shards>, REMAINDER s), and the
-- planner prunes on id = const, IN, = ANY and id = $1.  The support functions
-- live in the extension's schema: the recorded-shape check finds the record
-- there (src/ring_record.c).  IMMUTABLE for the reason shard_for(text) is.

CREATE OR REPLACE FUNCTION shard_for(key uuid) RETURNS int
AS 'MODULE_PATHNAME', 'shard_for_uuid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_for(uuid) IS
    'The key''s shard under the server''s ring, routed as its canonical text (key::text), as dakera-engine routes it.';

CREATE OR REPLACE FUNCTION shard_hash(key text) RETURNS int
AS 'MODULE_PATHNAME', 'shard_hash_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_hash(text) IS
    'Support function 1 of the hash operator class shard_ops: the low 32 bits of shard_hash_extended(key, 0).';

CREATE OR REPLACE FUNCTION shard_hash_extended(key text, seed bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'shard_hash_text_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_hash_extended(text, bigint) IS
    'Support function 2 of the hash operator class shard_ops: shard_for(key) - 0x49a0f4dd15e5a8e3, whatever the seed, so that hash partition s holds shard s.';

CREATE OR REPLACE FUNCTION shard_hash(key uuid) RETURNS int
AS 'MODULE_PATHNAME', 'shard_hash_uuid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_hash(uuid) IS
    'Support function 1 of the hash operator class shard_uuid_ops: the low 32 bits of shard_hash_extended(key, 0).';

CREATE OR REPLACE FUNCTION shard_hash_extended(key uuid, seed bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'shard_hash_uuid_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_hash_extended(uuid, bigint) IS
    'Support function 2 of the hash operator class shard_uuid_ops: shard_for(key) - 0x49a0f4dd15e5a8e3, whatever the seed.';

-- Not the default classes of text and uuid: nothing changes unless named.
-- Operator classes of an extension cannot be CREATE OR REPLACEd: created once,
-- by the fresh install and by the update from 0.1.0 (which has none).
CREATE OPERATOR CLASS shard_ops FOR TYPE text USING hash AS
    OPERATOR 1 pg_catalog.= (text, text),
    FUNCTION 1 shard_hash(text),
    FUNCTION 2 shard_hash_extended(text, bigint);
COMMENT ON OPERATOR CLASS shard_ops USING hash IS
    'Hash partitioning by the engine''s shard: PARTITION BY HASH (id shard_ops) with MODULUS <shards> puts shard s in REMAINDER s; for partition keys only.';
COMMENT ON OPERATOR FAMILY shard_ops USING hash IS
    'The family of the hash operator class shard_ops (text keys routed by the server''s ring).';

CREATE OPERATOR CLASS shard_uuid_ops FOR TYPE uuid USING hash AS
    OPERATOR 1 pg_catalog.= (uuid, uuid),
    FUNCTION 1 shard_hash(uuid),
    FUNCTION 2 shard_hash_extended(uuid, bigint);
COMMENT ON OPERATOR CLASS shard_uuid_ops USING hash IS
    'Hash partitioning of uuid keys by the engine''s shard (as key::text): PARTITION BY HASH (id shard_uuid_ops); for partition keys only.';
COMMENT ON OPERATOR FAMILY shard_uuid_ops USING hash IS
    'The family of the hash operator class shard_uuid_ops (uuid keys routed by the server''s ring as their text).';
