-- event_areas_situation_idx (0020) repeated the leading columns of the
-- primary key (area_id, occurred_at, event_id). One covering primary key
-- serves the situational picture's index-only scans and costs one b-tree
-- entry per row at intake instead of two (measured: -7 % of the intake
-- insert, docs/BENCHMARKS.md).
ALTER TABLE event_areas DROP CONSTRAINT event_areas_pkey;
ALTER TABLE event_areas ADD CONSTRAINT event_areas_pkey
  PRIMARY KEY (area_id, occurred_at, event_id) INCLUDE (kind, category, party_id);
DROP INDEX IF EXISTS event_areas_situation_idx;
