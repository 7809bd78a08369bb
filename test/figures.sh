#!/usr/bin/env bash
# figures.sh: the re-sharding table, printed by reshard_plan_between on a
# throwaway cluster (make figures): the share of keys that move from N to N+1
# and from N to 2N shards, beside the optimum.  Also written into
# docs/figures.md (section reshard; test/figures_lib.sh, FIGURES_FILE= to only
# print), which docs/resharding.md links to.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/prepare.sh
source test/cluster.sh
source test/figures_lib.sh
cluster_new C
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
psql_q "CREATE EXTENSION dakera_shard" >/dev/null
figures_capture reshard "Re-sharding: the share of keys that move" "make figures (test/figures.sh)" markdown
"$PG_BIN/psql" -X -q -A -t -F ' | ' <<'SQL'
\pset footer off
SELECT '| N | consistent_hash N→N+1 | range N→N+1 | jump N→N+1 | optimum 1/(N+1) | consistent_hash N→2N | range N→2N | jump N→2N | optimum N/(2N) |';
SELECT '|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
WITH n(n) AS (VALUES (4), (16), (64), (1024)),
moved AS (
    SELECT n, s, target,
           (SELECT sum(fraction) FROM reshard_plan_between(n, s, 150, CASE target WHEN 'plus1' THEN n + 1 ELSE 2 * n END, s, 150)
            WHERE from_shard <> to_shard) AS m
    FROM n, unnest(ARRAY['consistent_hash', 'range', 'jump']) s, unnest(ARRAY['plus1', 'double']) target)
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |', n,
    (SELECT to_char(m, 'FM0.0000') FROM moved WHERE moved.n = n.n AND s = 'consistent_hash' AND target = 'plus1'),
    (SELECT to_char(m, 'FM0.0000') FROM moved WHERE moved.n = n.n AND s = 'range' AND target = 'plus1'),
    (SELECT to_char(m, 'FM0.0000') FROM moved WHERE moved.n = n.n AND s = 'jump' AND target = 'plus1'),
    to_char(1.0 / (n + 1), 'FM0.0000'),
    (SELECT to_char(m, 'FM0.0000') FROM moved WHERE moved.n = n.n AND s = 'consistent_hash' AND target = 'double'),
    (SELECT to_char(m, 'FM0.0000') FROM moved WHERE moved.n = n.n AND s = 'range' AND target = 'double'),
    (SELECT to_char(m, 'FM0.0000') FROM moved WHERE moved.n = n.n AND s = 'jump' AND target = 'double'),
    to_char(0.5, 'FM0.0000'))
FROM n ORDER BY n;
SQL

figures_write
