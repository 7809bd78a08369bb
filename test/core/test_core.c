/*
 * test_core.c: unit tests of the pure C routing core (no PostgreSQL).
 *
 * Usage: test_core VECTORS_DIR.  Every row of VECTORS_DIR/hash_vectors.tsv and
 * VECTORS_DIR/shard_vectors.tsv must come out the same; a missing file is a
 * failure, never a skip.  Prints "N passed, N failed" and exits non-zero on
 * any failure.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyhash.h"
#include "naive_ring.h"
#include "placement.h"
#include "reshard.h"
#include "ring.h"
#include "shape.h"

static int	passed,
			failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			passed++; \
		else \
		{ \
			failed++; \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

/* xorshift64*: deterministic pseudo-random hashes for property checks */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
next_random(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static Ring *
make_ring(uint32_t num_shards, uint32_t virtual_nodes)
{
	void	   *block = malloc(ring_size(num_shards, virtual_nodes));
	void	   *scratch = malloc(ring_scratch_size(num_shards, virtual_nodes));
	Ring	   *ring;

	if (block == NULL || scratch == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	ring = ring_build(block, num_shards, virtual_nodes, scratch);
	free(scratch);
	return ring;
}

/* Decode hex into a fresh buffer; returns its length. */
static size_t
unhex(const char *hex, size_t hexlen, unsigned char **out)
{
	size_t		len = hexlen / 2;

	*out = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		sscanf(hex + 2 * i, "%2hhx", &(*out)[i]);
	return len;
}

static FILE *
open_vectors(const char *dir, const char *name)
{
	char		path[4096];
	FILE	   *f;
	char		header[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL || fgets(header, sizeof(header), f) == NULL)
	{
		fprintf(stderr, "FAIL: cannot read test vectors %s (run from the project root: test/data)\n", path);
		exit(2);
	}
	return f;
}

static void
test_hash_vectors(const char *dir)
{
	FILE	   *f = open_vectors(dir, "hash_vectors.tsv");
	static char line[1 << 16];
	int			rows = 0,
				bad = 0;

	while (fgets(line, sizeof(line), f))
	{
		char	   *tab = strchr(line, '\t');
		unsigned char *key;
		size_t		len;

		if (tab == NULL)
			continue;
		len = unhex(line, (size_t) (tab - line), &key);
		if (key_hash(key, len) != strtoull(tab + 1, NULL, 10))
		{
			bad++;
			fprintf(stderr, "hash mismatch for key_hex %.*s\n", (int) (tab - line), line);
		}
		rows++;
		free(key);
	}
	fclose(f);
	CHECK(rows == 400 && bad == 0, "hash vectors: %d rows, %d mismatches", rows, bad);
}

/* strategy TAB num_shards TAB virtual_nodes TAB key_hex TAB shard_id */
static int
split_vector_row(char *line, char *strategy, unsigned *num_shards,
				 unsigned *vnodes, char *hex, unsigned *expected)
{
	char	   *field[5];
	char	   *p = line;

	for (int i = 0; i < 5; i++)
	{
		field[i] = p;
		p = strpbrk(p, i < 4 ? "\t" : "\n");
		if (p == NULL && i < 4)
			return 0;
		if (p != NULL)
			*p++ = '\0';
	}
	if (strlen(field[0]) >= 32 || strlen(field[3]) >= 4096)
		return 0;
	strcpy(strategy, field[0]);
	strcpy(hex, field[3]);
	*num_shards = (unsigned) strtoul(field[1], NULL, 10);
	*vnodes = (unsigned) strtoul(field[2], NULL, 10);
	*expected = (unsigned) strtoul(field[4], NULL, 10);
	return 1;
}

/* Every row of shard_vectors.tsv through shape_route with its own shape. */
static void
test_shard_vectors(const char *dir)
{
	FILE	   *f = open_vectors(dir, "shard_vectors.tsv");
	static char line[1 << 16];
	int			rows = 0,
				bad = 0;
	Ring	   *ring = NULL;

	while (fgets(line, sizeof(line), f))
	{
		char		strategy[32],
					hex[4096] = "";
		unsigned	num_shards,
					vnodes,
					expected;
		unsigned char *key;
		size_t		len;
		Shape		shape;
		int			s;

		/* split on tabs by hand: scanf's "\t" would also swallow an empty key_hex */
		if (!split_vector_row(line, strategy, &num_shards, &vnodes, hex, &expected))
		{
			bad++;
			fprintf(stderr, "unparsed vector row: %s", line);
			continue;
		}
		s = strategy_from_name(strategy, strlen(strategy));
		CHECK(s >= 0 && shape_check(s, num_shards, vnodes) == SHAPE_OK, "vector shape %s %u %u", strategy, num_shards, vnodes);
		shape = (Shape) {(Strategy) s, num_shards, vnodes};
		if (strategy_uses_ring(shape.strategy) &&
			(ring == NULL || ring->num_shards != num_shards || ring->virtual_nodes != vnodes))
		{
			free(ring);
			ring = make_ring(num_shards, vnodes);
		}
		len = unhex(hex, strlen(hex), &key);
		if (shape_route(&shape, ring, key_hash(key, len)) != expected)
		{
			bad++;
			fprintf(stderr, "shard mismatch: %s %u %u %s\n", strategy, num_shards, vnodes, hex);
		}
		rows++;
		free(key);
	}
	free(ring);
	fclose(f);
	CHECK(rows == 4320 && bad == 0, "shard vectors: %d rows, %d mismatches", rows, bad);
}

/* The in-place 0xFF terminator equals hashing a copy with the byte appended. */
static void
test_terminator_folding(void)
{
	unsigned char buf[80];

	for (size_t len = 0; len < 72; len++)
	{
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char) next_random();
		buf[len] = 0xff;
		CHECK(key_hash(buf, len) == siphash13(buf, len + 1), "terminator folding at length %zu", len);
	}
}

/* Bucket of x in ring, and the lowest hash of bucket b: floor(x * B / 2^64) and its inverse. */
static uint64_t
bucket_of_hash(const Ring *ring, uint64_t x)
{
	return (uint64_t) (((unsigned __int128) x * ring->num_buckets) >> 64);
}

static uint64_t
bucket_lowest_hash(const Ring *ring, uint64_t b)
{
	return (uint64_t) ((((unsigned __int128) b << 64) + ring->num_buckets - 1) / ring->num_buckets);
}

/* How many buckets of ring hold more points than their line. */
static uint32_t
buckets_spilled(const Ring *ring, const NaiveRing *naive)
{
	uint32_t	spilled = 0,
				run = 0;
	uint64_t	bucket = 0;

	for (uint32_t p = 0; p < naive->num_points; p++)
	{
		uint64_t	b = bucket_of_hash(ring, naive->points[p].point);

		run = b == bucket ? run + 1 : 1;
		bucket = b;
		spilled += run == ring->line_words;	/* one more point than its line's entries */
	}
	return spilled;
}

/*
 * The ring holds exactly the plain ring's points and shards and answers as
 * its binary search: at every point and either side of it (fingerprint
 * ties), at every bucket's edges, at the ends of the hash space and at
 * random hashes.
 */
static void
test_ring_matches_naive(void)
{
	/* small and large bucket lines; 100000 x 3 has 17 shard bits */
	static const uint32_t shapes[][2] = {{1, 1}, {1, 150}, {2, 1}, {7, 1}, {4, 150}, {64, 150},
	{100, 10}, {1000, 50}, {4096, 150}, {100000, 3}};
	uint32_t	spilled = 0;

	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++)
	{
		Ring	   *ring = make_ring(shapes[k][0], shapes[k][1]);
		NaiveRing	naive = naive_ring_build(shapes[k][0], shapes[k][1]);
		const uint64_t *points = ring_points(ring);
		uint64_t	edges[] = {0, 1, UINT64_MAX, UINT64_MAX - 1};
		uint32_t	wrong_points = 0;
		int			bad = 0;

		for (uint32_t p = 0; p < ring->num_points && p < naive.num_points; p++)
			wrong_points += naive.points[p].point != points[p] || naive.points[p].shard != ring_point_shard(ring, p);
		CHECK(ring->num_points == naive.num_points && wrong_points == 0,
			  "ring %u x %u: %u points, %u expected, %u differ",
			  shapes[k][0], shapes[k][1], ring->num_points, naive.num_points, wrong_points);

		for (size_t e = 0; e < 4; e++)
			bad += ring_lookup(ring, edges[e]) != naive_ring_lookup(&naive, edges[e]);
		for (uint32_t p = 0; p < naive.num_points; p++)
			for (int d = -1; d <= 1; d++)
			{
				uint64_t	h = naive.points[p].point + (uint64_t) (int64_t) d;

				bad += ring_lookup(ring, h) != naive_ring_lookup(&naive, h);
			}
		for (uint64_t b = 0; b < ring->num_buckets; b++)
		{
			uint64_t	lowest = bucket_lowest_hash(ring, b);

			bad += ring_lookup(ring, lowest) != naive_ring_lookup(&naive, lowest);
			bad += ring_lookup(ring, lowest - 1) != naive_ring_lookup(&naive, lowest - 1);
		}
		for (int i = 0; i < 200000; i++)
		{
			uint64_t	h = next_random();

			bad += ring_lookup(ring, h) != naive_ring_lookup(&naive, h);
		}
		CHECK(bad == 0, "ring %u x %u: %d lookups differ from the plain ring", shapes[k][0], shapes[k][1], bad);
		CHECK(ring->total_bytes == ring_size(shapes[k][0], shapes[k][1]),
			  "ring %u x %u: %" PRIu64 " bytes built, %zu sized", shapes[k][0], shapes[k][1],
			  ring->total_bytes, ring_size(shapes[k][0], shapes[k][1]));
#if RING_SMALL_LINE_WORDS == 16 && RING_LARGE_LINE_WORDS == 32
		CHECK(ring->total_bytes <= 16ULL * shapes[k][0] * shapes[k][1] + 512,
			  "ring %u x %u: %" PRIu64 " bytes, more than 16 a point and 512", shapes[k][0], shapes[k][1],
			  ring->total_bytes);
#endif
		spilled += buckets_spilled(ring, &naive);
		free(naive.points);
		free(ring);
	}
	/* buckets whose points spill past their line were among those checked */
	CHECK(spilled > 0, "no bucket held more points than its line: the spill went untested");
}

