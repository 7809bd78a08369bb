
-- Objects whose signature or columns change are dropped and made again by the
-- pieces that follow; the internal helpers of 0.1.0 leave the public API.
DROP VIEW shard_overview;
DROP FUNCTION sharded_tables();
DROP FUNCTION shard_key_info(regclass, name);
DROP FUNCTION reshard_stale_condition(regclass, name, name);
DROP FUNCTION reshard_key_type(regclass, name);
