-- the assignment's shard is shard_for's, and its preferred node one of its nodes
\set n random(1, 240)
SELECT 1 / (a.shard_id = v.shard_id
            AND (a.preferred_node IS NULL OR a.preferred_node = ANY (a.nodes))
            AND cardinality(a.nodes) >= 1)::int
FROM ring_vectors v, shard_assignment(v.key) a WHERE v.n = :n;
