-- 0118 the all-areas situational picture's "imprecise" block
-- (src/store/situation.c counts_imprecise): the incidents whose position is
-- only a municipality or county centroid (the Police feed; 0080), per
-- period. They are a small share of the events, so a partial index keeps
-- that count off the period's other incidents.
CREATE INDEX events_imprecise_idx ON events (occurred_at) INCLUDE (location_precision, record_key)
  WHERE kind = 'incident' AND location_precision IN ('municipality', 'county');
