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

-- The key type shard_uuid: uuid whose hash is the engine's shard ----------
-- The same for uuid keys: uuid's storage, I/O and comparisons, binary casts
-- with uuid, and a default hash class that hashes a key, routed as its
-- canonical text (as shard_for(uuid)), into the interval of its shard.

CREATE TYPE shard_uuid;

CREATE FUNCTION shard_uuid_in(cstring) RETURNS shard_uuid
AS 'uuid_in' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_uuid_in(cstring) IS 'Input function of shard_uuid: uuid''s (uuid_in).';
CREATE FUNCTION shard_uuid_out(shard_uuid) RETURNS cstring
AS 'uuid_out' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_uuid_out(shard_uuid) IS 'Output function of shard_uuid: uuid''s (uuid_out).';
CREATE FUNCTION shard_uuid_recv(internal) RETURNS shard_uuid
AS 'uuid_recv' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_uuid_recv(internal) IS 'Binary input function of shard_uuid: uuid''s (uuid_recv).';
CREATE FUNCTION shard_uuid_send(shard_uuid) RETURNS bytea
AS 'uuid_send' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_uuid_send(shard_uuid) IS 'Binary output function of shard_uuid: uuid''s (uuid_send).';

CREATE TYPE shard_uuid (
    INPUT = shard_uuid_in, OUTPUT = shard_uuid_out,
    RECEIVE = shard_uuid_recv, SEND = shard_uuid_send,
    LIKE = pg_catalog.uuid, CATEGORY = 'U');
COMMENT ON TYPE shard_uuid IS
    'A uuid vector id whose default hash operator class hashes each key (routed as its canonical text, as shard_for(uuid)) into the interval of its engine shard, so that PARTITION BY HASH and Citus keep the engine''s shards.';
COMMENT ON TYPE shard_uuid[] IS 'An array of shard_uuid.';

CREATE CAST (shard_uuid AS uuid) WITHOUT FUNCTION AS IMPLICIT;
COMMENT ON CAST (shard_uuid AS uuid) IS 'A key is its uuid: binary, implicit (uuid functions take keys).';
CREATE CAST (uuid AS shard_uuid) WITHOUT FUNCTION AS ASSIGNMENT;
COMMENT ON CAST (uuid AS shard_uuid) IS 'A uuid is a key: binary, on assignment (INSERT, UPDATE, COPY of uuid values).';

-- Comparisons: uuid's functions (LEAKPROOF as uuid's are).

CREATE FUNCTION shard_uuid_eq(shard_uuid, shard_uuid) RETURNS bool
AS 'uuid_eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_eq(shard_uuid, shard_uuid) IS 'Implements = for (shard_uuid, shard_uuid): uuid''s uuid_eq.';
CREATE FUNCTION shard_uuid_ne(shard_uuid, shard_uuid) RETURNS bool
AS 'uuid_ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_ne(shard_uuid, shard_uuid) IS 'Implements <> for (shard_uuid, shard_uuid): uuid''s uuid_ne.';
CREATE FUNCTION shard_uuid_lt(shard_uuid, shard_uuid) RETURNS bool
AS 'uuid_lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_lt(shard_uuid, shard_uuid) IS 'Implements < for (shard_uuid, shard_uuid): uuid''s uuid_lt.';
CREATE FUNCTION shard_uuid_le(shard_uuid, shard_uuid) RETURNS bool
AS 'uuid_le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_le(shard_uuid, shard_uuid) IS 'Implements <= for (shard_uuid, shard_uuid): uuid''s uuid_le.';
CREATE FUNCTION shard_uuid_gt(shard_uuid, shard_uuid) RETURNS bool
AS 'uuid_gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_gt(shard_uuid, shard_uuid) IS 'Implements > for (shard_uuid, shard_uuid): uuid''s uuid_gt.';
CREATE FUNCTION shard_uuid_ge(shard_uuid, shard_uuid) RETURNS bool
AS 'uuid_ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_ge(shard_uuid, shard_uuid) IS 'Implements >= for (shard_uuid, shard_uuid): uuid''s uuid_ge.';
CREATE FUNCTION shard_uuid_cmp(shard_uuid, shard_uuid) RETURNS int
AS 'uuid_cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_cmp(shard_uuid, shard_uuid) IS 'B-tree comparison of (shard_uuid, shard_uuid): uuid''s uuid_cmp.';

