#!/usr/bin/env bash
# pg_build.sh MAJOR [citus]: print the pg_config of PostgreSQL MAJOR, building
# what is missing first:
#
#   15        Debian 12's package (test/deps.sh installs it), or PG_CONFIG
#             when that names a PostgreSQL 15
#   17, 18    the pinned upstream sources in ../shared/deps/, configured with
#             --enable-tap-tests and installed with contrib/postgres_fdw,
#             citext and the isolation tester under $DAKERA_PG_CACHE/pgMAJOR
#             (outside the clone, reused by the next run)
#   pgvector  0.8.6, into every version (Debian 12 has no package of it)
#   citus     only when asked ("citus" as second argument): 13.2.2 (patched
#             for 15.20) into 15, 14.0.1 into 17 and 18
#
# Builds that cannot lie (see test/build_lib.sh): every step's status is
# checked, a build started from inside make does not inherit make's
# variables, and each install carries a stamp, written last, that names the
# sum of the source it was built from and the recipe; an install without its
# stamp, or with another, is rebuilt, never trusted.  A lock keeps two runs
# from building into the same place at once.
#
# Build logs go to $DAKERA_PG_CACHE/*.log; the only line on stdout is the
# pg_config path.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/build_lib.sh

major=${1:?usage: pg_build.sh MAJOR [citus]}
want_citus=${2:-}

take_build_lock
case "$major" in
15)
	# PG_CONFIG when it names a PostgreSQL 15 (each developer's own copy),
	# else Debian's
	pg_config=/usr/lib/postgresql/15/bin/pg_config
	if [ -n "${PG_CONFIG:-}" ] && "$PG_CONFIG" --version 2>/dev/null | grep -q '^PostgreSQL 15\.'; then
		pg_config=$PG_CONFIG
	fi
	[ -x "$pg_config" ] || die "PostgreSQL 15 is not installed (run test/deps.sh)"
	;;
17 | 18)
	build_postgres "$major" "$cache/pg$major"
	pg_config=$cache/pg$major/bin/pg_config
	;;
*) die "PostgreSQL $major: only 15, 17 and 18 are tested here" ;;
esac
build_pgvector "$pg_config"
if [ "$want_citus" = citus ]; then
	build_citus "$pg_config" "$major"
fi
echo "$pg_config"
