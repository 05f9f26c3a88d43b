-- 0120 events and event_areas partitioned by month (issue 13, "cost that
-- stays flat as history grows"; docs/ARCHITECTURE.md "Event storage").
--
-- events and event_areas become declaratively partitioned tables, RANGE on
-- occurred_at, one partition per calendar month in Europe/Stockholm (bounds
-- at local midnight of the 1st: a local day, and a UTC hour, lie in exactly
-- one partition, so the per-day and per-hour aggregates of a month live and
-- die with its partitions). events_pYYYYMM / event_areas_pYYYYMM, created
-- ahead by est_event_partitions_ensure (at migrate time and on estd's
-- maintenance timer); events_pdefault / event_areas_pdefault take whatever
-- falls outside them (rows are moved out when their month's partition is
-- created later).
--
-- Idempotence on (source, source_event_id) across partitions: a unique
-- constraint on a partitioned table must contain the partition key, and
-- (source, id, occurred_at) would admit a re-sent event with a different
-- time. So the key moves to an unpartitioned table, event_keys
-- (source, source_event_id) PRIMARY KEY -> event_id UNIQUE. The intake
-- inserts the keys first (INSERT ... ON CONFLICT DO NOTHING RETURNING) and
-- then only the events whose key it inserted; any other writer of events
-- (SQL, fixtures) gets its keys from the statement trigger below, where a
-- duplicate key fails with unique_violation like the old constraint did.
-- The intake statement (src/store/events.c) sets estd.intake_statement =
-- 'on' in its transaction: it writes the keys itself and derives the area
-- rows from the events it inserts in the same statement, so the two
-- triggers that would only repeat that work are skipped for it.
-- event_keys is also what other tables reference (action_events,
-- dead_letters.resolved_event_id): a foreign key to a partitioned table must
-- name the partition key too, and it would forbid dropping a month.
--
-- event_areas -> events: no declarative foreign key (with one, a month could
-- only be removed by DETACH under an ACCESS EXCLUSIVE lock on events and a
-- scan of all of event_areas). The same guarantees by statement triggers:
-- an event_areas row must name an existing event with the same occurred_at
-- (so it lies in the partition of the same month), deleting events deletes
-- their area rows and keys (set-based, once per statement), and id /
-- occurred_at / source / source_event_id of an event never change.
--
-- Existing data is copied into the new tables; indexes, triggers (0070, and
-- whatever later migrations put on the two tables), foreign keys to parties,
-- categories and areas, and comments are recreated from the catalog.

-- ---- what the old tables carry (captured before they are renamed) ---------------
CREATE TEMP TABLE p120_defs ON COMMIT DROP AS
SELECT 1 AS ord, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid IN ('events'::regclass, 'event_areas'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
UNION ALL
SELECT 2, format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
FROM pg_constraint c
WHERE c.conrelid IN ('events'::regclass, 'event_areas'::regclass) AND c.contype = 'f'
  AND c.confrelid <> 'events'::regclass
UNION ALL
SELECT 3, pg_get_triggerdef(t.oid)
FROM pg_trigger t
WHERE t.tgrelid IN ('events'::regclass, 'event_areas'::regclass) AND NOT t.tgisinternal;

-- foreign keys of other tables that reference events (id): to event_keys (event_id)
CREATE TEMP TABLE p120_refs ON COMMIT DROP AS
SELECT c.conrelid::regclass AS tbl, c.conname,
       replace(pg_get_constraintdef(c.oid), 'REFERENCES events(id)', 'REFERENCES event_keys(event_id)') AS def
FROM pg_constraint c
WHERE c.confrelid = 'events'::regclass AND c.contype = 'f' AND c.conrelid <> 'event_areas'::regclass;

DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM p120_refs LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
  END LOOP;
END
$$;

-- the old identity's position carries over to a plain sequence
CREATE SEQUENCE events_id_seq_p AS bigint;
SELECT setval('events_id_seq_p', GREATEST(COALESCE((SELECT max(id) FROM events), 0),
                                          (SELECT last_value FROM events_id_seq)) + 1, false);

ALTER TABLE events RENAME TO events_p120_old;
ALTER TABLE event_areas RENAME TO event_areas_p120_old;
ALTER TABLE events_p120_old ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE events_id_seq_p RENAME TO events_id_seq;
-- free the names of the index-backed constraints for the new tables
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
           WHERE conrelid IN ('events_p120_old'::regclass, 'event_areas_p120_old'::regclass) AND contype IN ('p', 'u')
  LOOP
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.tbl, r.conname, r.conname || '_p120_old');
  END LOOP;
END
$$;

-- ---- the new tables -------------------------------------------------------------
CREATE TABLE events (LIKE events_p120_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED
                     INCLUDING COMMENTS INCLUDING STORAGE)
  PARTITION BY RANGE (occurred_at);
ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq');
ALTER SEQUENCE events_id_seq OWNED BY events.id;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, occurred_at);
COMMENT ON TABLE events IS
  'Händelser: incidents (incidenter), patrols (patrulleringar/närvaro) and activities (aktiviteter). '
  'Partitioned by Stockholm calendar month of occurred_at (0120); the idempotency key is in event_keys.';

