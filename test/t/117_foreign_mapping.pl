# Measuring a foreign table with the owner's user mapping (review finding 28):
# a caller whose own user mapping sees fewer remote rows learned, through the
# owner's credentials, counts and sample keys of rows they can never read.
# Now a caller other than the owner (or a superuser) must read the server
# through the owner's mapping, or one with the same options; otherwise
# partition_info and shard_verify refuse and shard_overview leaves the table
# out.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('foreign_mapping', preload(), 'dakera_shard.num_shards = 4');
$node->start;
my ($host, $port) = ($node->host, $node->port);
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE EXTENSION postgres_fdw;
	CREATE ROLE tenant LOGIN;
	CREATE ROLE reader LOGIN;
	CREATE ROLE twin LOGIN;
	CREATE ROLE lowpriv LOGIN;
	CREATE SCHEMA app AUTHORIZATION tenant;
	GRANT USAGE ON SCHEMA app TO PUBLIC;
	CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$host', port '$port', dbname 'postgres');
	GRANT USAGE ON FOREIGN SERVER loop TO tenant;
	CREATE USER MAPPING FOR tenant SERVER loop OPTIONS (user 'tenant', password_required 'false');
	-- reader logs in remotely as lowpriv, who sees 10 of the 100 rows
	CREATE USER MAPPING FOR reader SERVER loop OPTIONS (user 'lowpriv', password_required 'false');
	-- twin logs in as the owner does
	CREATE USER MAPPING FOR twin SERVER loop OPTIONS (password_required 'false', user 'tenant');
	-- a superuser whose own mapping is another's: superusers may read as anyone
	CREATE USER MAPPING FOR CURRENT_USER SERVER loop OPTIONS (user 'lowpriv');
	SET ROLE tenant;
	CREATE TABLE app.remote (id text, s int, visible_to name);
	INSERT INTO app.remote SELECT 'secret-key-' || g, 3, 'tenant' FROM generate_series(1, 90) g;
	INSERT INTO app.remote SELECT 'public-key-' || g, 3, 'lowpriv' FROM generate_series(1, 10) g;
	ALTER TABLE app.remote ENABLE ROW LEVEL SECURITY;
	CREATE POLICY p ON app.remote USING (visible_to = current_user);
	GRANT SELECT ON app.remote TO lowpriv;
	CREATE FOREIGN TABLE app.fx (id text, s int GENERATED ALWAYS AS (public.shard_for(id)) STORED) SERVER loop OPTIONS (schema_name 'app', table_name 'remote');
	GRANT SELECT ON app.fx TO reader, twin;
});

is($node->safe_psql('postgres', q{SET ROLE reader; SELECT count(*) FROM app.fx}), '10', 'reader reads 10 rows itself');
my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE reader; SELECT sum(vector_count) FROM partition_info('app.fx', 's')});
isnt($rc, 0, 'partition_info refuses reader');
like($err, qr/your user mapping for server "loop" is not the one the owner of table "fx" reads it with.*HINT:  Ask the owner "tenant" to run it/s,
	'saying whose mapping the scan would use') or diag "out: $out\nerr: $err";
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE reader; SELECT * FROM shard_verify('app.fx', 'id', 's')});
isnt($rc, 0, 'shard_verify refuses reader');
unlike($out, qr/secret-key/, 'no key reader cannot read');
is($node->safe_psql('postgres', q{SET ROLE reader; SELECT sum(rows) FROM shard_overview}), '0',
	'shard_overview leaves the table out for reader');

is($node->safe_psql('postgres', q{SET ROLE twin; SELECT sum(vector_count) FROM partition_info('app.fx', 's')}), '100',
	'a caller whose mapping has the owner\'s options measures it');
is($node->safe_psql('postgres', q{SET ROLE tenant; SELECT sum(rows) FROM shard_overview}), '100', 'so does the owner');
is($node->safe_psql('postgres', q{SELECT sum(vector_count) FROM partition_info('app.fx', 's')}), '100', 'and a superuser');
is($node->safe_psql('postgres', q{SET ROLE twin; SELECT sum(rows) FROM shard_overview}), '100', 'twin\'s shard_overview counts it');
$node->stop;
done_testing();
