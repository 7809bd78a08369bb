#!/usr/bin/env bash
# cluster.sh: a throwaway PostgreSQL cluster for make demo, make bench and
# make figures (the tests use PostgreSQL::Test::Cluster instead, test/t/).
#
# Each cluster lives in its own temporary directory and listens only on a
# Unix socket there; it is stopped and removed when the calling script exits.
# As root, the server runs as the postgres user (initdb refuses root).
# PG_CONFIG names the PostgreSQL (Debian's 15 by default).

PG_CONFIG=${PG_CONFIG:-$(ls /usr/lib/postgresql/15/bin/pg_config 2>/dev/null || command -v pg_config)}
PG_BIN=$("$PG_CONFIG" --bindir)
export PGUSER=postgres PGDATABASE=postgres
CLUSTERS=()

as_server_user() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_new VAR [postgresql.conf lines...]: init a cluster; VAR gets its dir.
cluster_new() {
	local var=$1; shift
	local _dir
	_dir=$(mktemp -d /tmp/dakera_shard.XXXXXX)
	[ "$(id -u)" -eq 0 ] && chown postgres: "$_dir"
	as_server_user "$PG_BIN/initdb" -D "$_dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
		>"$_dir/initdb.log" 2>&1 || { cat "$_dir/initdb.log" >&2; return 1; }
	# the socket is in the cluster's own directory: any port will do
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$_dir'"
		echo "port = $(( 20000 + RANDOM % 30000 ))"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
	} | as_server_user tee -a "$_dir/data/postgresql.conf" >/dev/null
	CLUSTERS+=("$_dir")
	printf -v "$var" '%s' "$_dir"
}

# cluster_conf DIR LINE...: append settings (take effect at the next start or reload).
cluster_conf() {
	local dir=$1; shift
	printf '%s\n' "$@" | as_server_user tee -a "$dir/data/postgresql.conf" >/dev/null
}

# cluster_start DIR: start and point PGHOST/PGPORT at it; returns pg_ctl's status.
cluster_start() {
	local dir=$1
	export PGHOST=$dir
	PGPORT=$(sed -n 's/^port = //p' "$dir/data/postgresql.conf" | tail -n 1)
	export PGPORT
	as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

cluster_stop() {
	as_server_user "$PG_BIN/pg_ctl" -D "$1/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
}

cluster_cleanup() {
	local dir
	for dir in "${CLUSTERS[@]}"; do
		cluster_stop "$dir"
		rm -rf "$dir"
	done
}
# keep the script's own exit status: the cleanup must not turn a failure into success
trap 'rc=$?; cluster_cleanup; exit $rc' EXIT

# psql_q SQL: run SQL, print bare results, stop on the first error.
psql_q() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}
