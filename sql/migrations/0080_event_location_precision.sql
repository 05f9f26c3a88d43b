-- 0080 how exact an event's position is, and when its source published it.
-- The Swedish Police feed gives the centroid of the municipality or county
-- named in location.name, not the incident's place, and its `datetime` is
-- the publication time (the occurrence time is in `name`). Events coarser
-- than a district (municipality, county) are assigned to no area and to no
-- hot spot; they count in the totals of the whole municipality (the
-- situation without an area). docs/EVENTS.md "Police feed".
ALTER TABLE events
  ADD COLUMN location_precision text,
  ADD COLUMN published_at timestamptz,
  ADD CONSTRAINT events_location_precision_check
    CHECK (location_precision IN ('point', 'street', 'district', 'municipality', 'county')),
  ADD CONSTRAINT events_location_precision_needs_geom
    CHECK (location_precision IS NULL OR geom IS NOT NULL);
COMMENT ON COLUMN events.location_precision IS
  'point | street | district | municipality | county; NULL without a point or for rows stored before 0080 '
  '(read as point). municipality/county: a centroid, in no area and no hot spot.';
COMMENT ON COLUMN events.published_at IS
  'When the source published the record (Police feed datetime); occurred_at is when it happened.';