CREATE TABLE event_areas (LIKE event_areas_p120_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED
                          INCLUDING COMMENTS INCLUDING STORAGE)
  PARTITION BY RANGE (occurred_at);
DO $$
BEGIN
  EXECUTE (SELECT format('ALTER TABLE event_areas ADD CONSTRAINT event_areas_pkey %s', pg_get_constraintdef(c.oid))
           FROM pg_constraint c WHERE c.conrelid = 'event_areas_p120_old'::regclass AND c.contype = 'p');
END
$$;
COMMENT ON TABLE event_areas IS
  'One row per (event, area it falls in), with the columns the per-area picture reads; partitioned like events.';

CREATE TABLE event_keys (
  source           text   NOT NULL,
  source_event_id  text   NOT NULL,
  event_id         bigint NOT NULL DEFAULT nextval('events_id_seq'),
  CONSTRAINT event_keys_pkey PRIMARY KEY (source, source_event_id),
  CONSTRAINT event_keys_event_id_key UNIQUE (event_id)
);
COMMENT ON TABLE event_keys IS
  'The producer''s idempotency key (source, source_event_id) of every stored event, across all partitions of events.';

-- A stripped month is stripped once (retention "strip", whole partitions).
CREATE TABLE event_months (
  month             date PRIMARY KEY CHECK (extract(day FROM month) = 1),
  detail_removed_at timestamptz
);
COMMENT ON TABLE event_months IS
  'The monthly partitions of events/event_areas (Stockholm months); detail_removed_at: stripped by retention.';

-- ---- partitions -------------------------------------------------------------------
-- Bounds of the Stockholm month m (its 1st).
CREATE FUNCTION est_event_month_lower(m date) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT m::timestamp AT TIME ZONE 'Europe/Stockholm' $$;

-- Creates the partitions of month m of both tables unless they exist. Rows
-- of that month already in a default partition are moved into the new
-- partitions (directly between partitions: the rows do not change, so the
-- statement triggers of the parents, rollups and versions, do not fire).
CREATE FUNCTION est_event_partition_create(m date) RETURNS boolean
  LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz := est_event_month_lower(m);
  hi timestamptz := est_event_month_lower((m + interval '1 month')::date);
  t text;
  part text;
  cols text;
  moved boolean;
BEGIN
  IF to_regclass('events_p' || to_char(m, 'YYYYMM')) IS NOT NULL THEN
    RETURN false;
  END IF;
  FOREACH t IN ARRAY ARRAY['events', 'event_areas'] LOOP
    part := t || '_p' || to_char(m, 'YYYYMM');
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE occurred_at >= $1 AND occurred_at < $2)', t || '_pdefault')
      INTO moved USING lo, hi;
    IF NOT moved THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, t, lo, hi);
    ELSE
      SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute WHERE attrelid = t::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
      EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)', part, t);
      EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I WHERE occurred_at >= $1 AND occurred_at < $2',
                     part, cols, cols, t || '_pdefault') USING lo, hi;
      EXECUTE format('DELETE FROM %I WHERE occurred_at >= $1 AND occurred_at < $2', t || '_pdefault') USING lo, hi;
      EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', t, part, lo, hi);
    END IF;
  END LOOP;
  INSERT INTO event_months (month) VALUES (m) ON CONFLICT DO NOTHING;
  RETURN true;
END
$$;

-- Ensures the partitions of the months from `from` through `to` (Stockholm
-- months; default: this month and the next three). Returns how many were created.
CREATE FUNCTION est_event_partitions_ensure(from_month date DEFAULT NULL, to_month date DEFAULT NULL)
  RETURNS integer
  LANGUAGE plpgsql AS $$
DECLARE
  m date := date_trunc('month', COALESCE(from_month, (now() AT TIME ZONE 'Europe/Stockholm')::date))::date;
  last date := date_trunc('month', COALESCE(to_month,
                 ((now() AT TIME ZONE 'Europe/Stockholm') + interval '3 months')::date))::date;
  n integer := 0;
BEGIN
  WHILE m <= last LOOP
    IF est_event_partition_create(m) THEN
      n := n + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN n;
END
$$;

CREATE TABLE events_pdefault PARTITION OF events DEFAULT;
CREATE TABLE event_areas_pdefault PARTITION OF event_areas DEFAULT;

