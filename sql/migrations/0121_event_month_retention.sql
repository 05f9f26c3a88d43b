-- 0121 retention (gallring) by whole months (src/store/retention.c,
-- docs/ARCHITECTURE.md "Event storage"). A month of events/event_areas past
-- ESTD_EVENT_RETENTION_DAYS is removed by dropping its two partitions
-- (delete mode) or stripped once by one statement on its partition (strip
-- mode, then marked in event_months so later runs never read it again);
-- the partial month and the default partition keep the row-level path.

-- Drops the partitions of Stockholm month m; returns the number of events
-- they held. A DROP fires no trigger, so what the statement triggers would
-- have done for a DELETE of these rows is done here, set-based:
--  * situation_versions (0070): every (area, day) bucket of the month's
--    events is bumped (areas of the event, 0 = every event, -1 = presence);
--  * the rollups (situation_hourly / situation_daily, when present): a
--    Stockholm month is a whole number of UTC hours and of local days, and
--    every row of a bucket inside it came from an event of this month, so
--    the month's buckets are deleted outright;
--  * event_keys: the month's keys are deleted (which cascades to
--    action_events and sets dead_letters.resolved_event_id to NULL).
CREATE FUNCTION est_event_month_drop(m date) RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz := est_event_month_lower(m);
  hi timestamptz := est_event_month_lower((m + interval '1 month')::date);
  ev text := 'events_p' || to_char(m, 'YYYYMM');
  ea text := 'event_areas_p' || to_char(m, 'YYYYMM');
  n bigint;
BEGIN
  IF to_regclass(ev) IS NULL THEN
    DELETE FROM event_months WHERE month = m;
    RETURN 0;
  END IF;
  EXECUTE format('SELECT count(*) FROM %I', ev) INTO n;
  EXECUTE format(
    'INSERT INTO situation_versions AS v (area_id, day, version) '
    'SELECT b.a, b.d, 1 FROM (SELECT DISTINCT x.a, (r.occurred_at AT TIME ZONE ''Europe/Stockholm'')::date AS d '
    '  FROM %I r CROSS JOIN LATERAL unnest(r.area_ids || 0::bigint '
    '  || CASE WHEN r.kind <> ''incident'' THEN ARRAY[-1::bigint] ELSE ''{}''::bigint[] END) AS x(a)) b '
    'ORDER BY b.a, b.d ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1', ev);
  IF to_regclass('situation_hourly') IS NOT NULL THEN
    EXECUTE 'DELETE FROM situation_hourly WHERE hour >= $1 AND hour < $2' USING lo, hi;
  END IF;
  IF to_regclass('situation_daily') IS NOT NULL THEN
    EXECUTE 'DELETE FROM situation_daily WHERE day >= $1 AND day < $2' USING m, (m + interval '1 month')::date;
  END IF;
  EXECUTE format('DELETE FROM event_keys k USING %I e WHERE k.event_id = e.id', ev);
  EXECUTE format('DROP TABLE %I', ea);
  EXECUTE format('DROP TABLE %I', ev);
  DELETE FROM event_months WHERE month = m;
  RETURN n;
END
$$;

-- The months whose partitions lie wholly before `cutoff` (oldest first).
CREATE FUNCTION est_event_months_before(cutoff timestamptz, only_unstripped boolean)
  RETURNS SETOF date
  LANGUAGE sql STABLE AS $$
  SELECT month FROM event_months
  WHERE est_event_month_lower((month + interval '1 month')::date) <= cutoff
    AND (NOT only_unstripped OR detail_removed_at IS NULL)
  ORDER BY month
$$;
