# 050_vectors.pl: vector rows as people store them, end to end: pgvector
# embeddings in a table with one partition per shard (test/vectors_table.sql,
# the same DDL as make demo) and an HNSW index on each partition.
#
#   - every row sits in the partition of shard_for(id), whether it came by
#     INSERT, by COPY, or moved there by an UPDATE of its id;
#   - exact k-NN across the shards (no index) returns what exact k-NN on an
#     unpartitioned copy returns, for many query vectors;
#   - HNSW on each partition, merged by a Merge Append: recall@10 against the
#     exact answer at least 0.95 at the default hnsw.ef_search;
#   - shard_batch groups the ids of a search as shard_for does;
#     partition_info(rel) and shard_overview count the embeddings' bytes;
#   - re-sharding 4 -> 8 keeps every row and every embedding bit for bit,
#     and every partition's index answers afterwards.
#
# Skipped, with the reason, on a server without pgvector: dakera_shard itself
# does not need it (test/pgvector.sh installs it where its source is at hand).
# By hand, as a user that is not root, with the server's bin first in PATH:
#   PG_CONFIG=.../pg_config PERL5LIB=$(pg_config --pkglibdir)/pgxs/src/test/perl \
#   PG_REGRESS=$(pg_config --pkglibdir)/pgxs/src/test/regress/pg_regress prove test/t/050_vectors.pl
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = abs_path(dirname(__FILE__) . '/../..');
my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
my $sharedir = `"$pg_config" --sharedir`;
chomp $sharedir;
# make test installs pgvector into every version it tests and sets
# DAKERA_REQUIRE_PGVECTOR: there a missing pgvector fails instead of skipping
unless (-f "$sharedir/extension/vector.control")
{
	BAIL_OUT("pgvector is not installed in this server (no $sharedir/extension/vector.control)")
	  if $ENV{DAKERA_REQUIRE_PGVECTOR};
	plan skip_all => "pgvector is not installed in this server (no $sharedir/extension/vector.control)";
}

my $node = PostgreSQL::Test::Cluster->new('vectors');
$node->init;
$node->append_conf('postgresql.conf', qq(
shared_preload_libraries = 'dakera_shard'
dakera_shard.strategy = consistent_hash
dakera_shard.num_shards = 4
dakera_shard.virtual_nodes = 150
));
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

# rows whose partition does not take their shard: the shard is read from the
# partition's bound (the last number of "FOR VALUES IN (2)", as of "FOR
# VALUES WITH (modulus 4, remainder 2)"), so the check holds for either form
# of partitioning by shard
my $misplaced = q{
    SELECT count(*) FROM vectors v JOIN pg_class p ON p.oid = v.tableoid
    WHERE substring(pg_get_expr(p.relpartbound, p.oid) FROM '(\d+)\)$')::int IS DISTINCT FROM shard_for(v.id)};
# the leaf partitions and the shard each takes
my $partitions = q{
    SELECT c.oid::regclass AS part, substring(pg_get_expr(c.relpartbound, c.oid) FROM '(\d+)\)$')::int AS shard
    FROM pg_partition_tree('vectors') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf};
# count and every bit of every row, wherever it sits
my $checksum = q{
    SELECT count(*) || ':' || md5(string_agg(id || '=' || encode(vector_send(embedding), 'hex') || '=' || metadata::text,
                                             ',' ORDER BY id))};

