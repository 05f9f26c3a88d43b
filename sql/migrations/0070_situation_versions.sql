-- 0070_situation_versions.sql - what a cached situational picture depends on
-- (issue 13, invalidation per area and period; see src/store/situation.c).
--
-- situation_versions: one counter per (area, local day in Europe/Stockholm),
-- bumped by every statement that inserts, changes or deletes an event of
-- that area and day, in the writing transaction (statement triggers below,
-- so every path is covered: Kafka and HTTP intake, resubmit, retention,
-- a future re-assignment of event_areas). Two pseudo areas:
--   0  every event (the all-areas picture reads events, also those outside
--      every area);
--  -1  patrols and activities anywhere (the presence around an area's hot
--      spots reads them outside the area too).
-- Counters only grow and rows are never deleted, so the sum of the counters
-- of a fixed set of buckets changes exactly when one of them was bumped.
--
-- situation_meta: one counter bumped by every statement that writes the
-- other inputs of the picture (areas, focuses, commitments and their areas,
-- parties, categories, actions).
CREATE TABLE situation_versions (
  area_id bigint NOT NULL,
  day     date   NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (area_id, day) INCLUDE (version)
);

CREATE TABLE situation_meta (
  id      integer PRIMARY KEY CHECK (id = 1),
  version bigint  NOT NULL
);
INSERT INTO situation_meta VALUES (1, 1);

-- Bumps the buckets of the rows of the transition table(s) in one set-based
-- statement, in (area_id, day) order so that concurrent writers lock the
-- counter rows in the same order (no deadlock between two such statements).
CREATE FUNCTION est_situation_bump_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
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

-- event_areas written on its own (re-assignment): the same for its rows,
-- for their area and for all areas (the all-areas picture counts per area
-- too). With an event insert or delete these buckets were already bumped
-- (and locked) by the events trigger of the same transaction.
CREATE FUNCTION est_situation_bump_event_areas() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
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

CREATE TRIGGER events_situation_ins AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_events();
CREATE TRIGGER events_situation_upd AFTER UPDATE ON events
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_events();
CREATE TRIGGER events_situation_del AFTER DELETE ON events
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_events();
CREATE TRIGGER event_areas_situation_ins AFTER INSERT ON event_areas
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_event_areas();
CREATE TRIGGER event_areas_situation_upd AFTER UPDATE ON event_areas
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_event_areas();
CREATE TRIGGER event_areas_situation_del AFTER DELETE ON event_areas
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_event_areas();

-- Bumps situation_meta when the statement changed a row (a re-seed whose
-- inserts all hit ON CONFLICT DO NOTHING changes nothing, and invalidates
-- nothing); TRUNCATE always bumps.
CREATE FUNCTION est_situation_bump_meta() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE changed boolean;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    changed := true;
  ELSIF TG_OP = 'DELETE' THEN
    changed := EXISTS (SELECT 1 FROM old_rows);
  ELSE
    changed := EXISTS (SELECT 1 FROM new_rows);
  END IF;
  IF changed THEN
    UPDATE situation_meta SET version = version + 1 WHERE id = 1;
  END IF;
  RETURN NULL;
END
$$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['areas', 'area_focuses', 'commitments', 'commitment_areas', 'parties', 'event_categories',
                           'actions']
  LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_meta()', t || '_situation_meta_ins', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_meta()', t || '_situation_meta_upd', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_meta()', t || '_situation_meta_del', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION est_situation_bump_meta()', t || '_situation_meta_trunc', t);
  END LOOP;
END
$$;
-- No backfill: a bucket without a row counts as version 0, and its first bump
-- inserts 1, so the sum still changes.
