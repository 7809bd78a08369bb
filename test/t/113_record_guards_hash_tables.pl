# Writes between record_shard_ring() and reshard_hash_table (the gap the
# HASH re-shard left, docs/resharding.md).  Once the new shape is recorded,
# shard_ops routes by it while a HASH table's rows still sit in the partitions
# of the old shard count: an UPDATE or DELETE by the key of a row in the
# "wrong" old partition affected 0 rows, and an INSERT of that key made a
# second row.  Now recording the shape puts the write guard on every such
# table (as its owner), with a NOTICE; writes are refused with a hint to run
# reshard_hash_table, reads go on, and the re-shard removes the guard.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('record_guard', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE ROLE dba LOGIN IN ROLE dakera_shard_admin;
	CREATE SCHEMA app AUTHORIZATION tenant;
	SET ROLE tenant;
	CREATE TABLE app.v (id text PRIMARY KEY, n int NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.v');
	INSERT INTO app.v SELECT 'k' || g, 0 FROM generate_series(1, 1000) g;
	CREATE TABLE app.w (id text PRIMARY KEY, n int NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.w');
	INSERT INTO app.w SELECT 'k' || g, 0 FROM generate_series(1, 1000) g;
	CREATE TABLE app.l (id text NOT NULL) PARTITION BY LIST (public.shard_for(id));
	SELECT count(*) FROM public.create_shard_partitions('app.l');
});
# a key whose shard under 8 is not its shard under 4 modulo 4: its row sits where lookups no longer look
my $key = $node->safe_psql('postgres',
	q{SELECT id FROM app.v WHERE shard_for(id, 8) % 4 <> shard_for(id, 4) ORDER BY id LIMIT 1});
ok($key ne '', "key $key moves to another partition");

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE dba; SELECT record_shard_ring()});
is($rc, 0, 'a dakera_shard_admin member records the new shape') or diag $err;
like($err, qr/NOTICE:  table app\.v is partitioned for another shard count than 8: writes to it are refused until it is re-sharded/,
	'a NOTICE names each HASH table laid out for the old count');
like($err, qr/HINT:  CALL reshard_hash_table\('app\.w'\) now\./, 'with the call to make');
unlike($err, qr/app\.l/, 'a LIST table is not named');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'dakera_shard_reshard_guard'}), '2',
	'the guard is on both HASH tables');
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM pg_trigger t
	JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = 'dakera_shard_reshard_guard'}), 'tenant', '(on tables of tenant)');

for my $write ("UPDATE app.v SET n = n + 1 WHERE id = '$key'", "DELETE FROM app.v WHERE id = '$key'",
	"INSERT INTO app.v VALUES ('$key', 1)", 'TRUNCATE app.v')
{
	($rc, $out, $err) = $node->psql('postgres', "SET ROLE tenant; $write");
	isnt($rc, 0, "refused: $write");
	like($err, qr/table app\.v is partitioned for another shard count than the recorded shape's 8 shards.*HINT:  Re-shard it first: CALL reshard_hash_table\('app\.v'\)/s,
		'with a hint to re-shard');
}
is($node->safe_psql('postgres', q{SET ROLE tenant; SELECT count(*), sum(n) FROM app.v}), '1000|0', 'reads go on; nothing changed');

# online: the guard goes at the swap; block_writes: at the end
$node->safe_psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.v', mode => 'online')});
$node->safe_psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.w')});
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'dakera_shard_reshard_guard'}), '0',
	'the re-shards removed the guards');
is($node->safe_psql('postgres', "SET ROLE tenant; UPDATE app.v SET n = n + 1 WHERE id = '$key' RETURNING n"), '1',
	'the UPDATE by that key now finds its row');
($rc, $out, $err) = $node->psql('postgres', "SET ROLE tenant; INSERT INTO app.w VALUES ('$key', 1)");
like($err, qr/duplicate key value/, 'and an INSERT of it meets the row');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.v}), '1000', 'every row kept');

# recording the same shape again guards nothing
($rc, $out, $err) = $node->psql('postgres', q{SELECT record_shard_ring()});
unlike($err, qr/partitioned for another shard count/, 'recording again with every table laid out: no NOTICE');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'dakera_shard_reshard_guard'}), '0', 'and no guard');
$node->stop;
done_testing();