sql(q{
CREATE EXTENSION dakera_shard;
CREATE EXTENSION vector;
SELECT setseed(0.25);
-- embeddings as a model gives them: 64 dimensions around 40 topics
CREATE TABLE topics AS
    SELECT t, array_agg((random() - 0.5)::real ORDER BY d) AS center
    FROM generate_series(0, 39) t, generate_series(1, 64) d GROUP BY t;
CREATE FUNCTION near(center real[]) RETURNS vector LANGUAGE sql VOLATILE
RETURN (SELECT array_agg((c.x + 0.3 * (random() - 0.5))::real ORDER BY c.n)
        FROM unnest(center) WITH ORDINALITY c(x, n))::vector;
-- ids as they come: chunk names and UUIDs
CREATE FUNCTION vec_id(g int) RETURNS text LANGUAGE sql IMMUTABLE
RETURN CASE WHEN g % 5 = 0 THEN md5(g::text)::uuid::text ELSE format('ns%s:doc-%s#chunk-%s', g % 7, g / 8, g % 8) END;
CREATE TABLE source AS
    SELECT vec_id(g) AS id, near(center) AS embedding, jsonb_build_object('doc', g / 8, 'chunk', g % 8) AS metadata
    FROM generate_series(1, 6000) g JOIN topics ON t = g % 40;
CREATE TABLE queries AS SELECT q, near(center) AS v FROM generate_series(1, 100) q JOIN topics ON t = (q * 7) % 40;
});

