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
-- So exactly the four INSERT statement triggers of 0070/0090 (on events and
-- event_areas) now fire only for a statement that is not marked
-- estd.intake_statement = 'on' (events.c sets the mark for its first
-- statement; the rollup statement after it ends the mark). Their functions
-- are unchanged; every other statement (plain SQL inserts, the event_areas
-- rows a re-assignment inserts, every UPDATE and DELETE: retention strip
-- and delete, archive, re-assignment) keeps maintaining the rollups and
-- versions through them.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES ('events', 'events_situation_ins', 'est_situation_bump_events'),
                                 ('events', 'events_rollup_ins', 'est_rollup_events'),
                                 ('event_areas', 'event_areas_situation_ins', 'est_situation_bump_event_areas'),
                                 ('event_areas', 'event_areas_rollup_ins', 'est_rollup_event_areas')) v(tbl, trg, fn)
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', r.trg, r.tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT'
                   ' WHEN (current_setting(''estd.intake_statement'', true) IS DISTINCT FROM ''on'')'
                   ' EXECUTE FUNCTION %I()', r.trg, r.tbl, r.fn);
  END LOOP;
END
$$;
