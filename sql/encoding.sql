-- encoding: the engine hashes a key's UTF-8 bytes, whatever the database's
-- encoding.  The same keys routed in this (UTF8) database and in a LATIN1
-- one print the same hashes and shards (the two tables below are equal);
-- SQL_ASCII, whose text has no known encoding, and MULE_INTERNAL, which has no
-- conversion to UTF-8, are refused at CREATE EXTENSION.
\set VERBOSITY default
CREATE VIEW routed_keys AS
SELECT k, octet_length(convert_to(k, 'UTF8')) AS utf8_bytes, shard_key_hash(k) AS hash,
       shard_for(k, 64) AS ring64, shard_for(k, 1000, 'jump') AS jump1000, shard_for(k, 16, 'range') AS range16
FROM unnest(ARRAY['café-1', 'naïve #2', 'Ünïcödé', 'plain-ascii', 'ÿ']) k;
SELECT * FROM routed_keys ORDER BY hash;
SELECT shard_key_hash('café-1') = -8216019698553428491 AS engine_hash;

CREATE DATABASE dakera_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE dakera_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE dakera_mule ENCODING 'MULE_INTERNAL' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;

\c dakera_latin1
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
CREATE EXTENSION dakera_shard;
RESET client_min_messages;
CREATE VIEW routed_keys AS
SELECT k, octet_length(convert_to(k, 'UTF8')) AS utf8_bytes, shard_key_hash(k) AS hash,
       shard_for(k, 64) AS ring64, shard_for(k, 1000, 'jump') AS jump1000, shard_for(k, 16, 'range') AS range16
FROM unnest(ARRAY['café-1', 'naïve #2', 'Ünïcödé', 'plain-ascii', 'ÿ']) k;
-- stored in LATIN1 here ('é' is one byte), hashed as UTF-8: the same table
SELECT * FROM routed_keys ORDER BY hash;
SELECT shard_key_hash('café-1') = -8216019698553428491 AS engine_hash, octet_length('café-1') AS latin1_bytes;
-- the server's ring, shard_batch and shard_assignment hash the same way
SELECT bool_and(shard_for(k) = shard_for(k, s.num_shards, s.strategy, s.virtual_nodes)) AS server_ring_alike,
       bool_and((shard_assignment(k)).shard_id = shard_for(k)) AS assignment_alike
FROM routed_keys, shard_ring() s;
SELECT bool_and(b.shard_id = shard_for(i)) AS batch_alike
FROM shard_batch((SELECT array_agg(k) FROM routed_keys)) b, unnest(b.ids) i;
-- a generated column and a LIST partition key store the same shards
CREATE TABLE routed (k text NOT NULL, s int GENERATED ALWAYS AS (shard_for(k, 64)) STORED)
    PARTITION BY LIST (shard_for(k, 1000, 'jump'));
CREATE TABLE routed_default PARTITION OF routed DEFAULT;
INSERT INTO routed (k) SELECT k FROM routed_keys;
SELECT k, s AS ring64, shard_for(k, 1000, 'jump') AS jump1000 FROM routed ORDER BY s, k;

-- (no context lines: PostgreSQL 18 adds the script's text to them)
\c dakera_sql_ascii
\set SHOW_CONTEXT never
CREATE EXTENSION dakera_shard;
-- MULE_INTERNAL has no conversion to UTF-8
\c dakera_mule
\set SHOW_CONTEXT never
CREATE EXTENSION dakera_shard;

\set SHOW_CONTEXT errors
\c contrib_regression
DROP DATABASE dakera_latin1;
DROP DATABASE dakera_sql_ascii;
DROP DATABASE dakera_mule;
DROP VIEW routed_keys;
