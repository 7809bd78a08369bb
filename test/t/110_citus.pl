# 110_citus.pl: the engine's shards are Citus's shards, one for one, on a real
# cluster: a coordinator and two workers on loopback, Citus and dakera_shard
# preloaded, a table distributed by a shard_key column with distribute_table().
#
#   - 10000 keys agree: the Citus shard of each key, numbered by its
#     shardminvalue, is shard_for(key); and 10000 uuid keys (shard_uuid);
#   - SELECT, UPDATE and DELETE by id (constant, text parameter, generic plan)
#     run as one task on the node that holds the engine's shard;
#   - INSERT ... SELECT (through the coordinator, and repartitioned on the
#     workers) and COPY put every row in the Citus shard of its engine shard;
#   - citus_move_shard_placement keeps 0 rows misplaced, the count and the md5;
#   - exact k-NN with pgvector over the distributed table equals the answer
#     of a local copy;
#   - distribute_table refuses without Citus, for a text column, for another
#     shard count, and when a worker routes with another ring;
#     citus_shard_check names that worker and the table whose shard count
#     differs from the ring;
#   - partition_info(rel) and shard_overview of a distributed table: rows
#     per shard = the count by shard_for, nodes = Citus's placements (after a
#     move too), measured with the caller's right to read checked; refused
#     (partition_info) or left out with a NOTICE (shard_overview) while a
#     worker routes with another ring;
#   - re-sharding 6 -> 8 (settings, record_shard_ring() on every node, which
#     citus_shard_check then reports as rows that lookups miss, and
#     citus_reshard('items')) keeps every row, and the shards are the
#     engine's again; a split afterwards is reported as a
#     split by citus_shard_check, and loses nothing.
#
# Skipped, with the reason, on a server without Citus (or pgvector); make test
# builds both into every version it tests and sets DAKERA_REQUIRE_CITUS, and
# there a missing Citus fails instead.
use strict;
use warnings;
use lib 'test/perl';
use DakeraShardTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
my ($sharedir, $pkglibdir) = map { my $d = `"$pg_config" --$_`; chomp $d; $d } qw(sharedir pkglibdir);
for my $ext (qw(citus vector))
{
	next if -f "$sharedir/extension/$ext.control" && ($ext ne 'citus' || -f "$pkglibdir/citus.so");
	my $why = "$ext is not installed in this server (no $sharedir/extension/$ext.control)";
	BAIL_OUT($why) if $ENV{DAKERA_REQUIRE_CITUS};
	plan skip_all => $why;
}

my @shape = ('dakera_shard.strategy = consistent_hash', 'dakera_shard.virtual_nodes = 150');
my %node;
for my $name (qw(coord w1 w2))
{
	$node{$name} = new_node($name, "shared_preload_libraries = 'citus,dakera_shard'",
		"listen_addresses = '127.0.0.1'", 'max_connections = 60', 'dakera_shard.num_shards = 6', @shape);
	$node{$name}->start;
	$node{$name}->safe_psql('postgres', 'CREATE EXTENSION citus');
}
my $coord = $node{coord};
my %port = map { $_ => $node{$_}->port } keys %node;

sub on { my ($n, $sql) = @_; return $node{$n}->safe_psql('postgres', $sql); }
sub sql { return on(coord => $_[0]); }

sub restart_with_shards
{
	my ($n, $shards) = @_;
	$node{$n}->append_conf('postgresql.conf', "dakera_shard.num_shards = $shards");
	$node{$n}->restart;
}

sql("SELECT citus_set_coordinator_host('127.0.0.1', $port{coord})");
sql("SELECT citus_add_node('127.0.0.1', $port{$_})") for qw(w1 w2);
# created once, on the coordinator: Citus creates them on the workers
sql('CREATE EXTENSION vector');
sql('CREATE EXTENSION dakera_shard');
is(on(w2 => q{SELECT extversion FROM pg_extension WHERE extname = 'dakera_shard'}), '0.2.0',
	'Citus created dakera_shard on the workers');

# the refusals that need no cluster state
my ($ret, $out, $err);
on(w1 => 'CREATE DATABASE plain');
$node{w1}->safe_psql('plain', 'CREATE EXTENSION dakera_shard; CREATE TABLE t (id shard_key PRIMARY KEY)');
($ret, $out, $err) = $node{w1}->psql('plain', q{SELECT distribute_table('t')});
like($err, qr/Citus is not installed in database "plain".*HINT:  Put citus first in shared_preload_libraries/s,
	'without Citus: refused, with what to do');
