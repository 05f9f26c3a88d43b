-- 0011 event intake: dead letters (döda meddelanden) and lookup indexes.
--
-- A Kafka message that cannot become an event (not JSON, not a CloudEvent,
-- schema violation, unknown category, bad coordinates, oversized, party
-- mismatch, ...) is kept here with its raw bytes and headers, in the same
-- transaction as the valid events of its batch, before the consumer's offset
-- moves past it. (topic, partition, offset) is unique, so a batch re-read
-- after a crash never dead-letters the same message twice.

CREATE TABLE dead_letters (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel            text NOT NULL DEFAULT 'kafka' CHECK (channel IN ('kafka', 'http')),
  topic              text,
  kafka_partition    integer,
  kafka_offset       bigint,
  msg_key            bytea,
  payload            bytea NOT NULL,
  headers            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(headers) = 'array'),
  -- reason codes (docs/EVENTS.md "Dead-letter reasons")
  reason             text NOT NULL CHECK (reason IN (
                       'not_json', 'not_cloudevent', 'schema', 'unsupported_type', 'unknown_category',
                       'bad_coordinates', 'oversized', 'party_mismatch', 'unknown_party',
                       'rejected_by_database')),
  detail             text,
  source             text,
  source_event_id    text,
  received_at        timestamptz NOT NULL DEFAULT now(),
  resolved_at        timestamptz,
  resolved_event_id  bigint REFERENCES events (id) ON DELETE SET NULL,
  CONSTRAINT dead_letters_kafka_position CHECK (
    channel <> 'kafka' OR (topic IS NOT NULL AND kafka_partition IS NOT NULL AND kafka_offset IS NOT NULL))
);
COMMENT ON TABLE dead_letters IS
  'Döda meddelanden: Kafka messages that could not be stored as events, with raw bytes, headers and reason.';
COMMENT ON COLUMN dead_letters.headers IS
  'Kafka headers in order: [{"name": ..., "value": text or null, "value_base64": ...}].';
COMMENT ON COLUMN dead_letters.resolved_at IS 'Set when an administrator resubmitted the message successfully.';

CREATE UNIQUE INDEX dead_letters_position_key ON dead_letters (topic, kafka_partition, kafka_offset)
  WHERE channel = 'kafka';
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at, id);
CREATE INDEX dead_letters_reason_idx ON dead_letters (reason, id);

-- No extra indexes on events: every index slows the intake down, the source
-- filter uses events_source_id_key (source is its leading column), and the
-- per-area queries read event_areas.

-- Text of a payload if it is valid UTF-8, else NULL (for the dead-letter API).
CREATE FUNCTION est_try_utf8(b bytea) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN convert_from(b, 'UTF8');
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