/* Every shard owns its points, and a point routes to its own shard. */
static void
test_ring_structure(void)
{
	Ring	   *ring = make_ring(64, 150);
	uint32_t	owned[64] = {0};

	for (uint32_t p = 0; p < ring->num_points; p++)
		owned[ring_point_shard(ring, p)]++;
	CHECK(ring->num_points == 64 * 150, "no collisions expected in 64 x 150, got %u points", ring->num_points);
	for (int s = 0; s < 64; s++)
		CHECK(owned[s] == 150, "shard %d owns %u points", s, owned[s]);
	CHECK(ring_lookup(ring, key_hash("shard-0-vnode-0", 15)) == 0, "a point routes to its own shard");
	CHECK(ring_lookup(ring, key_hash("shard-63-vnode-149", 18)) == 63, "a point routes to its own shard");
	free(ring);
}

static void
test_range(void)
{
	for (uint32_t n = 1; n <= 70000; n = n * 3 + 1)
	{
		uint64_t	step = UINT64_MAX / n;
		int			ok = range_shard(0, n) == 0 && range_shard(UINT64_MAX, n) == n - 1;

		for (uint32_t i = 1; i < n && i < 50; i++)
			ok &= range_shard(step * i, n) == i && range_shard(step * i - 1, n) == i - 1;
		CHECK(ok, "range boundaries for N = %u", n);
	}
}

