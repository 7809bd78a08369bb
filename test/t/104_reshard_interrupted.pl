# reshard_table interrupted in the middle, then resumed (issue 19, "go past
# this list"): a table partitioned by LIST (shard_for(id)) whose run is ended
# by pg_terminate_backend, and a table with a generated shard_for column whose
# run is ended by an immediate shutdown (a crash, as far as the data is
# concerned).  Each batch is its own transaction, so after either: every row
# is there exactly once and unchanged, and a second CALL finishes the work
# (shard_verify 0 stale rows).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $rows = 4000;
my $node = new_node('reshard_interrupted', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE lt (id text NOT NULL, payload int NOT NULL) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('lt');
	INSERT INTO lt SELECT 'lt-' || g, g FROM generate_series(1, $rows) g;
	CREATE TABLE gt (id text PRIMARY KEY, payload int NOT NULL,
	                 sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO gt (id, payload) SELECT 'gt-' || g, g FROM generate_series(1, $rows) g;
});
sub checksum
{
	my ($table) = @_;
	return $node->safe_psql('postgres',
		qq{SELECT count(*) || ':' || count(DISTINCT id) || ':' || md5(string_agg(id || '=' || payload, ',' ORDER BY id)) FROM $table});
}
my %before = map { $_ => checksum($_) } qw(lt gt);

# 4 -> 8 shards
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', q{SELECT record_shard_ring(); SELECT count(*) FROM create_shard_partitions('lt')});
my %stale = map { $_->[0] => $node->safe_psql('postgres', "SELECT stale_rows FROM shard_verify($_->[1])") }
  ([ 'lt', q{'lt', 'id'} ], [ 'gt', q{'gt', 'id', 'sid'} ]);
ok($stale{lt} > 0 && $stale{gt} > 0, "after 4 -> 8 shards: $stale{lt} and $stale{gt} stale rows");

# start a slow run (small batches, a pause after each) and wait until it is
# part way: some rows moved, some still stale
sub start_run
{
	my ($call, $verify, $initial) = @_;
	my $session = $node->background_psql('postgres', on_error_stop => 0);
	$session->query_until(qr/started/, "\\echo started\n$call;\n");
	ok( $node->poll_query_until(
			'postgres', "SELECT stale_rows BETWEEN 1 AND $initial - 1 FROM shard_verify($verify)"),
		"$call is part way");
	return $session;
}

# --- LIST: pg_terminate_backend in the middle --------------------------------
my $run = start_run(q{CALL reshard_table('lt', 'id', batch_size => 100, pause_ms => 200)}, q{'lt', 'id'}, $stale{lt});
my $killed = $node->safe_psql('postgres',
	q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'CALL reshard_table(''lt''%'});
is($killed, '1', 'the run is terminated');
eval { $run->quit };
my $left = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('lt', 'id')});
ok($left > 0 && $left < $stale{lt}, "it stopped part way: $left of $stale{lt} rows still stale");
is(checksum('lt'), $before{lt}, 'LIST: after the kill every row is there once, unchanged');
$node->safe_psql('postgres', q{CALL reshard_table('lt', 'id', batch_size => 500)});
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('lt', 'id')}), '0', 'LIST: the resumed run finishes');
is(checksum('lt'), $before{lt}, 'LIST: and every row is there once, unchanged');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM lt WHERE tableoid <> ('lt_shard_' || shard_for(id))::regclass}),
	'0', 'LIST: each row in the partition of its shard');

# --- generated column: an immediate shutdown in the middle -------------------
$run = start_run(q{CALL reshard_table('gt', 'id', 'sid', batch_size => 100, pause_ms => 200)},
	q{'gt', 'id', 'sid'}, $stale{gt});
$node->stop('immediate');
eval { $run->quit };
$node->start;
$left = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('gt', 'id', 'sid')});
ok($left > 0 && $left < $stale{gt}, "after the crash and recovery: $left of $stale{gt} rows still stale");
is(checksum('gt'), $before{gt}, 'generated column: after the crash every row is there once, unchanged');
$node->safe_psql('postgres', q{CALL reshard_table('gt', 'id', 'sid', batch_size => 500)});
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('gt', 'id', 'sid')}), '0',
	'generated column: the resumed run finishes');
is(checksum('gt'), $before{gt}, 'generated column: and every row is there once, unchanged');
is($node->safe_psql('postgres', q{SELECT count(*) FROM gt WHERE sid <> shard_for(id, 8)}), '0',
	'generated column: every shard id is the 8-shard one');

$node->stop;
done_testing();
