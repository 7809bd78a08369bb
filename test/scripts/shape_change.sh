#!/usr/bin/env bash
# shape_change.sh: restarts with another ring shape, and invalid settings.
#
# Stored shard ids hold only under the shape they were made with: after a
# restart with another shape shard_for(text) must refuse to answer (in every
# database that recorded the old shape) until the DBA records the new one, and
# a server with invalid dakera_shard settings must not start at all.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

preload="shared_preload_libraries = 'dakera_shard'"
cluster_new C "$preload"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }

expect_match "server log reports the ring build" "$(cat "$C/server.log")" \
	"dakera_shard: ring strategy=consistent_hash num_shards=4 virtual_nodes=150 built in [0-9.]+ ms, 9488 bytes of shared memory"

psql_q "CREATE DATABASE other" >/dev/null
for db in postgres other; do
	PGDATABASE=$db psql_q "CREATE EXTENSION dakera_shard" >/dev/null
done
psql_q "CREATE TABLE items (id text PRIMARY KEY, shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
        INSERT INTO items (id) SELECT 'vec-' || g FROM generate_series(1, 1000) g" >/dev/null
before=$(psql_q "SELECT md5(string_agg(id || ':' || shard_id, ',' ORDER BY id)) FROM items")

# --- restart with 8 shards: refused, in both databases, naming both shapes
cluster_stop "$C"
cluster_conf "$C" "dakera_shard.num_shards = 8"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
for db in postgres other; do
	out=$(PGDATABASE=$db psql_q "SELECT shard_for('vec-1')" 2>&1)
	expect_match "[$db] shard_for refuses after a re-shape" "$out" "the server's ring differs from the ring recorded in database \"$db\""
	expect_match "[$db] the error names both shapes" "$out" \
		"routes with strategy=consistent_hash num_shards=8 virtual_nodes=150; shard ids stored in this database were made with strategy=consistent_hash num_shards=4 virtual_nodes=150"
done
expect_eq "shard_ring shows both shapes" \
	"$(psql_q "SELECT num_shards, recorded_num_shards, routes_alike FROM shard_ring()")" "8|4|f"
out=$(psql_q "INSERT INTO items (id) VALUES ('vec-new')" 2>&1)
expect_match "a generated column refuses rows under the new shape" "$out" "differs from the ring recorded"
expect_eq "stored rows are untouched" "$(psql_q "SELECT md5(string_agg(id || ':' || shard_id, ',' ORDER BY id)) FROM items")" "$before"
expect_eq "the explicit form still answers" "$(psql_q "SELECT shard_for('vec-1', 4) = (SELECT shard_id FROM items WHERE id = 'vec-1')")" "t"

# --- the DBA records the new shape in one database; the other still refuses
expect_eq "record_shard_ring records the new shape" "$(psql_q "SELECT record_shard_ring()")" \
	"strategy=consistent_hash num_shards=8 virtual_nodes=150"
expect_eq "shard_for answers with 8 shards once recorded" \
	"$(psql_q "SELECT count(*) FILTER (WHERE shard_for(id) <> shard_for(id, 8)) FROM items")" "0"
out=$(PGDATABASE=other psql_q "SELECT shard_for('vec-1')" 2>&1)
expect_match "the other database keeps its own record" "$out" "differs from the ring recorded in database \"other\""

# --- modulo with the same shards and virtual nodes routes alike: no re-record
cluster_stop "$C"
cluster_conf "$C" "dakera_shard.strategy = modulo"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
expect_eq "modulo routes as the recorded consistent_hash ring" \
	"$(psql_q "SELECT shard_for('vec-1') = shard_for('vec-1', 8, 'consistent_hash')")" "t"

# --- invalid settings stop the server from starting, naming the setting
cluster_stop "$C"
try_start() {  # try_start LINE: append LINE, start, report whether it started
	cluster_conf "$C" "$1"
	: >"$C/server.log"
	cluster_start "$C" 2>/dev/null
}
try_start "dakera_shard.num_shards = 0"
expect_eq "num_shards = 0: server does not start" "$?" "1"
expect_match "num_shards = 0: the log names the setting" "$(cat "$C/server.log")" \
	'FATAL: +0 is outside the valid range for parameter "dakera_shard.num_shards" \(1 .. 1000000\)'
try_start "dakera_shard.num_shards = 8"
expect_eq "a valid value starts again" "$?" "0"
cluster_stop "$C"
try_start "dakera_shard.strategy = 'rendezvous'"
expect_eq "unknown strategy: server does not start" "$?" "1"
expect_match "unknown strategy: the log lists the valid ones" "$(cat "$C/server.log")" \
	'FATAL: +invalid value for parameter "dakera_shard.strategy": "rendezvous"'
expect_match "unknown strategy: the hint lists the valid ones" "$(cat "$C/server.log")" \
	'HINT: +Available values: consistent_hash, range, modulo, jump.'
try_start "dakera_shard.strategy = consistent_hash"
cluster_stop "$C"
cluster_conf "$C" "dakera_shard.num_shards = 4097"
try_start "dakera_shard.virtual_nodes = 1024"
expect_eq "too many ring points: server does not start" "$?" "1"
expect_match "too many ring points: the log says why" "$(cat "$C/server.log")" \
	'consistent-hash ring of 4097 shards x 1024 virtual nodes is too large'
cluster_conf "$C" "dakera_shard.num_shards = 8" "dakera_shard.virtual_nodes = 150"
try_start "dakera_shard.num_shard = 16"
expect_eq "a mistyped setting does not stop the server" "$?" "0"
expect_match "a mistyped setting is warned about" "$(cat "$C/server.log")" \
	'WARNING: +invalid configuration parameter name "dakera_shard.num_shard", removing it'
cluster_stop "$C"
try_start "dakera_shard.nodes = 'a, a'"
expect_eq "a bad node list: server does not start" "$?" "1"
expect_match "a bad node list: the log says why" "$(cat "$C/server.log")" 'Node "a" is listed twice'

# --- not preloaded: an invalid value is refused at the first routing call
cluster_new L "dakera_shard.num_shards = 0"
cluster_start "$L" || { cat "$L/server.log"; exit 1; }
out=$(psql_q "CREATE EXTENSION dakera_shard" 2>&1)
expect_match "not preloaded: an invalid setting is refused at first use" "$out" \
	'0 is outside the valid range for parameter "dakera_shard.num_shards"'

echo "shape_change: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
