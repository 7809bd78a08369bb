# pg_dump and restore of a table PARTITION BY HASH (id shard_ops).
#
# pg_dump writes each partition's rows into that partition, and PostgreSQL
# checks the partition constraint with the operator class, so: into a server
# of the same shape every row comes back in its shard's partition; into a
# server of another shape the plain dump is refused loudly (the recorded
# shape is the new server's, and the rows are not in its partitions), and the
# documented way, --load-via-partition-root and then reshard_hash_table, loses
# no row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $ROWS = 10000;

sub new_node
{
	my ($name, $shards) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'dakera_shard'\ndakera_shard.num_shards = $shards\n");
	$node->start;
	return $node;
}

my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || ':' || n, ',' ORDER BY id)) FROM vectors};
my $placement = q{
	SELECT count(*) FILTER (WHERE (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'remainder (\d+)', 'i'))[1]::int
	                              IS DISTINCT FROM shard_for(t.id))
	FROM vectors t JOIN pg_class c ON c.oid = t.tableoid};

my $source = new_node('source', 4);
$source->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE vectors (id text PRIMARY KEY, n int NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM create_shard_partitions('vectors');
	INSERT INTO vectors SELECT 'vec-' || g, g FROM generate_series(1, $ROWS) g;});
my $before = $source->safe_psql('postgres', $checksum);
my $dump = $source->basedir . '/plain.sql';
my $root_dump = $source->basedir . '/root.sql';
$source->command_ok([ 'pg_dump', '-d', $source->connstr('postgres'), '-f', $dump ], 'pg_dump');
$source->command_ok([ 'pg_dump', '--load-via-partition-root', '-d', $source->connstr('postgres'), '-f', $root_dump ],
	'pg_dump --load-via-partition-root');
like(slurp_file($dump), qr/PARTITION BY HASH \(id public\.shard_ops\)/, 'the dump names the operator class');

# the same shape: every row back, in its shard
my $same = new_node('same', 4);
$same->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $same->connstr('postgres'), '-f', $dump ],
	'restore into a server of the same shape');
is($same->safe_psql('postgres', $checksum), $before, 'same shape: count and checksum of every row');
is($same->safe_psql('postgres', $placement), '0', 'same shape: every row in its shard');

# another shape: the plain dump is refused, not silently misplaced
my $other = new_node('other', 8);
my ($out, $err) = ('', '');
my $ok = IPC::Run::run([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $other->connstr('postgres'), '-f', $dump ],
	'>', \$out, '2>', \$err);
ok(!$ok, 'another shape: the plain dump fails');
like($err, qr/violates partition constraint|partition constraint/, 'another shape: on the partition constraint');
like($err, qr/HINT:  This table is partitioned by shard, .*--load-via-partition-root.*CALL reshard_hash_table/,
	'another shape: the error says how to restore (issue 19, item 5)');
$other->safe_psql('postgres', 'DROP TABLE IF EXISTS vectors; DROP EXTENSION IF EXISTS dakera_shard CASCADE');

# the documented way: through the root, then re-shard
$other->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $other->connstr('postgres'), '-f', $root_dump ],
	'another shape: restore with --load-via-partition-root');
is($other->safe_psql('postgres', $checksum), $before, 'another shape: every row restored');
my $ret;
($ret, $out, $err) = $other->psql('postgres', q{CALL reshard_hash_table('vectors')});
like($err, qr/done, \d+ rows moved in \d+ batches; 0 stale rows/, 'another shape: reshard_hash_table');
is($other->safe_psql('postgres', $checksum), $before, 'another shape: count and checksum after re-sharding');
is($other->safe_psql('postgres', $placement), '0', 'another shape: every row in its shard');
is($other->safe_psql('postgres', q{SELECT count(*) FROM pg_inherits WHERE inhparent = 'vectors'::regclass}), '8',
	'another shape: 8 partitions');

$_->stop for ($source, $same, $other);
done_testing();
