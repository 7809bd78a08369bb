#!/usr/bin/env bash
# hostile.sh: keys from 0 bytes to 100 MB, a batch of 10 million keys, ring
# shapes at and past every limit, the largest ring at server start, and a ring
# the server's memory cannot hold: errors, never crashes.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

cluster_new C "shared_preload_libraries = 'dakera_shard'"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
psql_q "CREATE EXTENSION dakera_shard" >/dev/null
u64='CASE WHEN h < 0 THEN h::numeric + 18446744073709551616 ELSE h::numeric END'

# keys of every size: the range shard agrees with the numeric formula over
# the key's hash, and the ring and jump answer within range
for bytes in 0 1 7 8 9 1000 1000000 100000000; do
	out=$(psql_q "WITH k AS (SELECT repeat('x', $bytes) AS key), h AS (SELECT key, shard_key_hash(key) AS h FROM k)
	              SELECT shard_for(key, 7, 'range') = least(floor(($u64) / floor(18446744073709551615::numeric / 7)), 6)
	                     AND shard_for(key) BETWEEN 0 AND 3 AND shard_for(key, 1000, 'jump') BETWEEN 0 AND 999
	              FROM h" 2>&1)
	expect_eq "a key of $bytes bytes" "$out" "t"
done
expect_eq "a 100 MB key hashes the same twice" \
	"$(psql_q "SELECT shard_key_hash(repeat('ab', 50000000)) = shard_key_hash(repeat('ab', 50000000))")" "t"

# ten million keys in one batch: every one comes out once
expect_eq "shard_batch of 10000000 keys" \
	"$(psql_q "SELECT count(*) || '/' || sum(cardinality(ids)) FROM shard_batch(ARRAY(SELECT 'key-' || g FROM generate_series(1, 10000000) g))")" \
	"4/10000000"

# shapes at and past every limit, in the explicit form
expect_eq "ring at the point limit (4096 x 1024)" "$(psql_q "SELECT shard_for('k', 4096, 'consistent_hash', 1024) BETWEEN 0 AND 4095")" "t"
expect_eq "jump at the shard limit" "$(psql_q "SELECT shard_for('k', 1000000, 'jump') BETWEEN 0 AND 999999")" "t"
expect_eq "range at the shard limit" "$(psql_q "SELECT shard_for('k', 1000000, 'range') BETWEEN 0 AND 999999")" "t"
expect_eq "virtual nodes at their limit" "$(psql_q "SELECT shard_for('k', 419, 'modulo', 10000) BETWEEN 0 AND 418")" "t"
for past in "4097, 'consistent_hash', 1024" "1000001, 'jump'" "4, 'range', 10001" "0" "-2147483648, 'jump'" "2147483647, 'range'" "4, 'consistent_hash', -1"; do
	out=$(psql_q "SELECT shard_for('k', $past)" 2>&1)
	expect_match "past a limit: shard_for('k', $past) is an error" "$out" "^ERROR: .*(out of range|too large)"
done
expect_eq "the server survives all of it" "$(psql_q "SELECT 1")" "1"

# the largest ring at server start
cluster_stop "$C"
cluster_conf "$C" "dakera_shard.num_shards = 4096" "dakera_shard.virtual_nodes = 1024" "shared_buffers = 16MB"
: >"$C/server.log"
cluster_start "$C"
expect_eq "the largest ring starts" "$?" "0"
expect_match "and is built in shared memory" "$(cat "$C/server.log")" "ring strategy=consistent_hash num_shards=4096 virtual_nodes=1024 built in [0-9.]+ ms, 64319128 bytes"
psql_q "SELECT record_shard_ring()" >/dev/null
expect_eq "and routes" "$(psql_q "SELECT shard_for('k') = shard_for('k', 4096, 'consistent_hash', 1024)")" "t"
vmsize=$(awk '/^VmSize/ {print $2}' "/proc/$(head -n 1 "$C/data/postmaster.pid")/status")
cluster_stop "$C"

# a ring the server's memory cannot hold: a clear startup error, not a crash.
# Address space a little short of what the server had: the shared memory
# segment (with the 64 MB ring) cannot be mapped.
: >"$C/server.log"
(ulimit -v $((vmsize - 40000)); cluster_start "$C") 2>/dev/null
expect_eq "too little memory for the shared ring: the server does not start" "$?" "1"
expect_match "and says why" "$(cat "$C/server.log")" "FATAL: +(could not map anonymous shared memory|out of memory building the ring)"
# room for the segment but not for the 128 MB needed to build the ring
: >"$C/server.log"
(ulimit -v $((vmsize + 60000)); cluster_start "$C") 2>/dev/null
expect_eq "too little memory to build the ring: the server does not start" "$?" "1"
expect_match "and names the ring and the settings to lower" "$(cat "$C/server.log")" \
	"FATAL: +out of memory building the ring strategy=consistent_hash num_shards=4096 virtual_nodes=1024"
expect_eq "no crash: nothing was killed by a signal" "$(grep -c 'terminated by signal' "$C/server.log")" "0"

echo "hostile: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
