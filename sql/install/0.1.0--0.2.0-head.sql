-- dakera_shard 0.1.0 -> 0.2.0, in place.
-- Built by the Makefile from sql/install/*.sql; edit those, not this file.
-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dakera_shard UPDATE TO '0.2.0'" to load this file. \quit

DO $$
BEGIN
    -- SQL_ASCII has no known encoding; MULE_INTERNAL has no conversion to UTF-8
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_conversion c
        WHERE c.conforencoding OPERATOR(pg_catalog.=) pg_catalog.pg_char_to_encoding(pg_catalog.getdatabaseencoding())
          AND c.contoencoding OPERATOR(pg_catalog.=) pg_catalog.pg_char_to_encoding('UTF8')
          AND c.condefault) THEN
        RAISE EXCEPTION 'dakera_shard cannot be used in a database with encoding %', pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'The engine hashes the UTF-8 bytes of a key, and this encoding has no conversion to UTF-8.',
                  HINT = 'Move the data to a database with ENCODING ''UTF8'' and install the extension there.';
    END IF;
END
$$;

CREATE SCHEMA dakera_shard_internal;
COMMENT ON SCHEMA dakera_shard_internal IS
    'Internal helpers of the dakera_shard extension; not an API.';
REVOKE ALL ON SCHEMA dakera_shard_internal FROM PUBLIC;
GRANT USAGE ON SCHEMA dakera_shard_internal TO PUBLIC;

-- Objects whose signature or columns change are dropped and made again by the
-- pieces that follow; the internal helpers of 0.1.0 leave the public API.
DROP VIEW shard_overview;
DROP FUNCTION sharded_tables();
DROP FUNCTION shard_key_info(regclass, name);
DROP FUNCTION reshard_stale_condition(regclass, name, name);
DROP FUNCTION reshard_key_type(regclass, name);
