-- reshard: exact moved fractions, checked against sums over the rings' arcs
-- computed here in numeric from shard_key_hash; plans for real tables;
-- shard_verify.  Run under consistent_hash 4 x 150 (test/regress/ring4.conf).
\set VERBOSITY default

-- the hash space [0, 2^64) as intervals [lo, hi) with their shards, built in
-- SQL: a ring's points from shard_key_hash('shard-{s}-vnode-{v}') (of equal
-- points the later inserted wins), range's boundaries step * i
CREATE FUNCTION ring_intervals(n int, v int) RETURNS TABLE (lo numeric, hi numeric, shard int)
LANGUAGE sql AS $$
    WITH points AS (
        SELECT DISTINCT ON (p) p, s
        FROM (SELECT u64(shard_key_hash(format('shard-%s-vnode-%s', s, vn))) AS p, s, vn
              FROM generate_series(0, n - 1) s, generate_series(0, v - 1) vn) x
        ORDER BY p, s DESC, vn DESC),
    arcs AS (SELECT coalesce(lag(p) OVER (ORDER BY p) + 1, 0) AS lo, p + 1 AS hi, s FROM points)
    SELECT * FROM arcs
    UNION ALL  -- past the last point: the first point's shard
    SELECT (SELECT max(p) + 1 FROM points), 18446744073709551616, (SELECT s FROM points ORDER BY p LIMIT 1)
$$;
CREATE FUNCTION range_intervals(n int) RETURNS TABLE (lo numeric, hi numeric, shard int)
LANGUAGE sql AS $$
    SELECT floor(18446744073709551615::numeric / n) * i,
           CASE WHEN i = n - 1 THEN 18446744073709551616 ELSE floor(18446744073709551615::numeric / n) * (i + 1) END,
           i
    FROM generate_series(0, n - 1) i
$$;
CREATE FUNCTION arc_fractions(a_lo numeric[], a_hi numeric[], a_shard int[],
                              b_lo numeric[], b_hi numeric[], b_shard int[])
RETURNS TABLE (from_shard int, to_shard int, fraction numeric)
LANGUAGE sql AS $$
    SELECT a.s, b.s, sum(least(a.hi, b.hi) - greatest(a.lo, b.lo)) / 18446744073709551616
    FROM unnest(a_lo, a_hi, a_shard) a(lo, hi, s) JOIN unnest(b_lo, b_hi, b_shard) b(lo, hi, s)
      ON a.lo < b.hi AND b.lo < a.hi
    GROUP BY 1, 2
$$;
-- compare a plan with the arcs: same pairs, same fractions
CREATE FUNCTION compare_plan(plan regclass, arcs regclass)
RETURNS TABLE (pairs bigint, missing bigint, extra bigint, max_error float8, total float8)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT count(*), count(*) FILTER (WHERE p.fraction IS NULL), count(*) FILTER (WHERE a.fraction IS NULL),
                max(abs(p.fraction - a.fraction::float8)), sum(p.fraction)
         FROM %s p FULL JOIN %s a USING (from_shard, to_shard)', plan, arcs);
END
$$;

CREATE TEMP TABLE ring4 AS SELECT array_agg(lo) lo, array_agg(hi) hi, array_agg(shard) s FROM ring_intervals(4, 150);
CREATE TEMP TABLE ring5 AS SELECT array_agg(lo) lo, array_agg(hi) hi, array_agg(shard) s FROM ring_intervals(5, 150);
CREATE TEMP TABLE range3 AS SELECT array_agg(lo) lo, array_agg(hi) hi, array_agg(shard) s FROM range_intervals(3);
CREATE TEMP TABLE range2 AS SELECT array_agg(lo) lo, array_agg(hi) hi, array_agg(shard) s FROM range_intervals(2);
-- the intervals cover the hash space exactly once
SELECT (SELECT sum(hi - lo) FROM ring_intervals(4, 150)) = 18446744073709551616 AS ring_covers,
       (SELECT sum(hi - lo) FROM range_intervals(3)) = 18446744073709551616 AS range_covers;

-- server ring (consistent_hash 4 x 150) -> consistent_hash 5 x 150
CREATE TEMP TABLE plan_ring5 AS SELECT * FROM reshard_plan(5);
CREATE TEMP TABLE arcs_ring5 AS SELECT f.* FROM ring4 a, ring5 b, arc_fractions(a.lo, a.hi, a.s, b.lo, b.hi, b.s) f;
SELECT pairs, missing, extra, max_error < 1e-15 AS exact, abs(total - 1) < 1e-12 AS sums_to_one
FROM compare_plan('plan_ring5', 'arcs_ring5');
-- every key moves only to the new shard (consistent hashing), about 1/5 of them
SELECT count(*) FILTER (WHERE from_shard <> to_shard AND to_shard <> 4) AS moves_between_old_shards,
       round(sum(fraction) FILTER (WHERE from_shard <> to_shard)::numeric, 4) AS moved
