-- dakera_shard 0.2.0: route vector ids to shards as dakera-engine 0.10.2 does.
-- Built by the Makefile from sql/install/*.sql; edit those, not this file.
-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dakera_shard" to load this file. \quit
