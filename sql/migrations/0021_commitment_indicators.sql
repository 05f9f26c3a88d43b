-- 0021 commitment follow-up: how a commitment's progress is measured from events (indikatorer).
--
-- An event matches an indicator when every non-empty filter matches:
--   event_kinds     event.kind IN (...)                    (empty = any kind)
--   activity_types  event.activity_type IN (...)           (empty = any)
--   categories      event.category IN (...)                (empty = any)
--   party_ids       event.party_id IN (...)  (reporting party; empty = the commitment's responsible parties)
--   area_ids        the event lies in one of the areas (event_areas); empty = the commitment's areas,
--                   or anywhere when the commitment has no areas
-- and it occurred inside the commitment's target period (target_from..target_to, else the agreement's
-- validity), evaluated in Europe/Stockholm. measure: count = number of matching events,
-- duration_hours = sum of duration_s / 3600.
CREATE TABLE commitment_indicators (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commitment_id  bigint NOT NULL REFERENCES commitments (id) ON DELETE CASCADE,
    code           text,
    description    text,
    event_kinds    text[] NOT NULL DEFAULT '{}',
    activity_types text[] NOT NULL DEFAULT '{}',
    categories     text[] NOT NULL DEFAULT '{}',
    party_ids      bigint[] NOT NULL DEFAULT '{}',
    area_ids       bigint[] NOT NULL DEFAULT '{}',
    measure        text NOT NULL DEFAULT 'count',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- One indicator per commitment: progress is one number.
    CONSTRAINT commitment_indicators_commitment_key UNIQUE (commitment_id),
    CONSTRAINT commitment_indicators_code_key UNIQUE (code),
    CONSTRAINT commitment_indicators_kinds_check
        CHECK (event_kinds <@ ARRAY['incident', 'patrol', 'activity']::text[]),
    CONSTRAINT commitment_indicators_activity_types_check
        CHECK (activity_types <@ ARRAY['trygghetsvandring', 'informationstillfalle', 'operativ_insats',
                                       'grannsamverkan', 'natverksgrupp', 'other']::text[]),
    CONSTRAINT commitment_indicators_measure_check CHECK (measure IN ('count', 'duration_hours'))
);

COMMENT ON TABLE commitment_indicators IS
    'Indikatorer: which events count towards a commitment''s target (åtagandets uppföljning).';
COMMENT ON COLUMN commitment_indicators.measure IS 'count = antal händelser, duration_hours = summa timmar (duration_s / 3600).';
