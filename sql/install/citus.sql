
-- Citus: the engine's shards as Citus's shards, one for one -----------------
-- A table distributed by a shard_key column with shard_count = num_shards
-- keeps engine shard s in Citus shard s (the one whose interval starts at
-- -2^31 + s * (2^32 / N)), on the node that holds it.  Nothing here needs
-- Citus to build or install: its catalogs and functions are looked up when
-- called (pg_catalog.pg_dist_*, run_command_on_workers,
-- create_distributed_table), through EXECUTE, with search_path pinned.

CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_installed() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Put citus first in shared_preload_libraries, restart, and run CREATE EXTENSION citus.';
    END IF;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_installed() IS
    'Raises an error unless the citus extension is installed in this database.';

CREATE OR REPLACE FUNCTION citus_node_rings(
    OUT node text, OUT strategy text, OUT num_shards int, OUT virtual_nodes int,
    OUT routes_alike bool, OUT same_as_coordinator bool, OUT error text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c   record;
    w   record;
    f   text[];
BEGIN
    PERFORM dakera_shard_internal.citus_installed();
    SELECT s.strategy, s.num_shards, s.virtual_nodes, s.routes_alike INTO c FROM @extschema@.shard_ring() s;
    node := 'coordinator';
    strategy := c.strategy; num_shards := c.num_shards; virtual_nodes := c.virtual_nodes;
    routes_alike := c.routes_alike; same_as_coordinator := true; error := NULL;
    RETURN NEXT;
    FOR w IN EXECUTE
        $q$SELECT r.nodename, r.nodeport, r.success, r.result
           FROM pg_catalog.run_command_on_workers($1) r ORDER BY r.nodename, r.nodeport$q$
        USING 'SELECT pg_catalog.concat_ws(''/'', s.strategy, s.num_shards, s.virtual_nodes, s.routes_alike) FROM '
              || '@extschema@' || '.shard_ring() s'
    LOOP
        node := w.nodename || ':' || w.nodeport;
        strategy := NULL; num_shards := NULL; virtual_nodes := NULL; routes_alike := NULL;
        same_as_coordinator := false; error := NULL;
        f := pg_catalog.string_to_array(w.result, '/');
        IF NOT w.success OR pg_catalog.cardinality(f) <> 4 THEN
            error := w.result;
        ELSE
            strategy := f[1]; num_shards := f[2]::pg_catalog.int4; virtual_nodes := f[3]::pg_catalog.int4;
            routes_alike := f[4]::pg_catalog.bool;
            -- as shape_routes_alike: the count, then the ring's points or the strategy
            same_as_coordinator := num_shards = c.num_shards AND
                CASE WHEN strategy = ANY ('{consistent_hash,modulo}'::pg_catalog.text[])
                          AND c.strategy = ANY ('{consistent_hash,modulo}'::pg_catalog.text[])
                     THEN virtual_nodes = c.virtual_nodes
                     ELSE strategy = c.strategy END;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION citus_node_rings() IS
    'The ring shape of the coordinator and of every Citus worker (run_command_on_workers), whether each routes as its own record, and whether each routes as the coordinator: workers hash keys too (INSERT ... SELECT, COPY, splits).';

CREATE OR REPLACE FUNCTION citus_shard_map(rel regclass,
    OUT shard int, OUT shardid bigint, OUT min_hash int, OUT max_hash int,
    OUT expected_min int, OUT expected_max int, OUT mirrors bool, OUT nodes text[])
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n   int := (SELECT s.num_shards FROM @extschema@.shard_ring() s);
BEGIN
    PERFORM dakera_shard_internal.citus_installed();
    -- shard i is the i-th interval by its start; each is compared with the
    -- i-th of N uniform intervals, as Citus makes them for shard_count N
    RETURN QUERY EXECUTE
        $q$WITH s AS (
               SELECT (pg_catalog.row_number() OVER (ORDER BY d.shardminvalue::pg_catalog.int4) - 1)::pg_catalog.int4 AS i,
                      d.shardid, d.shardminvalue::pg_catalog.int4 AS lo, d.shardmaxvalue::pg_catalog.int4 AS hi
               FROM pg_catalog.pg_dist_shard d WHERE d.logicalrelid = $1),
           e AS (
               SELECT s.*, pg_catalog.count(*) OVER () AS c, (-2147483648::pg_catalog.int8 +
                            s.i * (4294967296::pg_catalog.int8 / $2)) AS elo
               FROM s)
           SELECT e.i, e.shardid, e.lo, e.hi,
                  CASE WHEN e.i < $2 THEN e.elo::pg_catalog.int4 END,
                  CASE WHEN e.i = $2 - 1 THEN 2147483647
                       WHEN e.i < $2 THEN (e.elo +
                            4294967296::pg_catalog.int8 / $2 - 1)::pg_catalog.int4 END,
                  e.c = $2 AND e.lo::pg_catalog.int8 = e.elo
                      AND e.hi::pg_catalog.int8 = CASE WHEN e.i = $2 - 1 THEN 2147483647
                          ELSE e.elo + 4294967296::pg_catalog.int8 / $2 - 1 END,
                  ARRAY(SELECT n.nodename || ':' || n.nodeport
                        FROM pg_catalog.pg_dist_placement p
                        JOIN pg_catalog.pg_dist_node n ON n.groupid = p.groupid
                             AND n.noderole = 'primary'
                        WHERE p.shardid = e.shardid AND p.shardstate = 1
                        ORDER BY 1)
           FROM e ORDER BY e.i$q$
        USING rel, n;
END
$$;
COMMENT ON FUNCTION citus_shard_map(regclass) IS
    'Citus''s shards of a hash-distributed table in the order of their hash intervals: shard i''s interval, the interval of the engine''s shard i of num_shards, and the nodes of its active placements and whether it is the engine''s shard i.';

-- Where each row sits: per Citus shard (in the order of its interval), its
-- rows and those whose key's hash lies outside its interval, hashed as
-- Citus hashes them now (support function 1 of the key type's default hash
-- class, under the ring each node routes with).  One query through the
-- distributed table that Citus runs on every shard in parallel on the
-- workers, each grouping its rows by its own name (tableoid, evaluated
-- there) and by the interval their hash falls in (width_bucket over the
-- intervals' starts, which cover the hash range in order); no rows are
-- shipped.  It runs as the caller, in the caller's transaction (it sees a
-- table rewritten in the same transaction), and calls nothing of the
-- table's but its key column.  Every group must name a shard of the table
-- and the groups must add up: otherwise it raises an error.
CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_shard_rows(rel regclass,
    OUT shard int, OUT shardid bigint, OUT min_hash int, OUT max_hash int,
    OUT rows bigint, OUT outside bigint, OUT outside_shards int[])
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    col     name;
    keytype oid;
    hashfn  text;
    los     int[];
    ids     bigint[];
    total   bigint;
    g       record;
    names   text[] := '{}';
    buckets int[] := '{}';
    counts  bigint[] := '{}';
    grouped bigint := 0;
BEGIN
    IF rel IS NULL THEN
        RETURN;
    END IF;
    PERFORM dakera_shard_internal.citus_installed();
    EXECUTE $q$SELECT a.attname, a.atttypid FROM pg_catalog.pg_dist_partition p
               JOIN pg_catalog.pg_attribute a ON a.attrelid = p.logicalrelid
                    AND a.attname = pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)
               WHERE p.logicalrelid = $1 AND p.partmethod = 'h'$q$
        INTO col, keytype USING rel;
    IF col IS NULL THEN
        RAISE EXCEPTION 'relation % is not hash-distributed by Citus', rel
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Distribute it with distribute_table().';
    END IF;
    IF NOT dakera_shard_internal.table_readable(rel) THEN
        RAISE EXCEPTION 'you may not read the rows of %', rel
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run it as the table''s owner, or as a role with SELECT on the table and USAGE on its schema that row-level security does not restrict.';
    END IF;
    -- the hash Citus calls: support 1 of the default hash class of the key type
    SELECT pg_catalog.format('%I.%I', n.nspname, f.proname) INTO hashfn
    FROM pg_catalog.pg_opclass c
    JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = c.opcfamily AND ap.amproclefttype = c.opcintype
         AND ap.amprocrighttype = c.opcintype AND ap.amprocnum = 1
    JOIN pg_catalog.pg_proc f ON f.oid = ap.amproc
    JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
    WHERE c.opcmethod = (SELECT am.oid FROM pg_catalog.pg_am am WHERE am.amname = 'hash')
      AND c.opcdefault AND c.opcintype = keytype;
    IF hashfn IS NULL THEN
        RAISE EXCEPTION 'type % has no default hash operator class', keytype::pg_catalog.regtype
            USING ERRCODE = 'undefined_object';
    END IF;
    SELECT pg_catalog.array_agg(m.min_hash ORDER BY m.shard), pg_catalog.array_agg(m.shardid ORDER BY m.shard)
    INTO los, ids FROM @extschema@.citus_shard_map(rel) m;
    IF los IS NULL THEN
        RETURN;
    END IF;
    FOR g IN EXECUTE pg_catalog.format(
        $q$SELECT x.tableoid::pg_catalog.regclass::pg_catalog.text AS name,
                  pg_catalog.width_bucket(%s(x.%I), $1) AS bucket, pg_catalog.count(*) AS n
           FROM %s x GROUP BY 1, 2$q$, hashfn, col, rel)
        USING los
    LOOP
        names := names || g.name;
        buckets := buckets || g.bucket;
        counts := counts || g.n;
        grouped := grouped + g.n;
    END LOOP;
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', rel) INTO total;
    IF EXISTS (SELECT FROM pg_catalog.unnest(names) u(name)
               WHERE NOT coalesce(pg_catalog.substring(u.name, '_([0-9]+)"?$')::pg_catalog.int8 = ANY (ids), false))
       OR total IS DISTINCT FROM grouped THEN
        RAISE EXCEPTION 'cannot tell which shard of % holds each row', rel
            USING ERRCODE = 'internal_error',
                  DETAIL = pg_catalog.format('The workers named %s, the shards are %s; %s rows, %s grouped.',
                      (SELECT pg_catalog.string_agg(DISTINCT u.name, ', ') FROM pg_catalog.unnest(names) u(name)),
                      ids, total, grouped);
    END IF;
    RETURN QUERY
    SELECT m.shard, m.shardid, m.min_hash, m.max_hash,
           coalesce(pg_catalog.sum(d.n), 0)::pg_catalog.int8,
           coalesce(pg_catalog.sum(d.n) FILTER (WHERE d.bucket <> m.shard + 1), 0)::pg_catalog.int8,
           coalesce(pg_catalog.array_agg(DISTINCT d.bucket - 1 ORDER BY d.bucket - 1) FILTER (WHERE d.bucket <> m.shard + 1), '{}')
    FROM @extschema@.citus_shard_map(rel) m
    LEFT JOIN ROWS FROM (pg_catalog.unnest(names), pg_catalog.unnest(buckets), pg_catalog.unnest(counts)) d(name, bucket, n)
         ON pg_catalog.substring(d.name, '_([0-9]+)"?$')::pg_catalog.int8 = m.shardid
    GROUP BY m.shard, m.shardid, m.min_hash, m.max_hash
    ORDER BY m.shard;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_shard_rows(regclass) IS
    'Per Citus shard of a hash-distributed table (by its interval): its rows and how many of them hash (as Citus hashes the key now) outside its interval, and the shards they hash into; counted on the workers in parallel, as the caller, in the caller''s transaction.';

