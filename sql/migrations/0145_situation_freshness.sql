-- 0145: the freshness block of the situational picture from one small table.
--
-- Every picture request reads the data version and the freshness block
-- (src/store/situation.c, version_stmt): the newest occurred_at of all events
-- and of the requested area, and the received_at of the most recently stored
-- event. Read from events/event_areas, that is three scans over every monthly
-- partition (0120) and a plan over all of them, on every request. This table
-- holds the same three values, kept exact by statement triggers in the
-- writing transaction:
--   area_id 0   newest occurred_at of every event, and the id and received_at
--               of the event with the highest id ("most recently stored");
--   area_id a   newest occurred_at of the event_areas rows of area a.
-- A missing row means no events (no rows of that area).
--
-- Inserts raise the values (upsert with GREATEST, rows locked in area order
-- like the rollups of 0090). Deletes and updates that touch a row holding a
-- newest value recompute it from the tables, after locking the row first (a
-- later statement of the trigger, so in READ COMMITTED it sees every insert
-- that committed while it waited for the lock).
--
-- The intake raises the values in its own rollup statement, right before
-- its commit (src/store/events.c ev_rollup, like the rollups of 0140): the
-- two INSERT triggers skip its marked first statement, so that the two
-- intake writers do not hold the area-0 row from their first statement on.
CREATE TABLE situation_freshness (
  area_id            bigint      PRIMARY KEY,
  newest_occurred_at timestamptz NOT NULL,
  newest_event_id    bigint,
  newest_received_at timestamptz,
  CHECK ((area_id = 0) = (newest_event_id IS NOT NULL))
);
COMMENT ON TABLE situation_freshness IS
  'Newest occurred_at per area (0 = every event, with the id and received_at of the newest stored event); '
  'trigger-maintained (0145).';

-- Raises the newest values by the rows of a statement's new_rows.
CREATE FUNCTION est_freshness_raise_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO situation_freshness AS f (area_id, newest_occurred_at, newest_event_id, newest_received_at)
  SELECT 0, (SELECT max(occurred_at) FROM new_rows), n.id, n.received_at
  FROM (SELECT id, received_at FROM new_rows ORDER BY id DESC LIMIT 1) n
  ON CONFLICT (area_id) DO UPDATE
    SET newest_occurred_at = GREATEST(f.newest_occurred_at, excluded.newest_occurred_at),
        newest_event_id = GREATEST(f.newest_event_id, excluded.newest_event_id),
        newest_received_at = CASE WHEN excluded.newest_event_id > f.newest_event_id
                                  THEN excluded.newest_received_at ELSE f.newest_received_at END;
  RETURN NULL;
END
$$;

CREATE FUNCTION est_freshness_raise_event_areas() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO situation_freshness AS f (area_id, newest_occurred_at)
  SELECT area_id, max(occurred_at) FROM new_rows GROUP BY area_id ORDER BY area_id
  ON CONFLICT (area_id) DO UPDATE SET newest_occurred_at = GREATEST(f.newest_occurred_at, excluded.newest_occurred_at);
  RETURN NULL;
END
$$;

-- Recomputes area 0 when old_rows held one of its newest values (the newest
-- occurred_at, or the newest event), or new_rows changed the newest event.
CREATE FUNCTION est_freshness_recheck_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  f situation_freshness;
BEGIN
  SELECT * INTO f FROM situation_freshness WHERE area_id = 0;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.occurred_at >= f.newest_occurred_at OR o.id = f.newest_event_id) THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM situation_freshness WHERE area_id = 0 FOR UPDATE;
  -- A new statement: its snapshot includes what committed while the lock was awaited.
  WITH n AS (SELECT id, received_at FROM events ORDER BY id DESC LIMIT 1)
  UPDATE situation_freshness SET newest_occurred_at = (SELECT max(occurred_at) FROM events),
                                 newest_event_id = n.id, newest_received_at = n.received_at
  FROM n WHERE area_id = 0;
  IF NOT FOUND THEN -- no events left
    DELETE FROM situation_freshness WHERE area_id = 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION est_freshness_recheck_event_areas() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  stale bigint[];