/* Jump: answers in range, and growing N by one moves keys only to the new shard. */
static void
test_jump(void)
{
	int			moved = 0,
				wrong = 0,
				total = 100000;

	for (int i = 0; i < total; i++)
	{
		uint64_t	h = next_random();
		uint32_t	a = jump_shard(h, 16),
					b = jump_shard(h, 17);

		wrong += a >= 16 || b >= 17 || (a != b && b != 16);
		moved += a != b;
	}
	CHECK(wrong == 0, "jump: %d keys out of range or moved to an old shard", wrong);
	/* expected 1/17 = 5882 of 100000; allow a wide margin */
	CHECK(moved > 5000 && moved < 6800, "jump 16 -> 17 moved %d of %d keys", moved, total);
	CHECK(jump_shard(12345, 1) == 0, "jump with one shard");
}

/*
 * The fast jump path (FMA on x86-64, where the CPU has it) gives the
 * reference's bits: for every shard count up to 2000 and powers of two and
 * their neighbours up to the limit, at random hashes and at the ends.
 */
static long
jump_paths_differ(uint32_t n, long *compared)
{
	uint64_t	ends[] = {0, 1, UINT64_MAX, UINT64_MAX - 1, 1ULL << 63};
	long		differ = 0;

	for (int i = 0; i < 2000; i++)
	{
		uint64_t	h = next_random();

		differ += jump_shard(h, n) != jump_shard_reference(h, n);
	}
	for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++)
		differ += jump_shard(ends[e], n) != jump_shard_reference(ends[e], n);
	*compared += 2000 + sizeof(ends) / sizeof(ends[0]);
	return differ;
}

