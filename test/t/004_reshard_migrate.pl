# The documented migration from 4 to 8 shards, end to end.  Rows of a table
# with a generated shard column and of a table partitioned by shard are
# re-routed; count and a content checksum prove nothing was lost or
# duplicated; a cancelled run leaves no half-moved row and is finished by
# running it again; shard_verify finds no stale row at the end.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $rows = 30000;
my $node = new_node('reshard', preload());
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE vec (id text PRIMARY KEY, embedding real[] NOT NULL,
	                  shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO vec (id, embedding)
	SELECT 'vec-' || g, ARRAY[g, g * 0.5, g * 0.25]::real[] FROM generate_series(1, $rows) g;
	CREATE TABLE vec_parted (id text NOT NULL, embedding real[] NOT NULL) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('vec_parted');
	INSERT INTO vec_parted SELECT id, embedding FROM vec});

# count and content of a table, independent of where rows sit
sub checksum
{
	return sql("SELECT count(*) || ':' || md5(string_agg(id || '=' || embedding::text, ',' ORDER BY id)) FROM $_[0]");
}
my $sum_before = checksum('vec');
is(checksum('vec_parted'), $sum_before, 'both tables hold the same rows');

# 1. plan: how many rows will move, before changing anything
my $planned = sql(q{SELECT sum(rows) FILTER (WHERE from_shard <> to_shard) FROM reshard_plan('vec'::regclass, 'id', 8)});
my $fraction = sql(q{SELECT round(sum(fraction) FILTER (WHERE from_shard <> to_shard)::numeric, 4) FROM reshard_plan(8)});
note("plan: $planned of $rows rows move (hash-space fraction $fraction)");
cmp_ok($planned, '>', 0, 'the plan moves rows');

# 2. change the settings and restart; 3. record the new shape
$node->stop;
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->start;
my ($ret, $out, $err) = $node->psql('postgres', q{INSERT INTO vec (id, embedding) VALUES ('late', '{1}')});
like($err, qr/differs from the ring recorded/, 'before recording, writes are refused');
sql('SELECT record_shard_ring()');
is(sql(q{SELECT stale_rows FROM shard_verify('vec', 'id', 'shard_id')}), $planned,
	'stale rows found by shard_verify = rows the plan said would move');
is(sql(q{SELECT stale_rows FROM shard_verify('vec_parted', 'id')}), $planned,
	'the partitioned table has as many rows in the wrong partition');

# 4. new partitions, then re-route; the first run is cancelled part-way
is(sql(q{SELECT string_agg(c::text, ',') FROM create_shard_partitions('vec_parted') c}),
	'vec_parted_shard_4,vec_parted_shard_5,vec_parted_shard_6,vec_parted_shard_7',
	'create_shard_partitions adds shards 4..7');
my ($stdout, $stderr) = ('', '');
my $timeout = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
my $caller = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'),
	  '-c', q{CALL reshard_table('vec', 'id', 'shard_id', batch_size => 1000, pause_ms => 100)} ],
	'>', \$stdout, '2>', \$stderr, $timeout);
ok(pump_until($caller, $timeout, \$stderr, qr/batch 3,/), 'the run commits batches');
sql(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL reshard_table%'});
$caller->finish;
like($stderr, qr/canceling statement due to user request/, 'the run was cancelled');
my $left = sql(q{SELECT stale_rows FROM shard_verify('vec', 'id', 'shard_id')});
ok($left > 0 && $left < $planned, "after the cancel some rows moved and some wait ($left of $planned stale)");
is(checksum('vec'), $sum_before, 'no row lost or doubled by the cancel');
is(sql(q{SELECT count(*) FROM vec WHERE shard_id <> shard_for(id, 4) AND shard_id <> shard_for(id, 8)}),
	'0', 'every row\'s shard column is its shard under 4 or under 8 shards');

($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_table('vec', 'id', 'shard_id', batch_size => 5000)});
is($ret, 0, 'the rerun succeeds');
like($err, qr/NOTICE: +reshard_table public\.vec: batch 1, 5000 rows read/, 'the rerun reports progress per batch');
like($err, qr/done, $rows rows read, $left moved/, 'the rerun moves what was left');
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_table('vec_parted', 'id', batch_size => 5000)});
is($ret, 0, 'the partitioned table is re-routed');

# 5. verify: nothing stale, nothing lost, nothing doubled
is(sql(q{SELECT stale_rows FROM shard_verify('vec', 'id', 'shard_id')}), '0', 'shard_verify: no stale row in vec');
is(sql(q{SELECT stale_rows FROM shard_verify('vec_parted', 'id')}), '0', 'shard_verify: no row in a wrong partition');
is(checksum('vec'), $sum_before, 'vec: same count and checksum');
is(checksum('vec_parted'), $sum_before, 'vec_parted: same count and checksum');
is(sql(q{SELECT count(*) FROM vec_parted WHERE tableoid <> ('vec_parted_shard_' || shard_for(id, 8))::regclass}),
	'0', 'every partition holds only its shard');
is(sql(q{INSERT INTO vec (id, embedding) VALUES ('late', '{1}') RETURNING shard_id = shard_for('late', 8)}),
	't', 'writes work again');

$node->stop;
done_testing();
