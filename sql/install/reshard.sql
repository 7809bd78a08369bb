
-- Re-sharding ---------------------------------------------------------------

CREATE OR REPLACE FUNCTION reshard_plan(num_shards int, strategy text DEFAULT 'consistent_hash',
                             virtual_nodes int DEFAULT 150)
RETURNS TABLE (from_shard int, to_shard int, fraction float8)
AS 'MODULE_PATHNAME', 'reshard_plan_fractions'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION reshard_plan(int, text, int) IS
    'The share of the hash space that moves from each shard of the server''s ring to each shard of a target ring.';

CREATE OR REPLACE FUNCTION reshard_plan_between(from_num_shards int, from_strategy text,
                                     from_virtual_nodes int, num_shards int,
                                     strategy text, virtual_nodes int)
RETURNS TABLE (from_shard int, to_shard int, fraction float8)
AS 'MODULE_PATHNAME', 'reshard_plan_fractions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION reshard_plan_between(int, text, int, int, text, int) IS
    'The share of the hash space that moves between two explicit ring shapes.';

CREATE OR REPLACE FUNCTION reshard_plan(rel regclass, key_column name, num_shards int,
                             strategy text DEFAULT 'consistent_hash',
                             virtual_nodes int DEFAULT 150)
RETURNS TABLE (from_shard int, to_shard int, rows bigint)
AS 'MODULE_PATHNAME', 'reshard_plan_rows'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION reshard_plan(regclass, name, int, text, int) IS
    'For a real table: rows per (shard under the server''s ring now, shard under the target ring); one scan, as the table''s owner.';

CREATE OR REPLACE FUNCTION shard_verify(rel regclass, key_column name, shard_column name DEFAULT NULL,
                             OUT stale_rows bigint, OUT sample_keys text[])
AS 'MODULE_PATHNAME', 'shard_verify'
LANGUAGE C STABLE;
COMMENT ON FUNCTION shard_verify(regclass, name, name) IS
    'Rows whose stored shard (column or partition) is not the one their table''s routing gives now, and up to ten of their keys.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.reshard_batch(rel regclass, key_column name,
    shard_column name, after_key text, batch_size int,
    OUT last_key text, OUT scanned bigint, OUT moved bigint)
AS 'MODULE_PATHNAME', 'reshard_batch'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dakera_shard_internal.reshard_batch(regclass, name, name, text, int) IS
    'One batch of reshard_table: the next keys after after_key, and the stale rows among them moved, as the table''s owner.';

-- Batches in key order, one transaction each; a batch that meets a
-- concurrent update (SQLSTATE 40001) is retried, up to max_retries times.
CREATE OR REPLACE PROCEDURE reshard_table(rel regclass, key_column name, shard_column name DEFAULT NULL,
                               batch_size int DEFAULT 10000, pause_ms int DEFAULT 0)
LANGUAGE plpgsql
AS $$
-- A procedure that commits cannot SET search_path in its definition, so its
-- declarations are compiled under the caller's: every type is qualified.
DECLARE
    max_retries constant pg_catalog.int4 := 10;
    b        record;
    after    pg_catalog.text;
    retries  pg_catalog.int4;
    total_retries pg_catalog.int4 := 0;
    total_scanned pg_catalog.int8 := 0;
    total_moved pg_catalog.int8 := 0;
    batches  pg_catalog.int4 := 0;
    check_   record;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- it commits after every batch, which a transaction block forbids
    IF pg_catalog.transaction_timestamp() OPERATOR(pg_catalog.<>) pg_catalog.statement_timestamp() THEN
        RAISE EXCEPTION 'reshard_table cannot run inside a transaction block'
            USING ERRCODE = 'active_sql_transaction',
                  HINT = 'CALL it on its own: it commits after every batch.';
    END IF;
    IF rel IS NULL OR key_column IS NULL THEN
        RAISE EXCEPTION 'reshard_table needs a table and its key column'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'CALL reshard_table(''my_table'', ''id'') names the table and the column its shard_for reads.';
    END IF;
    IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOOP
        retries := 0;
        LOOP
            BEGIN
                b := dakera_shard_internal.reshard_batch(rel, key_column, shard_column, after, batch_size);
                EXIT;
            EXCEPTION WHEN serialization_failure THEN
                retries := retries OPERATOR(pg_catalog.+) 1;
                total_retries := total_retries OPERATOR(pg_catalog.+) 1;
                IF retries OPERATOR(pg_catalog.>) max_retries THEN
                    RAISE;
                END IF;
                RAISE NOTICE 'reshard_table %: batch % met a concurrent update (%), retry % of %',
                    rel, batches OPERATOR(pg_catalog.+) 1, SQLERRM, retries, max_retries;
                PERFORM pg_catalog.pg_sleep(0.01 * retries);
            END;
        END LOOP;
        EXIT WHEN b.scanned OPERATOR(pg_catalog.=) 0;
        after := b.last_key;
        batches := batches OPERATOR(pg_catalog.+) 1;
        total_scanned := total_scanned OPERATOR(pg_catalog.+) b.scanned;
        total_moved := total_moved OPERATOR(pg_catalog.+) b.moved;
        RAISE NOTICE 'reshard_table %: batch %, % rows read, % moved (% read, % moved so far)',
            rel, batches, b.scanned, b.moved, total_scanned, total_moved;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF pause_ms OPERATOR(pg_catalog.>) 0 THEN
            PERFORM pg_catalog.pg_sleep(pause_ms OPERATOR(pg_catalog./) 1000.0);
        END IF;
    END LOOP;
    check_ := @extschema@.shard_verify(rel, key_column, shard_column);
    RAISE NOTICE 'reshard_table %: done, % rows read, % moved in % batches (% retries); % stale rows remain; rows with a NULL key have no shard and are left as they are',
        rel, total_scanned, total_moved, batches, total_retries, check_.stale_rows;
END
$$;
COMMENT ON PROCEDURE reshard_table(regclass, name, name, int, int) IS
    'Moves a table''s stale rows in batches in key order, one transaction each, as the table''s owner; resumable; ends by verifying.';
