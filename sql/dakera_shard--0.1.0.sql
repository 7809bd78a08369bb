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

-- Explicit placements, overriding the round robin of dakera_shard.nodes.
-- Transactional, kept across restarts, and carried by pg_dump.
CREATE TABLE shard_placement (
    shard_id      int PRIMARY KEY CHECK (shard_id >= 0),
    node_ids      text[] NOT NULL CHECK (cardinality(node_ids) > 0),
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by name NOT NULL DEFAULT current_user
);
SELECT pg_catalog.pg_extension_config_dump('shard_placement', '');
COMMENT ON TABLE shard_placement IS
    'Explicit shard placements; change them with register_shard_nodes() and unregister_shard_nodes().';

CREATE FUNCTION register_shard_nodes(shard_id int, node_ids text[]) RETURNS void
AS 'MODULE_PATHNAME', 'register_shard_nodes'
LANGUAGE C VOLATILE;

CREATE FUNCTION unregister_shard_nodes(shard_id int) RETURNS bool
AS 'MODULE_PATHNAME', 'unregister_shard_nodes'
LANGUAGE C VOLATILE STRICT;

-- Node health, in shared memory (needs shared_preload_libraries).
CREATE FUNCTION set_node_health(node text, healthy bool) RETURNS void
AS 'MODULE_PATHNAME', 'set_node_health'
LANGUAGE C VOLATILE;

CREATE FUNCTION reset_node_health(node text DEFAULT NULL) RETURNS int
AS 'MODULE_PATHNAME', 'reset_node_health'
LANGUAGE C VOLATILE;

CREATE FUNCTION node_health()
RETURNS TABLE (node text, healthy bool, changed_at timestamptz)
AS 'MODULE_PATHNAME', 'node_health'
LANGUAGE C VOLATILE PARALLEL SAFE;

-- The partition map of shards 0..num_shards-1 (NULL: the server's shards):
-- registrations, else the round robin of the settings; health judged from one
-- copy of the health table.
CREATE FUNCTION placement_map(num_shards int DEFAULT NULL)
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               preferred_node text, is_healthy bool, registered bool)
AS 'MODULE_PATHNAME', 'placement_map'
LANGUAGE C VOLATILE PARALLEL SAFE;

-- The engine's PartitionInfo for every shard of the server's ring.  Sizes are
-- not known without a table: NULL (see partition_info(regclass)).
CREATE FUNCTION partition_info()
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               is_healthy bool, vector_count bigint, memory_bytes bigint)
LANGUAGE sql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.shard_id, m.node_ids, m.primary_node, m.is_healthy, NULL::bigint, NULL::bigint
    FROM @extschema@.placement_map() m
$$;

-- The engine's ShardAssignment for one key.
CREATE FUNCTION shard_assignment(key text,
    OUT shard_id int, OUT nodes text[], OUT preferred_node text)
AS 'MODULE_PATHNAME', 'shard_assignment'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

-- Per shard, its nodes now and after dakera_shard.nodes / replication_factor
-- become these; changed_shards counts shards whose primary or node set changes.
CREATE FUNCTION rebalance_plan(nodes text[], replication_factor int)
RETURNS TABLE (shard_id int, current_nodes text[], planned_nodes text[],
               primary_moves bool, nodes_change bool, changed_shards int)
AS 'MODULE_PATHNAME', 'rebalance_plan'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- Tables routed by shard_for ------------------------------------------------

-- For a table's partition key (shard_column NULL) or a generated column, when
-- it calls shard_for: the shard count it routes to, and whether by the server's
-- ring.  No row otherwise.
CREATE FUNCTION shard_key_info(rel regclass, shard_column name DEFAULT NULL,
    OUT num_shards int, OUT server_ring bool)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'shard_key_info'
LANGUAGE C STABLE PARALLEL SAFE ROWS 1;

-- Every table partitioned by shard_for, or with a generated shard_for column.
CREATE FUNCTION sharded_tables()
RETURNS TABLE (rel regclass, shard_column name, num_shards int, server_ring bool)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, NULL::name, k.num_shards, k.server_ring
    FROM pg_class c, @extschema@.shard_key_info(c.oid) k
    WHERE c.relkind = 'p' AND NOT c.relispartition
    UNION ALL
    SELECT c.oid::regclass, a.attname, k.num_shards, k.server_ring
    FROM pg_class c
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                       AND a.attgenerated = 's',
         @extschema@.shard_key_info(c.oid, a.attname) k
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY 1, 2
$$;

