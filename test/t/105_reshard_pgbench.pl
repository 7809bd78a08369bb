# pgbench writers during reshard_table (issue 19, "go past this list"): two
# pgbench clients insert, update and delete rows of a table partitioned by
# LIST (shard_for(id)) while reshard_table moves its stale rows after 4 -> 8
# shards.  Every write records what it did in a ledger, from its own RETURNING
# and in its own statement, so a write that fails (a serialization failure
# against a moved row, retried by pgbench) leaves no ledger row either.  At
# the end the table is exactly the first rows with the ledger applied: no row
# lost, none duplicated, no write lost; and every row is in its shard.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $rows = 3000;
my $node = new_node('reshard_pgbench', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE t (id text NOT NULL, payload int NOT NULL) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('t');
	INSERT INTO t SELECT 'k-' || g, g FROM generate_series(1, $rows) g;
	CREATE TABLE first_rows AS SELECT * FROM t;
	CREATE TABLE ledger (seq bigserial PRIMARY KEY, op text NOT NULL, id text NOT NULL, payload int);
	CREATE SEQUENCE new_keys;
});
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', q{SELECT record_shard_ring(); SELECT count(*) FROM create_shard_partitions('t')});
my $stale = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('t', 'id')});
ok($stale > 0, "after 4 -> 8 shards, $stale rows are stale");

my $script = $node->basedir . '/writers.sql';
open(my $fh, '>', $script) or die "cannot write $script: $!";
print $fh qq{\\set r random(1, $rows)
\\set op random(1, 3)
WITH w AS (INSERT INTO t SELECT 'new-' || nextval('new_keys'), :r WHERE :op = 1 RETURNING id, payload)
INSERT INTO ledger (op, id, payload) SELECT 'ins', id, payload FROM w;
WITH w AS (UPDATE t SET payload = payload + 1 WHERE id = 'k-' || :r AND :op = 2 RETURNING id, payload)
INSERT INTO ledger (op, id, payload) SELECT 'upd', id, payload FROM w;
WITH w AS (DELETE FROM t WHERE id = 'k-' || (:r + 7) AND :op = 3 RETURNING id)
INSERT INTO ledger (op, id) SELECT 'del', id FROM w;
};
close $fh;

# pgbench in the background (each transaction is the three statements,
# retried on serialization failures), the re-shard in the foreground
my ($bench_out, $bench_err) = ('', '');
my $bench = IPC::Run::start(
	[
		'pgbench', '-n', '-c', '2', '-t', '1500', '--max-tries=50', '-f', $script,
		'-d', $node->connstr('postgres')
	],
	'>', \$bench_out, '2>', \$bench_err);
ok($node->poll_query_until('postgres', 'SELECT count(*) > 10 FROM ledger'), 'the writers are writing');
my ($rc, $out, $err) = $node->psql('postgres',
	q{SET client_min_messages = notice; CALL reshard_table('t', 'id', batch_size => 100, pause_ms => 20)});
is($rc, 0, 'reshard_table ran to its end among the writers') or diag($err);
my $during = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger');
$bench->finish;
note("ledger rows when the re-shard ended: $during; pgbench: " . join(' ', grep { /failed|processed/ } split /\n/, $bench_out));
like($bench_out, qr/number of transactions actually processed: 3000/, 'every pgbench transaction was processed')
  or diag($bench_out, $bench_err);
unlike($bench_err, qr/aborted|ERROR(?!.*could not serialize|.*already moved)/, 'no pgbench client aborted') or diag($bench_err);

# the writers may have made rows stale again (inserted while a batch ran):
# a second run finishes, as the README says
$node->safe_psql('postgres', q{CALL reshard_table('t', 'id')});
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('t', 'id')}), '0', 'no stale row left');
my $expected = $node->safe_psql('postgres', q{
	WITH last AS (SELECT DISTINCT ON (id) id, op, payload FROM ledger ORDER BY id, seq DESC),
	     expected AS (SELECT f.id, f.payload FROM first_rows f WHERE NOT EXISTS (SELECT FROM last l WHERE l.id = f.id)
	                  UNION ALL SELECT id, payload FROM last WHERE op <> 'del')
	SELECT count(*) || ':' || md5(string_agg(id || '=' || payload, ',' ORDER BY id)) FROM expected});
my $actual = $node->safe_psql('postgres',
	q{SELECT count(*) || ':' || md5(string_agg(id || '=' || payload, ',' ORDER BY id)) FROM t});
is($actual, $expected, 'the table is its first rows with the ledger applied: nothing lost, nothing extra');
is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT id) FROM t'), '0', 'no row is duplicated');
is($node->safe_psql('postgres', q{SELECT count(*) FROM t WHERE tableoid <> ('t_shard_' || shard_for(id))::regclass}),
	'0', 'each row is in the partition of its shard');

$node->stop;
done_testing();
