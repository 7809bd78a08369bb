/*
 * keyhash.h: the 64-bit key hash of the routing contract.
 *
 * h(key) = SipHash-1-3 with k0 = k1 = 0 over the key's bytes followed by one
 * 0xFF byte, which is what Rust's DefaultHasher computes for a &str.  Pure C:
 * no PostgreSQL headers, so the core can be unit-tested and fuzzed alone.
 */
#ifndef DAKERA_KEYHASH_H
#define DAKERA_KEYHASH_H

#include <stddef.h>
#include <stdint.h>

/* Hash of a key of len bytes (the trailing 0xFF is added here, not by the caller). */
uint64_t key_hash(const void *key, size_t len);

/* Plain SipHash-1-3 (k0 = k1 = 0) of exactly len bytes; exposed for tests. */
uint64_t siphash13(const void *data, size_t len);

#endif
