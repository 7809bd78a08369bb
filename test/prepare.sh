#!/usr/bin/env bash
# prepare.sh: what every entry point needs first on a machine that may have
# nothing: the Debian packages (deps.sh), then the extension built and
# installed into the PostgreSQL that PG_CONFIG names.  DAKERA_INSTALLED=1
# skips it all (the TAP test of make demo runs after make test installed it).
set -euo pipefail
[ "${DAKERA_INSTALLED:-}" = 1 ] && exit 0
cd "$(dirname "$0")/.."
bash test/deps.sh
make -s >/dev/null
make -s install >/dev/null
