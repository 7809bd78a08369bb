# A recorded ring change at the same shard count (outside review 2, R2-2).
# A HASH (id shard_ops) table made under virtual_nodes = 100, 8 shards; the
# server restarted with virtual_nodes = 150 (still 8 shards) and the shape
# recorded.  Before: no write guard was placed (only the partition count was
# compared), an UPDATE by id for every key updated 726 of 1000 rows
# (silently), and reshard_hash_table answered "0 rows moved; 274 stale rows".
# Now: recording a shape that routes differently from the old record guards
# every HASH table that may hold rows (an empty one is left alone), and
# reshard_hash_table lays the same count out anew and moves the rows, ending
# with 0 stale rows and every row kept.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('same_count', preload(), 'dakera_shard.num_shards = 8', 'dakera_shard.virtual_nodes = 100');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE SCHEMA app AUTHORIZATION tenant;
	SET ROLE tenant;
	CREATE TABLE app.ht (id text PRIMARY KEY, v int NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.ht');
	INSERT INTO app.ht SELECT 'k' || g, g FROM generate_series(1, 1000) g;
	CREATE TABLE app.empty (id text, v int) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.empty');
});
my $sum = $node->safe_psql('postgres', q{SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.ht});

# recording the same shape again guards nothing
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT record_shard_ring()});
unlike($err, qr/NOTICE/, 'recording the same shape again: no NOTICE');

$node->append_conf('postgresql.conf', 'dakera_shard.virtual_nodes = 150');
$node->restart;
($rc, $out, $err) = $node->psql('postgres', q{SELECT record_shard_ring()});
is($rc, 0, 'the new shape (8 shards, 150 virtual nodes) is recorded') or diag $err;
like($err, qr/NOTICE:  table app\.ht may hold rows placed under another ring than strategy=consistent_hash num_shards=8 virtual_nodes=150: writes to it are refused until it is re-sharded/,
	'the HASH table at the same shard count is guarded, with a NOTICE') or diag $err;
unlike($err, qr/app\.empty/, 'an empty table is not');
my $stale = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.ht', 'id')});
cmp_ok($stale, '>', 0, "shard_verify counts $stale stale rows");

for my $write (q{UPDATE app.ht SET v = -v WHERE id = 'k1'}, q{DELETE FROM app.ht WHERE id = 'k1'},
	q{INSERT INTO app.ht VALUES ('k1', 1)})
{
	($rc, $out, $err) = $node->psql('postgres', "SET ROLE tenant; $write");
	isnt($rc, 0, "refused: $write");
	like($err, qr/table app\.ht may hold rows placed under another ring than the recorded shape.*HINT:  Re-shard it first: CALL reshard_hash_table\('app\.ht'\)/s,
		'with a hint to re-shard');
}
is($node->safe_psql('postgres', q{SET ROLE tenant; INSERT INTO app.empty VALUES ('k1', 1) RETURNING v}), '1',
	'the empty table takes writes');

($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.ht', batch_size => 300)});
is($rc, 0, 'reshard_hash_table runs at the same shard count') or diag $err;
like($err, qr/new partitions attached/, 'it lays the table out anew');
like($err, qr/done, 1000 rows moved in \d+ batches; 0 stale rows/, 'moves every row, and ends with 0 stale rows') or diag $err;
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'dakera_shard_reshard_guard'}), '0', 'the guard is gone');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'ht\_%pending%'}), '0', 'no pending table is left');
is($node->safe_psql('postgres', q{SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.ht}), $sum, 'every row kept');
is($node->safe_psql('postgres', q{SET ROLE tenant;
	DO $$DECLARE f int := 0; n int; BEGIN FOR g IN 1..1000 LOOP
	  UPDATE app.ht SET v = -v WHERE id = 'k' || g; GET DIAGNOSTICS n = ROW_COUNT; f := f + n; END LOOP;
	  RAISE NOTICE 'updated %', f; END$$;
	SELECT count(*) FROM app.ht WHERE v < 0}), '1000', 'an UPDATE by id, for every key, finds its row');

# a table that is right already: reshard_hash_table finds no stale row and changes nothing
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.ht')});
like($err, qr/done, 0 rows moved in 0 batches; 0 stale rows/, 'a second CALL has nothing to do');
unlike($err, qr/new partitions attached/, 'and keeps the partitions');

# the strategy changes at the same count: guarded again
$node->append_conf('postgresql.conf', q{dakera_shard.strategy = 'jump'});
$node->restart;
($rc, $out, $err) = $node->psql('postgres', q{SELECT record_shard_ring()});
like($err, qr/table app\.ht may hold rows placed under another ring than strategy=jump num_shards=8/, 'another strategy at the same count guards too') or diag $err;
like($err, qr/table app\.empty may hold rows/, '(and the table that has a row now)');
$node->safe_psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.ht')});
$node->safe_psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.empty')});
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.ht', 'id')}), '0', 'and the re-shard fixes it');
is($node->safe_psql('postgres', q{SELECT md5(string_agg(id || ':' || -v, ',' ORDER BY id)) FROM app.ht}), $sum, 'every row kept');
$node->stop;
done_testing();