CREATE FUNCTION shard_uuid_eq(shard_uuid, uuid) RETURNS bool
AS 'uuid_eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_eq(shard_uuid, uuid) IS 'Implements = for (shard_uuid, uuid): uuid''s uuid_eq.';
CREATE FUNCTION shard_uuid_ne(shard_uuid, uuid) RETURNS bool
AS 'uuid_ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_ne(shard_uuid, uuid) IS 'Implements <> for (shard_uuid, uuid): uuid''s uuid_ne.';
CREATE FUNCTION shard_uuid_lt(shard_uuid, uuid) RETURNS bool
AS 'uuid_lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_lt(shard_uuid, uuid) IS 'Implements < for (shard_uuid, uuid): uuid''s uuid_lt.';
CREATE FUNCTION shard_uuid_le(shard_uuid, uuid) RETURNS bool
AS 'uuid_le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_le(shard_uuid, uuid) IS 'Implements <= for (shard_uuid, uuid): uuid''s uuid_le.';
CREATE FUNCTION shard_uuid_gt(shard_uuid, uuid) RETURNS bool
AS 'uuid_gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_gt(shard_uuid, uuid) IS 'Implements > for (shard_uuid, uuid): uuid''s uuid_gt.';
CREATE FUNCTION shard_uuid_ge(shard_uuid, uuid) RETURNS bool
AS 'uuid_ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_ge(shard_uuid, uuid) IS 'Implements >= for (shard_uuid, uuid): uuid''s uuid_ge.';
CREATE FUNCTION shard_uuid_cmp(shard_uuid, uuid) RETURNS int
AS 'uuid_cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_cmp(shard_uuid, uuid) IS 'B-tree comparison of (shard_uuid, uuid): uuid''s uuid_cmp.';

CREATE FUNCTION shard_uuid_eq(uuid, shard_uuid) RETURNS bool
AS 'uuid_eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_eq(uuid, shard_uuid) IS 'Implements = for (uuid, shard_uuid): uuid''s uuid_eq.';
CREATE FUNCTION shard_uuid_ne(uuid, shard_uuid) RETURNS bool
AS 'uuid_ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_ne(uuid, shard_uuid) IS 'Implements <> for (uuid, shard_uuid): uuid''s uuid_ne.';
CREATE FUNCTION shard_uuid_lt(uuid, shard_uuid) RETURNS bool
AS 'uuid_lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_lt(uuid, shard_uuid) IS 'Implements < for (uuid, shard_uuid): uuid''s uuid_lt.';
CREATE FUNCTION shard_uuid_le(uuid, shard_uuid) RETURNS bool
AS 'uuid_le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_le(uuid, shard_uuid) IS 'Implements <= for (uuid, shard_uuid): uuid''s uuid_le.';
CREATE FUNCTION shard_uuid_gt(uuid, shard_uuid) RETURNS bool
AS 'uuid_gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_gt(uuid, shard_uuid) IS 'Implements > for (uuid, shard_uuid): uuid''s uuid_gt.';
CREATE FUNCTION shard_uuid_ge(uuid, shard_uuid) RETURNS bool
AS 'uuid_ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_ge(uuid, shard_uuid) IS 'Implements >= for (uuid, shard_uuid): uuid''s uuid_ge.';
CREATE FUNCTION shard_uuid_cmp(uuid, shard_uuid) RETURNS int
AS 'uuid_cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION shard_uuid_cmp(uuid, shard_uuid) IS 'B-tree comparison of (uuid, shard_uuid): uuid''s uuid_cmp.';

