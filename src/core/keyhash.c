/*
 * keyhash.c: SipHash-1-3 with zero keys, as Rust's DefaultHasher.
 *
 * Design: the key is hashed in place, one 8-byte little-endian word at a time;
 * the 0xFF terminator that Rust's `str` feeds its hasher is folded into the
 * last word here, so callers never copy a key (keys may be a gigabyte).
 * The message length in the final word counts that extra byte.
 */
#include "keyhash.h"

#include <string.h>

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

typedef struct SipState
{
	uint64_t	v0,
				v1,
				v2,
				v3;
} SipState;

static inline void
sip_round(SipState *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

/* One unaligned little-endian word: a single load on little-endian machines. */
static inline uint64_t
load_le64(const unsigned char *p)
{
	uint64_t	w;

	memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline void
sip_compress(SipState *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);				/* one compression round: SipHash-1-3 */
	s->v0 ^= m;
}

static inline uint64_t
sip_finish(SipState *s, uint64_t last_word)
{
	sip_compress(s, last_word);
	s->v2 ^= 0xff;
	sip_round(s);				/* three finalization rounds */
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/*
 * Hash len bytes, then (if with_terminator) one 0xFF byte, without copying.
 */
static uint64_t
sip13(const unsigned char *p, size_t len, int with_terminator)
{
	SipState	s = {
		0x736f6d6570736575ULL, 0x646f72616e646f6dULL,
		0x6c7967656e657261ULL, 0x7465646279746573ULL
	};
	size_t		total = len + (with_terminator ? 1 : 0);
	size_t		whole = len & ~(size_t) 7;
	size_t		tail = len - whole;
	uint64_t	last = 0;

	for (size_t off = 0; off < whole; off += 8)
		sip_compress(&s, load_le64(p + off));

	for (size_t i = 0; i < tail; i++)
		last |= (uint64_t) p[whole + i] << (8 * i);
	if (with_terminator)
	{
		if (tail == 7)
		{
			/* the terminator completes a word of its own */
			sip_compress(&s, last | (0xffULL << 56));
			last = 0;
		}
		else
			last |= 0xffULL << (8 * tail);
	}
	last |= (uint64_t) (total & 0xff) << 56;
	return sip_finish(&s, last);
}

uint64_t
key_hash(const void *key, size_t len)
{
	return sip13((const unsigned char *) key, len, 1);
}

uint64_t
siphash13(const void *data, size_t len)
{
	return sip13((const unsigned char *) data, len, 0);
}
