# Parallel workers and many explicit rings (issue 19, "go past this list").
#  - With parallel plans forced (debug_parallel_query on 16 and later,
#    force_parallel_mode on 15) and parallel scans made cheap, shard_for in
#    parallel workers (the server's ring, attached from shared memory, and
#    explicit rings each worker builds) gives every key the shard the leader
#    gives it alone, and a HASH (id shard_ops) table prunes and counts alike.
#  - Many explicit ring shapes in one session: one statement that needs more
#    than RING_CACHE_BUDGET (256 MB) of rings is refused; across statements
#    the cache keeps at most RING_CACHE_KEEP (8) rings (ring_cache()); the
#    backend's peak memory stays bounded.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('parallel_rings', preload(), 'dakera_shard.num_shards = 16',
	'max_worker_processes = 8', 'max_parallel_workers = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE keys AS SELECT 'key-' || g AS id FROM generate_series(1, 20000) g;
	CREATE TABLE hashed (id text NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM create_shard_partitions('hashed');
	INSERT INTO hashed SELECT id FROM keys;
	ANALYZE keys, hashed;
});
my $force = $node->safe_psql('postgres', 'SHOW server_version_num') >= 160000
  ? 'debug_parallel_query' : 'force_parallel_mode';
my $parallel = "SET $force = on; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
  . "SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;";
my $serial = 'SET max_parallel_workers_per_gather = 0;';

my $routes = q{SELECT md5(string_agg(id || ':' || shard_for(id) || ':' || shard_for(id, 64, 'jump') || ':'
	|| shard_for(id, 100, 'consistent_hash', 150) || ':' || shard_for(id, 7, 'modulo', 20), ',' ORDER BY id)) FROM keys};
my $plan = $node->safe_psql('postgres',
	"$parallel EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM keys WHERE shard_for(id, 64, 'jump') >= 0");
like($plan, qr/Workers Launched: [1-9]/, 'the forced plan runs in parallel workers') or diag($plan);
is($node->safe_psql('postgres', "$parallel $routes"), $node->safe_psql('postgres', "$serial $routes"),
	'shard_for in parallel workers routes every key as the leader alone (server ring and three explicit rings)');
my $per_shard = q{SELECT string_agg(s || '=' || n, ',' ORDER BY s) FROM
	(SELECT shard_for(id) s, count(*) n FROM keys GROUP BY 1) x};
is($node->safe_psql('postgres', "$parallel $per_shard"), $node->safe_psql('postgres', "$serial $per_shard"),
	'a parallel aggregate per shard agrees');
my $hashed = q{SELECT count(*) || ':' || count(*) FILTER (WHERE tableoid = ('hashed_shard_' || shard_for(id))::regclass)
	FROM hashed};
is($node->safe_psql('postgres', "$parallel $hashed"), '20000:20000',
	'a parallel scan of a HASH (id shard_ops) table finds every row in its shard\'s partition');
is($node->safe_psql('postgres', "$parallel SELECT count(*) FROM hashed WHERE id = ANY(ARRAY['key-1', 'key-2', 'key-30000'])"),
	'2', 'and pruned lookups agree');

# many explicit shapes in one session: one statement may hold its rings only
# within the budget, and across statements the cache keeps at most 8 rings
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT sum(shard_for('k', g, 'consistent_hash', 64)) >= 0 FROM generate_series(1, 1000) g});
like($err, qr/a statement routes with more rings of explicit shapes than fit in 256 MB/,
	'one statement routing through 1000 ring shapes is refused at the 256 MB budget');
my $session = $node->background_psql('postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$session->query_safe(join('', map { "SELECT shard_for('k', $_, 'consistent_hash', 64);\n" } 1 .. 300));
is($session->query_safe(q{SELECT rings <= 8 AND bytes <= 256 * 1024 * 1024 FROM dakera_shard_internal.ring_cache()}),
	't', 'after 300 statements of one shape each, the session keeps at most 8 rings within 256 MB');
ok($session->query_safe('SELECT builds FROM dakera_shard_internal.ring_cache()') >= 300,
	'having built a ring per shape');
my ($hwm) = slurp_file("/proc/$pid/status") =~ /^VmHWM:\s+(\d+)\s+kB/m;
ok($hwm < 1024 * 1024, "its peak resident memory stays bounded: $hwm kB");
$session->quit;

$node->stop;
done_testing();