CREATE OR REPLACE FUNCTION citus_shard_check(rel regclass DEFAULT NULL, check_rows bool DEFAULT true,
    OUT relation regclass, OUT subject text, OUT ok bool, OUT detail text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    n        int;
    r        record;
    t        record;
    m        record;
    count_   int;
    uniform  bool;
    one_ring bool := true;
    rows_err text;
    checked  jsonb;
    outside  bigint;
    key_t    oid := '@extschema@.shard_key'::pg_catalog.regtype;
    uuid_t   oid := '@extschema@.shard_uuid'::pg_catalog.regtype;
BEGIN
    PERFORM dakera_shard_internal.citus_installed();
    SELECT s.num_shards INTO n FROM @extschema@.shard_ring() s;
    -- one ring everywhere: each node routes as its record and as the coordinator
    FOR r IN SELECT * FROM @extschema@.citus_node_rings() LOOP
        relation := NULL;
        subject := 'ring on ' || r.node;
        ok := r.error IS NULL AND r.routes_alike AND r.same_as_coordinator;
        one_ring := one_ring AND ok;
        detail := CASE
            WHEN r.error IS NOT NULL THEN 'cannot read the ring: ' || r.error
            WHEN NOT r.same_as_coordinator THEN pg_catalog.format(
                'routes with strategy=%s num_shards=%s virtual_nodes=%s, the coordinator with num_shards=%s: keys hashed on this node (INSERT ... SELECT, COPY, splits) go to other shards',
                r.strategy, r.num_shards, r.virtual_nodes, n)
            WHEN NOT r.routes_alike THEN 'the server''s ring differs from the one recorded in its database: routing there raises an error'
            ELSE pg_catalog.format('strategy=%s num_shards=%s virtual_nodes=%s', r.strategy, r.num_shards, r.virtual_nodes) END;
        RETURN NEXT;
    END LOOP;
    -- the tables: every hash-distributed table whose key is a shard_key, or rel
    FOR t IN EXECUTE
        $q$SELECT p.logicalrelid AS rel, p.partmethod,
                  (SELECT a.atttypid FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = p.logicalrelid
                     AND a.attname = pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)) AS keytype
           FROM pg_catalog.pg_dist_partition p
           WHERE ($1 IS NULL OR p.logicalrelid = $1) AND p.partkey IS NOT NULL
           ORDER BY p.logicalrelid::pg_catalog.text$q$
        USING rel
    LOOP
        CONTINUE WHEN rel IS NULL AND (t.partmethod <> 'h' OR t.keytype <> ALL (ARRAY[key_t, uuid_t]));
        relation := t.rel;
        IF t.partmethod <> 'h' OR t.keytype <> ALL (ARRAY[key_t, uuid_t]) THEN
            subject := 'distribution'; ok := false;
            detail := pg_catalog.format('not hash-distributed by a %s or %s column: Citus''s shards are not the engine''s',
                                        key_t::pg_catalog.regtype, uuid_t::pg_catalog.regtype);
            RETURN NEXT;
            CONTINUE;
        END IF;
        -- where the rows sit, as Citus hashes their keys now: read first,
        -- since whether routing is right depends on it
        checked := '[]';
        rows_err := NULL;
        IF NOT check_rows THEN
            rows_err := 'not checked (check_rows => false)';
        ELSIF NOT one_ring THEN
            rows_err := 'not checked: a node does not route as the coordinator (see the rings above), so the workers would hash the keys by another ring';
        ELSE
            BEGIN
                SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c)), '[]') INTO checked
                FROM dakera_shard_internal.citus_shard_rows(t.rel) c;
            EXCEPTION WHEN OTHERS THEN
                rows_err := 'cannot read the rows: ' || SQLERRM;
            END;
        END IF;
        SELECT pg_catalog.sum(c.outside) INTO outside
        FROM pg_catalog.jsonb_to_recordset(checked) c(shardid bigint, outside bigint) WHERE rows_err IS NULL;
        -- count_ shards; uniform: their intervals are the uniform ones of
        -- count_ (another shard count), or not (a split)
        SELECT pg_catalog.count(*), pg_catalog.bool_and(
                   d.lo = -2147483648::pg_catalog.int8 + d.i * (4294967296::pg_catalog.int8 / d.c)
                   AND d.hi = CASE WHEN d.i = d.c - 1 THEN 2147483647
                                   ELSE -2147483648::pg_catalog.int8 + (d.i + 1) * (4294967296::pg_catalog.int8 / d.c) - 1 END)
          INTO count_, uniform
          FROM (SELECT m.min_hash::pg_catalog.int8 AS lo, m.max_hash::pg_catalog.int8 AS hi, m.shard AS i,
                       pg_catalog.count(*) OVER () AS c
                FROM @extschema@.citus_shard_map(t.rel) m) d;
        subject := 'shard count';
        ok := count_ = n;
        detail := CASE WHEN ok THEN pg_catalog.format('%s shards, as the ring', n)
            ELSE pg_catalog.format('%s shards%s, the ring has %s: %sCitus shard i is not engine shard i%s; re-shard with SELECT * FROM citus_reshard(%L)',
                     count_, CASE WHEN uniform THEN '' ELSE ' of unequal intervals' END, n,
                     CASE WHEN uniform THEN '' ELSE 'a split (citus_split_shard_by_split_points, isolate_tenant_to_new_shard) broke the mirror, ' END,
                     CASE WHEN outside > 0 THEN pg_catalog.format(' and %s rows hash outside their shard (the ring changed after they were written: lookups by id miss them)', outside)
                          WHEN outside = 0 THEN ' (routing is still right: every row hashes into its shard)'
                          ELSE '' END,
                     t.rel) END;
        RETURN NEXT;
        IF rows_err IS NOT NULL THEN
            subject := 'rows'; ok := false; detail := rows_err;
            RETURN NEXT;
        END IF;
        FOR m IN SELECT s.*, c.rows, c.outside, c.outside_shards
                 FROM @extschema@.citus_shard_map(t.rel) s
                 LEFT JOIN pg_catalog.jsonb_to_recordset(checked) c(shardid bigint, rows bigint, outside bigint, outside_shards int[])
                      USING (shardid)
                 ORDER BY s.shard LOOP
            -- with another shard count, a shard's interval is not the engine's
            -- (said above): only its placement and its rows are checked
            CONTINUE WHEN count_ <> n AND coalesce(m.outside, 0) = 0 AND pg_catalog.cardinality(m.nodes) > 0;
            subject := 'shard ' || m.shard;
            ok := (count_ <> n OR (m.min_hash = m.expected_min AND m.max_hash = m.expected_max))
                  AND pg_catalog.cardinality(m.nodes) > 0 AND coalesce(m.outside, 0) = 0;
            detail := CASE
                WHEN pg_catalog.cardinality(m.nodes) = 0 THEN
                    pg_catalog.format('shard %s has no active placement', m.shardid)
                WHEN m.outside > 0 THEN
                    pg_catalog.format('%s of the %s rows of shard %s hash outside it (into shards %s): they were placed under another ring; lookups by id miss them; rewrite the table with SELECT * FROM citus_reshard(%L)',
                                      m.outside, m.rows, m.shardid, pg_catalog.array_to_string(m.outside_shards, ', '), t.rel)
                WHEN NOT ok THEN
                    pg_catalog.format('shard %s covers [%s, %s], engine shard %s is [%s, %s]: a split (citus_split_shard_by_split_points, isolate_tenant_to_new_shard) broke the mirror%s',
                                      m.shardid, m.min_hash, m.max_hash, m.shard, m.expected_min, m.expected_max,
                                      CASE WHEN m.rows IS NOT NULL THEN '; routing is still right: every row hashes into its shard' ELSE '' END)
                ELSE pg_catalog.format('shard %s on %s%s', m.shardid, pg_catalog.array_to_string(m.nodes, ', '),
                                       CASE WHEN m.rows IS NOT NULL THEN pg_catalog.format(', %s rows, each hashes into it', m.rows) ELSE '' END) END;
            RETURN NEXT;
        END LOOP;
    END LOOP;
    IF rel IS NOT NULL AND relation IS NULL THEN
        relation := rel; subject := 'distribution'; ok := false;
        detail := 'not a distributed table: distribute it with distribute_table()';
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION citus_shard_check(regclass, bool) IS
    'Proves that Citus''s shards are the engine''s: the ring of every node routes as the coordinator''s, and each table distributed by a shard_key or shard_uuid (or rel) has num_shards shards whose intervals are the uniform ones of num_shards, each with a placement, and (check_rows) each of whose rows hashes, as Citus hashes it now, into its shard; a row per check, ok false with the reason where the mirror or the routing is lost.';