-- Create the missing LIST partitions of a table partitioned by shard_for, one
-- per shard, named <parent>_shard_<shard_id> in the parent's schema.  Returns
-- the partitions it created; running it again creates none.  With remote, a
-- shard whose primary is not dakera_shard.local_node becomes a postgres_fdw
-- foreign table on the server named for its primary, reading the table of the
-- same schema and name there; everything is checked before anything is made.
CREATE FUNCTION create_shard_partitions(parent regclass, remote boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    shards   int;
    schema   name;
    base     name;
    covered  int[];
    here     text := current_setting('dakera_shard.local_node');
    todo     record;
    problems text[] := '{}';
BEGIN
    SELECT k.num_shards INTO shards FROM @extschema@.shard_key_info(parent) k;
    IF shards IS NULL THEN
        RAISE EXCEPTION 'table % is not partitioned by LIST (shard_for(...))', parent
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create the table with PARTITION BY LIST (shard_for(id)).';
    END IF;
    IF remote AND here = '' THEN
        RAISE EXCEPTION 'dakera_shard.local_node is not set'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Name this server among the nodes: ALTER SYSTEM SET dakera_shard.local_node = ''...''; SELECT pg_reload_conf();';
    END IF;
    SELECT n.nspname, c.relname INTO schema, base
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent;

    -- shards some partition already takes, whatever its name
    SELECT coalesce(array_agg(v[1]::int), '{}') INTO covered
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
         regexp_matches(pg_get_expr(c.relpartbound, c.oid), '-?\d+', 'g') AS v
    WHERE i.inhparent = parent;

    CREATE TEMP TABLE IF NOT EXISTS dakera_shard_todo (shard int, part text, node text)
        ON COMMIT DROP;
    TRUNCATE dakera_shard_todo;
    INSERT INTO dakera_shard_todo
    SELECT s, base || '_shard_' || s,
           CASE WHEN remote AND m.primary_node IS DISTINCT FROM here THEN m.primary_node END
    FROM generate_series(0, shards - 1) s
    LEFT JOIN @extschema@.placement_map(shards) m ON m.shard_id = s
    WHERE s <> ALL (covered);

    -- check everything first: names, servers, user mappings, remote tables
    FOR todo IN SELECT * FROM dakera_shard_todo ORDER BY shard LOOP
        IF octet_length(todo.part) > 63 THEN
            problems := problems || format('partition name "%s" is longer than 63 bytes', todo.part);
            CONTINUE;
        END IF;
        CONTINUE WHEN todo.node IS NULL;
        IF NOT EXISTS (SELECT FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                       WHERE s.srvname = todo.node AND w.fdwname = 'postgres_fdw') THEN
            problems := problems || format('shard %s: no postgres_fdw server "%s"', todo.shard, todo.node);
        ELSIF NOT EXISTS (SELECT FROM pg_user_mappings u
                          WHERE u.srvname = todo.node AND (u.usename = current_user OR u.usename = 'public')) THEN
            problems := problems || format('shard %s: no user mapping for "%s" on server "%s"',
                                           todo.shard, current_user, todo.node);
        ELSE
            -- probe the remote table in a subtransaction that is always rolled back
            BEGIN
                EXECUTE format('CREATE FOREIGN TABLE %I.%I PARTITION OF %s FOR VALUES IN (%s) SERVER %I
                                OPTIONS (schema_name %L, table_name %L)',
                               schema, todo.part, parent, todo.shard, todo.node, schema, todo.part);
                EXECUTE format('SELECT * FROM %I.%I LIMIT 1', schema, todo.part);
                RAISE SQLSTATE 'DKPRB';
            EXCEPTION
                WHEN SQLSTATE 'DKPRB' THEN NULL;
                WHEN OTHERS THEN
                    problems := problems || format('shard %s: remote table %I.%I on server "%s": %s',
                                                   todo.shard, schema, todo.part, todo.node, SQLERRM);
            END;
        END IF;
    END LOOP;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot create the partitions of %', parent
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = array_to_string(problems, E'\n'),
                  HINT = 'Nothing was created. Shorten the parent''s name where a partition name is too long; for remote shards create what is missing (postgres_fdw servers named for the nodes, user mappings, the tables on the nodes); then run create_shard_partitions again.';
    END IF;

    FOR todo IN SELECT * FROM dakera_shard_todo ORDER BY shard LOOP
        IF todo.node IS NULL THEN
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES IN (%s)',
                           schema, todo.part, parent, todo.shard);
        ELSE
            EXECUTE format('CREATE FOREIGN TABLE %I.%I PARTITION OF %s FOR VALUES IN (%s) SERVER %I
                            OPTIONS (schema_name %L, table_name %L)',
                           schema, todo.part, parent, todo.shard, todo.node, schema, todo.part);
        END IF;
        RETURN NEXT format('%I.%I', schema, todo.part)::regclass;
    END LOOP;
    DROP TABLE dakera_shard_todo;
