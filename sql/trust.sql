-- trust: an outside review's findings, each as the attack or the careless use
-- it was, run against the server's ring (consistent_hash 4 x 150, nodes n1..n3).
-- A table owner's code never runs as the caller; planted names change nothing;
-- re-sharding judges each table by its own routing and ends; reading is for
-- everyone and counts each row once; bounds are checked before work starts.
\set VERBOSITY default

-- The attacker: an ordinary role that owns a schema, and a payload that makes
-- it a superuser when it runs as anyone else.
CREATE ROLE trust_owner LOGIN;
CREATE ROLE trust_reader LOGIN;
CREATE ROLE trust_admin LOGIN IN ROLE dakera_shard_admin;
CREATE SCHEMA s AUTHORIZATION trust_owner;
SET ROLE trust_owner;
CREATE FUNCTION s.payload() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF current_user OPERATOR(pg_catalog.<>) 'trust_owner' THEN
        RAISE NOTICE 'payload ran as %', current_user;
        ALTER ROLE trust_owner SUPERUSER;
    END IF;
    RETURN 0;
END $$;
-- an IMMUTABLE wrapper that a planner would fold, and a key function
CREATE FUNCTION s.c(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT s.payload() + $1 $$;
CREATE FUNCTION s.k(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 || s.payload()::text $$;
-- a stored generated column that never calls shard_for, and a partition key
-- that calls shard_for over the owner's function
CREATE TABLE s.t_gen (id text, x int GENERATED ALWAYS AS (s.c(1)) STORED);
CREATE TABLE s.t_part (id text NOT NULL) PARTITION BY LIST (shard_for(s.k(id)));
CREATE TABLE s.t_part_0 PARTITION OF s.t_part DEFAULT;
INSERT INTO s.t_part SELECT 'k-' || g FROM generate_series(1, 20) g;
-- a table routed the extension's way whose trigger and index run the payload
CREATE TABLE s.t_trig (id text PRIMARY KEY, sid int);
CREATE FUNCTION s.trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM s.payload(); RETURN NEW; END $$;
CREATE TRIGGER t BEFORE UPDATE ON s.t_trig FOR EACH ROW EXECUTE FUNCTION s.trig();
CREATE INDEX ON s.t_trig ((s.c(length(id))));
INSERT INTO s.t_trig SELECT 'k-' || g, -1 FROM generate_series(1, 20) g;
RESET ROLE;

-- 1. listing reads expression trees and never evaluates them: no NOTICE
-- below, neither table is listed, and the owner is still not a superuser
SELECT rel, shard_column FROM sharded_tables() WHERE rel::text LIKE 's.%';
SELECT count(*) > 0 AS overview FROM shard_overview;
SELECT * FROM shard_key_info('s.t_gen', 'x');
SELECT * FROM shard_key_info('s.t_part');
-- measuring, verifying and re-sharding a key the extension does not route refuses
SELECT * FROM partition_info('s.t_part');
SELECT * FROM shard_verify('s.t_part', 'id');
CALL reshard_table('s.t_part', 'id');
-- where a table's own code must run (a trigger, an index expression), it runs
-- as the table's owner, security-restricted, never as the caller
SELECT stale_rows FROM shard_verify('s.t_trig', 'id', 'sid');
CALL reshard_table('s.t_trig', 'id', 'sid');
SELECT stale_rows FROM shard_verify('s.t_trig', 'id', 'sid');
SELECT sum(rows) AS rows FROM reshard_plan('s.t_trig'::regclass, 'id', 8);
SELECT sum(vector_count) AS counted FROM partition_info('s.t_trig', 'sid');
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'trust_owner';
-- and the caller's right is checked first: SELECT to read, ownership to move
SET ROLE trust_reader;
SELECT * FROM partition_info('s.t_trig', 'sid');
CALL reshard_table('s.t_trig', 'id', 'sid');
RESET ROLE;
GRANT USAGE ON SCHEMA s TO trust_reader;
GRANT SELECT ON s.t_trig TO trust_reader;
SET ROLE trust_reader;
SELECT sum(vector_count) AS reader_counted FROM partition_info('s.t_trig', 'sid');
CALL reshard_table('s.t_trig', 'id', 'sid');
RESET ROLE;

-- 2. names an untrusted role can plant: an overload in the extension's
-- schema, and functions and operators ahead of pg_catalog on search_path
GRANT CREATE ON SCHEMA public TO trust_owner;
SET ROLE trust_owner;
CREATE FUNCTION public.shard_key_info(oid, name) RETURNS TABLE (num_shards int, server_ring bool)
    LANGUAGE sql AS $$ SELECT s.payload(), true $$;
CREATE FUNCTION public.placement_map() RETURNS TABLE (shard_id int) LANGUAGE sql AS $$ SELECT 1/0 $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
CREATE FUNCTION public.int_eq_always(int, int) RETURNS bool LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = int, RIGHTARG = int, FUNCTION = public.int_eq_always);
RESET ROLE;
SET search_path = public, pg_catalog;
SELECT count(*) AS listed FROM sharded_tables();
SELECT count(*) AS shards FROM partition_info();
SELECT register_shard_nodes(1, ARRAY['n9']), register_shard_nodes(2, ARRAY['n8']);
SELECT registered_at > pg_catalog.now() - interval '1 hour' AS real_now
FROM shard_placement WHERE shard_id OPERATOR(pg_catalog.=) 1;
SELECT unregister_shard_nodes(1);
SELECT shard_id, node_ids FROM shard_placement ORDER BY 1;
SELECT unregister_shard_nodes(2);
-- create_shard_partitions uses no temporary table a caller could have planted
CREATE TEMP TABLE dakera_shard_todo (shard int);
CREATE FUNCTION pg_temp.planted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'planted trigger ran'; RETURN NEW; END $$;
CREATE TRIGGER planted BEFORE INSERT ON dakera_shard_todo FOR EACH ROW EXECUTE FUNCTION pg_temp.planted();
CREATE TABLE by_two (id text NOT NULL) PARTITION BY LIST (shard_for(id, 2));
SELECT * FROM create_shard_partitions('by_two');
DROP TABLE by_two;
RESET search_path;
DROP FUNCTION public.shard_key_info(oid, name), public.placement_map(), public.now();
DROP OPERATOR public.= (int, int);
DROP FUNCTION public.int_eq_always(int, int);
REVOKE CREATE ON SCHEMA public FROM trust_owner;

-- 3. a record change reaches plans that folded shard_for of a constant
PREPARE folded AS SELECT shard_for('doc-14') AS shard;
EXECUTE folded;
CREATE FUNCTION folded_in_plpgsql() RETURNS int LANGUAGE plpgsql AS $$
BEGIN RETURN shard_for('doc-14'); END $$;
SELECT folded_in_plpgsql();
UPDATE shard_ring_record SET num_shards = 8;
SELECT shard_for('doc-14');
EXECUTE folded;
\set SHOW_CONTEXT never
SELECT folded_in_plpgsql();
\set SHOW_CONTEXT errors
SELECT record_shard_ring();
EXECUTE folded;
SELECT folded_in_plpgsql() = shard_for('doc-14') AS plpgsql_replanned;
DEALLOCATE folded;
DROP FUNCTION folded_in_plpgsql();

-- 4. re-sharding judges every table by its own routing, and ends
-- an explicit shape: right rows are not stale and not rewritten
CREATE TABLE jump6 (id text PRIMARY KEY, s int GENERATED ALWAYS AS (shard_for(id, 6, 'jump')) STORED);
INSERT INTO jump6 (id) SELECT 'j-' || g FROM generate_series(1, 1000) g;
SELECT * FROM shard_verify('jump6', 'id', 's');
CALL reshard_table('jump6', 'id', 's');
-- named arguments are the same routing
CREATE TABLE named6 (id text, s int GENERATED ALWAYS AS (shard_for(id, strategy => 'jump', num_shards => 6)) STORED);
SELECT num_shards, key_column, strategy, virtual_nodes FROM shard_key_info('named6', 's');
-- a shard partition that is itself partitioned (a hot shard split by hash)
CREATE TABLE sub (id text NOT NULL) PARTITION BY LIST (shard_for(id));
CREATE TABLE sub_2 PARTITION OF sub FOR VALUES IN (2) PARTITION BY HASH (id);
CREATE TABLE sub_2a PARTITION OF sub_2 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE sub_2b PARTITION OF sub_2 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
SELECT count(*) AS created FROM create_shard_partitions('sub');
INSERT INTO sub SELECT 'k-' || g FROM generate_series(1, 1000) g;
SELECT * FROM shard_verify('sub', 'id');
CALL reshard_table('sub', 'id', batch_size => 400);
-- a citext key whose order is not text's: every batch reached, none stale after
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE ci (id citext COLLATE "C" PRIMARY KEY, sid int);
INSERT INTO ci SELECT CASE WHEN g % 2 = 0 THEN upper(k) ELSE k END, -1
FROM generate_series(1, 200) g, LATERAL (SELECT 'key-' || chr(97 + g % 26) || g AS k) x;
SELECT stale_rows FROM shard_verify('ci', 'id', 'sid');
CALL reshard_table('ci', 'id', 'sid', batch_size => 7);
SELECT * FROM shard_verify('ci', 'id', 'sid');
-- NULL keys have no shard: the run ends and says so
CREATE TABLE nulls (id text, sid int);
INSERT INTO nulls SELECT NULL, g FROM generate_series(1, 100) g;
CALL reshard_table('nulls', 'id', 'sid', batch_size => 10);
SELECT * FROM shard_verify('nulls', 'id', 'sid');

-- 5. reading is for everyone and counts each row once
CREATE TABLE inh (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
CREATE TABLE inh_child () INHERITS (inh);
INSERT INTO inh (id) SELECT 'p-' || g FROM generate_series(1, 100) g;
INSERT INTO inh_child (id) SELECT 'c-' || g FROM generate_series(1, 50) g;
CREATE TABLE both_ways (id text NOT NULL, sid int GENERATED ALWAYS AS (shard_for(id)) STORED)
    PARTITION BY LIST (shard_for(id));
SELECT count(*) AS created FROM create_shard_partitions('both_ways');
INSERT INTO both_ways (id) SELECT 'b-' || g FROM generate_series(1, 1150) g;
-- a table whose row-level security hides every row from others
CREATE TABLE hidden (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
INSERT INTO hidden (id) SELECT 'h-' || g FROM generate_series(1, 70) g;
ALTER TABLE hidden ENABLE ROW LEVEL SECURITY;
CREATE POLICY nobody ON hidden USING (false);
GRANT SELECT ON inh, inh_child, both_ways, hidden TO trust_reader, trust_admin;
-- the overview's rows are the rows there are, for everyone who may read them
CREATE FUNCTION overview_rows() RETURNS bigint LANGUAGE sql AS $$ SELECT sum(rows)::bigint FROM shard_overview $$;
CREATE FUNCTION true_rows() RETURNS bigint LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM inh) + (SELECT count(*) FROM both_ways) $$;
SET ROLE trust_reader;
SELECT overview_rows() = true_rows() AS reader_counts_once, overview_rows();
RESET ROLE;
SET ROLE trust_admin;
SELECT overview_rows() = true_rows() AS admin_counts_once;
-- measuring as the owner would count rows the policy hides: refused
SELECT count(*) AS visible FROM hidden;
SELECT * FROM partition_info('hidden');
RESET ROLE;
-- the superuser bypasses the policy, and counts the hidden rows too
SELECT overview_rows() - true_rows() - (SELECT count(*) FROM sub) AS superuser_sees_hidden;
SELECT rel, shard_column FROM sharded_tables() WHERE rel::text IN ('inh', 'inh_child', 'both_ways');

-- 6. bounds, resources and errors
-- K explicit shapes in one query build K rings, once each
SELECT builds AS builds_before FROM dakera_shard_internal.ring_cache() \gset
SELECT count(DISTINCT (shard_for(k, 11), shard_for(k, 12), shard_for(k, 13), shard_for(k, 14), shard_for(k, 15))) > 1 AS routed
FROM (SELECT 'k-' || g AS k FROM generate_series(1, 2000) g) x;
SELECT builds - :builds_before AS rings_built FROM dakera_shard_internal.ring_cache();
-- shard counts checked before any work
CREATE TABLE huge (id text NOT NULL) PARTITION BY LIST (shard_for(id, 2000000000, 'jump'));
SELECT * FROM create_shard_partitions('huge');
DROP TABLE huge;
CREATE TABLE many (id text NOT NULL) PARTITION BY LIST (shard_for(id, 1000000, 'jump'));
SELECT * FROM create_shard_partitions('many');
DROP TABLE many;
CREATE TABLE negative (id text NOT NULL) PARTITION BY LIST (shard_for(id, -3, 'jump'));
SELECT * FROM create_shard_partitions('negative');
DROP TABLE negative;
-- a long plan honours statement_timeout
SET statement_timeout = '20ms';
SELECT count(*) FROM reshard_plan_between(500000, 'range', 1, 700000, 'range', 1);
RESET statement_timeout;
-- odd arguments are answered, not crashed on
SELECT * FROM shard_key_info('jump6', 'ctid');
SELECT * FROM shard_key_info(NULL);
SELECT * FROM shard_key_info('jump6', NULL);
-- shard_placement validates itself, whatever route a row takes in
\set VERBOSITY terse
SET ROLE trust_admin;
INSERT INTO shard_placement (shard_id, node_ids) VALUES (0, ARRAY[NULL, 'a']);
INSERT INTO shard_placement (shard_id, node_ids) VALUES (0, ARRAY['a,b']);
INSERT INTO shard_placement (shard_id, node_ids) VALUES (0, ARRAY['a', 'a']);
INSERT INTO shard_placement (shard_id, node_ids) VALUES (-1, ARRAY['a']);
INSERT INTO shard_placement (shard_id, node_ids) VALUES (0, '{}');
UPDATE shard_ring_record SET num_shards = 0;
RESET ROLE;
\set VERBOSITY default
SELECT count(*) AS shards FROM partition_info();

-- 7. a second review's findings
-- create_shard_partitions copies the parent's indexes, whose expressions
-- PostgreSQL folds: the partitions are made as the parent's owner
SET ROLE trust_owner;
CREATE TABLE s.docs (id text NOT NULL, n int) PARTITION BY LIST (public.shard_for(id));
CREATE INDEX ON s.docs ((n + s.c(1)));
CREATE INDEX ON s.docs (n) WHERE n > s.c(2);
RESET ROLE;
SELECT * FROM create_shard_partitions('s.docs');
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 's.docs'::regclass ORDER BY 1;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'trust_owner';
-- and only by whoever may: the parent's owner (or a superuser)
SET ROLE trust_reader;
SELECT * FROM create_shard_partitions('s.docs');
RESET ROLE;
-- a shape from a PL/pgSQL variable is read on every call, not once
CREATE FUNCTION route_by(k text, n int, strategy text) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN RETURN shard_for(k, n, strategy); END $$;
SELECT count(*) FILTER (WHERE route_by('doc-14', g, st) <> shard_for('doc-14', g, st)) AS wrong
FROM generate_series(2, 40) g, unnest(ARRAY['jump', 'range', 'consistent_hash']) st;
DROP FUNCTION route_by(text, int, text);
-- keys whose type has a length (char(n), bit(n)) or prints lossily (float8
-- under a low extra_float_digits) are walked whole: every batch advances
CREATE TABLE codes (code char(8) PRIMARY KEY, shard_id int);
INSERT INTO codes SELECT 'c' || g, 99 FROM generate_series(1, 60) g;
CREATE TABLE bits (b bit(16) PRIMARY KEY, shard_id int);
INSERT INTO bits SELECT g::bit(16), 99 FROM generate_series(1, 30) g;
CREATE TABLE floats (k float8 PRIMARY KEY, shard_id int);
INSERT INTO floats SELECT 1 + g * 1e-9, 99 FROM generate_series(1, 30) g;
SET extra_float_digits = -10;
SET statement_timeout = '60s';
SET client_min_messages = warning;
CALL reshard_table('codes', 'code', 'shard_id', batch_size => 7);
CALL reshard_table('bits', 'b', 'shard_id', batch_size => 7);
CALL reshard_table('floats', 'k', 'shard_id', batch_size => 7);
RESET client_min_messages;
RESET statement_timeout;
RESET extra_float_digits;
SELECT (SELECT stale_rows FROM shard_verify('codes', 'code', 'shard_id')) AS codes_stale,
       (SELECT stale_rows FROM shard_verify('bits', 'b', 'shard_id')) AS bits_stale,
       (SELECT stale_rows FROM shard_verify('floats', 'k', 'shard_id')) AS floats_stale,
       (SELECT count(*) FROM codes WHERE shard_id = 99) + (SELECT count(*) FROM bits WHERE shard_id = 99)
       + (SELECT count(*) FROM floats WHERE shard_id = 99) AS left_unmoved;
DROP TABLE codes, bits, floats;
-- the key column is not a shard column, and a shard column holds integers
CREATE TABLE events (user_id int, payload text);
INSERT INTO events SELECT g, 'row ' || g FROM generate_series(1, 100) g;
CALL reshard_table('events', 'user_id', 'user_id');
SELECT * FROM shard_verify('events', 'user_id', 'payload');
SELECT count(DISTINCT user_id) AS keys_intact FROM events;
CALL reshard_table('events', NULL, 'user_id');
DROP TABLE events;
-- a cast whose text depends on settings is not a routing the extension owns
CREATE TABLE blobs (id bytea NOT NULL, s int GENERATED ALWAYS AS (shard_for(id::text)) STORED);
CREATE TABLE floaty (x float8 NOT NULL, s int GENERATED ALWAYS AS (shard_for(x::text)) STORED);
CREATE TABLE counted (n bigint NOT NULL, s int GENERATED ALWAYS AS (shard_for(n::text)) STORED);
SELECT rel, shard_column, key_column FROM sharded_tables() WHERE rel::text IN ('blobs', 'floaty', 'counted');
DROP TABLE blobs, floaty, counted;
-- a planted domain named text on the caller's search_path is not a
-- variable's type inside reshard_table
CREATE TABLE docs2 (id text PRIMARY KEY, shard_id int);
INSERT INTO docs2 SELECT 'd-' || g, 99 FROM generate_series(1, 10) g;
SET ROLE trust_owner;
CREATE DOMAIN s.text AS pg_catalog.text CHECK (s.c(0) > 0);
CREATE DOMAIN s.int4 AS pg_catalog.int4 CHECK (s.c(0) > 0);
RESET ROLE;
SET search_path = s, pg_catalog, public;
CALL public.reshard_table('public.docs2', 'id', 'shard_id');
RESET search_path;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'trust_owner';
DROP TABLE docs2;
-- FORCE ROW LEVEL SECURITY would hide rows from the owner's scan: refused,
-- even for a superuser, rather than silently incomplete
CREATE TABLE tenants (tenant text NOT NULL, id text PRIMARY KEY, shard_id int);
INSERT INTO tenants SELECT 't' || (g % 3), 'doc-' || g, 99 FROM generate_series(1, 90) g;
ALTER TABLE tenants OWNER TO trust_owner;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_only ON tenants USING (tenant = current_setting('app.tenant', true));
SELECT * FROM shard_verify('tenants', 'id', 'shard_id');
CALL reshard_table('tenants', 'id', 'shard_id');
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
SELECT stale_rows FROM shard_verify('tenants', 'id', 'shard_id');
DROP TABLE tenants;
-- a reader needs USAGE on the table's schema, as a query of theirs would
CREATE SCHEMA secret;
CREATE TABLE secret.keys (id text PRIMARY KEY, shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
INSERT INTO secret.keys (id) VALUES ('password-1'), ('password-2');
GRANT SELECT ON secret.keys TO trust_reader;
SELECT 'secret.keys'::regclass::oid AS secret_oid \gset
SET ROLE trust_reader;
SELECT * FROM shard_verify(:secret_oid, 'id', 'shard_id');
SELECT sum(rows) AS overview_rows_with_secret FROM shard_overview;
RESET ROLE;
DROP SCHEMA secret CASCADE;
-- foreign tables are read with the caller's user mapping or not at all, and
-- a foreign inheritance child is listed like any other child
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SERVER trust_loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
CREATE USER MAPPING FOR trust_owner SERVER trust_loop;
CREATE FOREIGN TABLE s.customers (id text, region int) SERVER trust_loop;
ALTER FOREIGN TABLE s.customers OWNER TO trust_owner;
GRANT SELECT ON s.customers TO trust_reader;
CREATE FOREIGN TABLE inh_remote () INHERITS (inh) SERVER trust_loop;
SET ROLE trust_reader;
SELECT * FROM shard_verify('s.customers', 'id', 'region');
RESET ROLE;
SELECT rel, shard_column FROM sharded_tables() WHERE rel::text LIKE 'inh%' ORDER BY 1;
DROP FOREIGN TABLE inh_remote, s.customers;
DROP SERVER trust_loop CASCADE;
-- a node list for the whole cluster may be as long as dakera_shard.nodes may
SELECT count(*) AS shards_planned FROM rebalance_plan(ARRAY(SELECT 'n' || g FROM generate_series(1, 101) g), 2);
SELECT count(*) FROM rebalance_plan(ARRAY(SELECT 'n' || g FROM generate_series(1, 1025) g), 2);
-- a plan too large is refused before its rings are built
SELECT count(*) FROM reshard_plan_between(27962, 'consistent_hash', 150, 27961, 'consistent_hash', 150);
-- rings of explicit shapes held by one statement are bounded (4 of 64 MB fit)
SELECT count(DISTINCT shard_for('k', 27000 + g)) FROM generate_series(1, 6) g;
SELECT rings <= 8 AND bytes <= 256 * 1024 * 1024 AS cache_bounded FROM dakera_shard_internal.ring_cache();

-- issue 19, item 3: a tenant revokes its own rights; the scan runs as the
-- owner, so the owner's rights decide.  shard_overview leaves the table out
-- with a NOTICE (for the superuser and for a reader it was shared with) and
-- partition_info on that table says what to do.
CREATE SCHEMA tenant19 AUTHORIZATION trust_owner;
SET ROLE trust_owner;
CREATE TABLE tenant19.t (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
INSERT INTO tenant19.t (id) SELECT 'k19-' || g FROM generate_series(1, 40) g;
GRANT USAGE ON SCHEMA tenant19 TO trust_reader;
GRANT SELECT ON tenant19.t TO trust_reader;
REVOKE SELECT ON tenant19.t FROM trust_owner;
RESET ROLE;
SELECT count(*) AS shards FROM shard_overview;
SET ROLE trust_reader;
SELECT count(*) AS shards FROM shard_overview;
SELECT * FROM partition_info('tenant19.t');
RESET ROLE;
SELECT * FROM partition_info('tenant19.t');
SELECT stale_rows FROM shard_verify('tenant19.t', 'id', 'sid');
-- the same after the owner gives its SELECT back and takes its USAGE away
SET ROLE trust_owner;
GRANT SELECT ON tenant19.t TO trust_owner;
REVOKE USAGE ON SCHEMA tenant19 FROM trust_owner;
RESET ROLE;
SELECT count(*) AS shards FROM shard_overview;
SELECT * FROM partition_info('tenant19.t');
SET ROLE trust_owner;
GRANT USAGE ON SCHEMA tenant19 TO trust_owner;
RESET ROLE;
SELECT sum(vector_count) AS counted_again FROM partition_info('tenant19.t');
DROP SCHEMA tenant19 CASCADE;

DROP TABLE jump6, named6, sub, ci, nulls, inh, hidden CASCADE;
DROP TABLE both_ways;
DROP FUNCTION overview_rows(), true_rows();
DROP SCHEMA s CASCADE;
DROP ROLE trust_owner, trust_reader, trust_admin;