-- Re-sharding Citus tables to the server's ring, in one transaction that
-- nobody else writes in: the tables (rel and the tables co-located with it,
-- or every table distributed by a shard_key or shard_uuid) locked EXCLUSIVE
-- (Citus takes the lock on every node that has the metadata), their count
-- and key checksum taken, the coordinator's ring recorded, each table whose
-- shards are not the ring's or whose rows hash outside their shard
-- rewritten by alter_distributed_table (which hashes every row again), and
-- the result proved before the commit: the same count and checksum, the
-- ring's shards, no row outside its shard.  Until the commit, other
-- sessions see the old record (routing raises the recorded-shape error) or
-- wait for the lock; after it, the rewritten tables.  Nothing commits
-- unless everything is proved: an error rolls back the record too.
CREATE OR REPLACE FUNCTION citus_reshard(rel regclass DEFAULT NULL,
    OUT relation regclass, OUT shards_before int, OUT shards_after int,
    OUT rows bigint, OUT misplaced_before bigint, OUT rewritten bool)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    n       int;
    bad     record;
    t       record;
    rels    regclass[];
    names   text[];
    groups  int[];
    before  bigint[];
    sums    numeric[];
    counts  int[];
    outside bigint[];
    todo    bool[] := '{}';
    done    int[] := '{}';
    first_  text;
    c       bigint;
    h       numeric;
    i       int;
