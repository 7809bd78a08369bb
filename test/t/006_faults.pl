# Faults: a backend killed with SIGKILL in the middle of a large shard_batch,
# then the postmaster itself killed (kill9).  After the first, the postmaster
# restarts every process and rebuilds shared memory; after the second, the
# server starts again.  Each time the ring answers as before, registered
# placement is intact, and node health (runtime state, documented as such)
# starts over.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('faults', preload(), q{dakera_shard.nodes = 'n1, n2, n3'}, 'restart_after_crash = on');
$node->start;
my $vectors = vectors_dir();
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE shard_vectors (strategy text, num_shards int, virtual_nodes int, key_hex text, shard_id int);
	\\copy shard_vectors FROM '$vectors/shard_vectors.tsv' WITH (FORMAT text, HEADER true)
	CREATE TABLE ring_vectors AS
	SELECT convert_from(decode(key_hex, 'hex'), 'UTF8') AS key, shard_id
	FROM shard_vectors WHERE strategy IN ('consistent_hash', 'modulo') AND num_shards = 4 AND virtual_nodes = 150;
	SELECT register_shard_nodes(2, ARRAY['pinned-1', 'pinned-2']);
	SELECT set_node_health('n1', false)});
sub sql { return $node->safe_psql('postgres', $_[0]); }
my $answers = q{SELECT count(*) || '/' || count(*) FILTER (WHERE shard_for(key) = shard_id) FROM ring_vectors};
my $placement = q{SELECT string_agg(array_to_string(node_ids, '+'), ' ' ORDER BY shard_id) FROM partition_info()};
is(sql($answers), '240/240', 'answers before the fault');
my $placement_before = sql($placement);
is(sql('SELECT count(*) FROM node_health()'), '1', 'a health report before the fault');

# a large batch, killed part-way
my ($stdout, $stderr) = ('', '');
my $victim = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'),
	  '-c', q{SELECT count(*) FROM shard_batch(ARRAY(SELECT 'key-' || g FROM generate_series(1, 10000000) g))} ],
	'>', \$stdout, '2>', \$stderr);
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%shard_batch(ARRAY(SELECT%'
	AND pid <> pg_backend_pid() AND now() - query_start > interval '0.5 s'}),
	'the batch is running');
my $pid = sql(q{SELECT pid FROM pg_stat_activity WHERE query LIKE '%shard_batch(ARRAY(SELECT%' AND pid <> pg_backend_pid()});
my $offset = log_offset($node);
kill 'KILL', $pid;
$victim->finish;
ok($node->poll_query_until('postgres', 'SELECT true'), 'the server accepts connections again');

my $log = log_since($node, $offset);
like($log, qr/was terminated by signal 9/, 'the kill is logged');
like($log, qr/all server processes terminated; reinitializing/, 'the server reinitialized');
is(scalar(() = slurp_file($node->logfile) =~ /dakera_shard: ring strategy=/g), 2,
	'the ring was built again at the restart');
is(sql($answers), '240/240', 'answers after the fault');
is(sql($placement), $placement_before, 'registered placement is intact');
is(sql('SELECT count(*) FROM node_health()'), '0', 'health reports start over');
is(sql('SELECT shared_memory AND routes_alike FROM shard_ring()'), 't', 'the ring is in shared memory again');
is(sql(q{SELECT count(*) || '/' || sum(cardinality(ids)) FROM shard_batch(ARRAY(SELECT 'key-' || g FROM generate_series(1, 1000000) g))}),
	'4/1000000', 'a large batch completes after the restart');

# the postmaster killed: the server starts again, as it was
sql(q{SELECT set_node_health('n2', false)});
$node->kill9;
ok(start_after_crash($node), 'the server starts again after the postmaster was killed');
is(scalar(() = slurp_file($node->logfile) =~ /dakera_shard: ring strategy=/g), 3,
	'the ring was built again at the start');
is(sql($answers), '240/240', 'answers after the crash');
is(sql($placement), $placement_before, 'registered placement is intact after the crash');
is(sql('SELECT count(*) FROM node_health()'), '0', 'health reports start over after the crash');

$node->stop;
done_testing();
