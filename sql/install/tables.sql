
-- Tables routed by shard_for ------------------------------------------------
-- Listing reads expression trees from the catalog and never evaluates them;
-- measuring scans a table as its owner, security-restricted (docs/security.md).

CREATE OR REPLACE FUNCTION shard_key_info(rel regclass, shard_column name DEFAULT NULL,
    OUT num_shards int, OUT server_ring bool, OUT key_column name,
    OUT strategy text, OUT virtual_nodes int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'shard_key_info'
LANGUAGE C STABLE PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION shard_key_info(regclass, name) IS
    'How a table''s partition key (no column) or generated column routes, when it is shard_for applied to a column; no row otherwise.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.routed_tables(
    OUT rel regclass, OUT shard_column name, OUT num_shards int, OUT server_ring bool,
    OUT key_column name, OUT strategy text, OUT virtual_nodes int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'routed_tables'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dakera_shard_internal.routed_tables() IS
    'Every table partitioned by shard_for and every generated shard_for column, read from the catalog.';

CREATE OR REPLACE FUNCTION sharded_tables()
RETURNS TABLE (rel regclass, shard_column name, num_shards int, server_ring bool, key_column name)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.rel, t.shard_column, t.num_shards, t.server_ring, t.key_column
    FROM dakera_shard_internal.routed_tables() t
    ORDER BY t.rel::pg_catalog.oid, t.shard_column
$$;
COMMENT ON FUNCTION sharded_tables() IS
    'Every table partitioned by shard_for (shard_column NULL) or with a generated shard_for column, its key and shard count.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.table_routing(rel regclass, shard_column name,
    OUT shard_column name, OUT key_column name, OUT num_shards int, OUT server_ring bool)
AS 'MODULE_PATHNAME', 'table_routing'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dakera_shard_internal.table_routing(regclass, name) IS
    'Which column holds a table''s shard ids (NULL: its partition key), its key column and its shard count.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.table_readable(rel regclass) RETURNS bool
AS 'MODULE_PATHNAME', 'table_readable'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION dakera_shard_internal.table_readable(regclass) IS
    'Whether you may measure a table: a table you may SELECT from, in a schema you may use, with user mappings for its foreign tables, and no row-level security hiding rows from you or from its owner.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.shard_rows(rel regclass, shard_column name, listing bool,
    key_column name DEFAULT NULL)
RETURNS TABLE (shard_id int, rows bigint, bytes bigint)
AS 'MODULE_PATHNAME', 'shard_rows'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dakera_shard_internal.shard_rows(regclass, name, bool, name) IS
    'Rows and bytes per shard id of a table, scanned as its owner (security-restricted) for a caller who may read it; key_column (no shard_column): by shard_for of that shard_key or shard_uuid column, as a Citus table distributed by it; listing: for shard_overview, without inheritance children, and no rows (with a NOTICE) when the table is locked or cannot be scanned.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.shard_partition_plan(parent regclass,
    OUT num_shards int, OUT taken int[])
AS 'MODULE_PATHNAME', 'shard_partition_plan'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dakera_shard_internal.shard_partition_plan(regclass) IS
    'For a table partitioned by LIST (shard_for(...)): its shard count (checked against the limits) and the shards its partitions take.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.create_shard_partition(parent regclass, name name,
    shard int, modulus int, server name, probe bool) RETURNS regclass
AS 'MODULE_PATHNAME', 'create_shard_partition'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dakera_shard_internal.create_shard_partition(regclass, name, int, int, name, bool) IS
    'One partition of a table partitioned by shard (modulus 0: LIST), local or a postgres_fdw foreign table; created as the parent''s owner, security-restricted.';

