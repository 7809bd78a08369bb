#!/usr/bin/env bash
# prepare.sh: what every entry point needs first on a machine that may have
# nothing: the Debian packages (deps.sh), then the extension built and
# installed into the PostgreSQL that pg_config names.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/deps.sh
make -s >/dev/null
make -s install >/dev/null
