/*
 * shard_hash_ops.c: hash operator classes whose partitions are the engine's
 * shards, and shard_for(uuid).
 *
 * Design: for PARTITION BY HASH, PostgreSQL hashes a row's key with support
 * function 2 (extended hash) of the key's operator class, called with the
 * seed HASH_PARTITION_SEED, and combines the results of the key columns as
 * rowHash = hash_combine64(rowHash, h), starting from 0 and skipping NULLs
 * (partbounds.c, compute_partition_hash_value).  hash_combine64(0, h) is
 * h + 0x49a0f4dd15e5a8e3 mod 2^64 (common/hashfn.h, the same in PostgreSQL
 * 15, 17 and 18).  The row goes to the partition whose remainder is rowHash
 * modulo the modulus.  So an extended hash of shard - 0x49a0f4dd15e5a8e3
 * makes rowHash the shard itself, and with partitions FOR VALUES WITH
 * (MODULUS N, REMAINDER s), N the server's shard count, shard s lands in
 * partition s.  The planner prunes with the same function: id = const, IN,
 * = ANY at plan time, id = $1 at run time.  A NULL key has no hash: rowHash
 * stays 0 and the row goes to remainder 0.
 *
 * The shard is the server's ring, with the same recorded-shape check as
 * shard_for(text): a server whose shape differs from the one recorded in the
 * database refuses to route (or prune) instead of sending rows to other
 * partitions.  The offset is checked against hash_combine64 itself once per
 * backend, so a PostgreSQL that changed it would fail loudly, not misroute.
 *
 * Support function 1 (32-bit hash) is required of a hash operator class; it
 * returns the low 32 bits of function 2 with seed 0, as PostgreSQL requires
 * of the pair.  It has only N distinct values, so these classes are for
 * partition keys, not for hash indexes or joins (text_ops stays the default).
 *
 * uuid keys route as their canonical text (lower case, hyphenated, what
 * uuid::text gives), which is what the engine receives.
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "nodes/memnodes.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "hashops/hashops.h"
#include "routing/routing.h"

/* What hash_combine64(0, h) adds to h; see the design note. */
#define PARTITION_COMBINE_OFFSET UINT64CONST(0x49a0f4dd15e5a8e3)

static bool offset_checked = false;
static Oid	checked_collation = InvalidOid;

/* hash_combine64(0, h) must be h + the offset, for every h; checked once with a few. */
static void
check_combine_offset(void)
{
	static const uint64 samples[] = {0, 1, 7, UINT64CONST(0xffffffffffffffff), UINT64CONST(0x8000000000000000)};

	for (int i = 0; i < (int) lengthof(samples); i++)
		if (hash_combine64(0, samples[i] - PARTITION_COMBINE_OFFSET) != samples[i])
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("this PostgreSQL combines partition hashes differently from what dakera_shard was built for"),
					errhint("Rebuild dakera_shard against this server's headers."));
	offset_checked = true;
}

/*
 * Keys equal under the column's collation must hash alike; we hash bytes,
 * so only a deterministic collation (bytes equal iff strings equal) will do.
 */
void
shard_hash_check_collation(Oid collid, const char *what)
{
	if (likely(collid == checked_collation || collid == DEFAULT_COLLATION_OID ||
			   collid == C_COLLATION_OID || collid == InvalidOid))
		return;
	if (!get_collation_isdeterministic(collid))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("%s cannot hash keys under the nondeterministic collation \"%s\"",
					   what, get_collation_name(collid)),
				errdetail("The engine routes a key by its bytes; keys that a nondeterministic collation finds equal may route to different shards."),
				errhint("Give the key column a deterministic collation (COLLATE \"C\")."));
	checked_collation = collid;
}

/* The server's shard of a key's bytes, after the recorded-shape check. */
static inline uint32
server_shard(FunctionCallInfo fcinfo, const char *data, size_t len)
{
	const ServerRing *ring = checked_server_ring();

	return shape_route(&ring->shape, ring->ring, text_key_hash(data, len));
}

/* The extended hash that puts shard s in partition REMAINDER s. */
int64
shard_partition_hash(uint32 shard)
{
	if (unlikely(!offset_checked))
		check_combine_offset();
	return (int64) ((uint64) shard - PARTITION_COMBINE_OFFSET);
}