sql('CREATE TABLE by_text (id text PRIMARY KEY)');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT distribute_table('by_text')});
like($err, qr/column "id" of relation public\.by_text has type text, not public\.shard_key or public\.shard_uuid.*HINT:  Change the column's type first: ALTER TABLE public\.by_text ALTER COLUMN id TYPE public\.shard_key/s,
	'a text column: refused, with the ALTER TABLE that fixes it');
sql(q{CREATE TABLE four (id shard_key PRIMARY KEY);
      SELECT create_distributed_table('four', 'id', colocate_with => 'none', shard_count => 4)});
($ret, $out, $err) = $coord->psql('postgres', q{SELECT distribute_table('four')});
like($err, qr/relation public\.four is distributed in 4 shards, the ring has 6.*HINT:  Re-shard it: SELECT alter_distributed_table\('public\.four', shard_count := 6\)/s,
	'another shard count: refused');
like(sql(q{SELECT string_agg(subject || ' ' || ok || ' ' || detail, E'\n') FROM citus_shard_check('four')}),
	qr/^shard count false 4 shards, the ring has 6: Citus shard i is not engine shard i/m,
	'citus_shard_check reports the table whose shard count is not the ring\'s');
sql('DROP TABLE four, by_text');

# the table
sql(q{CREATE TABLE items (id shard_key PRIMARY KEY, embedding vector(4) NOT NULL, n int NOT NULL)});
is(sql(q{SELECT distribute_table('items')}), 'public.items distributed by id in 6 shards, Citus shard i = engine shard i',
	'distribute_table: 6 shards');
sql(q{CREATE TABLE items_more (id shard_key PRIMARY KEY, note text)});
is(sql(q{SELECT distribute_table('items_more')}),
	'public.items_more distributed by id in 6 shards, Citus shard i = engine shard i, co-located with public.items',
	'the next table of the key type is co-located with the first');
is(sql(q{SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE logicalrelid IN ('items'::regclass, 'items_more'::regclass)}),
	'1', 'one co-location group');
sql('DROP TABLE items_more');

# 10000 keys: the Citus shard, numbered by its interval, is the engine's shard
my $agree = q{
    SELECT count(*) || ' ' || count(*) FILTER (WHERE m.shard = shard_for(k.key))
    FROM (SELECT 'key-' || g AS key FROM generate_series(1, 10000) g) k
    JOIN citus_shard_map('items') m ON m.shardid = get_shard_id_for_distribution_column('items', k.key)};
is(sql($agree), '10000 10000', '10000 of 10000 keys: Citus shard = shard_for');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE ok) FROM citus_shard_check()}), '10 10',
	'citus_shard_check: three rings alike, 6 shards, each the engine\'s');

# uuid keys: shard_uuid, routed as their canonical text as shard_for(uuid) does
sql(q{CREATE TABLE docs (id shard_uuid PRIMARY KEY, body text)});
is(sql(q{SELECT distribute_table('docs')}), 'public.docs distributed by id in 6 shards, Citus shard i = engine shard i',
	'distribute_table: a shard_uuid key');
sql(q{INSERT INTO docs SELECT md5(g::text)::uuid, 'doc ' || g FROM generate_series(1, 2000) g});
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE m.shard = shard_for(k.u))
         FROM (SELECT md5('k' || g)::uuid AS u FROM generate_series(1, 10000) g) k
         JOIN citus_shard_map('docs') m ON m.shardid = get_shard_id_for_distribution_column('docs', k.u)}),
	'10000 10000', '10000 of 10000 uuid keys: Citus shard = shard_for(uuid)');
is(sql(q{SELECT coalesce(sum(e.value::bigint) FILTER (WHERE e.key::int <> m.shard), 0) || ' of ' || sum(e.value::bigint)
         FROM run_command_on_shards('docs',
              $c$SELECT coalesce(json_object_agg(s, c), '{}') FROM (SELECT public.shard_for(id::uuid) s, count(*) c FROM %s GROUP BY 1) x$c$) r
         JOIN citus_shard_map('docs') m USING (shardid), jsonb_each_text(r.result::jsonb) e}),
	'0 of 2000', 'uuid rows: 0 misplaced');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE p.vector_count = c.n) || ' ' || sum(p.vector_count)
         FROM partition_info('docs') p
         JOIN (SELECT shard_for(id::uuid) s, count(*) n FROM docs GROUP BY 1) c ON c.s = p.shard_id}),
	'6 6 2000', 'partition_info of a shard_uuid table: rows per shard = count by shard_for(uuid)');
sql('DROP TABLE docs');