BEGIN
  SELECT array_agg(DISTINCT o.area_id ORDER BY o.area_id) INTO stale
  FROM old_rows o JOIN situation_freshness f ON f.area_id = o.area_id
  WHERE o.occurred_at >= f.newest_occurred_at;
  IF stale IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM situation_freshness WHERE area_id = ANY (stale) ORDER BY area_id FOR UPDATE;
  UPDATE situation_freshness f SET newest_occurred_at = m.o
  FROM (SELECT a, (SELECT max(occurred_at) FROM event_areas WHERE area_id = a) AS o FROM unnest(stale) a) m
  WHERE f.area_id = m.a AND m.o IS NOT NULL;
  DELETE FROM situation_freshness f
  WHERE f.area_id = ANY (stale) AND NOT EXISTS (SELECT 1 FROM event_areas WHERE area_id = f.area_id);
  RETURN NULL;
END
$$;

-- An update's received_at of the newest event (occurred_at and id never
-- change: est_event_key_immutable, 0120).
CREATE FUNCTION est_freshness_update_events() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE situation_freshness f SET newest_received_at = n.received_at
  FROM new_rows n
  WHERE f.area_id = 0 AND n.id = f.newest_event_id AND n.received_at IS DISTINCT FROM f.newest_received_at;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION est_freshness_update_events() IS
  'situation_freshness: an UPDATE of events can change only the received_at of the newest event (0145).';

-- An update of event_areas may move a row to another area (or time): both
-- halves, the new rows raised and the old ones rechecked. The INSERT
-- triggers skip the intake's marked statement (see above; 0140).
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES
      ('events_freshness_ins', 'INSERT', 'events', 'NEW TABLE AS new_rows', 'est_freshness_raise_events'),
      ('events_freshness_upd', 'UPDATE', 'events', 'NEW TABLE AS new_rows', 'est_freshness_update_events'),
      ('events_freshness_del', 'DELETE', 'events', 'OLD TABLE AS old_rows', 'est_freshness_recheck_events'),
      ('event_areas_freshness_ins', 'INSERT', 'event_areas', 'NEW TABLE AS new_rows', 'est_freshness_raise_event_areas'),
      ('event_areas_freshness_upd_new', 'UPDATE', 'event_areas', 'NEW TABLE AS new_rows',
       'est_freshness_raise_event_areas'),
      ('event_areas_freshness_upd_old', 'UPDATE', 'event_areas', 'OLD TABLE AS old_rows',
       'est_freshness_recheck_event_areas'),
      ('event_areas_freshness_del', 'DELETE', 'event_areas', 'OLD TABLE AS old_rows',
       'est_freshness_recheck_event_areas')) t(name, op, tbl, ref, fn)
  LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT %s EXECUTE FUNCTION %I()',
                   r.name, r.op, r.tbl, r.ref,
                   CASE WHEN r.op = 'INSERT'
                        THEN 'WHEN (current_setting(''estd.intake_statement'', true) IS DISTINCT FROM ''on'')' END,
                   r.fn);
  END LOOP;
END
$$;

-- ---- backfill ------------------------------------------------------------------
INSERT INTO situation_freshness (area_id, newest_occurred_at, newest_event_id, newest_received_at)
SELECT 0, (SELECT max(occurred_at) FROM events), n.id, n.received_at
FROM (SELECT id, received_at FROM events ORDER BY id DESC LIMIT 1) n;
INSERT INTO situation_freshness (area_id, newest_occurred_at)
SELECT a.id, m.o FROM areas a CROSS JOIN LATERAL (SELECT max(occurred_at) AS o FROM event_areas WHERE area_id = a.id) m
WHERE m.o IS NOT NULL;
