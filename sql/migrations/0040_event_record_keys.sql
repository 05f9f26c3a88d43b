-- 0040 disclosure control: a secret random record key per event (cell key
-- method, docs/SECURITY.md "Disclosure control").
--
-- Every event gets a uniformly random 31-bit record key when it is stored.
-- The key of a published cell is the sum of its events' record keys mod
-- 2^31, so the same set of events always gives the same rounding, and a
-- rollup can maintain it incrementally. The keys are never served: knowing
-- them would tell which way a count was rounded.
--
-- Randomness: the first 32 bits of gen_random_uuid() (core PostgreSQL,
-- from the strong random source; a version-4 UUID's first 8 hex digits are
-- all random), not random(), whose state a client could reason about.

CREATE FUNCTION est_record_key() RETURNS integer
  LANGUAGE sql VOLATILE PARALLEL SAFE AS
$$ SELECT (('x' || substr(gen_random_uuid()::text, 1, 8))::bit(32)::integer) & 2147483647 $$;
COMMENT ON FUNCTION est_record_key() IS 'A random record key in [0, 2^31) for the cell key method.';

-- A volatile default is evaluated per row while the table is rewritten,
-- so existing events are backfilled with their own random keys.
ALTER TABLE events ADD COLUMN record_key integer NOT NULL DEFAULT est_record_key()
  CHECK (record_key >= 0);
COMMENT ON COLUMN events.record_key IS
  'Secret random record key of the cell key method (never served; see docs/SECURITY.md).';

-- event_areas repeats the event's columns the per-area queries need, so the
-- situational picture stays an index-only scan.
ALTER TABLE event_areas ADD COLUMN record_key integer;
UPDATE event_areas ea SET record_key = e.record_key FROM events e WHERE e.id = ea.event_id;

-- Writers that do not give the key (the intake does) get the event's.
CREATE FUNCTION est_event_areas_record_key() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  SELECT e.record_key INTO NEW.record_key FROM events e WHERE e.id = NEW.event_id;
  RETURN NEW;
END
$$;
CREATE TRIGGER event_areas_record_key BEFORE INSERT ON event_areas
  FOR EACH ROW WHEN (NEW.record_key IS NULL) EXECUTE FUNCTION est_event_areas_record_key();
ALTER TABLE event_areas ALTER COLUMN record_key SET NOT NULL;

ALTER TABLE event_areas DROP CONSTRAINT event_areas_pkey;
ALTER TABLE event_areas ADD CONSTRAINT event_areas_pkey
  PRIMARY KEY (area_id, occurred_at, event_id) INCLUDE (kind, category, party_id, record_key);

-- The all-areas counts read events through this partial covering index;
-- with the record key in it they stay index-only scans.
DROP INDEX events_situation_idx;
CREATE INDEX events_situation_idx ON events (occurred_at) INCLUDE (kind, category, party_id, record_key)
  WHERE kind = 'incident';
