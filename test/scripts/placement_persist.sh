#!/usr/bin/env bash
# placement_persist.sh: registered placement survives a restart and a
# pg_dump / pg_restore into a fresh cluster; node health, runtime state in
# shared memory, does not survive a restart (as documented).
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

preload="shared_preload_libraries = 'dakera_shard'"
cluster_new A "$preload" "dakera_shard.nodes = 'n1, n2, n3'"
cluster_start "$A" || { cat "$A/server.log"; exit 1; }
psql_q "CREATE DATABASE app" >/dev/null
export PGDATABASE=app
psql_q "CREATE EXTENSION dakera_shard" >/dev/null
psql_q "SELECT register_shard_nodes(1, ARRAY['edge-a', 'edge-b']);
        SELECT register_shard_nodes(3, ARRAY['edge-c']);
        SELECT set_node_health('n1', false)" >/dev/null
psql_q "CREATE TABLE items (id text PRIMARY KEY, shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
        INSERT INTO items (id) SELECT 'vec-' || g FROM generate_series(1, 300) g" >/dev/null
map() { psql_q "SELECT string_agg(shard_id || '=' || array_to_string(node_ids, '+'), ' ' ORDER BY shard_id) FROM partition_info()"; }
before=$(map)
expect_eq "registrations shape the map" "$before" "0=n1+n2 1=edge-a+edge-b 2=n3+n1 3=edge-c"
expect_eq "health is reported" "$(psql_q "SELECT node || ':' || healthy FROM node_health()")" "n1:false"

cluster_stop "$A"
cluster_start "$A" || { cat "$A/server.log"; exit 1; }
expect_eq "registrations survive a restart" "$(map)" "$before"
expect_eq "health reports do not survive a restart" "$(psql_q "SELECT count(*) FROM node_health()")" "0"

# dump, and restore into a fresh cluster
"$PG_BIN/pg_dump" -Fc -f "$A/app.dump" app || fail "pg_dump"
cluster_new B "$preload" "dakera_shard.nodes = 'n1, n2, n3'"
cluster_start "$B" || { cat "$B/server.log"; exit 1; }
PGDATABASE=postgres psql_q "CREATE DATABASE app" >/dev/null
"$PG_BIN/pg_restore" --exit-on-error -d app "$A/app.dump" 2>"$B/restore.log"
expect_eq "pg_restore succeeds" "$?" "0"
expect_eq "registrations are restored" "$(map)" "$before"
expect_eq "registration rows are not doubled" "$(psql_q "SELECT count(*) FROM shard_placement")" "2"
expect_eq "rows and their shard ids are restored" \
	"$(psql_q "SELECT count(*) || '/' || count(*) FILTER (WHERE shard_id = shard_for(id, 4)) FROM items")" "300/300"
expect_eq "the restored database records the ring of its new server" \
	"$(psql_q "SELECT routes_alike FROM shard_ring()")" "t"

echo "placement_persist: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
