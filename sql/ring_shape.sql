-- ring_shape: the shape recorded in this database guards shard_for(text).
-- Run under dakera_shard.strategy = consistent_hash, num_shards = 4,
-- virtual_nodes = 150, preloaded (test/regress/ring4.conf).
\set VERBOSITY default

SELECT strategy, num_shards, virtual_nodes, recorded_strategy, recorded_num_shards,
       recorded_virtual_nodes, recorded_at <= now() AS recorded_before_now,
       routes_alike, ring_points, ring_bytes, ring_bytes <= 16 * ring_points + 64 AS at_most_16_bytes_a_point,
       shared_memory, build_ms >= 0 AS timed
FROM shard_ring();
SELECT strategy, num_shards, virtual_nodes, recorded_by FROM shard_ring_record;

-- a record of another name for the same ring (modulo) still routes
BEGIN;
UPDATE shard_ring_record SET strategy = 'modulo';
SELECT routes_alike FROM shard_ring();
SELECT shard_for('vec-1') = shard_for('vec-1', 4, 'modulo') AS routes;
ROLLBACK;

-- a record of another shape: shard_for(text) and shard_batch refuse to answer
BEGIN;
UPDATE shard_ring_record SET num_shards = 8;
SELECT routes_alike FROM shard_ring();
SELECT shard_for('vec-1');
ROLLBACK;
BEGIN;
UPDATE shard_ring_record SET strategy = 'jump', virtual_nodes = 1;
SELECT * FROM shard_batch(ARRAY['vec-1']);
ROLLBACK;
-- the explicit form reads no setting and is never refused
BEGIN;
UPDATE shard_ring_record SET num_shards = 8;
SELECT shard_for('vec-1', 8) BETWEEN 0 AND 7 AS explicit_ok;
ROLLBACK;

-- no record at all
BEGIN;
DELETE FROM shard_ring_record;
SELECT shard_for('vec-1');
ROLLBACK;

-- after each rollback the server ring answers again
SELECT shard_for('vec-1') = shard_for('vec-1', 4) AS routes_again;

-- record_shard_ring() records the server's shape (here: the same one)
SELECT record_shard_ring();
SELECT routes_alike FROM shard_ring();

-- the shape cannot be changed in a session, placement only by a reload
SET dakera_shard.num_shards = 8;
SET dakera_shard.strategy = 'jump';
SET dakera_shard.nodes = 'n1';
SET dakera_shard.replication_factor = 3;

-- a plain user routes and reads, but can neither record nor edit the record
CREATE ROLE dakera_plain_user;
SET ROLE dakera_plain_user;
SELECT shard_for('vec-1') BETWEEN 0 AND 3 AS plain_user_routes;
SELECT count(*) AS visible_records FROM shard_ring_record;
SELECT record_shard_ring();
UPDATE shard_ring_record SET num_shards = 8;
RESET ROLE;
DROP ROLE dakera_plain_user;

-- the extension's catalog cache and the verdict are dropped apart: after an
-- invalidation of shard_placement, a new record is still seen
SELECT shard_for('vec-1') BETWEEN 0 AND 3 AS routes;
ALTER TABLE shard_placement ALTER COLUMN registered_by SET DEFAULT current_user;
BEGIN;
UPDATE shard_ring_record SET num_shards = 8;
SELECT shard_for('vec-1');
ROLLBACK;
SELECT shard_for('vec-1') BETWEEN 0 AND 3 AS routes_again;
