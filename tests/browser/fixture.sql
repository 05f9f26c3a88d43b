-- Known test data for the browser tests: ISO week 2026-W45 (2026-11-02 ..
-- 2026-11-08, Europe/Stockholm) with a planted cluster, a smaller second
-- cluster, a few scattered incidents (counts below the privacy threshold),
-- patrols inside the planted cluster, the previous week, the same week a
-- year earlier and eleven weeks of history for the trend chart.
-- Area membership is computed with ST_Contains against the seeded areas,
-- as the intake does (tests/integration/sit_events.py does the same).
CREATE TEMP TABLE fx (party text, kind text, category text, local timestamp, lon float8, lat float8,
                      duration_s int, activity_type text DEFAULT NULL, rk int DEFAULT NULL);

-- Planted cluster (rank 1): 14 incidents within ~25 m in Hässleholmen.
INSERT INTO fx SELECT (ARRAY['polisen-boras','ab-bostader','boras-stad'])[1 + i % 3], 'incident',
  (ARRAY['skadegorelse','klotter'])[1 + i % 2],
  timestamp '2026-11-02 18:00' + (i % 7) * interval '1 day' + (i % 5) * interval '1 hour',
  12.9750 + ((i % 5) - 2) * 0.00008, 57.7370 + ((i % 3) - 1) * 0.00006, NULL
FROM generate_series(1, 14) i;
-- Second cluster: 7 incidents in Centrum.
INSERT INTO fx SELECT 'polisen-boras', 'incident', 'ordningsstorning',
  timestamp '2026-11-06 22:00' + (i % 2) * interval '1 day' + (i % 3) * interval '1 hour',
  12.9400 + ((i % 3) - 1) * 0.00008, 57.7200 + ((i % 2)) * 0.00006, NULL
FROM generate_series(1, 7) i;
-- Scattered, below the threshold: 2 fires in Norrby, 1 drugs incident in Sjöbo.
INSERT INTO fx VALUES
  ('polisen-boras', 'incident', 'brand', '2026-11-03 02:10', 12.9300, 57.7285, NULL),
  ('ab-bostader', 'incident', 'brand', '2026-11-05 03:40', 12.9330, 57.7270, NULL),
  ('polisen-boras', 'incident', 'narkotika', '2026-11-04 15:20', 12.9380, 57.7520, NULL);
-- Patrols inside the planted cluster.
INSERT INTO fx SELECT 'polisen-boras', 'patrol', NULL, timestamp '2026-11-03 19:00' + i * interval '1 day',
  12.9751, 57.7371, 1800 FROM generate_series(0, 3) i;
-- Previous week (2026-W44): 5 incidents of criminal damage in Hässleholmen.
INSERT INTO fx SELECT 'ab-bostader', 'incident', 'skadegorelse', timestamp '2026-10-27 20:00' + i * interval '1 day',
  12.9760, 57.7365, NULL FROM generate_series(0, 4) i;
-- A year earlier (2025-W45): 3 incidents of criminal damage.
INSERT INTO fx SELECT 'polisen-boras', 'incident', 'skadegorelse', timestamp '2025-11-04 21:00' + i * interval '1 day',
  12.9755, 57.7368, NULL FROM generate_series(0, 2) i;
-- Medborgarlöfte follow-up (2018): 2 operative actions (ml-3, a count below
-- the threshold; their record keys make the cell key 2e9, so the cell-key
-- rounding takes 2 down to 0 and the public page must show "< 3") and 5
-- information meetings (ml-5, shown as the rounding publishes it).
INSERT INTO fx SELECT 'polisen-boras', 'activity', NULL, timestamp '2018-03-05 10:00' + i * interval '20 days',
  12.9300, 57.7285, 3600, 'operativ_insats', 1000000000 FROM generate_series(0, 1) i;
INSERT INTO fx SELECT 'boras-stad', 'activity', NULL, timestamp '2018-04-02 18:00' + i * interval '30 days',
  12.9750, 57.7370, 5400, 'informationstillfalle' FROM generate_series(0, 4) i;
-- History 2026-W34 .. 2026-W43: 4 + (week mod 4) incidents a week in Hulta.
INSERT INTO fx SELECT 'polisen-boras', 'incident', 'inbrott_och_stold',
  timestamp '2026-08-17 12:00' + w * interval '1 week' + n * interval '1 day', 12.9850, 57.7270, NULL
FROM generate_series(0, 9) w, LATERAL generate_series(0, 3 + w % 4) n;

WITH e AS (
  INSERT INTO events (source, source_event_id, party_id, kind, activity_type, category, occurred_at, duration_s,
                      geom, channel, area_ids, record_key)
  SELECT 'browser-test', 'fx-' || row_number() OVER (), p.id, fx.kind, fx.activity_type, fx.category,
         fx.local AT TIME ZONE 'Europe/Stockholm', fx.duration_s, ST_SetSRID(ST_MakePoint(fx.lon, fx.lat), 4326),
         'http',
         COALESCE((SELECT array_agg(a.id ORDER BY a.id) FROM areas a
                   WHERE ST_Contains(a.geom, ST_SetSRID(ST_MakePoint(fx.lon, fx.lat), 4326))), '{}'),
         COALESCE(fx.rk, est_record_key())
  FROM fx JOIN parties p ON p.code = fx.party
  RETURNING id, geom, occurred_at, kind, category, party_id)
INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id)
SELECT e.id, a.id, e.occurred_at, e.kind, e.category, e.party_id FROM e JOIN areas a ON ST_Contains(a.geom, e.geom);