BEGIN
    PERFORM dakera_shard_internal.citus_installed();
    SELECT s.num_shards INTO n FROM @extschema@.shard_ring() s;
    -- the workers first: each must route as its record and as the coordinator's settings
    FOR bad IN SELECT * FROM @extschema@.citus_node_rings() r
               WHERE r.node <> 'coordinator'
                 AND (r.error IS NOT NULL OR NOT r.routes_alike OR NOT r.same_as_coordinator) LOOP
        RAISE EXCEPTION 'node % does not route as the coordinator''s settings', bad.node
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = coalesce(bad.error, pg_catalog.format('It routes with strategy=%s num_shards=%s virtual_nodes=%s (as its record: %s).',
                                    bad.strategy, bad.num_shards, bad.virtual_nodes, bad.routes_alike)),
                  HINT = 'Give every node the coordinator''s dakera_shard settings, restart it, and record the ring on every worker: SELECT * FROM run_command_on_workers(''SELECT public.record_shard_ring()'').';
    END LOOP;
    -- the tables, by co-location group; rel's group only when rel is given
    EXECUTE $q$SELECT pg_catalog.array_agg(c.rel ORDER BY p.colocationid, c.rel),
                      pg_catalog.array_agg(p.colocationid ORDER BY p.colocationid, c.rel)
               FROM dakera_shard_internal.citus_tables() c
               JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = c.rel
               WHERE $1 IS NULL OR p.colocationid = (SELECT q.colocationid FROM pg_catalog.pg_dist_partition q
                                                     WHERE q.logicalrelid = $1)$q$
        INTO rels, groups USING rel;
    IF rel IS NOT NULL AND NOT rel = ANY (coalesce(rels, '{}')) THEN
        RAISE EXCEPTION 'relation % is not distributed by Citus by a shard_key or shard_uuid column', rel
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Distribute it with distribute_table().';
    END IF;
    rels := coalesce(rels, '{}');
    SELECT pg_catalog.array_agg(r::pg_catalog.text ORDER BY o) INTO names
    FROM pg_catalog.unnest(rels) WITH ORDINALITY u(r, o);
    -- nobody writes them until the commit
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        EXECUTE pg_catalog.format('LOCK TABLE %s IN EXCLUSIVE MODE', rels[i]);
    END LOOP;
    -- Citus copies the rows as the caller: nothing of another role may run
    -- (read under the lock, which keeps new triggers and constraints out)
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        PERFORM dakera_shard_internal.refuse_code_of_others(rels[i], 're-sharding');
    END LOOP;
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(pg_catalog.hashtextextended(x.%I::pg_catalog.text, 0)::pg_catalog.numeric), 0) FROM %s x',
            (SELECT c.key_column FROM dakera_shard_internal.citus_tables() c WHERE c.rel = rels[i]), rels[i])
            INTO c, h;
        before := before || c; sums := sums || h;
        counts := counts || (SELECT pg_catalog.count(*)::pg_catalog.int4 FROM @extschema@.citus_shard_map(rels[i]));
    END LOOP;
    -- the coordinator's record, in this transaction
    IF NOT (SELECT s.routes_alike FROM @extschema@.shard_ring() s) THEN
        PERFORM @extschema@.record_shard_ring();
    END IF;
    PERFORM dakera_shard_internal.citus_one_ring('its workers would hash the rows of the rewritten tables by another ring');
    -- which rows hash outside their shard now
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        outside := outside || (SELECT coalesce(pg_catalog.sum(r.outside), 0)::pg_catalog.int8
                               FROM dakera_shard_internal.citus_shard_rows(rels[i]) r);
    END LOOP;
    -- a group is rewritten when one of its tables is not the ring's: its
    -- first table into a group of its own with the ring's count, the others
    -- co-located with it
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        todo := todo || (outside[i] > 0 OR counts[i] <> n
                         OR NOT (SELECT pg_catalog.bool_and(m.mirrors) FROM @extschema@.citus_shard_map(rels[i]) m));
    END LOOP;
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        CONTINUE WHEN NOT EXISTS (SELECT FROM pg_catalog.generate_subscripts(rels, 1) j
                                  WHERE groups[j] = groups[i] AND todo[j]);
        IF i = 1 OR groups[i - 1] <> groups[i] THEN
            PERFORM pg_catalog.alter_distributed_table(names[i], shard_count := n, colocate_with := 'none',
                                                       cascade_to_colocated := false);
            first_ := names[i];
        ELSE
            PERFORM pg_catalog.alter_distributed_table(names[i], colocate_with := first_);
        END IF;
        done := done || i;
    END LOOP;
    -- alter_distributed_table made new tables under the old names
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        rels[i] := pg_catalog.to_regclass(names[i]);
    END LOOP;
    -- proved before the commit: every row kept, each in its shard, the ring's shards
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(pg_catalog.hashtextextended(x.%I::pg_catalog.text, 0)::pg_catalog.numeric), 0) FROM %s x',
            (SELECT c.key_column FROM dakera_shard_internal.citus_tables() c WHERE c.rel = rels[i]), rels[i])
            INTO c, h;
        IF c <> before[i] OR h <> sums[i] THEN
            RAISE EXCEPTION 'the rewrite of % changed its rows: % rows before, % after', rels[i], before[i], c
                USING ERRCODE = 'internal_error', HINT = 'Nothing was changed: the transaction is rolled back.';
        END IF;
        IF (SELECT pg_catalog.count(*) <> n OR NOT pg_catalog.bool_and(m.mirrors)
            FROM @extschema@.citus_shard_map(rels[i]) m) THEN
            RAISE EXCEPTION 'after the rewrite, the shards of % are not the ring''s', rels[i]
                USING ERRCODE = 'internal_error', HINT = 'Nothing was changed: the transaction is rolled back.';
        END IF;
        IF (SELECT pg_catalog.sum(r.outside) FROM dakera_shard_internal.citus_shard_rows(rels[i]) r) > 0 THEN
            RAISE EXCEPTION 'after the rewrite, rows of % hash outside their shard', rels[i]
                USING ERRCODE = 'internal_error', HINT = 'Nothing was changed: the transaction is rolled back.';
        END IF;
        relation := rels[i]; shards_before := counts[i]; shards_after := n; rows := c;
        misplaced_before := outside[i]; rewritten := i = ANY (done);
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION citus_reshard(regclass) IS
    'Makes the Citus tables distributed by a shard_key or shard_uuid (rel''s co-location group, or all) the ring''s again after a ring change, in one transaction with them locked EXCLUSIVE: records the coordinator''s ring, rewrites with alter_distributed_table each group whose shards are not the ring''s or whose rows hash outside their shard, and proves count, key checksum, shards and placement of every row before the commit; the workers must have recorded the ring first.';

