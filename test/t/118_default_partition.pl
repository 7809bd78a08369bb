# Rows in a DEFAULT partition (review finding 7, the docs and the code now
# agree): the DEFAULT partition is the place of a shard no partition takes, so
# its rows of such shards are not stale; a row of a shard that a partition
# takes is stale there (after the shape changed, say).  And the way out the
# docs give when create_shard_partitions meets "updated partition constraint
# for default partition would be violated": detach the DEFAULT partition,
# create the partitions, move its rows through the table, attach it again,
# in one transaction.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('default_partition', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE l (id text NOT NULL, v int) PARTITION BY LIST (shard_for(id));
	CREATE TABLE l_shard_0 PARTITION OF l FOR VALUES IN (0);
	CREATE TABLE l_shard_1 PARTITION OF l FOR VALUES IN (1);
	CREATE TABLE l_default PARTITION OF l DEFAULT;
	INSERT INTO l SELECT 'k' || g, g FROM generate_series(1, 400) g;
});
my $in_default = $node->safe_psql('postgres', q{SELECT count(*) FROM ONLY l_default});
ok($in_default > 0, "$in_default rows of shards 2 and 3 are in the DEFAULT partition");
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('l', 'id')}), '0',
	'they are in place: no partition takes their shard');

my ($rc, $out, $err) = $node->psql('postgres', q{SELECT count(*) FROM create_shard_partitions('l')});
like($err, qr/updated partition constraint for default partition "l_default" would be violated/,
	'create_shard_partitions meets the DEFAULT partition\'s rows');

# the docs' way out (docs/partitioning.md)
$node->safe_psql('postgres', q{
	BEGIN;
	ALTER TABLE l DETACH PARTITION l_default;
	SELECT count(*) FROM create_shard_partitions('l');
	INSERT INTO l SELECT * FROM l_default;
	TRUNCATE l_default;
	ALTER TABLE l ATTACH PARTITION l_default DEFAULT;
	COMMIT;
});
is($node->safe_psql('postgres', q{SELECT count(*) || ':' || sum(v) FROM l}), '400:80200', 'every row kept');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ONLY l_default}), '0', 'the DEFAULT partition is empty');
is($node->safe_psql('postgres', q{SELECT count(*) FROM l WHERE tableoid <> ('l_shard_' || shard_for(id))::regclass}), '0',
	'each row in the partition of its shard');

# 4 -> 2 shards: the rows the DEFAULT partition held for shards 2 and 3 are
# now of shard 0 or 1, which partitions take: they are stale there
$node->safe_psql('postgres', q{
	CREATE TABLE d (id text NOT NULL) PARTITION BY LIST (shard_for(id));
	CREATE TABLE d_shard_0 PARTITION OF d FOR VALUES IN (0);
	CREATE TABLE d_shard_1 PARTITION OF d FOR VALUES IN (1);
	CREATE TABLE d_default PARTITION OF d DEFAULT;
	INSERT INTO d SELECT 'k' || g FROM generate_series(1, 400) g;
});
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 2');
$node->restart;
$node->safe_psql('postgres', q{SELECT record_shard_ring()});
my $stale_in_default = $node->safe_psql('postgres', q{SELECT count(*) FROM ONLY d_default WHERE shard_for(id) IN (0, 1)});
ok($stale_in_default > 0, "$stale_in_default rows in DEFAULT are now of shard 0 or 1");
my $expected = $node->safe_psql('postgres', q{SELECT count(*) FROM d
	WHERE tableoid <> CASE WHEN shard_for(id) IN (0, 1) THEN ('d_shard_' || shard_for(id))::regclass ELSE 'd_default'::regclass END});
ok($expected >= $stale_in_default, "and $expected rows in all are not where the table would put them now");
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('d', 'id')}), $expected,
	'shard_verify counts exactly those: rows in DEFAULT of a shard a partition takes are stale, the others in place');
$node->safe_psql('postgres', q{CALL reshard_table('d', 'id')});
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('d', 'id')}), '0', 'reshard_table moves them');
is($node->safe_psql('postgres', q{SELECT count(*) FROM d}), '400', 'every row kept');
$node->stop;
done_testing();
