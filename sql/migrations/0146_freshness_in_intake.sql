-- 0146: the intake raises situation_freshness (0145) in its own rollup
-- statement, like the rollups and bucket versions (0140).
--
-- The INSERT triggers of 0145 updated the area-0 row (every event) at the
-- end of the intake's first statement, so that row stayed locked through the
-- rollup statement and the commit and the two intake writers queued on it.
-- The rollup statement (src/store/events.c ev_rollup), which runs right
-- before the commit, now upserts the same values from the same inserted rows;
-- these two triggers fire only for statements that are not the marked intake
-- statement, exactly as the four of 0140. Every other path (plain SQL,
-- re-assignment, retention, archive) keeps maintaining the table through them.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES ('events', 'events_freshness_ins', 'est_freshness_raise_events'),
                                 ('event_areas', 'event_areas_freshness_ins', 'est_freshness_raise_event_areas')) v(tbl, trg, fn)
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', r.trg, r.tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT'
                   ' WHEN (current_setting(''estd.intake_statement'', true) IS DISTINCT FROM ''on'')'
                   ' EXECUTE FUNCTION %I()', r.trg, r.tbl, r.fn);
  END LOOP;
END
$$;
