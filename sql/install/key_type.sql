-- The key type shard_key: text whose hash is the engine's shard ----------
-- text's storage, I/O and comparisons under another name, with binary casts
-- both ways; its default hash operator class hashes a key into the int32
-- interval of its shard (src/shard_key_type.c), which is what Citus splits
-- among a hash-distributed table's shards.  Created once, by the fresh
-- install and by the update from 0.1.0 (which has none of it): types,
-- operators and operator classes cannot be CREATE OR REPLACEd.

CREATE TYPE shard_key;

CREATE FUNCTION shard_key_in(cstring) RETURNS shard_key
AS 'textin' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_in(cstring) IS 'Input function of shard_key: text''s (textin).';
CREATE FUNCTION shard_key_out(shard_key) RETURNS cstring
AS 'textout' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_out(shard_key) IS 'Output function of shard_key: text''s (textout).';
CREATE FUNCTION shard_key_recv(internal) RETURNS shard_key
AS 'textrecv' LANGUAGE internal STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_recv(internal) IS 'Binary input function of shard_key: text''s (textrecv).';
CREATE FUNCTION shard_key_send(shard_key) RETURNS bytea
AS 'textsend' LANGUAGE internal STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_send(shard_key) IS 'Binary output function of shard_key: text''s (textsend).';

CREATE TYPE shard_key (
    INPUT = shard_key_in, OUTPUT = shard_key_out,
    RECEIVE = shard_key_recv, SEND = shard_key_send,
    LIKE = pg_catalog.text, CATEGORY = 'S', COLLATABLE = true);
COMMENT ON TYPE shard_key IS
    'A vector id: text whose default hash operator class hashes each key into the interval of its engine shard, so that PARTITION BY HASH and Citus keep the engine''s shards.';
-- (17 and later record the array type as a member of the extension too)
COMMENT ON TYPE shard_key[] IS 'An array of shard_key.';

CREATE CAST (shard_key AS text) WITHOUT FUNCTION AS IMPLICIT;
COMMENT ON CAST (shard_key AS text) IS 'A key is its text: binary, implicit (text functions take keys).';
CREATE CAST (text AS shard_key) WITHOUT FUNCTION AS ASSIGNMENT;
COMMENT ON CAST (text AS shard_key) IS 'Text is a key: binary, on assignment (INSERT, UPDATE, COPY of text values).';
CREATE CAST (varchar AS shard_key) WITHOUT FUNCTION AS ASSIGNMENT;
COMMENT ON CAST (varchar AS shard_key) IS 'varchar is a key: binary, on assignment.';

-- Comparisons: text's functions, for keys and between keys and text
-- (LEAKPROOF as text's are, so that security-barrier views and row-level
-- security can use the key index).

CREATE FUNCTION shard_key_eq(shard_key, shard_key) RETURNS bool
AS 'texteq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_eq(shard_key, shard_key) IS 'Implements = for (shard_key, shard_key): text''s texteq.';
CREATE FUNCTION shard_key_ne(shard_key, shard_key) RETURNS bool
AS 'textne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_ne(shard_key, shard_key) IS 'Implements <> for (shard_key, shard_key): text''s textne.';
CREATE FUNCTION shard_key_lt(shard_key, shard_key) RETURNS bool
AS 'text_lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_lt(shard_key, shard_key) IS 'Implements < for (shard_key, shard_key): text''s text_lt.';
CREATE FUNCTION shard_key_le(shard_key, shard_key) RETURNS bool
AS 'text_le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_le(shard_key, shard_key) IS 'Implements <= for (shard_key, shard_key): text''s text_le.';
CREATE FUNCTION shard_key_gt(shard_key, shard_key) RETURNS bool
AS 'text_gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_gt(shard_key, shard_key) IS 'Implements > for (shard_key, shard_key): text''s text_gt.';
CREATE FUNCTION shard_key_ge(shard_key, shard_key) RETURNS bool
AS 'text_ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_ge(shard_key, shard_key) IS 'Implements >= for (shard_key, shard_key): text''s text_ge.';
CREATE FUNCTION shard_key_cmp(shard_key, shard_key) RETURNS int
AS 'bttextcmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_cmp(shard_key, shard_key) IS 'B-tree comparison of (shard_key, shard_key): text''s bttextcmp.';

CREATE FUNCTION shard_key_eq(shard_key, text) RETURNS bool
AS 'texteq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_eq(shard_key, text) IS 'Implements = for (shard_key, text): text''s texteq.';
CREATE FUNCTION shard_key_ne(shard_key, text) RETURNS bool
AS 'textne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_ne(shard_key, text) IS 'Implements <> for (shard_key, text): text''s textne.';
CREATE FUNCTION shard_key_lt(shard_key, text) RETURNS bool
AS 'text_lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_lt(shard_key, text) IS 'Implements < for (shard_key, text): text''s text_lt.';
CREATE FUNCTION shard_key_le(shard_key, text) RETURNS bool
AS 'text_le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_le(shard_key, text) IS 'Implements <= for (shard_key, text): text''s text_le.';
CREATE FUNCTION shard_key_gt(shard_key, text) RETURNS bool
AS 'text_gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_gt(shard_key, text) IS 'Implements > for (shard_key, text): text''s text_gt.';
CREATE FUNCTION shard_key_ge(shard_key, text) RETURNS bool
AS 'text_ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_ge(shard_key, text) IS 'Implements >= for (shard_key, text): text''s text_ge.';
CREATE FUNCTION shard_key_cmp(shard_key, text) RETURNS int
AS 'bttextcmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_cmp(shard_key, text) IS 'B-tree comparison of (shard_key, text): text''s bttextcmp.';

