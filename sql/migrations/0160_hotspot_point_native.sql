-- 0160 hot spot points as PostgreSQL's native point (src/store/situation.c,
-- points_area / points_all): hs_pt (0090) holds the SWEREF 99 TM position as
-- a PostGIS geometry, so every incident of a picture cost two function calls
-- (ST_X, ST_Y) that unpack the geometry, about as much as the rest of the
-- index-only scan. hs_xy holds the same two float8 as a point (the cast takes
-- the geometry's x and y): the scan returns the pair as it is stored, the
-- statement sends it with point_send, and the index entries are smaller.
--
-- Compatible with the previous release (docs/OPERATIONS.md, "Upgrades"):
-- hs_pt stays and is still written (by the generation expression in events,
-- by the statements and triggers that copy it into event_areas), and hs_xy
-- follows it by generation in both tables, so no writing path changes. An
-- instance of the previous release reads hs_pt without the covering indexes
-- (slower hot spots, the same ones) until it is replaced. hs_pt can be
-- dropped by a migration of a later release.
--
-- Adding a stored generated column rewrites the table (every partition; no
-- trigger fires, so the rollups and bucket versions are untouched). That and
-- the rebuilt indexes take about as long as building an index over all
-- events, longer than the pool's statement_timeout: lifted for this
-- migration's transaction only. The rewritten tables' visibility maps are
-- empty until VACUUM, and index-only scans fetch heap pages until then
-- (docs/OPERATIONS.md, "Upgrades": VACUUM (ANALYZE) events and event_areas
-- after this migration).
SET LOCAL statement_timeout = 0;

ALTER TABLE events
  ADD COLUMN hs_xy point GENERATED ALWAYS AS ((
    CASE WHEN kind = 'incident' AND geom IS NOT NULL AND COALESCE(location_precision, 'point') IN ('point', 'street')
         THEN ST_Transform(geom, 3006) END)::point) STORED;
COMMENT ON COLUMN events.hs_xy IS
  'Hot spot point: hs_pt as a native point (SWEREF 99 TM, EPSG:3006, metres; x east, y north), else NULL.';
DROP INDEX events_hotspot_idx;
CREATE INDEX events_hotspot_idx ON events (occurred_at) INCLUDE (category, record_key, hs_xy)
  WHERE hs_xy IS NOT NULL;

ALTER TABLE event_areas ADD COLUMN hs_xy point GENERATED ALWAYS AS (hs_pt::point) STORED;
COMMENT ON COLUMN event_areas.hs_xy IS 'The event''s hs_xy (its hs_pt as a native point), for the per-area hot spot points.';
ALTER TABLE event_areas DROP CONSTRAINT event_areas_pkey;
ALTER TABLE event_areas ADD CONSTRAINT event_areas_pkey
  PRIMARY KEY (area_id, occurred_at, event_id) INCLUDE (kind, category, party_id, record_key, hs_xy);