static void
test_jump_paths_agree(void)
{
	long		differ = 0,
				compared = 0;

	for (uint32_t n = 1; n <= 2000; n++)
		differ += jump_paths_differ(n, &compared);
	for (int p = 11; p < 20; p++)
		for (int d = -1; d <= 1; d++)
			differ += jump_paths_differ((1u << p) + d, &compared);
	differ += jump_paths_differ(1000000, &compared);
	CHECK(differ == 0, "jump: %ld of %ld answers differ from the reference", differ, compared);
}

static void
test_placement(void)
{
	uint32_t	out[8];
	uint32_t	n = placement_for_shard(4, 3, 2, out);

	CHECK(n == 2 && out[0] == 1 && out[1] == 2, "shard 4 on 3 nodes, R = 2");
	n = placement_for_shard(2, 3, 5, out);
	CHECK(n == 3 && out[0] == 2 && out[1] == 0 && out[2] == 1, "R above node count is capped");
	n = placement_for_shard(9, 0, 2, out);
	CHECK(n == 0, "no nodes: caller names node-{s}");
	n = placement_for_shard(999999, 4, 1, out);
	CHECK(n == 1 && out[0] == 3, "primary only");
}

static void
test_shapes(void)
{
	Shape		ring4 = {STRATEGY_CONSISTENT_HASH, 4, 150};
	Shape		mod4 = {STRATEGY_MODULO, 4, 150};
	Shape		mod4v = {STRATEGY_MODULO, 4, 100};
	Shape		range4 = {STRATEGY_RANGE, 4, 150};
	Shape		range4v = {STRATEGY_RANGE, 4, 1};
	Shape		jump4 = {STRATEGY_JUMP, 4, 150};

	CHECK(shape_check(0, 4, 150) == SHAPE_OK, "default shape");
	CHECK(shape_check(4, 4, 150) == SHAPE_BAD_STRATEGY, "strategy 4");
	CHECK(shape_check(-1, 4, 150) == SHAPE_BAD_STRATEGY, "strategy -1");
	CHECK(shape_check(0, 0, 150) == SHAPE_BAD_SHARDS, "0 shards");
	CHECK(shape_check(3, SHAPE_MAX_SHARDS + 1, 1) == SHAPE_BAD_SHARDS, "too many shards");
	CHECK(shape_check(3, SHAPE_MAX_SHARDS, 1) == SHAPE_OK, "max shards for jump");
	CHECK(shape_check(0, 4, 0) == SHAPE_BAD_VIRTUAL_NODES, "0 virtual nodes");
	CHECK(shape_check(1, 4, SHAPE_MAX_VIRTUAL_NODES + 1) == SHAPE_BAD_VIRTUAL_NODES, "too many virtual nodes");
	CHECK(shape_check(0, 4096, 1024) == SHAPE_OK, "exactly the ring point limit");
	CHECK(shape_check(2, 4097, 1024) == SHAPE_TOO_MANY_POINTS, "past the ring point limit");
	CHECK(shape_check(1, 4097, 1024) == SHAPE_OK, "range has no ring");
	CHECK(strategy_from_name("modulo", 6) == STRATEGY_MODULO, "modulo by name");
	CHECK(strategy_from_name("Modulo", 6) == -1, "names are exact");
	CHECK(strategy_from_name("jum", 3) == -1, "no prefix match");
	CHECK(shape_routes_alike(&ring4, &mod4), "modulo is the ring");
	CHECK(!shape_routes_alike(&mod4, &mod4v), "virtual nodes matter to the ring");
	CHECK(shape_routes_alike(&range4, &range4v), "virtual nodes do not matter to range");
	CHECK(!shape_routes_alike(&range4, &jump4), "range is not jump");
	CHECK(!shape_routes_alike(&ring4, &range4), "ring is not range");
}

/* Plan between two shapes with malloc'd memory; returns the pair count. */
static size_t
plan(const Shape *from, const Shape *to, MoveFraction **out)
{
	Ring	   *ra = strategy_uses_ring(from->strategy) ? make_ring(from->num_shards, from->virtual_nodes) : NULL;
	Ring	   *rb = strategy_uses_ring(to->strategy) ? make_ring(to->num_shards, to->virtual_nodes) : NULL;
	void	   *scratch = malloc(plan_moves_scratch_size(from, ra, to, rb));
	size_t		n;

	*out = malloc(sizeof(MoveFraction) * plan_moves_bound(from, ra, to, rb));
	n = plan_moves(from, ra, to, rb, *out, scratch);
	free(scratch);
	free(ra);
	free(rb);
	return n;
}