FROM plan_ring5;

-- server ring -> range 3
CREATE TEMP TABLE plan_range3 AS SELECT * FROM reshard_plan(3, 'range');
CREATE TEMP TABLE arcs_range3 AS SELECT f.* FROM ring4 a, range3 b, arc_fractions(a.lo, a.hi, a.s, b.lo, b.hi, b.s) f;
SELECT pairs, missing, extra, max_error < 1e-15 AS exact, abs(total - 1) < 1e-12 AS sums_to_one
FROM compare_plan('plan_range3', 'arcs_range3');

-- range 2 -> range 3, between explicit shapes, printed in full
CREATE TEMP TABLE plan_r2r3 AS SELECT * FROM reshard_plan_between(2, 'range', 1, 3, 'range', 1);
CREATE TEMP TABLE arcs_r2r3 AS SELECT f.* FROM range2 a, range3 b, arc_fractions(a.lo, a.hi, a.s, b.lo, b.hi, b.s) f;
SELECT from_shard, to_shard, round(fraction::numeric, 12) AS fraction FROM plan_r2r3 ORDER BY 1, 2;
SELECT pairs, missing, extra, max_error < 1e-15 AS exact FROM compare_plan('plan_r2r3', 'arcs_r2r3');

-- the same shape moves nothing; modulo is the same ring
SELECT count(*) AS pairs, count(*) FILTER (WHERE from_shard <> to_shard) AS moving,
       abs(sum(fraction) - 1) < 1e-12 AS sums_to_one
FROM reshard_plan(4, 'modulo');

-- jump: exact expected values (keep 1/M, spread 1/(N*M) to each new shard)
SELECT from_shard, to_shard, fraction = 1.0 / 5 AS is_one_fifth, fraction = 1.0 / 20 AS is_one_twentieth
FROM reshard_plan_between(4, 'jump', 1, 5, 'jump', 1) ORDER BY 1, 2;
SELECT count(*) AS pairs, sum(fraction) FILTER (WHERE from_shard <> to_shard) = 0.5 AS moves_half
FROM reshard_plan_between(8, 'jump', 1, 4, 'jump', 1);
-- jump against a ring: independent, so a pair's share is the product of the shards' shares
WITH plan AS (SELECT * FROM reshard_plan(3, 'jump')),
     ring AS (SELECT shard, sum(hi - lo) / 18446744073709551616 AS share FROM ring_intervals(4, 150) GROUP BY shard)
SELECT count(*) AS pairs, max(abs(p.fraction - r.share::float8 / 3)) < 1e-15 AS products
FROM plan p JOIN ring r ON r.shard = p.from_shard;

-- errors
SELECT * FROM reshard_plan(0);
SELECT * FROM reshard_plan(4, 'rendezvous');
SELECT * FROM reshard_plan(5000, 'consistent_hash', 1000);
SELECT * FROM reshard_plan_between(100000, 'jump', 1, 1000, 'jump', 1);

-- plans for a real table: rows per (shard now, shard under the target ring)
CREATE TABLE docs (id text PRIMARY KEY, body text, shard_id int);
INSERT INTO docs (id, body) SELECT 'doc-' || g, repeat('x', g % 10) FROM generate_series(1, 3000) g;
UPDATE docs SET shard_id = shard_for(id);
SELECT count(*) AS pairs, sum(rows) AS rows,
       count(*) FILTER (WHERE rows <> (SELECT count(*) FROM docs WHERE shard_for(id) = p.from_shard
                                       AND shard_for(id, 5) = p.to_shard)) AS wrong_counts
FROM reshard_plan('docs'::regclass, 'id', 5) p;
-- the row counts follow the exact fractions closely
SELECT abs(sum(p.rows) FILTER (WHERE p.from_shard <> p.to_shard) / 3000.0
           - (SELECT sum(fraction) FILTER (WHERE from_shard <> to_shard) FROM reshard_plan(5))) < 0.05 AS close
FROM reshard_plan('docs'::regclass, 'id', 5) p;
SELECT * FROM reshard_plan('docs'::regclass, 'nope', 5);

-- shard_verify: a plain shard column, made stale by hand
SELECT * FROM shard_verify('docs', 'id', 'shard_id');
UPDATE docs SET shard_id = (shard_id + 1) % 4 WHERE id IN ('doc-7', 'doc-42', 'doc-2999');
SELECT * FROM shard_verify('docs', 'id', 'shard_id');
-- reshard_table sets a plain column back
CALL reshard_table('docs', 'id', 'shard_id', batch_size => 1000);
SELECT * FROM shard_verify('docs', 'id', 'shard_id');
SELECT * FROM shard_verify('docs', 'id');
SELECT * FROM shard_verify('docs', 'id', 'nope');
CALL reshard_table('docs', 'id', 'shard_id', batch_size => 0);
BEGIN;
CALL reshard_table('docs', 'id', 'shard_id');
ROLLBACK;
DROP TABLE docs;