CREATE FUNCTION shard_key_eq(text, shard_key) RETURNS bool
AS 'texteq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_eq(text, shard_key) IS 'Implements = for (text, shard_key): text''s texteq.';
CREATE FUNCTION shard_key_ne(text, shard_key) RETURNS bool
AS 'textne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_ne(text, shard_key) IS 'Implements <> for (text, shard_key): text''s textne.';
CREATE FUNCTION shard_key_lt(text, shard_key) RETURNS bool
AS 'text_lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_lt(text, shard_key) IS 'Implements < for (text, shard_key): text''s text_lt.';
CREATE FUNCTION shard_key_le(text, shard_key) RETURNS bool
AS 'text_le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_le(text, shard_key) IS 'Implements <= for (text, shard_key): text''s text_le.';
CREATE FUNCTION shard_key_gt(text, shard_key) RETURNS bool
AS 'text_gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_gt(text, shard_key) IS 'Implements > for (text, shard_key): text''s text_gt.';
CREATE FUNCTION shard_key_ge(text, shard_key) RETURNS bool
AS 'text_ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_ge(text, shard_key) IS 'Implements >= for (text, shard_key): text''s text_ge.';
CREATE FUNCTION shard_key_cmp(text, shard_key) RETURNS int
AS 'bttextcmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_key_cmp(text, shard_key) IS 'B-tree comparison of (text, shard_key): text''s bttextcmp.';

CREATE FUNCTION shard_key_sortsupport(internal) RETURNS void
AS 'bttextsortsupport' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_sortsupport(internal) IS 'B-tree sort support of shard_key: text''s bttextsortsupport.';
CREATE FUNCTION shard_key_equalimage(oid) RETURNS bool
AS 'btvarstrequalimage' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_key_equalimage(oid) IS 'B-tree deduplication support of shard_key: text''s btvarstrequalimage.';

