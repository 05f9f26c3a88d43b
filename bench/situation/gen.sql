-- bench/situation/gen.sql - one chunk of synthetic events for the situation benchmark.
-- psql -v lo=N -v hi=M: events N..M. Over two years (2023-01-02 .. 2025-01-01, Stockholm):
--   70 % incidents (14 categories), 20 % patrols, 10 % activities; party round-robin;
--   35 % near one of the six seeded districts (normal spread ~150 m around the centre, so they
--   cluster as real incidents do around a few places), 65 % uniform over Borås' urban area
--   (12.85..13.05 E, 57.68..57.78 N). Area membership (area_ids, event_areas) by ST_Contains
--   against the seeded areas, as the intake does.
--   Optional: -v t0='<timestamptz>' -v days=D spread the events over D days from t0 instead
--   (bench/scale/run.sh: history that grows back in time at a constant density).
\if :{?t0}
\else
\set t0 '2023-01-01 23:00:00+00'
\endif
\if :{?days}
\else
\set days 730
\endif
SELECT setseed(0.42 + (:lo % 1000) / 10000.0);
WITH d AS (
  SELECT array_agg(ST_X(ST_Centroid(geom)) ORDER BY id) AS cx, array_agg(ST_Y(ST_Centroid(geom)) ORDER BY id) AS cy
  FROM areas WHERE kind = 'district'),
r AS (
  SELECT i, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5, random() AS u6
  FROM generate_series(:lo, :hi) i),
p AS (
  SELECT r.i, r.u1, r.u6,
    CASE WHEN r.u1 < 0.7 THEN 'incident' WHEN r.u1 < 0.9 THEN 'patrol' ELSE 'activity' END AS kind,
    :'t0'::timestamptz + (r.u2 * :days * 86400) * interval '1 second' AS t,
    CASE WHEN r.u3 < 0.35 THEN
      ST_SetSRID(ST_MakePoint(
        d.cx[1 + floor(r.u4 * 6)::int] + 0.0025 * sqrt(-2 * ln(greatest(r.u5, 1e-12))) * cos(2 * pi() * r.u6),
        d.cy[1 + floor(r.u4 * 6)::int] + 0.0013 * sqrt(-2 * ln(greatest(r.u5, 1e-12))) * sin(2 * pi() * r.u6)), 4326)
    ELSE ST_SetSRID(ST_MakePoint(12.85 + 0.20 * r.u4, 57.68 + 0.10 * r.u5), 4326) END AS g
  FROM r, d)
INSERT INTO events (source, source_event_id, party_id, kind, activity_type, category, occurred_at, received_at,
                    duration_s, geom, channel, area_ids)
SELECT 'bench', 'b' || p.i, 1 + p.i % 3, p.kind,
       CASE WHEN p.kind = 'activity' THEN (ARRAY['trygghetsvandring', 'informationstillfalle', 'operativ_insats',
            'grannsamverkan', 'natverksgrupp', 'other'])[1 + p.i % 6] END,
       CASE WHEN p.kind = 'incident' THEN (ARRAY['skadegorelse', 'klotter', 'brand', 'nedskrapning',
            'ordningsstorning', 'otrygghetsskapande_samling', 'narkotika', 'hot_och_vald', 'hot_vald_mot_anstalld',
            'inbrott_och_stold', 'olovlig_korning', 'bristande_belysning', 'otrygg_plats', 'ovrigt'])[1 + (p.i / 7) % 14] END,
       p.t, p.t + interval '2 minutes',
       CASE WHEN p.kind <> 'incident' THEN 300 + (p.i % 24) * 300 END,
       p.g, 'kafka',
       COALESCE((SELECT array_agg(a.id ORDER BY a.id) FROM areas a WHERE ST_Contains(a.geom, p.g)), '{}')
FROM p;
