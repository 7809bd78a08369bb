#!/usr/bin/env bash
# pgvector.sh [PG_CONFIG]: install pgvector 0.8.6 into the PostgreSQL that
# pg_config names, when that server does not have this build of it yet, from
# the pinned upstream source in ../shared/deps/ (checked against SHA256SUMS),
# the same way test/pg_build.sh does (test/build_lib.sh).
#
# Optional by design: dakera_shard itself never needs pgvector.  Where the
# server has no pgvector and ../shared/deps has no source either, this exits 0
# quietly; the demo then says so and runs with real[].  A source that does not
# match its sum, or a failed build, exits 1.  Debian 13 and PostgreSQL's own
# apt repository package it as postgresql-NN-pgvector: where those exist,
# install that instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/build_lib.sh
pg_config=${1:-${PG_CONFIG:-$(ls /usr/lib/postgresql/15/bin/pg_config 2>/dev/null || command -v pg_config)}}
[ -f "$deps/$PGVECTOR_TARBALL" ] || exit 0
take_build_lock
build_pgvector "$pg_config"