CREATE OPERATOR = (LEFTARG = shard_key, RIGHTARG = shard_key, FUNCTION = shard_key_eq,
    COMMUTATOR = =, NEGATOR = <>, HASHES, MERGES, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (shard_key, shard_key) IS 'equal to, as text.';
CREATE OPERATOR <> (LEFTARG = shard_key, RIGHTARG = shard_key, FUNCTION = shard_key_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (shard_key, shard_key) IS 'not equal to, as text.';
CREATE OPERATOR < (LEFTARG = shard_key, RIGHTARG = shard_key, FUNCTION = shard_key_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
COMMENT ON OPERATOR < (shard_key, shard_key) IS 'less than, as text.';
CREATE OPERATOR <= (LEFTARG = shard_key, RIGHTARG = shard_key, FUNCTION = shard_key_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
COMMENT ON OPERATOR <= (shard_key, shard_key) IS 'less than or equal to, as text.';
CREATE OPERATOR > (LEFTARG = shard_key, RIGHTARG = shard_key, FUNCTION = shard_key_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR > (shard_key, shard_key) IS 'greater than, as text.';
CREATE OPERATOR >= (LEFTARG = shard_key, RIGHTARG = shard_key, FUNCTION = shard_key_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR >= (shard_key, shard_key) IS 'greater than or equal to, as text.';

CREATE OPERATOR = (LEFTARG = shard_key, RIGHTARG = text, FUNCTION = shard_key_eq,
    COMMUTATOR = =, NEGATOR = <>, MERGES, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (shard_key, text) IS 'equal to, as text.';
CREATE OPERATOR <> (LEFTARG = shard_key, RIGHTARG = text, FUNCTION = shard_key_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (shard_key, text) IS 'not equal to, as text.';
CREATE OPERATOR < (LEFTARG = shard_key, RIGHTARG = text, FUNCTION = shard_key_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
COMMENT ON OPERATOR < (shard_key, text) IS 'less than, as text.';
CREATE OPERATOR <= (LEFTARG = shard_key, RIGHTARG = text, FUNCTION = shard_key_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
COMMENT ON OPERATOR <= (shard_key, text) IS 'less than or equal to, as text.';
CREATE OPERATOR > (LEFTARG = shard_key, RIGHTARG = text, FUNCTION = shard_key_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR > (shard_key, text) IS 'greater than, as text.';
CREATE OPERATOR >= (LEFTARG = shard_key, RIGHTARG = text, FUNCTION = shard_key_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR >= (shard_key, text) IS 'greater than or equal to, as text.';

CREATE OPERATOR = (LEFTARG = text, RIGHTARG = shard_key, FUNCTION = shard_key_eq,
    COMMUTATOR = =, NEGATOR = <>, MERGES, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (text, shard_key) IS 'equal to, as text.';
CREATE OPERATOR <> (LEFTARG = text, RIGHTARG = shard_key, FUNCTION = shard_key_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (text, shard_key) IS 'not equal to, as text.';
CREATE OPERATOR < (LEFTARG = text, RIGHTARG = shard_key, FUNCTION = shard_key_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
COMMENT ON OPERATOR < (text, shard_key) IS 'less than, as text.';
CREATE OPERATOR <= (LEFTARG = text, RIGHTARG = shard_key, FUNCTION = shard_key_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
COMMENT ON OPERATOR <= (text, shard_key) IS 'less than or equal to, as text.';
CREATE OPERATOR > (LEFTARG = text, RIGHTARG = shard_key, FUNCTION = shard_key_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR > (text, shard_key) IS 'greater than, as text.';
CREATE OPERATOR >= (LEFTARG = text, RIGHTARG = shard_key, FUNCTION = shard_key_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR >= (text, shard_key) IS 'greater than or equal to, as text.';

CREATE OPERATOR CLASS shard_key_ops DEFAULT FOR TYPE shard_key USING btree AS
    OPERATOR 1 < (shard_key, shard_key), OPERATOR 2 <= (shard_key, shard_key),
    OPERATOR 3 = (shard_key, shard_key), OPERATOR 4 >= (shard_key, shard_key),
    OPERATOR 5 > (shard_key, shard_key),
    FUNCTION 1 shard_key_cmp(shard_key, shard_key),
    FUNCTION 2 shard_key_sortsupport(internal),
    FUNCTION 4 shard_key_equalimage(oid);
COMMENT ON OPERATOR CLASS shard_key_ops USING btree IS
    'Default B-tree class of shard_key: ordered as text under the column''s collation.';
-- Keys against text in the family: an index on a key column serves id = $1
-- with a text parameter.
ALTER OPERATOR FAMILY shard_key_ops USING btree ADD
    OPERATOR 1 < (shard_key, text), OPERATOR 2 <= (shard_key, text),
    OPERATOR 3 = (shard_key, text), OPERATOR 4 >= (shard_key, text),
    OPERATOR 5 > (shard_key, text),
    FUNCTION 1 (shard_key, text) shard_key_cmp(shard_key, text),
    OPERATOR 1 < (text, shard_key), OPERATOR 2 <= (text, shard_key),
    OPERATOR 3 = (text, shard_key), OPERATOR 4 >= (text, shard_key),
    OPERATOR 5 > (text, shard_key),
    FUNCTION 1 (text, shard_key) shard_key_cmp(text, shard_key),
    -- and text's own, so that the family is complete: a merge join of keys
    -- with text sorts the text side by it (the same order as text_ops)
    OPERATOR 1 pg_catalog.< (text, text), OPERATOR 2 pg_catalog.<= (text, text),
    OPERATOR 3 pg_catalog.= (text, text), OPERATOR 4 pg_catalog.>= (text, text),
    OPERATOR 5 pg_catalog.> (text, text),
    FUNCTION 1 (text, text) pg_catalog.bttextcmp(text, text),
    FUNCTION 2 (text, text) pg_catalog.bttextsortsupport(internal);
COMMENT ON OPERATOR FAMILY shard_key_ops USING btree IS
    'The family of the B-tree class shard_key_ops, with the comparisons between shard_key and text (and text''s own, as text_ops has them).';

-- The hash: support 1 lands in the int32 interval of the key's shard for
-- N = num_shards, support 2 agrees with it (src/shard_key_type.c).  In the
-- extension's schema, where the recorded-shape check finds the record.
CREATE FUNCTION shard_interval_hash(key shard_key) RETURNS int
AS 'MODULE_PATHNAME', 'shard_interval_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_interval_hash(shard_key) IS
    'Support function 1 of shard_key_hash_ops: -2^31 + s * (2^32 / N) + (a hash of the key mod 2^32 / N), s = shard_for(key), N = num_shards: Citus''s shard s of N holds the engine''s shard s.';
CREATE FUNCTION shard_interval_hash_extended(key shard_key, seed bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'shard_interval_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_interval_hash_extended(shard_key, bigint) IS
    'Support function 2 of shard_key_hash_ops: with seed 0 its low 32 bits are shard_interval_hash(key); with hash partitioning''s seed it is shard_hash_extended(key::text, seed), so that PARTITION BY HASH (id) with MODULUS N puts shard s in REMAINDER s.';

CREATE OPERATOR CLASS shard_key_hash_ops DEFAULT FOR TYPE shard_key USING hash AS
    OPERATOR 1 = (shard_key, shard_key),
    FUNCTION 1 shard_interval_hash(shard_key),
    FUNCTION 2 shard_interval_hash_extended(shard_key, bigint);
COMMENT ON OPERATOR CLASS shard_key_hash_ops USING hash IS
    'Default hash class of shard_key: each key hashes into the int32 interval of its engine shard (Citus), and hash partition s holds shard s.';
COMMENT ON OPERATOR FAMILY shard_key_hash_ops USING hash IS
    'The family of the hash class shard_key_hash_ops.';
