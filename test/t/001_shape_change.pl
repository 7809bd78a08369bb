# Restarts with another ring shape, and invalid settings.
#
# Stored shard ids hold only under the shape they were made with: after a
# restart with another shape shard_for(text) must refuse to answer (in every
# database that recorded the old shape) until the DBA records the new one, and
# a server with invalid dakera_shard settings must not start at all.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('shape', preload());
$node->start;
like(slurp_file($node->logfile),
	qr/dakera_shard: ring strategy=consistent_hash num_shards=4 virtual_nodes=150 built in [0-9.]+ ms, 9488 bytes of shared memory/,
	'server log reports the ring build');

$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql($_, 'CREATE EXTENSION dakera_shard') for qw(postgres other);
$node->safe_psql('postgres', q{
	CREATE TABLE items (id text PRIMARY KEY, shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO items (id) SELECT 'vec-' || g FROM generate_series(1, 1000) g});
my $items_sum = q{SELECT md5(string_agg(id || ':' || shard_id, ',' ORDER BY id)) FROM items};
my $before = $node->safe_psql('postgres', $items_sum);

# --- restart with 8 shards: refused, in both databases, naming both shapes
$node->stop;
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->start;
for my $db (qw(postgres other))
{
	my ($ret, $out, $err) = $node->psql($db, q{SELECT shard_for('vec-1')});
	like($err, qr/the server's ring differs from the ring recorded in database "$db"/,
		"[$db] shard_for refuses after a re-shape");
	like($err,
		qr/routes with strategy=consistent_hash num_shards=8 virtual_nodes=150; shard ids stored in this database were made with strategy=consistent_hash num_shards=4 virtual_nodes=150/,
		"[$db] the error names both shapes");
}
is($node->safe_psql('postgres', 'SELECT num_shards, recorded_num_shards, routes_alike FROM shard_ring()'),
	'8|4|f', 'shard_ring shows both shapes');
my ($ret, $out, $err) = $node->psql('postgres', q{INSERT INTO items (id) VALUES ('vec-new')});
like($err, qr/differs from the ring recorded/, 'a generated column refuses rows under the new shape');
is($node->safe_psql('postgres', $items_sum), $before, 'stored rows are untouched');
is($node->safe_psql('postgres', q{SELECT shard_for('vec-1', 4) = (SELECT shard_id FROM items WHERE id = 'vec-1')}),
	't', 'the explicit form still answers');

# --- the DBA records the new shape in one database; the other still refuses
is($node->safe_psql('postgres', 'SELECT record_shard_ring()'),
	'strategy=consistent_hash num_shards=8 virtual_nodes=150', 'record_shard_ring records the new shape');
is($node->safe_psql('postgres', 'SELECT count(*) FILTER (WHERE shard_for(id) <> shard_for(id, 8)) FROM items'),
	'0', 'shard_for answers with 8 shards once recorded');
($ret, $out, $err) = $node->psql('other', q{SELECT shard_for('vec-1')});
like($err, qr/differs from the ring recorded in database "other"/, 'the other database keeps its own record');

# --- modulo with the same shards and virtual nodes routes alike: no re-record
$node->stop;
$node->append_conf('postgresql.conf', 'dakera_shard.strategy = modulo');
$node->start;
is($node->safe_psql('postgres', q{SELECT shard_for('vec-1') = shard_for('vec-1', 8, 'consistent_hash')}),
	't', 'modulo routes as the recorded consistent_hash ring');

# --- invalid settings stop the server from starting, naming the setting
$node->stop;
my $offset;
# try_start(LINE...): append the lines, start; whether it started
sub try_start
{
	$node->append_conf('postgresql.conf', join("\n", @_) . "\n");
	$offset = log_offset($node);
	return $node->start(fail_ok => 1);
}

is(try_start('dakera_shard.num_shards = 0'), 0, 'num_shards = 0: server does not start');
like(log_since($node, $offset),
	qr/FATAL: +0 is outside the valid range for parameter "dakera_shard.num_shards" \(1 .. 1000000\)/,
	'num_shards = 0: the log names the setting');
is(try_start('dakera_shard.num_shards = 8'), 1, 'a valid value starts again');
$node->stop;
is(try_start(q{dakera_shard.strategy = 'rendezvous'}), 0, 'unknown strategy: server does not start');
my $log = log_since($node, $offset);
like($log, qr/FATAL: +invalid value for parameter "dakera_shard.strategy": "rendezvous"/,
	'unknown strategy: the log names the value');
like($log, qr/HINT: +Available values: consistent_hash, range, modulo, jump\./,
	'unknown strategy: the hint lists the valid ones');
is(try_start('dakera_shard.strategy = consistent_hash'), 1, 'consistent_hash starts again');
$node->stop;
is(try_start('dakera_shard.num_shards = 4097', 'dakera_shard.virtual_nodes = 1024'),
	0, 'too many ring points: server does not start');
like(log_since($node, $offset), qr/consistent-hash ring of 4097 shards x 1024 virtual nodes is too large/,
	'too many ring points: the log says why');
is(try_start('dakera_shard.num_shards = 8', 'dakera_shard.virtual_nodes = 150', 'dakera_shard.num_shard = 16'),
	1, 'a mistyped setting does not stop the server');
like(log_since($node, $offset),
	qr/WARNING: +invalid configuration parameter name "dakera_shard.num_shard", removing it/,
	'a mistyped setting is warned about');
$node->stop;
is(try_start(q{dakera_shard.nodes = 'a, a'}), 0, 'a bad node list: server does not start');
like(log_since($node, $offset), qr/Node "a" is listed twice/, 'a bad node list: the log says why');

# --- not preloaded: an invalid value is refused at the first routing call
my $local = new_node('local', 'dakera_shard.num_shards = 0');
$local->start;
($ret, $out, $err) = $local->psql('postgres', 'CREATE EXTENSION dakera_shard');
like($err, qr/0 is outside the valid range for parameter "dakera_shard.num_shards"/,
	'not preloaded: an invalid setting is refused at first use');
$local->stop;

done_testing();
