-- no torn placement: primary first, nodes all from one list (or a registration)
SELECT 1 / (bool_and(primary_node = node_ids[1])
            AND (bool_and(node_ids <@ ARRAY['a1', 'a2', 'a3'] OR node_ids <@ ARRAY['r1', 'r2'])
                 OR bool_and(node_ids <@ ARRAY['b1', 'b2'] OR node_ids <@ ARRAY['r1', 'r2']))
            AND count(*) = 4)::int
FROM partition_info();