# rows by INSERT ... SELECT through the coordinator, by COPY, and by
# INSERT ... SELECT repartitioned on the workers (the key changes)
sql(q{INSERT INTO items SELECT 'vec-' || g, format('[%s,%s,%s,%s]', sin(g), cos(g), sin(g * 1.7), cos(g * 0.3))::vector, g
      FROM generate_series(1, 4000) g});
my $file = PostgreSQL::Test::Utils::tempdir() . '/items.tsv';
open my $fh, '>', $file or die "$file: $!";
printf $fh "copy-%d\t[%.6f,%.6f,%.6f,%.6f]\t%d\n", $_, sin($_ * 3), cos($_ * 5), sin($_), cos($_), 10000 + $_ for 1 .. 3000;
close $fh;
chmod 0644, $file;
sql("COPY items FROM '$file'");
sql(q{INSERT INTO items SELECT (id || '-again')::shard_key, embedding, n + 100000 FROM items WHERE n % 4 = 0});
is(sql('SELECT count(*) FROM items'), '8750', 'every row arrived');

# rows per engine shard on each Citus shard, counted on the workers
my $misplaced = q{
    SELECT coalesce(sum(e.value::bigint) FILTER (WHERE e.key::int <> m.shard), 0) || ' of ' || sum(e.value::bigint)
    FROM run_command_on_shards('items',
         $c$SELECT coalesce(json_object_agg(s, c), '{}') FROM (SELECT public.shard_for(id::text) s, count(*) c FROM %s GROUP BY 1) x$c$) r
    JOIN citus_shard_map('items') m USING (shardid), jsonb_each_text(r.result::jsonb) e};
is(sql($misplaced), '0 of 8750', 'INSERT ... SELECT and COPY: 0 rows misplaced');
my $digest = q{SELECT count(*) || ' ' || md5(string_agg(id || ' ' || embedding::text || ' ' || n, ',' ORDER BY id)) FROM items};
my $before = sql($digest);

# by id: one task, on the node of the engine's shard
sub node_of_key
{
	my ($key) = @_;
	return sql(qq{SELECT split_part(nodes[1], ':', 2) FROM citus_shard_map('items') WHERE shard = shard_for('$key')});
}

sub check_one_task
{
	my ($plan, $key, $what) = @_;
	my $p = node_of_key($key);
	like($plan, qr/Task Count: 1\n.*Node: host=127\.0\.0\.1 port=$p /s, "$what: one task, on the node of shard_for('$key')");
}
for my $key (qw(vec-17 copy-2999 vec-3000-again))
{
	check_one_task(sql("EXPLAIN (COSTS OFF) SELECT * FROM items WHERE id = '$key'"), $key, "SELECT $key");
	check_one_task(sql("EXPLAIN (COSTS OFF) UPDATE items SET n = n + 1 WHERE id = '$key'"), $key, "UPDATE $key");
	check_one_task(sql("EXPLAIN (COSTS OFF) DELETE FROM items WHERE id = '$key'"), $key, "DELETE $key");
}
check_one_task(sql(q{PREPARE q(text) AS SELECT * FROM items WHERE id = $1;
                     SET plan_cache_mode = force_generic_plan;
                     EXPLAIN (COSTS OFF) EXECUTE q('vec-42')}), 'vec-42', 'a text parameter, generic plan');
like(sql(q{PREPARE q(text) AS SELECT * FROM items WHERE id = $1; EXPLAIN (COSTS OFF) EXECUTE q('vec-42')}),
	qr/Index Scan using items_pkey_\d+ on items_\d+ items\n\s+Index Cond: \(id = 'vec-42'::text\)/,
	'a text parameter uses the shard\'s key index');
is(sql(q{UPDATE items SET n = n WHERE id = 'vec-17' RETURNING n}), '17', 'UPDATE by id finds its row');

# move a shard from one worker to the other
my ($shardid, $from) = split /\|/, sql(q{SELECT shardid, split_part(nodes[1], ':', 2) FROM citus_shard_map('items') WHERE shard = 2});
my $to = $from == $port{w1} ? $port{w2} : $port{w1};
sql("SELECT citus_move_shard_placement($shardid, '127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode := 'block_writes')");
is(sql(q{SELECT nodes[1] FROM citus_shard_map('items') WHERE shard = 2}), "127.0.0.1:$to", 'shard 2 moved');
is(sql($misplaced), '0 of 8750', 'after the move: 0 rows misplaced');
is(sql($digest), $before, 'after the move: count and md5 unchanged');
is(sql($agree), '10000 10000', 'after the move: 10000 keys agree');
check_one_task(sql(q{EXPLAIN (COSTS OFF) SELECT * FROM items WHERE id = 'vec-42'}), 'vec-42', 'after the move, SELECT');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE ok) FROM citus_shard_check('items')}), '10 10',
	'after the move: citus_shard_check passes');