CREATE OR REPLACE FUNCTION distribute_table(rel regclass, key_column name DEFAULT 'id') RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n        int;
    keytype  oid;
    key_t    oid := '@extschema@.shard_key'::pg_catalog.regtype;
    uuid_t   oid := '@extschema@.shard_uuid'::pg_catalog.regtype;
    existing int;
    target   regclass;
    bad      record;
BEGIN
    PERFORM dakera_shard_internal.citus_installed();
    SELECT a.atttypid INTO keytype FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = rel AND a.attname = key_column
      AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', key_column, rel
            USING ERRCODE = 'undefined_column';
    END IF;
    IF keytype <> ALL (ARRAY[key_t, uuid_t]) THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, not % or %', key_column, rel,
                keytype::pg_catalog.regtype, key_t::pg_catalog.regtype, uuid_t::pg_catalog.regtype
            USING ERRCODE = 'datatype_mismatch',
                  DETAIL = 'Citus hashes a column with its type''s default hash; only those of shard_key and shard_uuid keep the engine''s shards.',
                  HINT = pg_catalog.format('Change the column''s type first: ALTER TABLE %s ALTER COLUMN %I TYPE %s.',
                                           rel, key_column,
                                           CASE WHEN keytype IN ('pg_catalog.uuid'::pg_catalog.regtype) THEN uuid_t ELSE key_t END::pg_catalog.regtype);
    END IF;
    -- Citus copies the rows as the caller: nothing of another role may run
    PERFORM dakera_shard_internal.refuse_code_of_others(rel, 'distributing');
    -- the server routes as its record (raises the recorded-shape error if not)
    PERFORM @extschema@.shard_for(''::pg_catalog.text);
    SELECT s.num_shards INTO n FROM @extschema@.shard_ring() s;
    -- one ring everywhere
    FOR bad IN SELECT * FROM @extschema@.citus_node_rings() r
               WHERE r.error IS NOT NULL OR NOT r.routes_alike OR NOT r.same_as_coordinator LOOP
        RAISE EXCEPTION 'node % does not route as the coordinator', bad.node
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN bad.error IS NOT NULL THEN bad.error
                           ELSE pg_catalog.format('It routes with strategy=%s num_shards=%s virtual_nodes=%s (as its record: %s); the coordinator with num_shards=%s.',
                                                  bad.strategy, bad.num_shards, bad.virtual_nodes, bad.routes_alike, n) END,
                  HINT = 'Give every node the coordinator''s dakera_shard settings, restart it, and run SELECT record_shard_ring() there; citus_shard_check() shows every node.';
    END LOOP;
    EXECUTE $q$SELECT pg_catalog.count(*) FROM pg_catalog.pg_dist_shard d WHERE d.logicalrelid = $1$q$
        INTO existing USING rel;
    IF existing > 0 THEN
        IF existing <> n THEN
            RAISE EXCEPTION 'relation % is distributed in % shards, the ring has %', rel, existing, n
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = pg_catalog.format('Re-shard it: SELECT alter_distributed_table(%L, shard_count := %s).', rel, n);
        END IF;
        RAISE EXCEPTION 'relation % is already distributed', rel
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'citus_shard_check() shows whether its shards are the engine''s.';
    END IF;
    -- co-locate with a table of the key type whose shards are the engine's
    FOR target IN EXECUTE
        $q$SELECT p.logicalrelid FROM pg_catalog.pg_dist_partition p
           JOIN pg_catalog.pg_attribute a ON a.attrelid = p.logicalrelid
                AND a.attname = pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)
           WHERE p.partmethod = 'h' AND a.atttypid = $1
           ORDER BY p.colocationid, p.logicalrelid$q$
        USING keytype
    LOOP
        EXIT WHEN (SELECT pg_catalog.count(*) = n AND pg_catalog.bool_and(m.mirrors)
                   FROM @extschema@.citus_shard_map(target) m);
        target := NULL;
    END LOOP;
    IF target IS NOT NULL THEN
        EXECUTE $q$SELECT pg_catalog.create_distributed_table($1, $2, 'hash', colocate_with => $3)$q$
            USING rel, key_column::pg_catalog.text, target::pg_catalog.text;
    ELSE
        EXECUTE $q$SELECT pg_catalog.create_distributed_table($1, $2, 'hash', colocate_with => 'none', shard_count => $3)$q$
            USING rel, key_column::pg_catalog.text, n;
    END IF;
    -- proved, not assumed: the new shards are the engine's
    IF NOT (SELECT pg_catalog.count(*) = n AND pg_catalog.bool_and(m.mirrors)
            FROM @extschema@.citus_shard_map(rel) m) THEN
        RAISE EXCEPTION 'Citus did not split % into the % uniform intervals of the ring', rel, n
            USING ERRCODE = 'internal_error',
                  HINT = 'citus_shard_map() shows its intervals.';
    END IF;
    RETURN pg_catalog.format('%s distributed by %I in %s shards, Citus shard i = engine shard i%s', rel, key_column, n,
                             CASE WHEN target IS NOT NULL THEN pg_catalog.format(', co-located with %s', target) ELSE '' END);
