-- 0090_situation_rollups.sql - incremental aggregates of the situational
-- picture (issue 13; read by src/store/situation.c, docs/BENCHMARKS.md).
--
-- Two rollups, maintained in the transaction that writes the events by the
-- statement-level AFTER triggers below (transition tables, set-based, so
-- every path is covered without calling code: intake by any insert method,
-- resubmit, retention strip and delete, a re-assignment of event_areas, the
-- focus-from-hot-spot history insert, partition drops as DELETEs):
--
--   situation_hourly (area, UTC hour, kind)                     -> n, rk, dur
--   situation_daily  (area, Stockholm day, kind, category, party) -> n, rk, dur
--
-- n = events, rk = sum of record_key (cell keys, estd/disclosure.h; taken
-- mod 2^31 at read time), dur = sum of duration_s (presence). Europe/Stockholm
-- is always a whole number of hours from UTC, so one UTC hour lies in one
-- local hour: days, weeks, weekdays, hours of day and weekday x hour follow
-- from the hourly rollup, categories and parties per period from the daily
-- one (the product (hour, category, party) would be about as large as the
-- events themselves at the density of the benchmark, and no part of the
-- picture needs it).
--
-- area_id 0 is every event (the all-areas picture counts the events table,
-- also events outside every area), maintained from events; area_id > 0 from
-- event_areas (what the per-area picture reads). category '' = none.
-- Rows whose counts return to zero are deleted.
--
-- Hot spots: the SWEREF 99 TM (EPSG:3006) coordinates of every incident
-- whose position is finer than a district (the only ones that make hot
-- spots) are stored with the event (generated column hs_pt, one
-- ST_Transform per event at insert) and copied into its event_areas rows, so
-- the hot spot points of an area and period are one index-only range scan
-- (event_areas primary key; for all areas events_hotspot_idx).

-- ---- projected coordinates ---------------------------------------------------
ALTER TABLE events
  ADD COLUMN hs_pt geometry(Point, 3006) GENERATED ALWAYS AS (
    CASE WHEN kind = 'incident' AND geom IS NOT NULL AND COALESCE(location_precision, 'point') IN ('point', 'street')
         THEN ST_Transform(geom, 3006) END) STORED;
COMMENT ON COLUMN events.hs_pt IS
  'Hot spot point: the position in SWEREF 99 TM (EPSG:3006) of an incident positioned finer than a district, else NULL.';

-- The event's columns the per-area picture reads, repeated in its area rows
-- (the intake supplies them from its RETURNING; a statement that does not
-- gets them from the event by the row trigger below), and kept equal to the
-- event by est_rollup_events on UPDATE.
ALTER TABLE event_areas
  ADD COLUMN duration_s integer,
  ADD COLUMN hs_pt geometry(Point, 3006);
UPDATE event_areas ea SET duration_s = e.duration_s, hs_pt = e.hs_pt, record_key = e.record_key
FROM events e WHERE e.id = ea.event_id;

DROP TRIGGER event_areas_record_key ON event_areas;
DROP FUNCTION est_event_areas_record_key();
CREATE FUNCTION est_event_areas_fill() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  SELECT e.occurred_at, e.kind, e.category, e.party_id, e.record_key, e.duration_s, e.hs_pt
    INTO NEW.occurred_at, NEW.kind, NEW.category, NEW.party_id, NEW.record_key, NEW.duration_s, NEW.hs_pt
    FROM events e WHERE e.id = NEW.event_id;
  RETURN NEW;
END
$$;
-- Fires for a row without its record key (the statement gave only event and
-- area), and for one without both duration and point: a statement that does
-- not know the columns of 0090 supplies neither (a row that has neither by
-- nature is filled with the same values).
CREATE TRIGGER event_areas_fill BEFORE INSERT ON event_areas
  FOR EACH ROW WHEN (NEW.record_key IS NULL OR (NEW.duration_s IS NULL AND NEW.hs_pt IS NULL))
  EXECUTE FUNCTION est_event_areas_fill();

-- Index-only hot spot points: per area the primary key carries them; for all
-- areas a partial index of the incidents that have one.
ALTER TABLE event_areas DROP CONSTRAINT event_areas_pkey;
ALTER TABLE event_areas ADD CONSTRAINT event_areas_pkey
  PRIMARY KEY (area_id, occurred_at, event_id) INCLUDE (kind, category, party_id, record_key, hs_pt);
