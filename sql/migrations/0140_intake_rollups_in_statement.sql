-- 0140 the intake maintains the rollups and bucket versions itself
-- (issue 13, intake near COPY; src/store/events.c EV_WITH, docs/BENCHMARKS.md).
--
-- The intake (binary COPY into a staging table, then one INSERT with
-- data-modifying CTEs) now computes the deltas of situation_hourly,
-- situation_daily (0090) and situation_versions (0070) from the rows it
-- actually inserted (its RETURNING: a duplicate that hit ON CONFLICT DO
-- NOTHING is not among them) and upserts them sorted by key, in a second
-- statement of the same transaction right before the commit (events.c
-- ev_rollup). The profile showed the statement triggers re-grouping the
-- transition tables in four PL/pgSQL functions per batch, two of them
-- through a dynamic EXECUTE planned anew per batch.
--
-- So exactly these four trigger functions return at once for an INSERT of
-- the marked intake statement (estd.intake_statement = 'on', which events.c
-- sets for that one statement; the rollup statement after it ends the
-- mark). Every other statement (plain SQL inserts, UPDATEs of retention
-- strip and re-assignment, every DELETE, the event_areas rows a
-- re-assignment inserts) keeps maintaining the rollups and versions through
-- them, unchanged.

CREATE OR REPLACE FUNCTION est_situation_bump_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF current_setting('estd.intake_statement', true) IS NOT DISTINCT FROM 'on' THEN
      RETURN NULL; -- the intake statement bumps the buckets of its events itself (0140)
    END IF;
    INSERT INTO situation_versions AS v (area_id, day, version)
    SELECT b.a, b.d, 1 FROM (
      SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS d
      FROM new_rows r CROSS JOIN LATERAL unnest(r.area_ids || 0::bigint
        || CASE WHEN r.kind <> 'incident' THEN ARRAY[-1::bigint] ELSE '{}'::bigint[] END) AS x(a)) b
    ORDER BY b.a, b.d
    ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO situation_versions AS v (area_id, day, version)
    SELECT b.a, b.d, 1 FROM (
      SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS d
      FROM old_rows r CROSS JOIN LATERAL unnest(r.area_ids || 0::bigint
        || CASE WHEN r.kind <> 'incident' THEN ARRAY[-1::bigint] ELSE '{}'::bigint[] END) AS x(a)) b
    ORDER BY b.a, b.d
    ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1;
  ELSE
    INSERT INTO situation_versions AS v (area_id, day, version)
    SELECT b.a, b.d, 1 FROM (
      SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS d
      FROM (SELECT occurred_at, area_ids, kind FROM old_rows UNION ALL
            SELECT occurred_at, area_ids, kind FROM new_rows) r
      CROSS JOIN LATERAL unnest(r.area_ids || 0::bigint
        || CASE WHEN r.kind <> 'incident' THEN ARRAY[-1::bigint] ELSE '{}'::bigint[] END) AS x(a)) b
    ORDER BY b.a, b.d
    ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION est_situation_bump_event_areas() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF current_setting('estd.intake_statement', true) IS NOT DISTINCT FROM 'on' THEN
      RETURN NULL; -- its events' buckets, which include these, are bumped by the intake statement (0140)
    END IF;
    INSERT INTO situation_versions AS v (area_id, day, version)
    SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE 'Europe/Stockholm')::date, 1
    FROM new_rows r CROSS JOIN LATERAL (VALUES (r.area_id), (0::bigint)) x(a)
    ORDER BY 1, 2
    ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO situation_versions AS v (area_id, day, version)
    SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE 'Europe/Stockholm')::date, 1
    FROM old_rows r CROSS JOIN LATERAL (VALUES (r.area_id), (0::bigint)) x(a)
    ORDER BY 1, 2
    ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1;
  ELSE
    INSERT INTO situation_versions AS v (area_id, day, version)
    SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE 'Europe/Stockholm')::date, 1
    FROM (SELECT area_id, occurred_at FROM old_rows UNION ALL SELECT area_id, occurred_at FROM new_rows) r
    CROSS JOIN LATERAL (VALUES (r.area_id), (0::bigint)) x(a)
    ORDER BY 1, 2
    ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION est_rollup_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND current_setting('estd.intake_statement', true) IS NOT DISTINCT FROM 'on' THEN
    RETURN NULL; -- the intake statement adds its events to the area-0 rows itself (0140)
  END IF;
  EXECUTE est_rollup_statement(TG_OP, '0::bigint', 'occurred_at, kind, category, party_id, record_key, duration_s');
  IF TG_OP = 'UPDATE' THEN
    UPDATE event_areas ea
       SET occurred_at = n.occurred_at, kind = n.kind, category = n.category, party_id = n.party_id,
           record_key = n.record_key, duration_s = n.duration_s, hs_pt = n.hs_pt
      FROM new_rows n
     WHERE ea.event_id = n.id
       AND ((ea.occurred_at, ea.kind, ea.category, ea.party_id, ea.record_key, ea.duration_s)
            IS DISTINCT FROM (n.occurred_at, n.kind, n.category, n.party_id, n.record_key, n.duration_s)
            OR ea.hs_pt IS DISTINCT FROM n.hs_pt);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION est_rollup_event_areas() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND current_setting('estd.intake_statement', true) IS NOT DISTINCT FROM 'on' THEN
    RETURN NULL; -- the intake statement adds its area rows to the per-area rows itself (0140)
  END IF;
  EXECUTE est_rollup_statement(TG_OP, 'x.area_id',
                               'area_id, occurred_at, kind, category, party_id, record_key, duration_s');
  RETURN NULL;
END
$$;
