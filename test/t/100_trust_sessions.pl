# Trust findings that need more than one session (issue 11):
#  - shard_overview with another session's temporary sharded table;
#  - a batch of reshard_table that meets a concurrent cross-partition UPDATE
#    (SQLSTATE 40001) is retried and the run finishes, nothing lost;
#  - without preloading, a plan that folded shard_for('key') in one session
#    is refused once another session records a new shape.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('trust_sessions');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dakera_shard'
dakera_shard.num_shards = 4
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION dakera_shard');

# --- another session's temporary table -------------------------------------
my $other = $node->background_psql('postgres');
$other->query_safe(q{
	CREATE TEMP TABLE mine (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO mine (id) SELECT 'tmp-' || g FROM generate_series(1, 30) g;
});
is($other->query_safe('SELECT sum(rows) FROM shard_overview'), '30',
	'its own session counts its temporary table');
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT coalesce(sum(rows), 0) FROM shard_overview');
is($rc, 0, "another session's temporary table does not break shard_overview") or diag($err);
is($out, '0', 'and is not counted there');
# issue 19, item 5: nor does sharded_tables list it, so that every table it
# lists can be passed to partition_info
is($node->safe_psql('postgres', q{SELECT count(*) FROM sharded_tables() WHERE rel::text LIKE '%mine'}), '0',
	"sharded_tables leaves out another session's temporary table");
is($other->query_safe(q{SELECT count(*) FROM sharded_tables() WHERE rel::text LIKE '%mine'}), '1',
	'and lists it in its own session');
($rc, $out, $err) = $node->psql('postgres',
	'SELECT count(*) FROM sharded_tables() t, LATERAL partition_info(t.rel, t.shard_column)');
is($rc, 0, 'partition_info takes every table sharded_tables lists') or diag($err);
$other->quit;

# --- a tenant's lock never makes shard_overview wait (issue 19, item 3) -----
$node->safe_psql('postgres', q{
	CREATE TABLE locked (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO locked (id) SELECT 'lk-' || g FROM generate_series(1, 25) g;
	CREATE TABLE open_t (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO open_t (id) SELECT 'op-' || g FROM generate_series(1, 5) g;
});
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE');
($rc, $out, $err) = $node->psql('postgres', q{SET lock_timeout = '20s'; SELECT sum(rows) FROM shard_overview});
is($rc, 0, 'shard_overview answers while another session holds a lock on one table') or diag($err);
is($out, '5', 'and counts the other tables');
like($err, qr/NOTICE:  table public\.locked is left out: another session holds a lock on it/,
	'the locked table is left out with a NOTICE');
$locker->query_safe('COMMIT');
$locker->quit;
is($node->safe_psql('postgres', 'SELECT sum(rows) FROM shard_overview'), '30', 'and counted again once the lock is gone');
$node->safe_psql('postgres', 'DROP TABLE locked, open_t');

# --- a concurrent cross-partition UPDATE during reshard_table ---------------
$node->safe_psql('postgres', q{
	CREATE TABLE moving (id text NOT NULL, payload int NOT NULL) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('moving');
	INSERT INTO moving SELECT 'mv-' || g, g FROM generate_series(1, 2000) g;
});
my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || payload, ',' ORDER BY id)) FROM moving};
my $before = $node->safe_psql('postgres', $checksum);
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', q{
	SELECT record_shard_ring();
	SELECT count(*) FROM create_shard_partitions('moving');
});
my $stale = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('moving', 'id')});
ok($stale > 0, "after 4 -> 8 shards, $stale rows are in an old partition");
# a stale row, moved to its partition by a writer that holds its transaction open
my $key = $node->safe_psql('postgres', q{SELECT sample_keys[1] FROM shard_verify('moving', 'id')});
my $writer = $node->background_psql('postgres');
$writer->query_safe("BEGIN; UPDATE moving SET id = id WHERE id = '$key'");
# the re-shard waits for that row, then finds it moved to another partition
my $mover = $node->background_psql('postgres', on_error_stop => 0);
$mover->query_until(qr/started/, q{
	\echo started
	SET client_min_messages = notice;
	CALL reshard_table('moving', 'id', batch_size => 100000);
	\echo finished
});
ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'CALL reshard_table%' AND wait_event_type = 'Lock'}),
	'reshard_table waits for the row the writer moved');
$writer->query_safe('COMMIT');
$writer->quit;
$mover->query_until(qr/finished/, '');
my $notices = $mover->{stderr};
$mover->quit;
like($notices, qr/met a concurrent update \(tuple to be locked was already moved to another partition[^)]*\), retry 1 of 10/,
	'the batch that met the concurrent update was retried, and the NOTICE says so');
like($notices, qr/done, 2000 rows read, \d+ moved in 1 batches \(1 retries\); 0 stale rows remain/,
	'the run finished and counts the retry');
unlike($notices, qr/ERROR/, 'no error reached the caller');
is($node->safe_psql('postgres', $checksum), $before, 'every row is there once, unchanged');
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('moving', 'id')}), '0', 'no stale row left');
$node->stop;

# --- without preloading: a folded plan, then a new shape recorded elsewhere --
my $local = PostgreSQL::Test::Cluster->new('trust_no_preload');
$local->init;
$local->append_conf('postgresql.conf', 'dakera_shard.num_shards = 4');
$local->start;
$local->safe_psql('postgres', 'CREATE EXTENSION dakera_shard');
my $app = $local->background_psql('postgres', on_error_stop => 0);
$app->query_safe(q{
	CREATE TABLE placed (id text, shard int);
	PREPARE place(text) AS INSERT INTO placed VALUES ($1, shard_for('doc-14'));
	CREATE FUNCTION place_plpgsql() RETURNS void LANGUAGE plpgsql AS $$
	BEGIN INSERT INTO placed VALUES ('plpgsql', shard_for('doc-14')); END $$;
});
$app->query_safe(q{EXECUTE place('a'); EXECUTE place('b'); SELECT place_plpgsql()});
$local->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$local->reload;
# a new session routes with 8 shards and records that shape
is($local->safe_psql('postgres', 'SELECT record_shard_ring()'),
	'strategy=consistent_hash num_shards=8 virtual_nodes=150', 'a new session records the new shape');
# the old session's folded plans must not keep inserting the old shard
my $res = $app->query(q{EXECUTE place('c')});
like($app->{stderr}, qr/the server's ring differs from the ring recorded/,
	'the prepared statement is refused, not served from its folded plan');
$app->{stderr} = '';
$app->query(q{SELECT place_plpgsql()});
like($app->{stderr}, qr/the server's ring differs from the ring recorded/, 'so is the PL/pgSQL plan');
$app->quit;
is($local->safe_psql('postgres', q{SELECT string_agg(id, ',' ORDER BY id) FROM placed}), 'a,b,plpgsql',
	'only the rows placed under the old record were inserted');
$local->stop;

done_testing();