END
$$;
COMMENT ON FUNCTION distribute_table(regclass, name) IS
    'Distributes a table with Citus by its shard_key or shard_uuid column in num_shards shards, co-located with the other tables of the key type, so that Citus shard i holds the engine''s shard i; refuses without Citus, for another column type, another shard count or a node with another ring.';

-- The shard map of a Citus table as partition_info and shard_overview show
-- it: each engine shard's nodes are those of the active placements of the
-- Citus shards whose hash intervals meet its interval (exactly Citus shard
-- i while the mirror holds; after a split or with another shard count, every
-- shard that holds some of its keys), and its rows and bytes are counted
-- through the distributed table, grouped by shard_for(key): one query that
-- Citus runs on every shard in parallel on the workers (each counts and sums
-- its rows, the coordinator adds the partial results), as the table's owner,
-- security-restricted, as every scan of a user's table.  The workers evaluate
-- shard_for, so every node must route as the coordinator: checked first.

CREATE OR REPLACE FUNCTION dakera_shard_internal.code_of_others(rel regclass) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- What a copy of rel's rows would run that belongs to another role: the
-- table, what depends on it (indexes, constraints, triggers, defaults,
-- rules, policies) and its columns' types (domains and their constraints),
-- and the functions these reference directly or through an operator.  A
-- function counts when its owner is neither the caller nor a superuser.
-- Nothing is evaluated: the catalog is read.
WITH RECURSIVE obj(classid, objid) AS (
    SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, rel::pg_catalog.oid
    UNION
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
    WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = rel
      AND d.deptype IN ('a', 'n', 'i')
    UNION
    SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, a.atttypid FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
),
types(classid, objid) AS (           -- domains (over domains), array elements, and domains' constraints
    SELECT o.classid, o.objid FROM obj o
    UNION
    SELECT n.classid, n.objid FROM types x
    JOIN pg_catalog.pg_type t ON x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = x.objid
    CROSS JOIN LATERAL (
        SELECT 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid, t.typbasetype WHERE t.typtype = 'd'
        UNION ALL
        SELECT 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid, t.typelem WHERE t.typelem <> 0
        UNION ALL
        SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid, c.oid
        FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid) n(classid, objid)
),
fn(what, proc) AS (
    SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), d.refobjid
    FROM types x JOIN pg_catalog.pg_depend d ON d.classid = x.classid AND d.objid = x.objid
    WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
    UNION ALL
    SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), p.p
    FROM types x JOIN pg_catalog.pg_depend d ON d.classid = x.classid AND d.objid = x.objid
    JOIN pg_catalog.pg_operator o ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
    CROSS JOIN LATERAL (VALUES (o.oprcode::pg_catalog.oid), (o.oprrest::pg_catalog.oid), (o.oprjoin::pg_catalog.oid)) p(p)
    WHERE p.p <> 0
)
SELECT pg_catalog.format('%s calls %s, owned by %s', f.what, p.oid::pg_catalog.regprocedure, r.rolname)
FROM fn f
JOIN pg_catalog.pg_proc p ON p.oid = f.proc
JOIN pg_catalog.pg_roles r ON r.oid = p.proowner
WHERE NOT r.rolsuper AND r.rolname <> CURRENT_USER
ORDER BY 1 LIMIT 1
$$;
COMMENT ON FUNCTION dakera_shard_internal.code_of_others(regclass) IS
    'What copying the rows of rel would run that another role owns (a function of a trigger, constraint, default, index, rule, policy or column domain, directly or through an operator, whose owner is neither the caller nor a superuser), described; NULL when nothing. Reads the catalog only.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.refuse_code_of_others(rel regclass, action text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    what text := dakera_shard_internal.code_of_others(rel);