# partition_info and shard_overview: rows by shard_for, nodes from Citus's placements
my $by_shard = q{(SELECT shard_for(id) s, count(*) n FROM items GROUP BY 1)};
is(sql(qq{SELECT count(*) || ' ' || count(*) FILTER (WHERE p.vector_count = c.n) || ' ' || sum(p.vector_count)
          FROM partition_info('items') p JOIN $by_shard c ON c.s = p.shard_id}),
	'6 6 8750', 'partition_info: rows per shard = count by shard_for');
is(sql(q{SELECT count(*) FILTER (WHERE p.node_ids = m.nodes AND p.primary_node = m.nodes[1] AND p.is_healthy
                                 AND p.memory_bytes > 0)
         FROM partition_info('items') p JOIN citus_shard_map('items') m ON m.shard = p.shard_id}),
	'6', 'partition_info: each shard\'s nodes are its Citus placements');
is(sql(q{SELECT node_ids FROM partition_info('items') WHERE shard_id = 2}), "{127.0.0.1:$to}",
	'partition_info: shard 2 on the node it moved to');
is(sql(qq{SELECT count(*) FILTER (WHERE o.rows = c.n AND o.citus_nodes = m.nodes) || ' ' || sum(o.rows)
          FROM shard_overview o JOIN $by_shard c ON c.s = o.shard_id
          JOIN citus_shard_map('items') m ON m.shard = o.shard_id}),
	'6 8750', 'shard_overview: rows by shard_for and Citus\'s nodes per shard');
is(sql(q{SELECT string_agg(p.memory_bytes::text, ',' ORDER BY p.shard_id) FROM partition_info('items') p}),
	sql(q{SELECT string_agg(b::text, ',' ORDER BY s) FROM (SELECT shard_for(id) s,
	             sum(pg_column_size(id) + pg_column_size(embedding) + pg_column_size(n)) b FROM items GROUP BY 1) x}),
	'partition_info: bytes per shard = the column sizes by shard_for');
sql(q{CREATE ROLE citus_reader LOGIN; CREATE ROLE citus_stranger LOGIN; GRANT SELECT ON items TO citus_reader});
is(sql(q{SET ROLE citus_reader; SELECT sum(vector_count) FROM partition_info('items')}), '8750',
	'a reader measures the table');
($ret, $out, $err) = $coord->psql('postgres', q{SET ROLE citus_stranger; SELECT * FROM partition_info('items')});
like($err, qr/permission denied for table items/, 'a role that may not read the table is refused');
is(sql(q{SET ROLE citus_stranger; SELECT coalesce(sum(rows), 0) || ' ' || count(citus_nodes) FROM shard_overview}), '0 0',
	'shard_overview leaves out a table you may not read');

# exact k-NN over the distributed table = over a local copy
sql('CREATE TABLE items_local AS SELECT * FROM items');
my $knn_wrong = 0;
for my $q (1 .. 10)
{
	my $v = sprintf '[%.4f,%.4f,%.4f,%.4f]', sin($q * 11), cos($q * 7), sin($q * 3), cos($q);
	my $d = sql("SELECT string_agg(id, ',') FROM (SELECT id FROM items ORDER BY embedding <-> '$v', id LIMIT 10) x");
	my $l = sql("SELECT string_agg(id, ',') FROM (SELECT id FROM items_local ORDER BY embedding <-> '$v', id LIMIT 10) x");
	$knn_wrong++ if $d ne $l;
}
is($knn_wrong, 0, 'k-NN over the distributed table: 10 queries, each the exact answer');
sql('DROP TABLE items_local');

# a worker with another ring: first unrecorded, then recorded
restart_with_shards(w2 => 8);
like(sql(q{SELECT string_agg(detail, E'\n') FROM citus_shard_check() WHERE NOT ok}),
	qr/^routes with strategy=consistent_hash num_shards=8 virtual_nodes=150, the coordinator with num_shards=6/m,
	'citus_shard_check names the worker whose ring differs');
on(w2 => 'SELECT record_shard_ring()');
is(sql(q{SELECT string_agg(subject || ': ' || split_part(detail, ':', 1), E'\n') FROM citus_shard_check() WHERE NOT ok}),
	"ring on 127.0.0.1:$port{w2}: routes with strategy=consistent_hash num_shards=8 virtual_nodes=150, the coordinator with num_shards=6\nrows: not checked",
	'recorded there, it still differs from the coordinator\'s, and the rows are not checked by another ring');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT * FROM partition_info('items')});
