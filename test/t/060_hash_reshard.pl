# Re-sharding tables PARTITION BY HASH (id shard_ops): 4 -> 8 and 4 -> 6.
#
# The partitions must follow the shard count (PostgreSQL refuses moduli 4
# and 6 side by side), so reshard_hash_table swaps the layout in one
# transaction and then moves the pending rows through the parent in batches.
# Each run is cancelled half-way (statement_timeout; mode online, so that
# the table takes writes meanwhile) and resumed in the default mode; the count
# and an md5 of every row must be the same before, half-way (parent plus
# pending rows) and after, every row must sit in the partition of its shard,
# and the table keeps its identity (OID, index, trigger).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $ROWS = 30000;

sub new_node
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
	$node->append_conf('postgresql.conf', join("\n", "shared_preload_libraries = 'dakera_shard'", @conf) . "\n");
	return $node;
}

my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || ':' || n || ':' || g || ':' || emb::text, ',' ORDER BY id)) FROM %s};
my $placement = q{
	SELECT count(*) FILTER (WHERE (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'remainder (\d+)', 'i'))[1]::int
	                              IS DISTINCT FROM shard_for(t.id))
	FROM vectors t JOIN pg_class c ON c.oid = t.tableoid};
my $layout = q{
	SELECT count(*) || ' x ' || string_agg(DISTINCT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'modulus (\d+)', 'i'))[1], ',')
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vectors'::regclass};

