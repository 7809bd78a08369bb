
-- A new database's stored shard ids will be made with the server's shape.
SELECT record_shard_ring();