END
$$;

-- partition_info() with vector_count and memory_bytes measured from a table's
-- rows by one scan: exact counts, and the bytes of the rows' column values as
-- stored (pg_column_size of each column: after compression, without tuple
-- headers, indexes or free space).
CREATE FUNCTION partition_info(rel regclass, shard_column name DEFAULT NULL)
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               is_healthy bool, vector_count bigint, memory_bytes bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col      name := shard_column;
    shards   int;
    key_expr text;
    size_expr text;
    found    int;
BEGIN
    SELECT string_agg(format('coalesce(pg_catalog.pg_column_size(t.%I), 0)', a.attname), ' + ' ORDER BY a.attnum)
    INTO size_expr
    FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
    IF col IS NULL THEN
        SELECT k.num_shards INTO shards FROM @extschema@.shard_key_info(rel) k;
        IF shards IS NOT NULL THEN
            -- the partition key as PostgreSQL deparses it, qualified and quoted
            key_expr := substring(pg_get_partkeydef(rel) FROM '^LIST \((.*)\)$');
        ELSE
            SELECT count(*), min(t.shard_column), min(t.num_shards) INTO found, col, shards
            FROM @extschema@.sharded_tables() t WHERE t.rel = partition_info.rel AND t.shard_column IS NOT NULL;
            IF found <> 1 THEN
                RAISE EXCEPTION 'cannot tell which column of % holds its shard ids', rel
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = format('The table has %s generated columns that call shard_for and is not partitioned by shard_for.', found),
                          HINT = 'Name the column: partition_info(rel, ''shard_id'').';
            END IF;
        END IF;
    END IF;
    IF key_expr IS NULL THEN
        IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = col
                       AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, rel
                USING ERRCODE = 'undefined_column';
        END IF;
        SELECT coalesce(min(k.num_shards), (SELECT r.num_shards FROM @extschema@.shard_ring() r))
        INTO shards FROM @extschema@.shard_key_info(rel, col) k;
        key_expr := quote_ident(col);
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH counts AS (
             SELECT (%s)::int AS shard_id, count(*)::bigint AS n,
                    sum(%s)::bigint AS bytes
             FROM %s t GROUP BY 1)
         SELECT coalesce(m.shard_id, c.shard_id), m.node_ids, m.primary_node, m.is_healthy,
                coalesce(c.n, 0), coalesce(c.bytes, 0)
         FROM @extschema@.placement_map($1) m FULL JOIN counts c ON c.shard_id = m.shard_id
         ORDER BY 1', key_expr, coalesce(size_expr, '0'), rel) USING shards;
END
$$;

-- The common case in one SELECT: per shard of the server's ring, its nodes,
-- health and the rows and bytes of every table routed by the server's ring.
CREATE VIEW shard_overview AS
WITH per_table AS (
    SELECT i.shard_id, i.vector_count, i.memory_bytes
    FROM @extschema@.sharded_tables() t,
         LATERAL @extschema@.partition_info(t.rel, t.shard_column) i
    WHERE t.server_ring
)
SELECT m.shard_id, m.node_ids, m.primary_node, m.preferred_node, m.is_healthy,
       m.registered, coalesce(sum(p.vector_count), 0)::bigint AS rows,
       coalesce(sum(p.memory_bytes), 0)::bigint AS bytes
FROM @extschema@.placement_map() m LEFT JOIN per_table p ON p.shard_id = m.shard_id
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1;

-- Re-sharding ---------------------------------------------------------------

-- The share of the hash space that moves from each shard of the server's ring
-- to each shard of the target ring; unmoved pairs included, so the fractions
-- sum to 1.  Exact for consistent_hash, modulo and range (from the rings'
-- arcs and boundaries); the exact expected value where jump is involved.
CREATE FUNCTION reshard_plan(num_shards int, strategy text DEFAULT 'consistent_hash',
                             virtual_nodes int DEFAULT 150)