BEGIN
    IF what IS NOT NULL THEN
        RAISE EXCEPTION '% % would run code of another role as %', action, rel, CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = what || '. Citus copies the rows as the caller, on every node.',
                  HINT = 'Let the table''s owner run it, or drop what calls that function for the time of the rewrite.';
    END IF;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.refuse_code_of_others(regclass, text) IS
    'Raises insufficient_privilege, naming the object and the function, when copying the rows of rel would run a function that another role owns (code_of_others).';

CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_tables(OUT rel regclass, OUT key_column name)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        $q$SELECT p.logicalrelid::pg_catalog.regclass, a.attname
           FROM pg_catalog.pg_dist_partition p
           JOIN pg_catalog.pg_attribute a ON a.attrelid = p.logicalrelid
                AND a.attname = pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)
           WHERE p.partmethod = 'h' AND a.atttypid = ANY ($1)
           ORDER BY p.logicalrelid$q$
        USING ARRAY['@extschema@.shard_key'::pg_catalog.regtype, '@extschema@.shard_uuid'::pg_catalog.regtype]::pg_catalog.oid[];
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_tables() IS
    'Every table that Citus hash-distributes by a shard_key or shard_uuid column, with that column, read from Citus''s catalog (none without Citus).';

CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_shard_nodes(rel regclass, num_shards int,
    OUT shard_id int, OUT node_ids text[], OUT is_healthy bool)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF rel IS NULL THEN
        RETURN;
    END IF;
    PERFORM dakera_shard_internal.citus_installed();
    IF num_shards IS NULL OR num_shards < 1 THEN
        RAISE EXCEPTION 'num_shards must be at least 1'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the shard count of the server''s ring.';
    END IF;
    RETURN QUERY EXECUTE
        $q$WITH e AS (
               SELECT g.s, -2147483648::pg_catalog.int8 + g.s * (4294967296::pg_catalog.int8 / $2) AS lo,
                      CASE WHEN g.s = $2 - 1 THEN 2147483647::pg_catalog.int8
                           ELSE -2147483648::pg_catalog.int8 + (g.s + 1) * (4294967296::pg_catalog.int8 / $2) - 1 END AS hi
               FROM pg_catalog.generate_series(0, $2 - 1) g(s)),
           c AS (
               SELECT d.shardid, d.shardminvalue::pg_catalog.int8 AS lo, d.shardmaxvalue::pg_catalog.int8 AS hi
               FROM pg_catalog.pg_dist_shard d WHERE d.logicalrelid = $1),
           p AS (
               SELECT c.shardid, n.nodename || ':' || n.nodeport AS node, n.isactive
               FROM c JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = c.shardid AND pl.shardstate = 1
               JOIN pg_catalog.pg_dist_node n ON n.groupid = pl.groupid AND n.noderole = 'primary')
           SELECT e.s::pg_catalog.int4,
                  ARRAY(SELECT DISTINCT p.node FROM c JOIN p USING (shardid)
                        WHERE c.lo <= e.hi AND c.hi >= e.lo ORDER BY 1),
                  -- healthy: every Citus shard that holds some of its keys has an active placement on an active node
                  coalesce((SELECT pg_catalog.bool_and(EXISTS (SELECT FROM p WHERE p.shardid = c.shardid AND p.isactive))
                            FROM c WHERE c.lo <= e.hi AND c.hi >= e.lo), false)
           FROM e ORDER BY e.s$q$
        USING rel, num_shards;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_shard_nodes(regclass, int) IS
    'Per engine shard of num_shards: the nodes of the active placements of the Citus shards of rel whose hash intervals meet its interval, and whether each of those shards has an active placement on an active node.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_one_ring(what text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad  record;
