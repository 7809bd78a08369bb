# A dump taken in the middle of reshard_hash_table, restored into a new
# database, resumes there (review finding 17).  The holding table's marker
# used to embed the table's OID, which a restore changes: the resume was
# refused, and the hint said to drop the holding table, which held the
# pending rows.  Now the marker names the table, the holder is recognised by
# its place, owner and columns, and a table of that name that is not a
# holder is refused with a hint that keeps its rows.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('hash_dump_mid', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE SCHEMA app;
	CREATE TABLE app.v (id text PRIMARY KEY, x int NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM create_shard_partitions('app.v');
	INSERT INTO app.v SELECT 'k' || g, g FROM generate_series(1, 1000) g;
});
my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || x, ',' ORDER BY id)) FROM app.v};
my $before = $node->safe_psql('postgres', $checksum);

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', 'SELECT record_shard_ring()');
# the swap and one batch, as an interrupted run leaves them
my $step = q{SELECT step || ':' || moved FROM dakera_shard_internal.reshard_hash_step('app.v', 100, 'block_writes')};
is($node->safe_psql('postgres', $step), 'swap:0', 'the swap');
is($node->safe_psql('postgres', $step), 'move:100', 'and one batch of 100 rows');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.v_reshard_pending'), '900', '900 rows pending');

my $dump = PostgreSQL::Test::Utils::tempdir . '/mid.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump in the middle');
$node->safe_psql('postgres', 'CREATE DATABASE copy');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('copy'), $dump ], 'pg_restore into a new database');
is($node->safe_psql('copy', 'SELECT count(*) FROM app.v_reshard_pending'), '900', 'the copy has the 900 pending rows');
isnt($node->safe_psql('copy', q{SELECT 'app.v'::regclass::oid}), $node->safe_psql('postgres', q{SELECT 'app.v'::regclass::oid}),
	'(under another OID)');

my ($rc, $out, $err) = $node->psql('copy', q{CALL reshard_hash_table('app.v', 300)});
is($rc, 0, 'the re-shard resumes in the restored database') or diag $err;
like($err, qr/done, 900 rows moved in \d+ batches; 0 stale rows/, 'it moves the 900 pending rows');
is($node->safe_psql('copy', $checksum), $before, 'every row is back, unchanged');
is($node->safe_psql('copy', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'v\_pending\_%' OR relname = 'v_reshard_pending'}),
	'0', 'the pending tables are gone');
# the source database resumes too
$node->safe_psql('postgres', q{CALL reshard_hash_table('app.v')});
is($node->safe_psql('postgres', $checksum), $before, 'and so does the source');

# a table that has the holder's name but is not one: refused, and the hint keeps its rows
$node->safe_psql('postgres', q{
	CREATE TABLE app.w (id text PRIMARY KEY, x int NOT NULL) PARTITION BY HASH (id shard_ops);
	CREATE TABLE app.w_0 PARTITION OF app.w FOR VALUES WITH (MODULUS 1, REMAINDER 0);
	INSERT INTO app.w SELECT 'w' || g, g FROM generate_series(1, 50) g;
	CREATE TABLE app.w_reshard_pending (id text, x int);
	INSERT INTO app.w_reshard_pending SELECT 'other' || g, g FROM generate_series(1, 7) g;
});
($rc, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('app.w')});
isnt($rc, 0, 'a table of the holder\'s name that is not a holder is refused');
like($err, qr/table app\.w_reshard_pending exists and is not a re-shard of app\.w under way/, 'named with its schema');
unlike($err, qr/drop/i, 'the message never says to drop it');
like($err, qr/HINT: .*Rename that table to keep its rows/, 'the hint says how to keep its rows');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.w_reshard_pending'), '7', 'its rows are untouched');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.w'), '50', 'and the table is as it was');

$node->stop;
done_testing();
