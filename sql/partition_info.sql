-- partition_info: placement under dakera_shard.nodes = 'n1, n2, n3' and
-- replication_factor 2, as run by make test (the default placement and the
-- reload are tested by test/t/002_placement_reload.pl).
SHOW dakera_shard.nodes;
SHOW dakera_shard.replication_factor;

SELECT * FROM partition_info();

-- the engine's rebalance, recomputed: shard s on n[(s + r) mod M], primary first
WITH nodes AS (SELECT array_agg(trim(n) ORDER BY ord) AS a
               FROM unnest(string_to_array(current_setting('dakera_shard.nodes'), ',')) WITH ORDINALITY AS u(n, ord))
SELECT count(*) AS shards,
       count(*) FILTER (WHERE p.node_ids <> ARRAY[nodes.a[(p.shard_id % 3) + 1], nodes.a[((p.shard_id + 1) % 3) + 1]]) AS misplaced,
       count(*) FILTER (WHERE p.primary_node <> p.node_ids[1]) AS primary_not_first,
       count(*) FILTER (WHERE p.vector_count IS NOT NULL OR p.memory_bytes IS NOT NULL) AS made_up_sizes,
       count(*) FILTER (WHERE p.is_healthy) AS healthy_without_reports
FROM partition_info() p, nodes;

-- one row per shard of the server's ring, whatever the shape
SELECT count(*) = current_setting('dakera_shard.num_shards')::int AS one_row_per_shard,
       min(shard_id) AS first_shard, max(shard_id) + 1 = count(*) AS contiguous
FROM partition_info();
