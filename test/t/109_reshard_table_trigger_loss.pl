# reshard_table loses no row to a trigger (review findings 10 and 11).
# A BEFORE INSERT trigger that returns NULL turns PostgreSQL's cross-partition
# UPDATE, and reshard_table's DELETE + INSERT through a foreign partition,
# into a delete: the rows used to vanish while the NOTICEs said "0 moved" and
# "0 stale rows remain".  Now every batch compares the rows that left their
# place with the rows that arrived, in its own transaction, and rolls back
# loudly, naming the trigger.  Cases, 4 -> 8 shards:
#  A. a LIST table with such a trigger on the parent;
#  B. the same trigger on one new partition only;
#  C. a BEFORE UPDATE trigger that skips some rows: they stay where they were
#     (stale, counted), nothing is lost, no error;
#  D. a foreign (postgres_fdw, loopback) partition holding stale rows, with
#     the trigger on the parent;
# and after the trigger is disabled each table re-shards whole.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('reshard_table_loss', preload(), 'dakera_shard.num_shards = 4');
$node->start;
my ($host, $port) = ($node->host, $node->port);
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$host', port '$port', dbname 'postgres');
	CREATE USER MAPPING FOR CURRENT_USER SERVER loop;
	CREATE SCHEMA app;
	CREATE FUNCTION app.skip_odd() RETURNS trigger LANGUAGE plpgsql AS
	    \$\$ BEGIN IF NEW.v % 2 = 1 THEN RETURN NULL; END IF; RETURN NEW; END \$\$;
});
for my $t (qw(a b c))
{
	$node->safe_psql('postgres', qq{
		CREATE TABLE app.$t (id text NOT NULL, v int) PARTITION BY LIST (shard_for(id));
		SELECT count(*) FROM create_shard_partitions('app.$t');
		INSERT INTO app.$t SELECT 'k' || g, g FROM generate_series(1, 1000) g;});
}
# D: shard 2 is a foreign partition whose remote table holds keys of every shard
$node->safe_psql('postgres', q{
	CREATE TABLE app.d (id text NOT NULL, v int) PARTITION BY LIST (shard_for(id));
	CREATE TABLE app.d_0 PARTITION OF app.d FOR VALUES IN (0);
	CREATE TABLE app.d_1 PARTITION OF app.d FOR VALUES IN (1);
	CREATE TABLE app.d_3 PARTITION OF app.d FOR VALUES IN (3);
	CREATE TABLE app.d_remote (id text, v int);
	CREATE FOREIGN TABLE app.d_2 PARTITION OF app.d FOR VALUES IN (2)
	    SERVER loop OPTIONS (schema_name 'app', table_name 'd_remote');
	INSERT INTO app.d_remote SELECT 'k' || g, g FROM generate_series(1, 200) g;
});
my $d_stale = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.d', 'id')});
ok($d_stale > 100, "D: the foreign partition holds $d_stale stale rows");

$node->safe_psql('postgres', q{
	CREATE TRIGGER skip_odd BEFORE INSERT ON app.a FOR EACH ROW EXECUTE FUNCTION app.skip_odd();
	CREATE TRIGGER skip_odd BEFORE INSERT ON app.d FOR EACH ROW EXECUTE FUNCTION app.skip_odd();
	CREATE FUNCTION app.keep_odd() RETURNS trigger LANGUAGE plpgsql AS
	    $$ BEGIN IF OLD.v % 2 = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$;
	CREATE TRIGGER keep_odd BEFORE UPDATE ON app.c FOR EACH ROW EXECUTE FUNCTION app.keep_odd();
});

my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM app.%s};
my %before = map { $_ => $node->safe_psql('postgres', sprintf($checksum, $_)) } qw(a b c d);

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', 'SELECT record_shard_ring()');
$node->safe_psql('postgres', "SELECT count(*) FROM create_shard_partitions('app.$_')") for qw(a b c d);
# B: the trigger on one new partition only
$node->safe_psql('postgres',
	q{CREATE TRIGGER skip_odd BEFORE INSERT ON app.b_shard_5 FOR EACH ROW EXECUTE FUNCTION app.skip_odd()});