RETURNS TABLE (from_shard int, to_shard int, fraction float8)
AS 'MODULE_PATHNAME', 'reshard_plan_fractions'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The same between two explicit shapes.
CREATE FUNCTION reshard_plan_between(from_num_shards int, from_strategy text,
                                     from_virtual_nodes int, num_shards int,
                                     strategy text, virtual_nodes int)
RETURNS TABLE (from_shard int, to_shard int, fraction float8)
AS 'MODULE_PATHNAME', 'reshard_plan_fractions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The key column of a table, checked, with its type (for casts in batches).
CREATE FUNCTION reshard_key_type(rel regclass, key_column name) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    key_type text;
BEGIN
    SELECT format_type(a.atttypid, a.atttypmod) INTO key_type
    FROM pg_attribute a
    WHERE a.attrelid = rel AND a.attname = key_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF key_type IS NULL THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', key_column, rel
            USING ERRCODE = 'undefined_column';
    END IF;
    RETURN key_type;
END
$$;

-- For a real table: rows per (shard now, shard under the target ring).
CREATE FUNCTION reshard_plan(rel regclass, key_column name, num_shards int,
                             strategy text DEFAULT 'consistent_hash',
                             virtual_nodes int DEFAULT 150)
RETURNS TABLE (from_shard int, to_shard int, rows bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.reshard_key_type(rel, key_column);
    RETURN QUERY EXECUTE format(
        'SELECT @extschema@.shard_for(t.%1$I::text), @extschema@.shard_for(t.%1$I::text, $1, $2, $3), count(*)
         FROM %2$s t GROUP BY 1, 2 ORDER BY 1, 2', key_column, rel)
        USING num_shards, strategy, virtual_nodes;
END
$$;

-- How a table's stored shards are judged stale (used by shard_verify and
-- reshard_table): a SQL condition on the row alias t, and the CTE it needs.
-- With a shard column: the column differs from the shard its key gets now.
-- Partitioned by shard: the row's partition does not take the shard its
-- partition key gives now.
CREATE FUNCTION reshard_stale_condition(rel regclass, key_column name, shard_column name,
                                        OUT bounds_cte text, OUT stale text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    key_expr text;
BEGIN
    PERFORM @extschema@.reshard_key_type(rel, key_column);
    IF shard_column IS NOT NULL THEN
        PERFORM @extschema@.reshard_key_type(rel, shard_column);
        bounds_cte := 'bounds AS (SELECT NULL::oid AS part, NULL::int AS shard)';
        stale := format('t.%I IS DISTINCT FROM @extschema@.shard_for(t.%I::text)', shard_column, key_column);
    ELSIF EXISTS (SELECT FROM @extschema@.shard_key_info(rel)) THEN
        key_expr := substring(pg_get_partkeydef(rel) FROM '^LIST \((.*)\)$');
        bounds_cte := format(
            'bounds AS (SELECT i.inhrelid AS part, v[1]::int AS shard
                        FROM pg_catalog.pg_inherits i
                        JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid,
                             pg_catalog.regexp_matches(pg_catalog.pg_get_expr(c.relpartbound, c.oid), %L, %L) v
                        WHERE i.inhparent OPERATOR(pg_catalog.=) %s::pg_catalog.oid)',
            '-?\d+', 'g', rel::oid);
        stale := format('NOT EXISTS (SELECT FROM bounds b WHERE b.part OPERATOR(pg_catalog.=) t.tableoid
                                     AND b.shard OPERATOR(pg_catalog.=) (%s))', key_expr);
    ELSE
        RAISE EXCEPTION 'table % has no shard column to check', rel
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the column that holds shard ids, or use a table partitioned by LIST (shard_for(...)).';
    END IF;
END
$$;

-- Rows whose stored shard is not the one shard_for gives now, and up to ten
-- of their keys.
CREATE FUNCTION shard_verify(rel regclass, key_column name, shard_column name DEFAULT NULL,
                             OUT stale_rows bigint, OUT sample_keys text[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM @extschema@.reshard_stale_condition(rel, key_column, shard_column);
    EXECUTE format('WITH %1$s SELECT count(*) FROM %2$s t WHERE %3$s', c.bounds_cte, rel, c.stale)
        INTO stale_rows;
    EXECUTE format('WITH %1$s SELECT array_agg(k) FROM (SELECT t.%4$I::text AS k FROM %2$s t WHERE %3$s
                    ORDER BY 1 LIMIT 10) s', c.bounds_cte, rel, c.stale, key_column)
        INTO sample_keys;
END
$$;

-- Re-route the stale rows of a table in batches, in key order, one
-- transaction per batch: a row moves whole or not at all, and a cancelled run
-- is finished by running it again.  A generated shard column is recomputed and
-- a row of a table partitioned by shard moves to its partition (create the
-- new partitions first); a plain shard column is set.  Call it outside a
-- transaction block.  pause_ms sleeps between batches to spare a busy server.
CREATE PROCEDURE reshard_table(rel regclass, key_column name, shard_column name DEFAULT NULL,
                               batch_size int DEFAULT 10000, pause_ms int DEFAULT 0)
LANGUAGE plpgsql
AS $$
DECLARE
    c        record;
    key_type text;
    set_list text;
    generated bool;
    batch_sql text;
    last_key text;
    scanned  bigint;
    moved    bigint;
    total_scanned bigint := 0;
    total_moved bigint := 0;
    batches  int := 0;
BEGIN
    -- a procedure that commits cannot SET search_path in its definition
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- it commits after every batch, which a transaction block forbids
    IF transaction_timestamp() <> statement_timestamp() THEN
        RAISE EXCEPTION 'reshard_table cannot run inside a transaction block'
            USING ERRCODE = 'active_sql_transaction',
                  HINT = 'CALL it on its own: it commits after every batch.';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    key_type := @extschema@.reshard_key_type(rel, key_column);
    SELECT * INTO c FROM @extschema@.reshard_stale_condition(rel, key_column, shard_column);
    SELECT a.attgenerated = 's' INTO generated FROM pg_attribute a
    WHERE a.attrelid = rel AND a.attname = shard_column;
    set_list := CASE WHEN shard_column IS NULL OR generated
                     THEN format('%1$I = t.%1$I', key_column)   -- recompute / re-route
                     ELSE format('%I = @extschema@.shard_for(t.%I::text)', shard_column, key_column) END;
    batch_sql := format(
        'WITH %1$s,
              batch AS (SELECT t.%2$I AS k FROM %3$s t WHERE $1::%4$s IS NULL OR t.%2$I > $1::%4$s
                        ORDER BY t.%2$I LIMIT $2),
              moved AS (UPDATE %3$s t SET %5$s FROM (SELECT DISTINCT k FROM batch) b
                        WHERE t.%2$I = b.k AND %6$s RETURNING 1)
         SELECT (SELECT max(k)::text FROM batch), (SELECT count(*) FROM batch), (SELECT count(*) FROM moved)',
        c.bounds_cte, key_column, rel, key_type, set_list, c.stale);
    LOOP
        EXECUTE batch_sql INTO last_key, scanned, moved USING last_key, batch_size;
        EXIT WHEN scanned = 0;
        batches := batches + 1;
        total_scanned := total_scanned + scanned;
        total_moved := total_moved + moved;
        RAISE NOTICE 'reshard_table %: batch %, % rows read, % moved (% read, % moved so far)',
            rel, batches, scanned, moved, total_scanned, total_moved;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF pause_ms > 0 THEN
            PERFORM pg_catalog.pg_sleep(pause_ms / 1000.0);
        END IF;
    END LOOP;
    RAISE NOTICE 'reshard_table %: done, % rows read, % moved in % batches',
        rel, total_scanned, total_moved, batches;
END
$$;

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

-- Privileges ---------------------------------------------------------------
-- Routing and reading are for everyone.  Changing placement, health or the
-- recorded shape is for superusers and members of dakera_shard_admin, a role
-- created here if it does not exist (roles belong to the cluster, so DROP
-- EXTENSION leaves it).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dakera_shard_admin') THEN
        CREATE ROLE dakera_shard_admin NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION record_shard_ring() FROM PUBLIC;
REVOKE ALL ON FUNCTION shard_ring_record_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION register_shard_nodes(int, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION unregister_shard_nodes(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION set_node_health(text, bool) FROM PUBLIC;
REVOKE ALL ON FUNCTION reset_node_health(text) FROM PUBLIC;
REVOKE ALL ON shard_ring_record, shard_placement FROM PUBLIC;
GRANT SELECT ON shard_ring_record, shard_placement TO PUBLIC;

GRANT EXECUTE ON FUNCTION record_shard_ring(), register_shard_nodes(int, text[]),
    unregister_shard_nodes(int), set_node_health(text, bool), reset_node_health(text)
    TO dakera_shard_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON shard_ring_record, shard_placement TO dakera_shard_admin;

-- A new database's stored shard ids will be made with the server's shape.
SELECT record_shard_ring();