/* The shard of the text key in argument 0. */
static inline uint32
text_arg_shard(FunctionCallInfo fcinfo)
{
	struct varlena *key = (struct varlena *) PG_GETARG_POINTER(0);

	shard_hash_check_collation(PG_GET_COLLATION(), "shard_ops");
	if (unlikely(VARATT_IS_COMPRESSED(key) || VARATT_IS_EXTERNAL(key)))
		key = pg_detoast_datum_packed(key);
	return server_shard(fcinfo, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
}

/* uuid's canonical text form, as uuid_out writes it, without the terminator. */
void
shard_uuid_text(const struct pg_uuid_t *uuid, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int			o = 0;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[uuid->data[i] >> 4];
		out[o++] = hex[uuid->data[i] & 0x0f];
	}
}

/* The shard of the uuid key in argument 0. */
static inline uint32
uuid_arg_shard(FunctionCallInfo fcinfo)
{
	char		text[UUID_TEXT_LEN];

	shard_uuid_text(PG_GETARG_UUID_P(0), text);
	return server_shard(fcinfo, text, UUID_TEXT_LEN);
}

/*
 * Refuse to hash for an index.  These hashes follow the server's ring, so a
 * hash index (or EXCLUDE USING hash) built with them finds nothing once the
 * recorded shape changes, silently.  The event trigger refuses such indexes
 * at ddl_command_end, which CREATE INDEX CONCURRENTLY reaches only after it
 * has committed its index, and REINDEX never meets it; so the support
 * functions themselves refuse when an index calls them.  An index calls its
 * support functions through the FmgrInfo that index_getprocinfo() keeps in
 * the index's relcache entry, whose memory context is the one
 * RelationInitIndexAccessInfo() names "index info" (identified by the index's
 * name): that is how such a call is told from a partition key's (its own
 * "partition key" context), a hash join's or aggregate's (the executor's) or
 * Citus's (its cache).  So an index of these classes can neither be built,
 * nor take a row, nor be searched: it stays invalid and empty, or, built on
 * an empty table, refuses the first row.
 */
void
shard_hash_refuse_index(FunctionCallInfo fcinfo, const char *opclass)
{
	MemoryContext cxt = fcinfo->flinfo != NULL ? fcinfo->flinfo->fn_mcxt : NULL;

	if (likely(cxt == NULL || cxt->name == NULL || strcmp(cxt->name, "index info") != 0))
		return;
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("index \"%s\" uses the operator class %s, which is for partition keys only",
				   cxt->ident != NULL ? cxt->ident : "?", opclass),
			errdetail("It hashes by the server's ring: after the recorded shape changes the index would miss rows, silently."),
			errhint("Index the column with a btree (CREATE INDEX ... (id)), or a text or uuid column with its default hash class; use this class only in PARTITION BY HASH. Drop an index of it that was left behind (DROP INDEX)."));
}

/* shard_hash_extended(text, int8): support function 2 of shard_ops. */
PG_FUNCTION_INFO_V1(shard_hash_text_extended);
Datum
shard_hash_text_extended(PG_FUNCTION_ARGS)
{
	shard_hash_refuse_index(fcinfo, "shard_ops");
	PG_RETURN_INT64(shard_partition_hash(text_arg_shard(fcinfo)));
}

/* shard_hash(text): support function 1 of shard_ops, the low 32 bits of function 2. */
PG_FUNCTION_INFO_V1(shard_hash_text);
Datum
shard_hash_text(PG_FUNCTION_ARGS)
{
	shard_hash_refuse_index(fcinfo, "shard_ops");
	PG_RETURN_INT32((int32) (uint32) (uint64) shard_partition_hash(text_arg_shard(fcinfo)));
}

/* shard_hash_extended(uuid, int8): support function 2 of shard_uuid_ops. */
PG_FUNCTION_INFO_V1(shard_hash_uuid_extended);
Datum
shard_hash_uuid_extended(PG_FUNCTION_ARGS)
{
	shard_hash_refuse_index(fcinfo, "shard_uuid_ops");
	PG_RETURN_INT64(shard_partition_hash(uuid_arg_shard(fcinfo)));
}

/* shard_hash(uuid): support function 1 of shard_uuid_ops. */
PG_FUNCTION_INFO_V1(shard_hash_uuid);
Datum
shard_hash_uuid(PG_FUNCTION_ARGS)
{
	shard_hash_refuse_index(fcinfo, "shard_uuid_ops");
	PG_RETURN_INT32((int32) (uint32) (uint64) shard_partition_hash(uuid_arg_shard(fcinfo)));
}

/* shard_for(key uuid): shard_for(key::text) without the text. */
PG_FUNCTION_INFO_V1(shard_for_uuid);
Datum
shard_for_uuid(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32((int32) uuid_arg_shard(fcinfo));
}
