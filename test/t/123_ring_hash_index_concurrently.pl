# Hash indexes of the ring-hashed classes, made past the event trigger
# (outside review 2, R2-4).  The event trigger refuses them at
# ddl_command_end, which CREATE INDEX CONCURRENTLY reaches only after it has
# committed its index (left invalid but maintained), and REINDEX never meets
# it: REINDEX made the index valid, and after 8 -> 12 shards and
# record_shard_ring() a lookup through it found 0 of 1000 rows, silently.
# Now the hash support functions refuse to hash for an index, so such an
# index is never built, never takes a row and is never searched; hash joins,
# hash aggregates and PARTITION BY HASH keep using them.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('ring_hash_index', preload(), 'dakera_shard.num_shards = 8');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE SCHEMA app AUTHORIZATION tenant;
	SET ROLE tenant;
	CREATE TABLE app.hx (id public.shard_key);
	INSERT INTO app.hx SELECT 'k' || g FROM generate_series(1, 1000) g;
	CREATE TABLE app.ht (id text);
	INSERT INTO app.ht SELECT 'k' || g FROM generate_series(1, 1000) g;
	CREATE TABLE app.he (id public.shard_key);
});

my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CREATE INDEX CONCURRENTLY hx_i ON app.hx USING hash (id)});
isnt($rc, 0, 'CREATE INDEX CONCURRENTLY USING hash of a shard_key column fails');
like($err, qr/index "hx_i" uses the operator class shard_key_hash_ops, which is for partition keys only/, 'when it builds the index') or diag $err;
is($node->safe_psql('postgres', q{SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = 'app.hx_i'::regclass}),
	'f|f', 'the index it left is neither valid nor maintained');
is($node->safe_psql('postgres', q{SET ROLE tenant; INSERT INTO app.hx VALUES ('k1001') RETURNING id}), 'k1001',
	'writes to the table go on');
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; REINDEX INDEX app.hx_i});
isnt($rc, 0, 'REINDEX cannot make it valid');
like($err, qr/index "hx_i" uses the operator class shard_key_hash_ops/, '(the same error)');
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; REINDEX INDEX CONCURRENTLY app.hx_i});
isnt($rc, 0, 'nor REINDEX CONCURRENTLY');

($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CREATE INDEX CONCURRENTLY ht_i ON app.ht USING hash (id public.shard_ops)});
isnt($rc, 0, 'CREATE INDEX CONCURRENTLY USING hash (id shard_ops) fails too');
like($err, qr/index "ht_i" uses the operator class shard_ops/, 'with the same error') or diag $err;

# on an empty table the build hashes nothing: the event trigger errs after the commit, the first row is refused
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CREATE INDEX CONCURRENTLY he_i ON app.he USING hash (id)});
isnt($rc, 0, 'CREATE INDEX CONCURRENTLY on an empty table is refused by the event trigger');
$node->psql('postgres', q{SET ROLE tenant; REINDEX INDEX app.he_i});
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; INSERT INTO app.he VALUES ('k1')});
isnt($rc, 0, 'its index, even reindexed, refuses the first row');
like($err, qr/index "he_i" uses the operator class shard_key_hash_ops.*HINT:  .*Drop an index of it that was left behind/s, 'and says to drop it') or diag $err;
$node->safe_psql('postgres', q{SET ROLE tenant; DROP INDEX app.he_i; INSERT INTO app.he VALUES ('k1')});

# hash joins and hash aggregates still hash shard_key
is($node->safe_psql('postgres', q{SET enable_mergejoin = off; SET enable_nestloop = off; SET enable_sort = off;
	SELECT count(*) FROM app.hx a JOIN app.hx b USING (id)}), '1001', 'a hash join of shard_key works');
is($node->safe_psql('postgres', q{SET enable_sort = off; SELECT count(*) FROM (SELECT id FROM app.hx GROUP BY id) g}),
	'1001', 'and a hash aggregate');

# the shape changes: nothing can search with a stale hash
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 12');
$node->restart;
$node->safe_psql('postgres', q{SELECT record_shard_ring()});
($rc, $out, $err) = $node->psql('postgres', q{SET enable_seqscan = off; SET ROLE tenant;
	DO $$DECLARE f int := 0; n int; BEGIN FOR g IN 1..1001 LOOP
	  SELECT count(*) INTO n FROM app.hx WHERE id = ('k' || g)::public.shard_key; f := f + n; END LOOP;
	  RAISE NOTICE 'found %', f; END$$});
is($rc, 0, 'lookups by key after the shape change run') or diag $err;
my ($found) = $err =~ /NOTICE:  found (\d+)/;
is($found, 1001, 'and find every row');
$node->stop;
done_testing();