my %stale = map { $_ => $node->safe_psql('postgres', qq{SELECT stale_rows FROM shard_verify('app.$_', 'id')}) } qw(a b c d);
ok($stale{$_} > 0, "$_: $stale{$_} stale rows under 8 shards") for qw(a b c d);

my ($rc, $out, $err);
($rc, $out, $err) = $node->psql('postgres', q{CALL reshard_table('app.a', 'id', batch_size => 300)});
isnt($rc, 0, 'A: reshard_table stops');
like($err, qr/a batch of reshard_table took \d+ rows of app\.a from their place but only \d+ arrived/,
	'A: it says rows did not arrive');
like($err, qr/HINT:.*trigger skip_odd on app\.a/, 'A: its hint names the parent\'s trigger, schema-qualified');
is($node->safe_psql('postgres', sprintf($checksum, 'a')), $before{a}, 'A: no row lost, none changed');

($rc, $out, $err) = $node->psql('postgres', q{CALL reshard_table('app.b', 'id')});
isnt($rc, 0, 'B: reshard_table stops');
like($err, qr/HINT:.*trigger skip_odd on app\.b_shard_5/, 'B: its hint names the partition\'s trigger');
is($node->safe_psql('postgres', sprintf($checksum, 'b')), $before{b}, 'B: no row lost');

($rc, $out, $err) = $node->psql('postgres', q{CALL reshard_table('app.c', 'id', batch_size => 300)});
is($rc, 0, 'C: a BEFORE UPDATE trigger that skips rows stops nothing');
is($node->safe_psql('postgres', sprintf($checksum, 'c')), $before{c}, 'C: no row lost');
my $c_left = $node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.c', 'id')});
ok($c_left > 0 && $c_left < $stale{c}, "C: the rows it skipped stay stale ($c_left of $stale{c}) and are counted");
like($err, qr/$c_left stale rows remain/, 'C: and the final NOTICE says so');

($rc, $out, $err) = $node->psql('postgres', q{CALL reshard_table('app.d', 'id', batch_size => 50)});
isnt($rc, 0, 'D: reshard_table through a foreign partition stops');
like($err, qr/took \d+ rows of app\.d from their place but only \d+ arrived/, 'D: it says rows did not arrive');
like($err, qr/HINT:.*trigger skip_odd on app\.d/, 'D: its hint names the trigger');
is($node->safe_psql('postgres', sprintf($checksum, 'd')), $before{d}, 'D: no row lost (the remote rows are back)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.d_remote'), '200', 'D: the remote table kept its 200 rows');

# with the triggers disabled, every table re-shards whole
$node->safe_psql('postgres', q{
	ALTER TABLE app.a DISABLE TRIGGER skip_odd;
	ALTER TABLE app.b_shard_5 DISABLE TRIGGER skip_odd;
	ALTER TABLE app.c DISABLE TRIGGER keep_odd;
	ALTER TABLE app.d DISABLE TRIGGER skip_odd;});
for my $t (qw(a b c))
{
	$node->safe_psql('postgres', qq{CALL reshard_table('app.$t', 'id', batch_size => 300)});
	is($node->safe_psql('postgres', sprintf($checksum, $t)), $before{$t}, "$t: re-sharded, every row kept");
	is($node->safe_psql('postgres', qq{SELECT stale_rows FROM shard_verify('app.$t', 'id')}), '0', "$t: 0 stale");
}
$node->safe_psql('postgres', q{CALL reshard_table('app.d', 'id', batch_size => 50)});
is($node->safe_psql('postgres', sprintf($checksum, 'd')), $before{d}, 'd: re-sharded, every row kept');
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('app.d', 'id')}), '0', 'd: 0 stale');

$node->stop;
done_testing();
