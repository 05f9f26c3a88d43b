-- 0142 the rollup rows are updated in place (HOT) by the intake (issue 13,
-- intake near COPY; docs/BENCHMARKS.md "Event intake").
--
-- Every intake batch upserts a few thousand situation_hourly and
-- situation_daily rows (about 3.5 per event in the benchmark's mix, which
-- spreads over many hours), nearly all of them updates of existing rows.
-- Their primary keys carried the counters as INCLUDE columns (0090), so
-- every update changed an indexed column: a new heap tuple on any page, a
-- new index entry with its uniqueness check, and bottom-up index deletion
-- of the old ones. Without the INCLUDE columns, and with free space on each
-- heap page (fillfactor 70), the counters' update is a heap-only tuple
-- update on the same page: the index is not touched. Measured on the
-- intake's rollup statement: ~30 % less time (docs/BENCHMARKS.md).
--
-- The reads (src/store/situation.c) scan these keys by (area, period,
-- kind): a short index range scan that now fetches the rows from the heap
-- instead of reading them from the index alone (under intake the pages of
-- the recent buckets were never all-visible anyway, so those scans fetched
-- the heap already). situation_versions keeps its covering key: it is read
-- on every request and updated far less (one row per (area, day) bucket of
-- a batch).
--
-- Existing rows keep their pages; the fillfactor applies to pages written
-- from now on (a VACUUM FULL of the two tables applies it to all).
ALTER TABLE situation_hourly DROP CONSTRAINT situation_hourly_pkey,
  ADD CONSTRAINT situation_hourly_pkey PRIMARY KEY (area_id, hour, kind);
ALTER TABLE situation_hourly SET (fillfactor = 70);

ALTER TABLE situation_daily DROP CONSTRAINT situation_daily_pkey,
  ADD CONSTRAINT situation_daily_pkey PRIMARY KEY (area_id, day, kind, category, party_id);
ALTER TABLE situation_daily SET (fillfactor = 70);
