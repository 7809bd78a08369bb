-- tables: partitions created per shard, partition_info(regclass) measured from
-- real rows, sharded_tables() and the shard_overview view; odd names and
-- search_path tricks change nothing.
\set VERBOSITY default

-- an odd schema and table name, and a search_path that shadows built-ins
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Vectors ""v1""" (id text NOT NULL, embedding real[] NOT NULL)
    PARTITION BY LIST (shard_for(id));
CREATE SCHEMA evil;
CREATE FUNCTION evil.format(text, VARIADIC text[]) RETURNS text LANGUAGE sql AS $$ SELECT 'SELECT 1/0' $$;
CREATE FUNCTION evil.substring(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'evil' $$;
CREATE FUNCTION evil.quote_ident(text) RETURNS text LANGUAGE sql AS $$ SELECT 'evil' $$;
CREATE FUNCTION evil.int_eq_always(int, int) RETURNS bool LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.int_eq_always);
-- pg_catalog after evil: an unpinned function would call evil's versions
SET search_path = evil, pg_catalog, public;
SELECT * FROM create_shard_partitions('"Odd Schema"."Vectors ""v1"""');
-- a second run creates nothing
SELECT count(*) AS created_again FROM create_shard_partitions('"Odd Schema"."Vectors ""v1"""');
-- a shard taken by a partition of another name is left alone
DROP TABLE "Odd Schema"."Vectors ""v1""_shard_3";
CREATE TABLE "Odd Schema".three PARTITION OF "Odd Schema"."Vectors ""v1""" FOR VALUES IN (3);
SELECT count(*) AS created_for_renamed FROM create_shard_partitions('"Odd Schema"."Vectors ""v1"""');
SELECT c.oid::regclass AS partition, pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
WHERE i.inhparent OPERATOR(pg_catalog.=) '"Odd Schema"."Vectors ""v1"""'::regclass ORDER BY 2;

INSERT INTO "Odd Schema"."Vectors ""v1""" SELECT 'vec-' || g, ARRAY[g, g]::real[] FROM generate_series(1, 1000) g;
-- counts and bytes measured from the rows, beside the placement
SELECT * FROM partition_info('"Odd Schema"."Vectors ""v1"""');
CREATE TEMP TABLE parted_info AS SELECT * FROM partition_info('"Odd Schema"."Vectors ""v1"""');

-- a table with a generated shard column, found without naming it
CREATE TABLE "Odd Schema".items (
    "Key" text PRIMARY KEY,
    "Shard Id" int GENERATED ALWAYS AS (shard_for("Key")) STORED,
    other int GENERATED ALWAYS AS (length("Key")) STORED
);
INSERT INTO "Odd Schema".items ("Key") SELECT 'item-' || g FROM generate_series(1, 500) g;
CREATE TEMP TABLE items_info AS SELECT * FROM partition_info('"Odd Schema".items');
CREATE TEMP TABLE items_info_named AS SELECT * FROM partition_info('"Odd Schema".items', 'Shard Id');
RESET search_path;

-- checked against the rows themselves
SELECT (SELECT sum(vector_count) FROM parted_info) AS counted,
       (SELECT bool_and(i.vector_count = (SELECT count(*) FROM "Odd Schema"."Vectors ""v1""" t WHERE shard_for(t.id) = i.shard_id))
        FROM parted_info i) AS counts_match,
       (SELECT bool_and(i.memory_bytes = (SELECT sum(pg_column_size(t.id) + pg_column_size(t.embedding))
                                          FROM "Odd Schema"."Vectors ""v1""" t WHERE shard_for(t.id) = i.shard_id))
        FROM parted_info i) AS bytes_match;
SELECT shard_id, vector_count = (SELECT count(*) FROM "Odd Schema".items WHERE "Shard Id" = i.shard_id) AS exact,
       memory_bytes = (SELECT sum(pg_column_size("Key") + pg_column_size("Shard Id") + pg_column_size(other))
                       FROM "Odd Schema".items WHERE "Shard Id" = i.shard_id) AS bytes_exact
FROM items_info i;
SELECT NOT EXISTS (TABLE items_info EXCEPT TABLE items_info_named)
   AND NOT EXISTS (TABLE items_info_named EXCEPT TABLE items_info) AS named_column_same;

-- the explicit form: the table's own shard count, not the server's
CREATE TABLE jump_items (id text NOT NULL, s int GENERATED ALWAYS AS (shard_for(id, 6, 'jump')) STORED);
INSERT INTO jump_items (id) SELECT 'j-' || g FROM generate_series(1, 600) g;
SELECT shard_id, node_ids, vector_count > 0 AS has_rows FROM partition_info('jump_items');
CREATE TABLE jump_parted (id text NOT NULL) PARTITION BY LIST (shard_for(id, 3, 'jump'));
SELECT * FROM create_shard_partitions('jump_parted');

-- every table routed by shard_for, and which use the server's ring
SELECT * FROM sharded_tables();

-- the DBA's one SELECT: per shard, nodes, health, rows and bytes of the tables
-- routed by the server's ring
SELECT set_node_health('n1', false);
SELECT shard_id, node_ids, primary_node, preferred_node, is_healthy, registered,
       rows, rows = (SELECT pg_catalog.count(*) FROM "Odd Schema"."Vectors ""v1""" t WHERE shard_for(t.id) = o.shard_id)
              + (SELECT pg_catalog.count(*) FROM "Odd Schema".items t WHERE t."Shard Id" = o.shard_id) AS rows_exact,
       bytes > 0 AS has_bytes
FROM shard_overview o;
SELECT reset_node_health();

-- what cannot be measured is refused with a reason
CREATE TABLE plain_table (id text, shard_id int);
SELECT * FROM create_shard_partitions('plain_table');
SELECT * FROM partition_info('plain_table');
SELECT * FROM partition_info('plain_table', 'nope');
SELECT sum(vector_count) AS rows_of_empty_plain_table FROM partition_info('plain_table', 'shard_id');
CREATE TABLE hash_parted (id text) PARTITION BY HASH (id);
SELECT * FROM create_shard_partitions('hash_parted');
CREATE TABLE "a_table_name_that_is_quite_long_and_goes_on_for_a_while_yes" (id text) PARTITION BY LIST (shard_for(id));
SELECT * FROM create_shard_partitions('a_table_name_that_is_quite_long_and_goes_on_for_a_while_yes');

DROP SCHEMA "Odd Schema", evil CASCADE;
DROP TABLE jump_items, jump_parted, plain_table, hash_parted,
    a_table_name_that_is_quite_long_and_goes_on_for_a_while_yes;

-- a plain bigint shard column with values beyond int4 (review finding 41):
-- measured without error; such a value is no shard id (its rows count under
-- a NULL shard) and shard_verify counts it stale
CREATE TABLE bigs (id text, s bigint);
INSERT INTO bigs VALUES ('a', 1), ('b', 5000000000), ('c', -7);
SELECT shard_id, node_ids IS NULL AS no_nodes, vector_count FROM partition_info('bigs', 's')
WHERE vector_count > 0 ORDER BY shard_id NULLS LAST;
SELECT stale_rows FROM shard_verify('bigs', 'id', 's');
DROP TABLE bigs;