CREATE OR REPLACE FUNCTION create_shard_partitions(parent regclass, remote boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    plan     record;
    here     text := dakera_shard_internal.local_node();
    owner    name;
    schema   name;
    base     name;
    modulus  int := 0;
    shards   int[];
    parts    text[];
    nodes    text[];
    problems text[] := '{}';
BEGIN
    plan := dakera_shard_internal.shard_partition_plan(parent);
    -- PARTITION BY HASH (id shard_ops): shard s is the remainder s of the shard count
    IF EXISTS (SELECT FROM pg_partitioned_table p WHERE p.partrelid = parent AND p.partstrat = 'h') THEN
        modulus := plan.num_shards;
    END IF;
    IF remote AND here = '' THEN
        RAISE EXCEPTION 'dakera_shard.local_node is not set'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Name this server among the nodes: ALTER SYSTEM SET dakera_shard.local_node = ''...''; SELECT pg_reload_conf();';
    END IF;
    SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) INTO schema, base, owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent;
    -- the missing shards, each with its partition's name and, remote, its node
    SELECT coalesce(array_agg(s ORDER BY s), '{}'),
           coalesce(array_agg(base || '_shard_' || s ORDER BY s), '{}'),
           coalesce(array_agg(CASE WHEN remote AND m.primary_node IS DISTINCT FROM here
                                   THEN m.primary_node END ORDER BY s), '{}')
    INTO shards, parts, nodes
    FROM generate_series(0, plan.num_shards - 1) s
    LEFT JOIN @extschema@.placement_map(plan.num_shards) m ON m.shard_id = s
    WHERE s <> ALL (plan.taken);

    -- check everything first: names, servers, user mappings, remote tables;
    -- partitions are made, and remote tables read, as the parent's owner
    FOR i IN 1 .. cardinality(shards) LOOP
        IF octet_length(parts[i]) > 63 THEN
            problems := problems || format('partition name "%s" is longer than 63 bytes', parts[i]);
            CONTINUE;
        END IF;
        CONTINUE WHEN nodes[i] IS NULL;
        IF NOT EXISTS (SELECT FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                       WHERE s.srvname = nodes[i] AND w.fdwname = 'postgres_fdw') THEN
            problems := problems || format('shard %s: no postgres_fdw server "%s"', shards[i], nodes[i]);
        ELSIF NOT EXISTS (SELECT FROM pg_user_mappings u
                          WHERE u.srvname = nodes[i] AND (u.usename = owner OR u.usename = 'public')) THEN
            problems := problems || format('shard %s: no user mapping for "%s" on server "%s"',
                                           shards[i], owner, nodes[i]);
        ELSE
            -- probe the remote table in a subtransaction that is always rolled back
            BEGIN
                PERFORM dakera_shard_internal.create_shard_partition(parent, parts[i]::name, shards[i], modulus,
                                                                     nodes[i]::name, true);
                RAISE SQLSTATE 'DKPRB';
            EXCEPTION
                WHEN SQLSTATE 'DKPRB' THEN NULL;
                WHEN OTHERS THEN
                    problems := problems || format('shard %s: remote table %I.%I on server "%s": %s',
                                                   shards[i], schema, parts[i], nodes[i], SQLERRM);
            END;
        END IF;
    END LOOP;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot create the partitions of %', parent
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = array_to_string(problems, E'\n'),
                  HINT = 'Nothing was created. Shorten the parent''s name where a partition name is too long; for remote shards create what is missing (postgres_fdw servers named for the nodes, user mappings for the table''s owner, the tables on the nodes); then run create_shard_partitions again.';
    END IF;

    FOR i IN 1 .. cardinality(shards) LOOP
        RETURN NEXT dakera_shard_internal.create_shard_partition(parent, parts[i]::name, shards[i], modulus,
                                                                 nodes[i]::name, false);
    END LOOP;
END
$$;
COMMENT ON FUNCTION create_shard_partitions(regclass, boolean) IS
    'Creates the missing LIST partitions of a table partitioned by shard_for, one per shard (remote: postgres_fdw foreign tables on each shard''s primary); returns those it created.';
