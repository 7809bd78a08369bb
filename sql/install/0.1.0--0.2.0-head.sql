-- dakera_shard 0.1.0 -> 0.2.0, in place.
-- Built by the Makefile from sql/install/*.sql; edit those, not this file.
-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dakera_shard UPDATE TO '0.2.0'" to load this file. \quit
