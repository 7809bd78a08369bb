-- privileges: routing and reading for everyone; placement, health and the
-- recorded shape only for superusers and members of dakera_shard_admin.
\set VERBOSITY default
CREATE ROLE dakera_reader;
CREATE ROLE dakera_operator IN ROLE dakera_shard_admin;

SET ROLE dakera_reader;
SELECT shard_for('vec-1') BETWEEN 0 AND 3 AS routes, shard_for('vec-1', 8) BETWEEN 0 AND 7 AS explicit;
SELECT count(*) AS shards FROM partition_info();
SELECT (shard_assignment('vec-1')).shard_id = shard_for('vec-1') AS assignment;
SELECT count(*) >= 0 AS reads_health FROM node_health();
SELECT count(*) AS plan_rows FROM rebalance_plan(ARRAY['a'], 1);
SELECT count(*) AS registrations FROM shard_placement;
SELECT register_shard_nodes(0, ARRAY['x']);
SELECT unregister_shard_nodes(0);
SELECT set_node_health('n1', false);
SELECT reset_node_health();
SELECT record_shard_ring();
INSERT INTO shard_placement (shard_id, node_ids) VALUES (0, ARRAY['x']);
RESET ROLE;

SET ROLE dakera_operator;
SELECT register_shard_nodes(0, ARRAY['op-node']);
SELECT node_ids FROM partition_info() WHERE shard_id = 0;
SELECT unregister_shard_nodes(0);
SELECT set_node_health('n3', false);
SELECT node, healthy FROM node_health();
SELECT reset_node_health();
SELECT record_shard_ring();
RESET ROLE;

DROP ROLE dakera_reader;
DROP ROLE dakera_operator;
