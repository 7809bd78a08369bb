#!/usr/bin/env bash
# pgvector.sh [PG_CONFIG]: install pgvector 0.8.0 into the PostgreSQL that
# pg_config names, when that server does not have it yet, from the pinned
# upstream source in ../shared/deps/ (checked against SHA256SUMS).
#
# Optional by design: dakera_shard itself never needs pgvector.  Where the
# server has no pgvector and ../shared/deps has no source either, this exits 0
# quietly; the demo then says so and runs with real[], the vector tests skip.  A source that does not match its sum, or a failed build, exits 1.
# Debian 13 and PostgreSQL's own apt repository (apt.postgresql.org) package
# it as postgresql-NN-pgvector: where those exist, install that instead.
#
# OPTFLAGS="" keeps the build portable (no -march=native).  Build logs go to
# $DAKERA_PG_CACHE/pgvector.log.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_config=${1:-${PG_CONFIG:-$(ls /usr/lib/postgresql/15/bin/pg_config 2>/dev/null || command -v pg_config)}}
deps=../shared/deps
tarball=pgvector_0.8.0.orig.tar.gz
cache=${DAKERA_PG_CACHE:-/var/cache/dakera_shard}

[ -f "$("$pg_config" --sharedir)/extension/vector.control" ] && exit 0
[ -f "$deps/$tarball" ] || exit 0
if ! (cd "$deps" && grep " $tarball\$" SHA256SUMS | sha256sum --check --status); then
	echo "pgvector: $deps/$tarball does not match $deps/SHA256SUMS" >&2
	exit 1
fi
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$deps/$tarball" -C "$work"
echo "pgvector: building 0.8.0 into $("$pg_config" --version) (log: $cache/pgvector.log)" >&2
if ! (cd "$work"/pgvector-* && make PG_CONFIG="$pg_config" OPTFLAGS="" && make PG_CONFIG="$pg_config" install) \
	>>"$cache/pgvector.log" 2>&1; then
	echo "pgvector: the build against $pg_config failed (see $cache/pgvector.log)" >&2
	exit 1
fi