-- Months of the existing data, and from two years back to three months ahead.
SELECT est_event_partitions_ensure(
  LEAST((SELECT (min(occurred_at) AT TIME ZONE 'Europe/Stockholm')::date FROM events_p120_old),
        ((now() AT TIME ZONE 'Europe/Stockholm') - interval '24 months')::date),
  NULL);

-- ---- the data ---------------------------------------------------------------------
DO $$
DECLARE cols text;
BEGIN
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
  EXECUTE format('INSERT INTO events (%s) SELECT %s FROM events_p120_old', cols, cols);
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute WHERE attrelid = 'event_areas'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
  EXECUTE format('INSERT INTO event_areas (%s) SELECT %s FROM event_areas_p120_old', cols, cols);
END
$$;
INSERT INTO event_keys (source, source_event_id, event_id) SELECT source, source_event_id, id FROM events_p120_old;

DROP TABLE event_areas_p120_old;
DROP TABLE events_p120_old;

-- ---- indexes, foreign keys and triggers of the old tables ---------------------------
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM p120_defs ORDER BY ord LOOP
    EXECUTE r.def;
  END LOOP;
  FOR r IN SELECT * FROM p120_refs LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def);
  END LOOP;
END
$$;

-- ---- integrity between events, event_keys and event_areas ---------------------------
-- Keys of events inserted by any statement other than the intake's own
-- (which inserts the keys first, see above).
CREATE FUNCTION est_event_keys_insert() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('estd.intake_statement', true) IS DISTINCT FROM 'on' THEN
    INSERT INTO event_keys (source, source_event_id, event_id)
    SELECT source, source_event_id, id FROM new_rows;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_keys_ins AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_event_keys_insert();

-- What ON DELETE CASCADE did: deleting events deletes their area rows (with
-- occurred_at, so only the partitions of their months are searched) and
-- their keys (which cascade to action_events and dead_letters).
CREATE FUNCTION est_event_delete_cascade() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_areas ea USING old_rows o WHERE ea.event_id = o.id AND ea.occurred_at = o.occurred_at;
  DELETE FROM event_keys k USING old_rows o WHERE k.event_id = o.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_cascade_del AFTER DELETE ON events
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION est_event_delete_cascade();

-- What the foreign key checked, once per statement: every new area row names
-- an existing event with the same occurred_at.
CREATE FUNCTION est_event_areas_check() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE bad bigint;
BEGIN
  IF TG_OP = 'INSERT' AND current_setting('estd.intake_statement', true) IS NOT DISTINCT FROM 'on' THEN
    RETURN NULL; -- the intake statement derives its area rows from the events it inserts
  END IF;
  SELECT n.event_id INTO bad FROM new_rows n
  WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = n.event_id AND e.occurred_at = n.occurred_at) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'event_areas row for event % has no event with that id and occurred_at', bad
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'event_areas_event_id_fkey';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER event_areas_event_check_ins AFTER INSERT ON event_areas
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_event_areas_check();
CREATE TRIGGER event_areas_event_check_upd AFTER UPDATE ON event_areas
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION est_event_areas_check();

-- The key columns of an event never change (its key row, its partition and
-- its area rows depend on them).
CREATE FUNCTION est_event_key_immutable() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.occurred_at <> OLD.occurred_at OR NEW.source <> OLD.source
     OR NEW.source_event_id <> OLD.source_event_id THEN
    RAISE EXCEPTION 'id, occurred_at, source and source_event_id of event % cannot change', OLD.id
      USING ERRCODE = 'restrict_violation', CONSTRAINT = 'events_key_immutable';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER events_key_immutable BEFORE UPDATE OF id, occurred_at, source, source_event_id ON events
  FOR EACH ROW EXECUTE FUNCTION est_event_key_immutable();

-- 0090's fill-in of an area row's event columns: find the event in its
-- month's partition only. occurred_at is the partition key of event_areas,
-- so the row was routed by it before this trigger runs: a statement must
-- give it (with the event's value; est_event_areas_check refuses any other).
CREATE OR REPLACE FUNCTION est_event_areas_fill() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.occurred_at IS NULL THEN
    RAISE EXCEPTION 'event_areas row for event % needs the event''s occurred_at (the partition key)', NEW.event_id
      USING ERRCODE = 'not_null_violation', COLUMN = 'occurred_at';
  END IF;
  SELECT e.kind, e.category, e.party_id, e.record_key, e.duration_s, e.hs_pt
    INTO NEW.kind, NEW.category, NEW.party_id, NEW.record_key, NEW.duration_s, NEW.hs_pt
    FROM events e WHERE e.id = NEW.event_id AND e.occurred_at = NEW.occurred_at;
  IF NOT FOUND THEN -- what est_event_areas_check says, before a NULL column would
    RAISE EXCEPTION 'event_areas row for event % has no event with that id and occurred_at', NEW.event_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'event_areas_event_id_fkey';
  END IF;
  RETURN NEW;
END
$$;