like($err, qr/node 127\.0\.0\.1:$port{w2} does not route as the coordinator.*DETAIL:  It routes with strategy=consistent_hash num_shards=8 .*the workers count the rows of public\.items by shard_for/s,
	'partition_info refuses while a worker routes with another ring');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT coalesce(sum(rows), 0) FROM shard_overview});
is($out, '0', 'shard_overview leaves the Citus table out then');
like($err, qr/NOTICE:  the tables distributed by Citus are left out: node 127\.0\.0\.1:$port{w2} does not route as the coordinator/,
	'with a NOTICE that names the worker');
sql(q{CREATE TABLE later (id shard_key PRIMARY KEY)});
($ret, $out, $err) = $coord->psql('postgres', q{SELECT distribute_table('later')});
like($err, qr/node 127\.0\.0\.1:$port{w2} does not route as the coordinator/,
	'distribute_table refuses while a worker routes with another ring');
restart_with_shards(w2 => 6);
on(w2 => 'SELECT record_shard_ring()');
is(sql(q{SELECT count(*) FROM citus_shard_check() WHERE NOT ok}), '0', 'one ring again');
sql('DROP TABLE later');

# re-sharding 6 -> 8: the settings on every node, the record on every node
# (the coordinator's too, before the rewrite: what 120 shows loses rows with
# writers present), then citus_reshard rewrites the table
restart_with_shards($_ => 8) for qw(coord w1 w2);
sql('SELECT record_shard_ring()');
sql(q{SELECT * FROM run_command_on_workers('SELECT public.record_shard_ring()')});
like(sql(q{SELECT detail FROM citus_shard_check('items') WHERE NOT ok}),
	qr/^6 shards, the ring has 8: Citus shard i is not engine shard i and \d+ rows hash outside their shard \(the ring changed after they were written: lookups by id miss them\)/,
	'between record and rewrite, the check reports the mirror lost and the rows that lookups miss, not that routing is right');
is(sql(q{SELECT relation || ' ' || shards_before || '->' || shards_after || ' ' || rewritten FROM citus_reshard('items')}), 'items 6->8 true',
	'citus_reshard rewrites the table into 8 shards');
is(sql($digest), $before, 're-sharded to 8: count and md5 unchanged');
is(sql($misplaced), '0 of 8750', 're-sharded to 8: 0 rows misplaced');
is(sql($agree), '10000 10000', 're-sharded to 8: 10000 keys agree');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE ok) FROM citus_shard_check('items')}), '12 12',
	're-sharded to 8: citus_shard_check passes');
is(sql(qq{SELECT count(*) || ' ' || count(*) FILTER (WHERE p.vector_count = c.n AND p.node_ids = m.nodes) || ' ' || sum(p.vector_count)
          FROM partition_info('items') p JOIN $by_shard c ON c.s = p.shard_id
          JOIN citus_shard_map('items') m ON m.shard = p.shard_id}),
	'8 8 8750', 're-sharded to 8: partition_info shows 8 shards, rows by shard_for, Citus\'s nodes');

# a split makes 9 shards of unequal intervals: the check says it was a split,
# routing stays right and no row is lost
my $split = sql(q{SELECT m.shardid || ' ' || n.nodeid FROM citus_shard_map('items') m
                  JOIN pg_dist_node n ON n.nodename || ':' || n.nodeport = m.nodes[1] WHERE m.shard = 3});
my ($split_shard, $split_node) = split / /, $split;
sql(qq{SELECT citus_split_shard_by_split_points($split_shard, ARRAY['-268435456'], ARRAY[$split_node, $split_node], 'block_writes')});
is(sql(q{SELECT count(*) FROM citus_shard_map('items')}), '9', 'the split made 9 shards');
like(sql(q{SELECT string_agg(subject || ': ' || detail, E'\n') FROM citus_shard_check('items') WHERE NOT ok}),
	qr/^shard count: 9 shards of unequal intervals, the ring has 8: a split \(citus_split_shard_by_split_points, isolate_tenant_to_new_shard\) broke the mirror/,
	'after a split, citus_shard_check says that a split broke the mirror');
is(sql($digest), $before, 'after the split: count and md5 unchanged');
is(scalar(grep { sql("SELECT n FROM items WHERE id = 'vec-$_'") eq $_ } 1 .. 40), 40,
	'after the split: 40 lookups by id find their rows');

$node{$_}->stop for qw(w1 w2 coord);
done_testing();
