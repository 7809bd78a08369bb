#!/usr/bin/env bash
# prepare.sh: what every entry point needs first on a machine that may have
# nothing: the Debian packages (deps.sh), then the extension built and
# installed into the PostgreSQL that pg_config names, and pgvector there too
# when it is missing and its pinned source is at hand (test/pgvector.sh; the
# vector examples need it, dakera_shard does not: a failure is only reported).
# DAKERA_INSTALLED=1 skips it all (the TAP test of make demo runs after make
# test installed everything).
set -euo pipefail
[ "${DAKERA_INSTALLED:-}" = 1 ] && exit 0
cd "$(dirname "$0")/.."
bash test/deps.sh
make -s >/dev/null
make -s install >/dev/null
bash test/pgvector.sh || echo "prepare: pgvector is not available; the vector examples will use real[] or be skipped" >&2
