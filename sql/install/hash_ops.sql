
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

-- shard_ops and shard_uuid_ops hash by the server's ring, as do the default
-- hash classes of the key types shard_key and shard_uuid (key_type.sql): an
-- index built with them would go stale, silently, when the recorded shape changes (lookups
-- miss rows), and would put every key of a shard in one bucket.  They are for
-- partition keys only: an event trigger refuses every index that uses them,
-- whatever made it (CREATE INDEX, a constraint, CREATE TABLE ... LIKE, a
-- partition cloning its parent's indexes).  It reads the catalog only.
CREATE OR REPLACE FUNCTION dakera_shard_internal.refuse_shard_ops_index() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT i.indexrelid::regclass AS idx, i.indrelid::regclass AS tbl, o.opcname AS opclass INTO bad
    FROM pg_event_trigger_ddl_commands() c
    JOIN pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) c.objid OR i.indrelid OPERATOR(pg_catalog.=) c.objid
    JOIN pg_opclass o ON o.oid OPERATOR(pg_catalog.=) ANY (i.indclass::pg_catalog.oid[])
    WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
      AND o.opcnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
      AND o.opcname OPERATOR(pg_catalog.=) ANY (ARRAY['shard_ops', 'shard_uuid_ops', 'shard_key_hash_ops',
                                                       'shard_uuid_hash_ops']::pg_catalog.name[])
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'index % of % uses the operator class %, which is for partition keys only',
            bad.idx, bad.tbl, bad.opclass
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'It hashes by the server''s ring: after the recorded shape changes the index would miss rows, silently.',
                  HINT = 'Index the column with a btree (CREATE INDEX ... (id)), or a text or uuid column with its default hash class; use shard_ops only in PARTITION BY HASH (id shard_ops).';
    END IF;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.refuse_shard_ops_index() IS
    'Event trigger function: refuses an index that uses shard_ops, shard_uuid_ops or the hash classes of shard_key and shard_uuid (they hash by the server''s ring).';

CREATE EVENT TRIGGER dakera_shard_refuse_shard_ops_index ON ddl_command_end
    WHEN TAG IN ('CREATE INDEX', 'CREATE TABLE', 'ALTER TABLE', 'ALTER INDEX')
    EXECUTE FUNCTION dakera_shard_internal.refuse_shard_ops_index();
COMMENT ON EVENT TRIGGER dakera_shard_refuse_shard_ops_index IS
    'Refuses indexes that use shard_ops, shard_uuid_ops or the hash classes of shard_key and shard_uuid: they would go stale when the recorded shape changes.';

-- Re-sharding PARTITION BY HASH (id shard_ops) tables: the partitions follow
-- the shard count.  Swap first (one short transaction: the old partitions
-- become pending tables under <rel>_reshard_pending, the new ones are
-- attached), then move the pending rows through the parent in batches, then
-- drop the pending tables once proven empty (src/hash_reshard.c).
CREATE OR REPLACE FUNCTION dakera_shard_internal.reshard_hash_step(rel regclass, batch_size int, mode text,
    OUT step text, OUT moved bigint)
AS 'MODULE_PATHNAME', 'reshard_hash_step'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dakera_shard_internal.reshard_hash_step(regclass, int, text) IS
    'One transaction of reshard_hash_table: swap the layout, move one batch of pending rows, or drop the pending tables once proven empty; as the table''s owner.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.reshard_write_guard() RETURNS trigger
AS 'MODULE_PATHNAME', 'reshard_write_guard'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dakera_shard_internal.reshard_write_guard() IS
    'Statement trigger on a table whose re-shard (mode block_writes) is unfinished: refuses writes that could miss a pending row, lets the re-shard''s own moves through.';

CREATE OR REPLACE PROCEDURE reshard_hash_table(rel regclass, batch_size int DEFAULT 10000,
                                               pause_ms int DEFAULT 0, mode text DEFAULT 'block_writes')
LANGUAGE plpgsql
AS $$
-- A procedure that commits cannot SET search_path in its definition, so its
-- declarations are compiled under the caller's: every type is qualified.
DECLARE
    s        record;
    key      pg_catalog.name;
    batches  pg_catalog.int4 := 0;
    total    pg_catalog.int8 := 0;
    check_   record;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF pg_catalog.transaction_timestamp() OPERATOR(pg_catalog.<>) pg_catalog.statement_timestamp() THEN
        RAISE EXCEPTION 'reshard_hash_table cannot run inside a transaction block'
            USING ERRCODE = 'active_sql_transaction',
                  HINT = 'CALL it on its own: it commits after every step.';
    END IF;
    IF rel IS NULL THEN
        RAISE EXCEPTION 'reshard_hash_table needs a table'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'CALL reshard_hash_table(''my_table'') names a table PARTITION BY HASH (id shard_ops).';
    END IF;
    IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pause_ms IS NULL OR pause_ms OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'pause_ms must be 0 or more' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF mode IS NULL OR mode OPERATOR(pg_catalog.<>) ALL (ARRAY['block_writes', 'online']::pg_catalog.text[]) THEN
        RAISE EXCEPTION 'mode must be ''block_writes'' or ''online'''
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'block_writes (the default): writes to the table wait for the re-shard, and none misses a pending row. online: writes go on, and those by the key of a pending row miss it.';
    END IF;
    SELECT k.key_column INTO key FROM @extschema@.shard_key_info(rel, NULL::pg_catalog.name) k;
    LOOP
        s := dakera_shard_internal.reshard_hash_step(rel, batch_size, mode);
        EXIT WHEN s.step OPERATOR(pg_catalog.=) 'done';
        IF s.step OPERATOR(pg_catalog.=) 'move' THEN
            batches := batches OPERATOR(pg_catalog.+) 1;
            total := total OPERATOR(pg_catalog.+) s.moved;
            RAISE NOTICE 'reshard_hash_table %: batch %, % rows moved (% so far)', rel, batches, s.moved, total;
        ELSIF s.step OPERATOR(pg_catalog.=) 'swap' THEN
            RAISE NOTICE 'reshard_hash_table %: new partitions attached; old ones pending in %_reshard_pending (mode %)',
                rel, rel, mode;
        ELSE
            RAISE NOTICE 'reshard_hash_table %: pending tables proven empty and dropped', rel;
        END IF;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        -- the pending tables are gone and every row was placed through the table under the server's ring
        EXIT WHEN s.step OPERATOR(pg_catalog.=) 'finish';
        IF pause_ms OPERATOR(pg_catalog.>) 0 AND s.step OPERATOR(pg_catalog.=) 'move' THEN
            PERFORM pg_catalog.pg_sleep(pause_ms OPERATOR(pg_catalog./) 1000.0);
        END IF;
    END LOOP;
    check_ := @extschema@.shard_verify(rel, key, NULL::pg_catalog.name);
    RAISE NOTICE 'reshard_hash_table %: done, % rows moved in % batches; % stale rows', rel, total, batches,
        check_.stale_rows;
END
$$;
COMMENT ON PROCEDURE reshard_hash_table(regclass, int, int, text) IS
    'Re-shards a table PARTITION BY HASH (id shard_ops) to one partition per shard of the server''s ring: swaps the layout, moves the rows in batches through the parent, one transaction each, and drops the old partitions once proven empty; mode block_writes (default) makes writes wait, online lets them miss pending rows; resumable.';
