-- placement: registrations, node health, shard_assignment and rebalance_plan.
-- Run preloaded with dakera_shard.nodes = 'n1, n2, n3', replication_factor 2,
-- consistent_hash 4 x 150 (test/regress/ring4.conf).
\set VERBOSITY default

-- the computed placement, and nothing registered yet
SELECT shard_id, node_ids, primary_node, preferred_node, is_healthy, registered FROM placement_map();

-- an explicit placement overrides the round robin for its shard only
SELECT register_shard_nodes(2, ARRAY['edge-1', 'edge-2', 'edge-3']);
SELECT shard_id, node_ids, registered FROM placement_map() ORDER BY shard_id;
SELECT shard_id, node_ids, registered_by FROM shard_placement;
-- registering again replaces it
SELECT register_shard_nodes(2, ARRAY['edge-9']);
SELECT node_ids FROM partition_info() WHERE shard_id = 2;

-- registrations are transactional
BEGIN;
SELECT register_shard_nodes(0, ARRAY['tx-node']);
SELECT node_ids FROM partition_info() WHERE shard_id = 0;
ROLLBACK;
SELECT node_ids FROM partition_info() WHERE shard_id = 0;

-- bad registrations: a clear error, and nothing stored
SELECT register_shard_nodes(4, ARRAY['n1']);
SELECT register_shard_nodes(-1, ARRAY['n1']);
SELECT register_shard_nodes(1, ARRAY[]::text[]);
SELECT register_shard_nodes(1, ARRAY['n1', NULL]);
SELECT register_shard_nodes(1, ARRAY['n1', '']);
SELECT register_shard_nodes(1, ARRAY['n1', 'n1']);
SELECT register_shard_nodes(1, ARRAY['a,b']);
SELECT register_shard_nodes(1, ARRAY[' n1']);
SELECT register_shard_nodes(1, ARRAY[repeat('x', 64)]);
SELECT register_shard_nodes(1, ARRAY[['n1'], ['n2']]);
SELECT register_shard_nodes(1, NULL);
SELECT register_shard_nodes(NULL, ARRAY['n1']);
SELECT shard_id, node_ids FROM shard_placement ORDER BY shard_id;

-- unregister: back to the round robin; a second time removes nothing
SELECT unregister_shard_nodes(2) AS removed, unregister_shard_nodes(2) AS removed_again;
SELECT count(*) AS registrations FROM shard_placement;
SELECT node_ids FROM partition_info() WHERE shard_id = 2;

-- shard_assignment: the key's shard as shard_for gives it, and its nodes
SELECT count(*) AS keys,
       count(*) FILTER (WHERE a.shard_id <> shard_for(k)) AS wrong_shard,
       count(*) FILTER (WHERE a.nodes <> m.node_ids) AS wrong_nodes,
       count(*) FILTER (WHERE a.preferred_node <> a.nodes[1]) AS not_primary
FROM (SELECT 'vec-' || g AS k FROM generate_series(1, 200) g) keys,
     LATERAL shard_assignment(k) a JOIN placement_map() m ON m.shard_id = a.shard_id;
SELECT * FROM shard_assignment(NULL);
-- a registration made between two calls in one transaction is seen by the second
DO $$
DECLARE
    before text[];
    after text[];
BEGIN
    before := (shard_assignment('vec-1')).nodes;
    PERFORM register_shard_nodes(shard_for('vec-1'), ARRAY['just-registered']);
    after := (shard_assignment('vec-1')).nodes;
    RAISE NOTICE 'before: %, after: %', before, after;
    PERFORM unregister_shard_nodes(shard_for('vec-1'));
END
$$;

-- health: no report means healthy; a shard whose primary is down is served
-- by a replica; a shard with every node down is unhealthy with no preferred node
SELECT count(*) AS reports FROM node_health();
SELECT set_node_health('n1', false);
SELECT node, healthy, changed_at <= now() AS changed FROM node_health();
SELECT shard_id, node_ids, primary_node, preferred_node, is_healthy FROM placement_map();
SELECT set_node_health('n2', false);
SELECT shard_id, node_ids, preferred_node, is_healthy FROM placement_map();
SELECT shard_id, is_healthy FROM partition_info();
SELECT a.shard_id, a.preferred_node, count(*) > 0 AS has_keys
FROM (SELECT 'vec-' || g AS k FROM generate_series(1, 50) g) keys, LATERAL shard_assignment(k) a
GROUP BY 1, 2 ORDER BY 1;
-- reporting the same state again keeps changed_at; a change moves it
SELECT changed_at AS n2_down_at FROM node_health() WHERE node = 'n2' \gset
SELECT set_node_health('n2', false);
SELECT changed_at = :'n2_down_at' AS unchanged FROM node_health() WHERE node = 'n2';
SELECT set_node_health('n2', true);
SELECT healthy, changed_at > :'n2_down_at' AS moved FROM node_health() WHERE node = 'n2';
-- bad reports
SELECT set_node_health('', true);
SELECT set_node_health('n1', NULL);
SELECT set_node_health(NULL, true);
-- forget one report, then all
SELECT reset_node_health('n2') AS forgotten, reset_node_health('n2') AS again;
SELECT node FROM node_health();
SELECT reset_node_health() AS forgotten;
SELECT count(*) AS reports FROM node_health();

-- rebalance_plan: what a new node list would move, before the DBA changes it
SELECT * FROM rebalance_plan(ARRAY['n1', 'n2', 'n3', 'n4'], 2);
SELECT * FROM rebalance_plan(ARRAY['n1', 'n2', 'n3'], 2);
SELECT shard_id, planned_nodes, primary_moves, nodes_change, changed_shards
FROM rebalance_plan(ARRAY['n1', 'n2', 'n3'], 3);
-- a registered shard keeps its registration
SELECT register_shard_nodes(1, ARRAY['pinned']);
SELECT shard_id, current_nodes, planned_nodes, primary_moves, changed_shards
FROM rebalance_plan(ARRAY['m1', 'm2'], 1);
SELECT unregister_shard_nodes(1);
SELECT * FROM rebalance_plan(ARRAY[]::text[], 2);
SELECT * FROM rebalance_plan(ARRAY['a', 'a'], 2);
SELECT * FROM rebalance_plan(ARRAY['a'], 0);

-- placement_map of an explicit shard count: any count in range, else an error
SELECT count(*) AS shards, max(shard_id) AS last FROM placement_map(10);
SELECT * FROM placement_map(0);
SELECT * FROM placement_map(1000001);

-- registering runs in a scope of its own: a SET made by code the statement
-- fires (here a trigger on shard_placement) does not outlive it
CREATE FUNCTION placement_sets_guc() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN PERFORM pg_catalog.set_config('dakera_test.leaked', 'yes', false); RETURN NEW; END$$;
CREATE TRIGGER placement_sets_guc BEFORE INSERT OR UPDATE ON shard_placement
    FOR EACH ROW EXECUTE FUNCTION placement_sets_guc();
SELECT register_shard_nodes(2, ARRAY['n9']);
SELECT pg_catalog.current_setting('dakera_test.leaked', true) IS DISTINCT FROM 'yes' AS not_leaked;
DROP TRIGGER placement_sets_guc ON shard_placement;
DROP FUNCTION placement_sets_guc();
SELECT unregister_shard_nodes(2);