CREATE INDEX events_hotspot_idx ON events (occurred_at) INCLUDE (category, record_key, hs_pt)
  WHERE hs_pt IS NOT NULL;

-- ---- rollups -------------------------------------------------------------------
CREATE TABLE situation_hourly (
  area_id bigint      NOT NULL,
  hour    timestamptz NOT NULL,
  kind    text        NOT NULL,
  n       bigint      NOT NULL,
  rk      bigint      NOT NULL,
  dur     bigint      NOT NULL,
  PRIMARY KEY (area_id, hour, kind) INCLUDE (n, rk, dur)
);
COMMENT ON TABLE situation_hourly IS
  'Rollup: events per (area, UTC hour = Stockholm local hour, kind); area 0 = every event. Trigger-maintained (0090).';

CREATE TABLE situation_daily (
  area_id  bigint NOT NULL,
  day      date   NOT NULL,
  kind     text   NOT NULL,
  category text   NOT NULL,
  party_id bigint NOT NULL,
  n        bigint NOT NULL,
  rk       bigint NOT NULL,
  dur      bigint NOT NULL,
  PRIMARY KEY (area_id, day, kind, category, party_id) INCLUDE (n, rk, dur)
);
COMMENT ON TABLE situation_daily IS
  'Rollup: events per (area, Stockholm day, kind, category ('''' = none), party); area 0 = every event (0090).';

-- Adds the deltas of one statement to both rollups. The arguments are the
-- delta at the full grain (area, UTC hour, kind, category, party) as
-- parallel arrays (the calling trigger groups its transition tables to it):
-- grouped again per rollup, sorted by key (concurrent writers lock the
-- rollup rows in the same order, so two such statements cannot deadlock on
-- them), one upsert per rollup; rows whose counts fall to zero are removed.
CREATE FUNCTION est_rollup_apply(a bigint[], h timestamptz[], k text[], c text[], p bigint[],
                                 n bigint[], rk bigint[], dur bigint[]) RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO situation_hourly AS r (area_id, hour, kind, n, rk, dur)
  SELECT x.a, x.h, x.k, sum(x.n), sum(x.rk), sum(x.dur)
  FROM unnest(a, h, k, n, rk, dur) AS x(a, h, k, n, rk, dur) GROUP BY 1, 2, 3
  HAVING sum(x.n) <> 0 OR sum(x.rk) <> 0 OR sum(x.dur) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT (area_id, hour, kind) DO UPDATE
    SET n = r.n + excluded.n, rk = r.rk + excluded.rk, dur = r.dur + excluded.dur;

  INSERT INTO situation_daily AS r (area_id, day, kind, category, party_id, n, rk, dur)
  SELECT x.a, (x.h AT TIME ZONE 'Europe/Stockholm')::date, x.k, x.c, x.p, sum(x.n), sum(x.rk), sum(x.dur)
  FROM unnest(a, h, k, c, p, n, rk, dur) AS x(a, h, k, c, p, n, rk, dur) GROUP BY 1, 2, 3, 4, 5
  HAVING sum(x.n) <> 0 OR sum(x.rk) <> 0 OR sum(x.dur) <> 0
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (area_id, day, kind, category, party_id) DO UPDATE
    SET n = r.n + excluded.n, rk = r.rk + excluded.rk, dur = r.dur + excluded.dur;

  -- A separate statement (it must see the upserts' results): only removals
  -- can bring a row to zero.
  IF EXISTS (SELECT 1 FROM unnest(n) AS x(n) WHERE x.n < 0) THEN
    DELETE FROM situation_hourly r USING unnest(a, h, k) AS x(a, h, k)
    WHERE r.n = 0 AND r.area_id = x.a AND r.hour = x.h AND r.kind = x.k;
    DELETE FROM situation_daily r USING unnest(a, h, k, c, p) AS x(a, h, k, c, p)
    WHERE r.n = 0 AND r.area_id = x.a AND r.day = (x.h AT TIME ZONE 'Europe/Stockholm')::date AND r.kind = x.k
      AND r.category = x.c AND r.party_id = x.p;
  END IF;
END
$$;

CREATE FUNCTION est_rollup_no_truncate() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'TRUNCATE % would bypass the situation rollups: use DELETE', TG_TABLE_NAME
    USING ERRCODE = 'feature_not_supported';
END
$$;

-- The statement a trigger runs (EXECUTE, which sees its transition tables):
-- groups the rows of the statement's transition tables, signed (+1 new,
-- -1 old), at the full grain and passes them to est_rollup_apply. area: the
-- area column (expression), cols: the transition table columns it reads.
CREATE FUNCTION est_rollup_statement(op text, area text, cols text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'SELECT est_rollup_apply(array_agg(g.a), array_agg(g.h), array_agg(g.k), array_agg(g.c), array_agg(g.p),'
    ' array_agg(g.n), array_agg(g.rk), array_agg(g.dur))'
    ' FROM (SELECT %1$s AS a, date_trunc(''hour'', x.occurred_at, ''UTC'') AS h, x.kind AS k,'
    '   COALESCE(x.category, '''') AS c, x.party_id AS p, sum(x.s)::bigint AS n,'
    '   sum(x.s * x.record_key)::bigint AS rk, sum(x.s * COALESCE(x.duration_s, 0))::bigint AS dur'
    '   FROM (%2$s) x GROUP BY 1, 2, 3, 4, 5) g',
    area,
    CASE op WHEN 'INSERT' THEN format('SELECT %1$s, 1 AS s FROM new_rows', cols)
            WHEN 'DELETE' THEN format('SELECT %1$s, -1 AS s FROM old_rows', cols)
            ELSE format('SELECT %1$s, -1 AS s FROM old_rows UNION ALL SELECT %1$s, 1 FROM new_rows', cols) END)