BEGIN
    FOR bad IN SELECT * FROM @extschema@.citus_node_rings() r
               WHERE r.error IS NOT NULL OR NOT r.routes_alike OR NOT r.same_as_coordinator LOOP
        RAISE EXCEPTION 'node % does not route as the coordinator', bad.node
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN bad.error IS NOT NULL THEN bad.error
                           ELSE pg_catalog.format('It routes with strategy=%s num_shards=%s virtual_nodes=%s (as its record: %s); %s.',
                                                  bad.strategy, bad.num_shards, bad.virtual_nodes, bad.routes_alike, what) END,
                  HINT = 'Give every node the coordinator''s dakera_shard settings, restart it, and run SELECT record_shard_ring() there; citus_shard_check() shows every node.';
    END LOOP;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_one_ring(text) IS
    'Raises an error, saying what for, unless every Citus node routes as the coordinator and as its own record.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_partition_info(rel regclass, key_column name)
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               is_healthy bool, vector_count bigint, memory_bytes bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    n  int;
BEGIN
    PERFORM dakera_shard_internal.citus_installed();
    -- the server routes as its record (raises the recorded-shape error if not)
    PERFORM @extschema@.shard_for(''::pg_catalog.text);
    SELECT s.num_shards INTO n FROM @extschema@.shard_ring() s;
    PERFORM dakera_shard_internal.citus_one_ring('the workers count the rows of ' || citus_partition_info.rel::pg_catalog.text
                                                 || ' by shard_for, and it would count them by another ring');
    RETURN QUERY
    WITH m AS (SELECT * FROM dakera_shard_internal.citus_shard_nodes(citus_partition_info.rel, n)),
         c AS (SELECT * FROM dakera_shard_internal.shard_rows(citus_partition_info.rel, NULL, false,
                                                               citus_partition_info.key_column))
    SELECT coalesce(m.shard_id, c.shard_id), m.node_ids, m.node_ids[1], m.is_healthy,
           coalesce(c.rows, 0), coalesce(c.bytes, 0)
    FROM m FULL JOIN c ON c.shard_id = m.shard_id
    ORDER BY 1;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_partition_info(regclass, name) IS
    'partition_info(rel) of a Citus table distributed by key_column (shard_key or shard_uuid): per engine shard, the nodes of Citus''s placements (the first as primary_node), whether they are active, and the rows and bytes counted on the workers by shard_for(key) as the table''s owner.';

CREATE OR REPLACE FUNCTION dakera_shard_internal.citus_listed_tables(OUT rel regclass, OUT key_column name)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rels  regclass[];
    keys  name[];
BEGIN
    SELECT pg_catalog.array_agg(c.rel ORDER BY c.rel), pg_catalog.array_agg(c.key_column ORDER BY c.rel)
    INTO rels, keys
    FROM dakera_shard_internal.citus_tables() c
    WHERE dakera_shard_internal.table_readable(c.rel);
    IF rels IS NULL THEN
        RETURN;
    END IF;
    BEGIN
        PERFORM dakera_shard_internal.citus_one_ring('the workers count the rows by shard_for, and it would count them by another ring');
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'the tables distributed by Citus are left out: %', SQLERRM
            USING HINT = 'citus_shard_check() shows every node''s ring.';
        RETURN;
    END;
    FOR i IN 1 .. pg_catalog.cardinality(rels) LOOP
        rel := rels[i]; key_column := keys[i];
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION dakera_shard_internal.citus_listed_tables() IS
    'The tables of shard_overview distributed by Citus by a shard_key or shard_uuid column that you may read; none, with a NOTICE, when a node does not route as the coordinator or its ring cannot be read.';
