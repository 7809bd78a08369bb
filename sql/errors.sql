-- errors: bad shapes and settings are refused with the valid range in the hint.
\set VERBOSITY default

-- shard counts
SELECT shard_for('k', 0);
SELECT shard_for('k', -5, 'jump');
SELECT shard_for('k', 1000001, 'range');
SELECT shard_for('k', 1000000, 'jump') BETWEEN 0 AND 999999 AS largest_jump_ok;
-- virtual nodes (checked for every strategy, used only by the ring)
SELECT shard_for('k', 4, 'consistent_hash', 0);
SELECT shard_for('k', 4, 'range', 10001);
-- ring points: num_shards x virtual_nodes at most 4194304
SELECT shard_for('k', 4097, 'consistent_hash', 1024);
SELECT shard_for('k', 4097, 'range', 1024) BETWEEN 0 AND 4096 AS range_has_no_ring;
SELECT shard_for('k', 4096, 'modulo', 1024) BETWEEN 0 AND 4095 AS largest_ring_ok;
-- strategies: exact lower-case names
SELECT shard_for('k', 4, 'bogus');
SELECT shard_for('k', 4, 'Consistent_Hash');
SELECT shard_for('k', 4, '');
SELECT shard_for('k', 4, repeat('x', 100));

-- a mistyped name under the reserved prefix is refused
SET dakera_shard.num_shard = 8;