static double
moved_share(const MoveFraction *m, size_t n, double *total)
{
	double		moved = 0;

	*total = 0;
	for (size_t i = 0; i < n; i++)
	{
		*total += m[i].fraction;
		if (m[i].from_shard != m[i].to_shard)
			moved += m[i].fraction;
	}
	return moved;
}

/* Exact plans: fractions sum to 1, agree with routing sampled keys, and edge cases. */
static void
test_reshard(void)
{
	static const Shape pairs[][2] = {
		{{STRATEGY_CONSISTENT_HASH, 4, 150}, {STRATEGY_CONSISTENT_HASH, 5, 150}},
		{{STRATEGY_CONSISTENT_HASH, 16, 150}, {STRATEGY_RANGE, 16, 1}},
		{{STRATEGY_RANGE, 7, 1}, {STRATEGY_MODULO, 3, 20}},
		{{STRATEGY_JUMP, 16, 1}, {STRATEGY_CONSISTENT_HASH, 8, 50}},
		{{STRATEGY_RANGE, 5, 1}, {STRATEGY_JUMP, 9, 1}},
	};

	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
	{
		const Shape *from = &pairs[k][0],
				   *to = &pairs[k][1];
		MoveFraction *m;
		size_t		n = plan(from, to, &m);
		double		total,
					moved = moved_share(m, n, &total);
		Ring	   *ra = strategy_uses_ring(from->strategy) ? make_ring(from->num_shards, from->virtual_nodes) : NULL;
		Ring	   *rb = strategy_uses_ring(to->strategy) ? make_ring(to->num_shards, to->virtual_nodes) : NULL;
		int			samples = 400000,
					sampled_moves = 0;
		double		sigma;

		for (int i = 0; i < samples; i++)
		{
			uint64_t	h = next_random();

			sampled_moves += shape_route(from, ra, h) != shape_route(to, rb, h);
		}
		sigma = sqrt(moved * (1 - moved) / samples);
		CHECK(fabs(total - 1.0) < 1e-12, "plan %zu sums to %.15f", k, total);
		CHECK(fabs((double) sampled_moves / samples - moved) < 5 * sigma + 1e-9,
			  "plan %zu: moved %.5f, sampled %.5f", k, moved, (double) sampled_moves / samples);
		free(m);
		free(ra);
		free(rb);
	}

	{
		Shape		a = {STRATEGY_CONSISTENT_HASH, 64, 150},
					b = {STRATEGY_MODULO, 64, 150};
		MoveFraction *m;
		size_t		n = plan(&a, &b, &m);
		double		total;

		CHECK(n == 64 && moved_share(m, n, &total) == 0.0, "same ring: nothing moves (%zu pairs)", n);
		free(m);
	}
	{
		/* range 2 -> 4: step*2 of 4 shards ends one hash before half of 2 shards */
		Shape		a = {STRATEGY_RANGE, 2, 1},
					b = {STRATEGY_RANGE, 4, 1};
		MoveFraction *m;
		size_t		n = plan(&a, &b, &m);

		CHECK(n == 5 && m[2].from_shard == 0 && m[2].to_shard == 2 &&
			  m[2].fraction == 1.0 / 18446744073709551616.0,
			  "range 2 -> 4: exactly one hash of shard 0 goes to shard 2");
		free(m);
	}
	{
		Shape		a = {STRATEGY_JUMP, 16, 1},
					b = {STRATEGY_JUMP, 17, 1},
					c = {STRATEGY_JUMP, 8, 1};
		MoveFraction *m;
		size_t		n = plan(&a, &b, &m);
		double		total,
					moved = moved_share(m, n, &total);

		CHECK(n == 16 + 16 && fabs(moved - 1.0 / 17) < 1e-15 && fabs(total - 1) < 1e-12,
			  "jump 16 -> 17 moves 1/17 (%.6f)", moved);
		free(m);
		n = plan(&a, &c, &m);
		moved = moved_share(m, n, &total);
		CHECK(n == 8 + 8 * 8 && fabs(moved - 0.5) < 1e-15 && fabs(total - 1) < 1e-12,
			  "jump 16 -> 8 moves 1/2 (%.6f)", moved);
		free(m);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
		return 2;
	}
	test_hash_vectors(argv[1]);
	test_shard_vectors(argv[1]);
	test_terminator_folding();
	test_ring_matches_naive();
	test_ring_structure();
	test_range();
	test_jump();
	test_jump_paths_agree();
	test_placement();
	test_shapes();
	test_reshard();
	printf("core: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
