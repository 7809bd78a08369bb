/*
 * shard_key_type.c: the hash of the key type shard_key, whose default hash
 * operator class makes Citus's shard i the engine's shard i.
 *
 * Design: shard_key is text under another name (text's I/O and comparison
 * functions, binary casts both ways; sql/install/key_type.sql).  What it adds
 * is its default hash operator class, the only hash a type can give Citus:
 * Citus hashes a hash-distributed table's key with support function 1 of the
 * default hash class of the column's type, and splits the int32 range into
 * shard_count intervals of inc = 2^32 / shard_count (integer division), shard
 * i from INT32_MIN + i * inc to INT32_MIN + (i + 1) * inc - 1, the last up to
 * INT32_MAX.  Support function 1 here returns
 *
 *     INT32_MIN + s * inc + (mix(keyhash) mod inc)
 *
 * with s the key's shard under the server's ring (after the recorded-shape
 * check, as shard_for(text)), inc for N = the server's num_shards, and
 * keyhash the engine's 64-bit hash of the key's bytes.  A table distributed
 * with shard_count = N therefore keeps engine shard s in Citus shard s.  The
 * low bits come from the key's own hash (mixed, so that they do not repeat
 * what chose the shard: under modulo routing keyhash mod N is the shard), so
 * distinct keys still get distinct 32-bit hashes and hash joins, hash
 * aggregates and hash indexes on shard_key stay as good as on text.
 *
 * Support function 2 (extended hash) is consistent with it: with seed 0 its
 * low 32 bits are function 1's.  With the seed of hash partitioning
 * (HASH_PARTITION_SEED, which PostgreSQL passes only when it routes a row to
 * a hash partition) it returns what shard_ops returns, so that PARTITION BY
 * HASH (id) with MODULUS N puts shard s in REMAINDER s, as shard_ops does for
 * text.  Any other seed gets a mix of the key's hash and the seed.
 *
 * shard_uuid is the same for uuid keys, each routed as its canonical text,
 * as shard_for(uuid) routes it.
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/partition.h"
#include "utils/uuid.h"

#include "hashops/hashops.h"
#include "routing/routing.h"

/* The key's shard, the ring's shard count and the key's 64-bit hash. */
typedef struct KeyRoute
{
	uint32		shard;
	uint32		num_shards;
	uint64		keyhash;
} KeyRoute;

/* splitmix64's finalizer: a bijection, so distinct key hashes stay distinct. */
static inline uint64
mix64(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The route of a key's bytes under the server's ring, after the recorded-shape check. */
static inline void
route_bytes(FunctionCallInfo fcinfo, const char *data, size_t len, KeyRoute *route)
{
	const ServerRing *ring = checked_server_ring();

	route->keyhash = text_key_hash(data, len);
	route->shard = shape_route(&ring->shape, ring->ring, route->keyhash);
	route->num_shards = ring->shape.num_shards;
}

/* The route of argument 0: shard_key (text), or shard_uuid (its canonical text). */
static inline void
route_key_arg(FunctionCallInfo fcinfo, KeyRoute *route, bool is_uuid)
{
	if (is_uuid)
	{
		char		text[UUID_TEXT_LEN];

		shard_uuid_text(PG_GETARG_UUID_P(0), text);
		route_bytes(fcinfo, text, UUID_TEXT_LEN, route);
	}
	else
	{
		struct varlena *key = (struct varlena *) PG_GETARG_POINTER(0);

		shard_hash_check_collation(PG_GET_COLLATION(), "shard_key");
		if (unlikely(VARATT_IS_COMPRESSED(key) || VARATT_IS_EXTERNAL(key)))
			key = pg_detoast_datum_packed(key);
		route_bytes(fcinfo, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), route);
	}
}

/* Support function 1, as an unsigned offset from INT32_MIN. */
static inline uint32
interval_hash(const KeyRoute *route)
{
	uint64		inc = (UINT64CONST(1) << 32) / route->num_shards;

	return (uint32) ((uint64) route->shard * inc + mix64(route->keyhash) % inc) ^ UINT32_C(0x80000000);
}

/* Support function 2 of a route: see the design note. */
static inline int64
extended_hash(const KeyRoute *route, uint64 seed)
{
	if (seed == HASH_PARTITION_SEED)
		return shard_partition_hash(route->shard);
	if (seed == 0)
		return (int64) ((mix64(~route->keyhash) & UINT64CONST(0xffffffff00000000)) |
						interval_hash(route));
	return (int64) mix64(route->keyhash ^ mix64(seed));
}

/* shard_interval_hash(shard_key): support function 1 of shard_key_hash_ops. */
PG_FUNCTION_INFO_V1(shard_interval_hash);
Datum
shard_interval_hash(PG_FUNCTION_ARGS)
{
	KeyRoute	route;

	shard_hash_refuse_index(fcinfo, "shard_key_hash_ops");
	route_key_arg(fcinfo, &route, false);
	PG_RETURN_INT32((int32) interval_hash(&route));
}

/* shard_interval_hash_extended(shard_key, int8): support function 2. */
PG_FUNCTION_INFO_V1(shard_interval_hash_extended);
Datum
shard_interval_hash_extended(PG_FUNCTION_ARGS)
{
	KeyRoute	route;

	shard_hash_refuse_index(fcinfo, "shard_key_hash_ops");
	route_key_arg(fcinfo, &route, false);
	PG_RETURN_INT64(extended_hash(&route, (uint64) PG_GETARG_INT64(1)));
}

/* shard_interval_hash(shard_uuid): support function 1 of shard_uuid_hash_ops. */
PG_FUNCTION_INFO_V1(shard_uuid_interval_hash);
Datum
shard_uuid_interval_hash(PG_FUNCTION_ARGS)
{
	KeyRoute	route;

	shard_hash_refuse_index(fcinfo, "shard_uuid_hash_ops");
	route_key_arg(fcinfo, &route, true);
	PG_RETURN_INT32((int32) interval_hash(&route));
}

/* shard_interval_hash_extended(shard_uuid, int8): support function 2. */
PG_FUNCTION_INFO_V1(shard_uuid_interval_hash_extended);
Datum
shard_uuid_interval_hash_extended(PG_FUNCTION_ARGS)
{
	KeyRoute	route;

	shard_hash_refuse_index(fcinfo, "shard_uuid_hash_ops");
	route_key_arg(fcinfo, &route, true);
	PG_RETURN_INT64(extended_hash(&route, (uint64) PG_GETARG_INT64(1)));
}
