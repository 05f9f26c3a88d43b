-- 0150 presence around hot spots (src/store/situation.c hotspot_details):
-- the patrols and activities of a period whose point or track intersects a
-- hot spot's zone. 0020 indexed them by GiST (occurred_at, geom): a GiST
-- multi-column index is split by its first column, so it is organised by
-- time, and one zone's probe read every leaf of the period's week (~2 ms at
-- 10 M events, once per hot spot). These are organised by space first:
--  * points: the native point (x, y) of geom, then occurred_at, with the
--    columns the presence sums INCLUDEd (and geom itself, for the exact
--    ST_Intersects), so one zone's probe is an index-only scan of the
--    period's points in the zone's bounding box (point_ops and btree_gist's
--    timestamptz can both return their keys);
--  * tracks: GiST (track, occurred_at).
-- Building them reads every patrol and activity (~1 min at 10 M events), longer
-- than the pool's statement_timeout (ESTD_DB_STATEMENT_TIMEOUT_MS, 15 s): lifted
-- for this migration's transaction only.
SET LOCAL statement_timeout = 0;
DROP INDEX events_presence_geom_idx;
CREATE INDEX events_presence_pt_idx ON events USING gist ((point(ST_X(geom), ST_Y(geom))), occurred_at)
  INCLUDE (kind, record_key, duration_s, geom) WHERE kind <> 'incident' AND geom IS NOT NULL;
DROP INDEX events_presence_track_idx;
CREATE INDEX events_presence_track_idx ON events USING gist (track, occurred_at)
  WHERE kind <> 'incident' AND track IS NOT NULL;