CREATE FUNCTION shard_uuid_sortsupport(internal) RETURNS void
AS 'uuid_sortsupport' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_uuid_sortsupport(internal) IS 'B-tree sort support of shard_uuid: uuid''s uuid_sortsupport.';
CREATE FUNCTION shard_uuid_equalimage(oid) RETURNS bool
AS 'btequalimage' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_uuid_equalimage(oid) IS 'B-tree deduplication support of shard_uuid: btequalimage, as uuid''s.';

CREATE OPERATOR = (LEFTARG = shard_uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_eq,
    COMMUTATOR = =, NEGATOR = <>, HASHES, MERGES, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (shard_uuid, shard_uuid) IS 'equal to, as uuid.';
CREATE OPERATOR <> (LEFTARG = shard_uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (shard_uuid, shard_uuid) IS 'not equal to, as uuid.';
CREATE OPERATOR < (LEFTARG = shard_uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
COMMENT ON OPERATOR < (shard_uuid, shard_uuid) IS 'less than, as uuid.';
CREATE OPERATOR <= (LEFTARG = shard_uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
COMMENT ON OPERATOR <= (shard_uuid, shard_uuid) IS 'less than or equal to, as uuid.';
CREATE OPERATOR > (LEFTARG = shard_uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR > (shard_uuid, shard_uuid) IS 'greater than, as uuid.';
CREATE OPERATOR >= (LEFTARG = shard_uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR >= (shard_uuid, shard_uuid) IS 'greater than or equal to, as uuid.';

CREATE OPERATOR = (LEFTARG = shard_uuid, RIGHTARG = uuid, FUNCTION = shard_uuid_eq,
    COMMUTATOR = =, NEGATOR = <>, MERGES, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (shard_uuid, uuid) IS 'equal to, as uuid.';
CREATE OPERATOR <> (LEFTARG = shard_uuid, RIGHTARG = uuid, FUNCTION = shard_uuid_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (shard_uuid, uuid) IS 'not equal to, as uuid.';
CREATE OPERATOR < (LEFTARG = shard_uuid, RIGHTARG = uuid, FUNCTION = shard_uuid_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
COMMENT ON OPERATOR < (shard_uuid, uuid) IS 'less than, as uuid.';
CREATE OPERATOR <= (LEFTARG = shard_uuid, RIGHTARG = uuid, FUNCTION = shard_uuid_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
COMMENT ON OPERATOR <= (shard_uuid, uuid) IS 'less than or equal to, as uuid.';
CREATE OPERATOR > (LEFTARG = shard_uuid, RIGHTARG = uuid, FUNCTION = shard_uuid_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR > (shard_uuid, uuid) IS 'greater than, as uuid.';
CREATE OPERATOR >= (LEFTARG = shard_uuid, RIGHTARG = uuid, FUNCTION = shard_uuid_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR >= (shard_uuid, uuid) IS 'greater than or equal to, as uuid.';

CREATE OPERATOR = (LEFTARG = uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_eq,
    COMMUTATOR = =, NEGATOR = <>, MERGES, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (uuid, shard_uuid) IS 'equal to, as uuid.';
CREATE OPERATOR <> (LEFTARG = uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (uuid, shard_uuid) IS 'not equal to, as uuid.';
CREATE OPERATOR < (LEFTARG = uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
COMMENT ON OPERATOR < (uuid, shard_uuid) IS 'less than, as uuid.';
CREATE OPERATOR <= (LEFTARG = uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
COMMENT ON OPERATOR <= (uuid, shard_uuid) IS 'less than or equal to, as uuid.';
CREATE OPERATOR > (LEFTARG = uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR > (uuid, shard_uuid) IS 'greater than, as uuid.';
CREATE OPERATOR >= (LEFTARG = uuid, RIGHTARG = shard_uuid, FUNCTION = shard_uuid_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR >= (uuid, shard_uuid) IS 'greater than or equal to, as uuid.';

CREATE OPERATOR CLASS shard_uuid_key_ops DEFAULT FOR TYPE shard_uuid USING btree AS
    OPERATOR 1 < (shard_uuid, shard_uuid), OPERATOR 2 <= (shard_uuid, shard_uuid),
    OPERATOR 3 = (shard_uuid, shard_uuid), OPERATOR 4 >= (shard_uuid, shard_uuid),
    OPERATOR 5 > (shard_uuid, shard_uuid),
    FUNCTION 1 shard_uuid_cmp(shard_uuid, shard_uuid),
    FUNCTION 2 shard_uuid_sortsupport(internal),
    FUNCTION 4 shard_uuid_equalimage(oid);
COMMENT ON OPERATOR CLASS shard_uuid_key_ops USING btree IS
    'Default B-tree class of shard_uuid: ordered as uuid.';
ALTER OPERATOR FAMILY shard_uuid_key_ops USING btree ADD
    OPERATOR 1 < (shard_uuid, uuid), OPERATOR 2 <= (shard_uuid, uuid),
    OPERATOR 3 = (shard_uuid, uuid), OPERATOR 4 >= (shard_uuid, uuid),
    OPERATOR 5 > (shard_uuid, uuid),
    FUNCTION 1 (shard_uuid, uuid) shard_uuid_cmp(shard_uuid, uuid),
    OPERATOR 1 < (uuid, shard_uuid), OPERATOR 2 <= (uuid, shard_uuid),
    OPERATOR 3 = (uuid, shard_uuid), OPERATOR 4 >= (uuid, shard_uuid),
    OPERATOR 5 > (uuid, shard_uuid),
    FUNCTION 1 (uuid, shard_uuid) shard_uuid_cmp(uuid, shard_uuid),
    OPERATOR 1 pg_catalog.< (uuid, uuid), OPERATOR 2 pg_catalog.<= (uuid, uuid),
    OPERATOR 3 pg_catalog.= (uuid, uuid), OPERATOR 4 pg_catalog.>= (uuid, uuid),
    OPERATOR 5 pg_catalog.> (uuid, uuid),
    FUNCTION 1 (uuid, uuid) pg_catalog.uuid_cmp(uuid, uuid),
    FUNCTION 2 (uuid, uuid) pg_catalog.uuid_sortsupport(internal);
COMMENT ON OPERATOR FAMILY shard_uuid_key_ops USING btree IS
    'The family of the B-tree class shard_uuid_key_ops, with the comparisons between shard_uuid and uuid (and uuid''s own, as uuid_ops has them).';

CREATE FUNCTION shard_interval_hash(key shard_uuid) RETURNS int
AS 'MODULE_PATHNAME', 'shard_uuid_interval_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_interval_hash(shard_uuid) IS
    'Support function 1 of shard_uuid_hash_ops: shard_interval_hash(key::text::shard_key), the key routed as its canonical text.';
CREATE FUNCTION shard_interval_hash_extended(key shard_uuid, seed bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'shard_uuid_interval_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION shard_interval_hash_extended(shard_uuid, bigint) IS
    'Support function 2 of shard_uuid_hash_ops: shard_interval_hash_extended(key::text::shard_key, seed).';

CREATE OPERATOR CLASS shard_uuid_hash_ops DEFAULT FOR TYPE shard_uuid USING hash AS
    OPERATOR 1 = (shard_uuid, shard_uuid),
    FUNCTION 1 shard_interval_hash(shard_uuid),
    FUNCTION 2 shard_interval_hash_extended(shard_uuid, bigint);
COMMENT ON OPERATOR CLASS shard_uuid_hash_ops USING hash IS
    'Default hash class of shard_uuid: each key hashes into the int32 interval of its engine shard (Citus), and hash partition s holds shard s.';
COMMENT ON OPERATOR FAMILY shard_uuid_hash_ops USING hash IS
    'The family of the hash class shard_uuid_hash_ops.';