# the table exactly as the demo makes it, HNSW on every partition before the rows come
my $ddl = slurp_file("$root/test/vectors_table.sql");
sql("\\set tbl vectors\n\\set embedding_type 'vector(64)'\n$ddl");
sql("CREATE INDEX vectors_embedding_idx ON vectors USING hnsw (embedding vector_cosine_ops)");
is(sql("SELECT count(*) FROM ($partitions) p"), '4', 'one partition per shard');
is(sql("SELECT count(*) FROM ($partitions) p JOIN pg_index i ON i.indrelid = p.part
        JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam WHERE am.amname = 'hnsw'"),
   '4', 'an HNSW index on every partition');

# --- every row in the partition of its shard: INSERT, COPY, UPDATE of the id
sql("INSERT INTO vectors SELECT * FROM source ORDER BY id LIMIT 2000");
my $copy_data = sql("COPY (SELECT * FROM source ORDER BY id OFFSET 2000) TO STDOUT");
sql("COPY vectors FROM STDIN;\n$copy_data\n\\.\n");
is(sql("SELECT count(*) FROM vectors"), '6000', 'INSERT and COPY stored every row');
is(sql("SELECT count(DISTINCT tableoid) FROM vectors"), '4', 'rows in all four partitions');
is(sql($misplaced), '0', 'INSERT and COPY: every row in the partition of shard_for(id)');

sql(q{CREATE TABLE before_update AS SELECT id, tableoid::regclass AS part FROM vectors WHERE id LIKE 'ns1:%'});
sql(q{UPDATE vectors SET id = id || '/v2' WHERE id LIKE 'ns1:%'});
my $moved = sql(q{SELECT count(*) FROM before_update b JOIN vectors v ON v.id = b.id || '/v2' WHERE v.tableoid <> b.part});
cmp_ok($moved, '>', 100, "UPDATE of the id moved rows to other partitions ($moved)");
is(sql($misplaced), '0', 'UPDATE of the id: every row in the partition of shard_for(id)');
sql(q{UPDATE source SET id = id || '/v2' WHERE id LIKE 'ns1:%'});

# --- the same rows unpartitioned, as the reference
sql("CREATE TABLE flat AS SELECT * FROM vectors");
is(sql("$checksum FROM vectors"), sql("$checksum FROM source"), 'the sharded table holds exactly the rows written');

# --- exact k-NN across shards = exact k-NN on the unpartitioned copy
my $knn = sub {    # top-10 ids of each query over a table; exact: ties broken by id
	my ($table, $exact) = @_;
	my $order = $exact ? 'embedding <=> v, id' : 'embedding <=> v';
	return qq{SELECT q, array_agg(id ORDER BY rank) AS ids FROM queries,
	          LATERAL (SELECT id, row_number() OVER () AS rank
	                   FROM (SELECT id FROM $table ORDER BY $order LIMIT 10) s) k GROUP BY q};
};
my $exact = "SET enable_indexscan = off; SET enable_bitmapscan = off;";
is(sql("$exact SELECT count(*) FROM (" . $knn->('vectors', 1) . ") a JOIN (" . $knn->('flat', 1) . ") b USING (q)
        WHERE a.ids = b.ids"),
   '100', 'exact k-NN across the shards equals exact k-NN on the unpartitioned copy, for 100 queries');
unlike(sql("$exact EXPLAIN (COSTS OFF) " . $knn->('vectors', 1)), qr/hnsw|embedding_idx/, 'the exact search reads no index');

# --- HNSW on each partition, merged: recall@10 at the default ef_search
my $recall = sub {    # recall@10 of the index on vectors against exact k-NN on flat
	my ($settings) = @_;
	return sql(($settings // '') . "SET enable_seqscan = off;
	          SELECT round(avg((SELECT count(*) FROM unnest(a.ids) x WHERE x = ANY (t.ids)) / 10.0), 4)
	          FROM (" . $knn->('vectors') . ") a JOIN truth t USING (q)");
};
sql("$exact CREATE TABLE truth AS " . $knn->('flat', 1));
is(sql("LOAD 'vector'; SHOW hnsw.ef_search"), '40', 'hnsw.ef_search is at its default');
my $plan = sql("SET enable_seqscan = off; EXPLAIN (COSTS OFF) " . $knn->('vectors'));
like($plan, qr/Merge Append/, 'the search across shards is one Merge Append');
is(scalar(() = $plan =~ /Index Scan using \S+_embedding_idx/g), 4, 'over the HNSW index of each of the four partitions');
my $r4 = $recall->();
cmp_ok($r4, '>=', 0.95, "recall\@10 of HNSW per partition (4 shards) against exact: $r4");
my $r4_narrow = $recall->('SET hnsw.ef_search = 1;');
cmp_ok($r4_narrow, '<=', 0.4, "the measure can fail: with ef_search = 1 each partition gives one row, recall\@10 $r4_narrow");

# --- shard_batch over the ids of searches groups them as shard_for does
is(sql(q{
    WITH found AS (SELECT q, array_agg(id) AS ids FROM queries,
                   LATERAL (SELECT id FROM vectors ORDER BY embedding <=> v LIMIT 50) s GROUP BY q),
    batched AS (SELECT f.q, b.shard_id, x AS id FROM found f, shard_batch(f.ids) b, unnest(b.ids) x),
    routed AS (SELECT f.q, shard_for(x) AS shard_id, x AS id FROM found f, unnest(f.ids) x)
    SELECT (SELECT count(*) FROM batched) || ' ' || (SELECT count(*) FROM routed) || ' '
        || (SELECT count(*) FROM ((TABLE batched EXCEPT ALL TABLE routed) UNION ALL (TABLE routed EXCEPT ALL TABLE batched)) d)
        || ' ' || (SELECT count(DISTINCT shard_id) FROM batched)}),
   '5000 5000 0 4', 'shard_batch over 100 searches of 50 ids: the same (shard, id) pairs as shard_for, all shards');

# --- partition_info(rel) and shard_overview: bytes include the embeddings
my $sizes = q{SELECT shard_for(id) AS shard_id, count(*) AS n,
                     sum(pg_column_size(id) + pg_column_size(embedding) + pg_column_size(metadata)) AS bytes,
                     sum(pg_column_size(embedding)) AS embedding_bytes FROM vectors GROUP BY 1};
is(sql("SELECT count(*) FROM partition_info('vectors') p JOIN ($sizes) s USING (shard_id)
        WHERE p.vector_count = s.n AND p.memory_bytes = s.bytes AND s.embedding_bytes = s.n * (8 + 4 * 64)"),
   '4', 'partition_info(rel): rows, and bytes of ids, metadata and every 64-dimension embedding (264 bytes), per shard');
is(sql("SELECT count(*) FROM shard_overview o JOIN ($sizes) s USING (shard_id) WHERE o.rows = s.n AND o.bytes = s.bytes"),
   '4', 'shard_overview: the same rows and bytes');

# --- re-sharding 4 -> 8: every row and every embedding bit kept, the indexes answer
my $before = sql("$checksum FROM vectors");
$node->append_conf('postgresql.conf', "dakera_shard.num_shards = 8\n");
$node->restart;
sql("SELECT record_shard_ring()");
my $stale = sql("SELECT stale_rows FROM shard_verify('vectors', 'id')");
cmp_ok($stale, '>', 1000, "after the restart with 8 shards, $stale rows sit in a partition of the old ring");
# the documented procedure of the table's form of partitioning by shard
if (sql("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'vectors'::regclass") eq 'h')
{
	# HASH (id shard_ops): the layout follows the shard count, replaced in one step
	sql("CALL reshard_hash_table('vectors', batch_size => 1000)");
}
else
{
	# LIST (shard_for(id)): the new shards' partitions beside the old, then the rows move
	is(sql("SELECT count(*) FROM create_shard_partitions('vectors')"), '4', 'create_shard_partitions adds the four new shards');
	sql("CALL reshard_table('vectors', 'id', batch_size => 1000)");
}
is(sql("SELECT count(*) FROM ($partitions) p"), '8', 'one partition per shard of 8');
is(sql("SELECT count(*) FROM ($partitions) p JOIN pg_index i ON i.indrelid = p.part
        JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam WHERE am.amname = 'hnsw'"),
   '8', 'every partition has its HNSW index from the parent');
is(sql("SELECT stale_rows FROM shard_verify('vectors', 'id')"), '0', 're-sharded: no stale row left');
is(sql($misplaced), '0', 'every row in the partition of its shard of 8');
is(sql("$checksum FROM vectors"), $before, 'count and every bit of every id, embedding and metadata kept (checksum)');
is(sql("SELECT count(DISTINCT tableoid) FROM vectors"), '8', 'rows in all eight partitions');

# each partition's own index finds the rows that moved in: a row's embedding
# is its own nearest neighbour, searched through that partition's index only
sql(q{CREATE FUNCTION nearest_in(part regclass, v vector) RETURNS text LANGUAGE plpgsql AS $$
         DECLARE hit text;
         BEGIN
             EXECUTE format('SELECT id FROM %s ORDER BY embedding <=> $1 LIMIT 1', part) INTO hit USING v;
             RETURN hit;
         END $$});
my $self_hits = sql(qq{SET enable_seqscan = off;
    SELECT count(*) || ' ' || count(*) FILTER (WHERE nearest_in(p.part, r.embedding) = r.id) FROM ($partitions) p,
    LATERAL (SELECT id, embedding FROM vectors v WHERE v.tableoid = p.part ORDER BY id LIMIT 25) r
    WHERE p.shard >= 4});
is($self_hits, '100 100', 'the index of each new partition finds its moved rows (25 a partition, each its own nearest)');
my $part7 = sql("SELECT part FROM ($partitions) p WHERE shard = 7");
like(sql("SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM $part7
          ORDER BY embedding <=> (SELECT v FROM queries WHERE q = 1) LIMIT 1"),
     qr/Index Scan using \S+_embedding_idx on $part7/, 'that search reads the index of the partition');
$plan = sql("SET enable_seqscan = off; EXPLAIN (COSTS OFF) " . $knn->('vectors'));
is(scalar(() = $plan =~ /Index Scan using \S+_embedding_idx/g), 8, 'the search across shards reads the HNSW index of all eight partitions');
my $r8 = $recall->();
cmp_ok($r8, '>=', 0.95, "recall\@10 after the move (8 shards, before VACUUM): $r8");
sql("VACUUM vectors");
my $r8v = $recall->();
cmp_ok($r8v, '>=', 0.95, "recall\@10 after VACUUM: $r8v");

$node->stop;
done_testing();
