-- every answer equals the engine's vector (a mismatch divides by zero: an error)
\set n random(1, 240)
SELECT 1 / (shard_for(key) = shard_id)::int FROM ring_vectors WHERE n = :n;