$$;

-- events: the area-0 rows. On UPDATE also carries the changed columns into
-- the event's event_areas rows (whose trigger then moves the per-area rows),
-- so an area row always repeats its event (retention's strip clears hs_pt).
CREATE FUNCTION est_rollup_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
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

-- event_areas: the per-area rows.
CREATE FUNCTION est_rollup_event_areas() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE est_rollup_statement(TG_OP, 'x.area_id',
                               'area_id, occurred_at, kind, category, party_id, record_key, duration_s');
  RETURN NULL;
END
$$;

-- TRUNCATE skips row and statement delete triggers: refused on both tables,
-- so the rollups cannot silently go wrong (delete instead).
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES ('INSERT', 'NEW TABLE AS new_rows', 'ins'),
                                 ('UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'upd'),
                                 ('DELETE', 'OLD TABLE AS old_rows', 'del')) v(op, ref, tag),
                  unnest(ARRAY['events', 'event_areas']) AS t(tbl)
  LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   r.tbl || '_rollup_' || r.tag, r.op, r.tbl, r.ref, 'est_rollup_' || r.tbl);
  END LOOP;
END
$$;
CREATE TRIGGER events_rollup_trunc BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION est_rollup_no_truncate();
CREATE TRIGGER event_areas_rollup_trunc BEFORE TRUNCATE ON event_areas
  FOR EACH STATEMENT EXECUTE FUNCTION est_rollup_no_truncate();

-- ---- backfill ------------------------------------------------------------------
INSERT INTO situation_hourly (area_id, hour, kind, n, rk, dur)
SELECT 0, date_trunc('hour', occurred_at, 'UTC'), kind, count(*), sum(record_key), COALESCE(sum(duration_s), 0)
FROM events GROUP BY 1, 2, 3
UNION ALL
SELECT area_id, date_trunc('hour', occurred_at, 'UTC'), kind, count(*), sum(record_key), COALESCE(sum(duration_s), 0)
FROM event_areas GROUP BY 1, 2, 3;
INSERT INTO situation_daily (area_id, day, kind, category, party_id, n, rk, dur)
SELECT 0, (occurred_at AT TIME ZONE 'Europe/Stockholm')::date, kind, COALESCE(category, ''), party_id, count(*),
       sum(record_key), COALESCE(sum(duration_s), 0)
FROM events GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT area_id, (occurred_at AT TIME ZONE 'Europe/Stockholm')::date, kind, COALESCE(category, ''), party_id, count(*),
       sum(record_key), COALESCE(sum(duration_s), 0)
FROM event_areas GROUP BY 1, 2, 3, 4, 5;
