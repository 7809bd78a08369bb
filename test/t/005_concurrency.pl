# pgbench, 8 clients for CONCURRENCY_SECONDS (default 30), calling shard_for,
# shard_batch, partition_info and shard_assignment (test/concurrency/*.sql)
# while this script changes placement every 100 ms: registrations, node
# health, and the nodes setting with pg_reload_conf().  Every answer is
# checked inside the query (a wrong one divides by zero), so any error fails
# the run; the server log must show no crash.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use DakeraShardTest;

my $seconds = $ENV{CONCURRENCY_SECONDS} || 30;
my $node = new_node('concurrency', preload(), q{dakera_shard.nodes = 'a1, a2, a3'}, 'max_connections = 40');
$node->start;
my $vectors = vectors_dir();
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	GRANT dakera_shard_admin TO CURRENT_USER;
	CREATE TABLE shard_vectors (strategy text, num_shards int, virtual_nodes int, key_hex text, shard_id int);
	\\copy shard_vectors FROM '$vectors/shard_vectors.tsv' WITH (FORMAT text, HEADER true)
	-- the rows made with the server's ring: consistent_hash (and modulo) 4 x 150
	CREATE TABLE ring_vectors AS
	SELECT row_number() OVER (ORDER BY strategy, key_hex) AS n,
	       convert_from(decode(key_hex, 'hex'), 'UTF8') AS key, shard_id
	FROM shard_vectors WHERE strategy IN ('consistent_hash', 'modulo') AND num_shards = 4 AND virtual_nodes = 150});
is($node->safe_psql('postgres', 'SELECT count(*) FROM ring_vectors'), '240', "240 vector rows for the server's ring");

my ($out, $err) = ('', '');
my $bench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '8', '-j', '2', '-T', $seconds,
	  map({ ('-f', "test/concurrency/$_.sql") } qw(route batch partition_info assignment)),
	  '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$out, '2>', \$err);

# the changer: every 100 ms one change of placement, health or the nodes
# setting, from one session of its own, each statement its own transaction
# (ALTER SYSTEM needs that)
my @changes = (
	[ q{SELECT register_shard_nodes(1, ARRAY['r1', 'r2'])} ],
	[ q{SELECT set_node_health('a1', false)}, q{SELECT set_node_health('b2', false)} ],
	[ q{ALTER SYSTEM SET dakera_shard.nodes = 'b1, b2'}, 'SELECT pg_reload_conf()' ],
	[ 'SELECT unregister_shard_nodes(1)' ],
	[ q{SELECT set_node_health('a1', true)}, q{SELECT reset_node_health('b2')} ],
	[ q{ALTER SYSTEM SET dakera_shard.nodes = 'a1, a2, a3'}, 'SELECT pg_reload_conf()' ]);
my $changer = $node->background_psql('postgres', on_error_stop => 0);
my ($made, @failed) = (0);
my $start = time();
while (time() < $start + $seconds)
{
	for my $statement (@{ $changes[ $made % @changes ] })
	{
		my ($result, $error) = $changer->query($statement);
		if ($error)
		{
			push @failed, "$statement: $changer->{stderr}";
			$changer->{stderr} = '';
		}
	}
	$made++;
	# changes on a 100 ms schedule
	my $wait = $start + $made * 0.1 - time();
	usleep(int($wait * 1_000_000)) if $wait > 0;
}
$changer->quit;
$bench->finish;
my $status = $?;
my ($transactions) = $out =~ /^number of transactions actually processed: (\d+)/m;
my ($failed) = $out =~ /^number of failed transactions: (\d+)/m;
my @summary = grep { !/^ *- |^SQL script/ } split /\n/, $out;
note(join("\n", "pgbench:", @summary, $err));
note("changes made while it ran: $made; transactions: " . ($transactions // 'none'));

is($status, 0, 'pgbench exits 0 (no client aborted on an error)');
is($failed // 0, 0, 'no failed transaction');
cmp_ok($transactions // 0, '>', 1000, 'more than 1000 transactions ran');
cmp_ok($made, '>', $seconds * 3, 'placement changes ran every 100 ms or so');
is(join("\n", @failed), '', 'every change went through');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated|PANIC|TRAP/,
	'no crash in the server log');

$node->stop;
done_testing();
