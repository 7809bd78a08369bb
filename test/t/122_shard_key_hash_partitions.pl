# PARTITION BY HASH (id) of a shard_key (or shard_uuid) column, with its
# default hash class (outside review 2, R2-5).  That class's extended hash
# with the partition seed is shard_ops' (shard_key_type.c), so the table
# routes by the server's ring exactly as PARTITION BY HASH (id shard_ops)
# and goes stale with it; docs/scaling-out.md recommends it without Citus.
# It was invisible to sharded_tables(), shard_key_info, partition_info,
# shard_verify, the write guard and reshard_hash_table: after 8 -> 12 and
# record_shard_ring() a DELETE by key missed 319 of 1000 rows, silently.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('shard_key_hash', preload(), 'dakera_shard.num_shards = 8');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE SCHEMA app AUTHORIZATION tenant;
	SET ROLE tenant;
	CREATE TABLE app.hk (id public.shard_key, v int) PARTITION BY HASH (id);
	CREATE TABLE app.hu (id public.shard_uuid, v int) PARTITION BY HASH (id);
	SELECT format('CREATE TABLE app.hk_%s PARTITION OF app.hk FOR VALUES WITH (MODULUS 8, REMAINDER %s)', g, g)
	FROM generate_series(0, 7) g \gexec
	SELECT count(*) FROM public.create_shard_partitions('app.hu');
	INSERT INTO app.hk SELECT 'k' || g, g FROM generate_series(1, 1000) g;
	INSERT INTO app.hu SELECT md5('u' || g)::uuid, g FROM generate_series(1, 1000) g;
});
is($node->safe_psql('postgres', q{SELECT string_agg(rel::text, ',' ORDER BY rel::text) FROM sharded_tables()}),
	'app.hk,app.hu', 'sharded_tables() lists both');
is($node->safe_psql('postgres', q{SELECT key_column FROM shard_key_info('app.hk')}), 'id', 'shard_key_info names the key');
is($node->safe_psql('postgres', q{SELECT sum(vector_count) FROM partition_info('app.hk')}), '1000', 'partition_info counts every row');
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.hk', 'id')}), '0', 'shard_verify: none stale');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.hk WHERE shard_for(id) <> substr(tableoid::regclass::text, 8)::int}),
	'0', 'partition s holds shard s');
my $sum = $node->safe_psql('postgres', q{SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.hk});

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 12');
$node->restart;
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT record_shard_ring()});
is($rc, 0, 'the new shape is recorded') or diag $err;
like($err, qr/NOTICE:  table app\.hk is partitioned for another shard count than 12/, 'the shard_key table is guarded');
like($err, qr/NOTICE:  table app\.hu is partitioned for another shard count than 12/, 'and the shard_uuid one');
cmp_ok($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.hk', 'id')}), '>', 0,
	'shard_verify counts the stale rows');
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; DELETE FROM app.hk WHERE id = 'k1'::public.shard_key});
isnt($rc, 0, 'a DELETE by key is refused, not silently missed');
like($err, qr/is partitioned for another shard count than the recorded shape's 12 shards/, 'by the guard');

for my $t ('app.hk', 'app.hu')
{
	($rc, $out, $err) = $node->psql('postgres', "SET ROLE tenant; CALL public.reshard_hash_table('$t')");
	is($rc, 0, "reshard_hash_table('$t') runs") or diag $err;
	like($err, qr/; 0 stale rows/, 'and ends with 0 stale rows');
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_inherits WHERE inhparent = '$t'::regclass"), '12', '12 partitions');
}
is($node->safe_psql('postgres', q{SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.hk}), $sum, 'every row kept');
is($node->safe_psql('postgres', q{SET ROLE tenant;
	DO $$DECLARE f int := 0; n int; BEGIN FOR g IN 1..1000 LOOP
	  DELETE FROM app.hk WHERE id = ('k' || g)::public.shard_key; GET DIAGNOSTICS n = ROW_COUNT; f := f + n; END LOOP;
	  RAISE NOTICE 'deleted %', f; END$$;
	SELECT count(*) FROM app.hk}), '0', 'a DELETE by key, for every key, finds its row');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.hu}), '1000', 'the shard_uuid table keeps its rows');
$node->stop;
done_testing();