sub reshard_run
{
	my ($from, $to) = @_;
	my $node = new_node("reshard_${from}_to_$to", "dakera_shard.num_shards = $from");
	$node->start;
	$node->safe_psql('postgres', qq{
		CREATE EXTENSION dakera_shard;
		CREATE TABLE vectors (id text NOT NULL, n int NOT NULL, emb real[] NOT NULL,
		                      g int GENERATED ALWAYS AS (n * 2) STORED)
		    PARTITION BY HASH (id shard_ops);
		ALTER TABLE vectors ADD PRIMARY KEY (id);
		SELECT count(*) FROM create_shard_partitions('vectors');
		CREATE TABLE audit (op text);
		CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS
		    \$\$ BEGIN INSERT INTO public.audit VALUES (TG_OP); RETURN NEW; END \$\$;
		INSERT INTO vectors (id, n, emb)
		    SELECT 'vec-' || g, g, ARRAY[g, g / 3.0, -g]::real[] FROM generate_series(1, $ROWS) g;
		INSERT INTO vectors (id, n, emb) VALUES ('', 0, '{}');
		CREATE TRIGGER audit_insert AFTER INSERT ON vectors FOR EACH ROW EXECUTE FUNCTION audit_row();
		CREATE ROLE stranger LOGIN;});
	my $before = $node->safe_psql('postgres', sprintf($checksum, 'vectors'));
	my $oid = $node->safe_psql('postgres', q{SELECT 'vectors'::regclass::oid});
	is($node->safe_psql('postgres', $layout), "$from x $from", "[$from -> $to] $from partitions of modulus $from");

	$node->stop;
	$node->append_conf('postgresql.conf', "dakera_shard.num_shards = $to");
	$node->start;
	my ($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('vectors')});
	like($err, qr/the server's ring differs from the ring recorded/,
		"[$from -> $to] before record_shard_ring nothing moves");
	$node->safe_psql('postgres', 'SELECT record_shard_ring()');
	($ret, $out, $err) = $node->psql('postgres', q{SELECT * FROM create_shard_partitions('vectors')});
	like($err, qr/uses modulus $from, but the server's ring has $to shards/,
		"[$from -> $to] create_shard_partitions refuses the old modulus");
	($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('vectors')},
		extra_params => [ '-U', 'stranger' ]);
	like($err, qr/must be owner of table vectors/, "[$from -> $to] only the owner re-shards");

	# cancelled half-way: 31 batches of 1000 rows with 50 ms pauses, stopped after 0.8 s
	($ret, $out, $err) = $node->psql('postgres',
		q{SET statement_timeout = '800ms'; CALL reshard_hash_table('vectors', 1000, 50, mode => 'online')});
	like($err, qr/canceling statement due to statement timeout/, "[$from -> $to] the first run is cancelled");
	like($err, qr/new partitions attached/, "[$from -> $to] after the swap");
	like($err, qr/batch \d+, 1000 rows moved/, "[$from -> $to] and some batches");
	my $pending = $node->safe_psql('postgres', 'SELECT count(*) FROM vectors_reshard_pending');
	ok($pending > 0 && $pending < $ROWS, "[$from -> $to] half-way: $pending rows pending");
	is($node->safe_psql('postgres', $layout), "$to x $to", "[$from -> $to] half-way: the new layout is in place");
	is($node->safe_psql('postgres',
			sprintf($checksum, '(SELECT * FROM vectors UNION ALL SELECT * FROM vectors_reshard_pending) u')),
		$before, "[$from -> $to] half-way: no row lost or doubled (parent plus pending)");
	is($node->safe_psql('postgres', $placement), '0', "[$from -> $to] half-way: moved rows sit in their shard");

	# new rows land in their new partition at once
	$node->safe_psql('postgres', q{INSERT INTO vectors (id, n, emb) VALUES ('new-row', -1, '{1}')});
	is($node->safe_psql('postgres', q{SELECT count(*) FROM vectors WHERE id = 'new-row'}), '1',
		"[$from -> $to] a new row is found by id during the re-shard");
	$node->safe_psql('postgres', q{DELETE FROM vectors WHERE id = 'new-row'});

	# a row written since the swap with the key of a pending row: that row's move is refused, loudly
	my $twin = $node->safe_psql('postgres', q{SELECT id FROM vectors_reshard_pending ORDER BY id DESC LIMIT 1});
	$node->safe_psql('postgres', qq{INSERT INTO vectors (id, n, emb) VALUES ('$twin', -1, '{1}')});
	($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('vectors', 100000, mode => 'online')});
	like($err, qr/duplicate key value violates unique constraint.*\n.*Key \(id\)=\(\Q$twin\E\) already exists/,
		"[$from -> $to] a newer row with a pending row's key stops the move, naming the key");
	is($node->safe_psql('postgres',
			sprintf($checksum, q{(SELECT * FROM vectors WHERE n <> -1 UNION ALL SELECT * FROM vectors_reshard_pending) u})),
		$before, "[$from -> $to] and no row is lost or doubled");
	$node->safe_psql('postgres', qq{DELETE FROM vectors WHERE id = '$twin' AND n = -1});

	# resumed
	($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('vectors', 1000)});
	is($ret, 0, "[$from -> $to] the second run finishes");
	like($err, qr/done, \d+ rows moved in \d+ batches; 0 stale rows/, "[$from -> $to] and verifies");
	is($node->safe_psql('postgres', sprintf($checksum, 'vectors')), $before,
		"[$from -> $to] count and checksum of every row unchanged");
	is($node->safe_psql('postgres', $layout), "$to x $to", "[$from -> $to] $to partitions of modulus $to");
	is($node->safe_psql('postgres', $placement), '0', "[$from -> $to] every row in the partition of its shard");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'vectors\_%pending%'}),
		'0', "[$from -> $to] the pending tables are gone");
	is($node->safe_psql('postgres', q{SELECT 'vectors'::regclass::oid}), $oid, "[$from -> $to] same table");
	is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE tgrelid = 'vectors'::regclass) || '+' || count(*) FILTER (WHERE tgparentid <> 0)
	                                   FROM pg_trigger WHERE tgname = 'audit_insert'}),
		"1+$to", "[$from -> $to] its trigger kept, on every new partition");
	is($node->safe_psql('postgres', q{SELECT count(DISTINCT indrelid) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid
	                                   WHERE h.inhparent = 'vectors'::regclass AND i.indisprimary}),
		$to, "[$from -> $to] its primary key on every new partition");
	is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('vectors', 'id')}), '0',
		"[$from -> $to] shard_verify: no stale row");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM partition_info('vectors') WHERE vector_count > 0}),
		$to, "[$from -> $to] partition_info sees $to shards with rows");
	like($node->safe_psql('postgres', q{EXPLAIN (COSTS OFF) SELECT * FROM vectors WHERE id = 'vec-77'}),
		qr/^(Index|Bitmap Heap|Seq) Scan[^\n]* on vectors_shard_\d+/, "[$from -> $to] a lookup by id is pruned to one partition");
	is($node->safe_psql('postgres', q{SELECT n FROM vectors WHERE id = 'vec-77'}), '77',
		"[$from -> $to] and finds its row");
	($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('vectors')});
	like($err, qr/done, 0 rows moved in 0 batches; 0 stale rows/, "[$from -> $to] a third run has nothing to do");
	$node->stop;
}

reshard_run(4, 8);
reshard_run(4, 6);

done_testing();
