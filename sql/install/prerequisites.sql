
-- What the fresh install and the update need first.  The contract hashes a
-- key's UTF-8 bytes: a database whose text does not convert to UTF-8 cannot
-- give the engine's shards.
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
                  HINT = 'Use a database with ENCODING ''UTF8'' (or another encoding that converts to UTF-8) and install the extension there.';
    END IF;
END
$$;

-- Internal helpers live apart from the public API; everyone may use the
-- schema (the public functions call them as the caller), nobody may create
-- there; which helpers everyone may execute: privileges-since-0.1.0.sql.
CREATE SCHEMA dakera_shard_internal;
COMMENT ON SCHEMA dakera_shard_internal IS
    'Internal helpers of the dakera_shard extension; not an API.';
REVOKE ALL ON SCHEMA dakera_shard_internal FROM PUBLIC;
GRANT USAGE ON SCHEMA dakera_shard_internal TO PUBLIC;
