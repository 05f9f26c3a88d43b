-- 0006 foundation: area focuses (fokusområden / kraftsamlingar): an agreement or a party
-- declares that an area needs particular attention during a period.

CREATE TABLE area_focuses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text,
    area_id      bigint NOT NULL REFERENCES areas (id) ON DELETE RESTRICT,
    agreement_id bigint REFERENCES agreements (id),
    party_id     bigint REFERENCES parties (id),
    reason       text NOT NULL,
    -- priority: 1 = highest (högst prioritet) … 5 = lowest.
    priority     smallint NOT NULL DEFAULT 3,
    valid_from   date NOT NULL,
    valid_to     date,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    version      bigint NOT NULL DEFAULT 1,
    CONSTRAINT area_focuses_code_key UNIQUE (code),
    CONSTRAINT area_focuses_code_nonempty CHECK (code IS NULL OR char_length(code) > 0),
    CONSTRAINT area_focuses_owner CHECK (agreement_id IS NOT NULL OR party_id IS NOT NULL),
    CONSTRAINT area_focuses_reason_nonempty CHECK (char_length(reason) > 0),
    CONSTRAINT area_focuses_priority_range CHECK (priority BETWEEN 1 AND 5),
    CONSTRAINT area_focuses_valid_range CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CONSTRAINT area_focuses_version_positive CHECK (version >= 1)
);

CREATE INDEX area_focuses_area_id_idx ON area_focuses (area_id, id);
CREATE INDEX area_focuses_agreement_id_idx ON area_focuses (agreement_id, id) WHERE agreement_id IS NOT NULL;
CREATE INDEX area_focuses_party_id_idx ON area_focuses (party_id, id) WHERE party_id IS NOT NULL;
CREATE INDEX area_focuses_created_at_id_idx ON area_focuses (created_at, id);
CREATE INDEX area_focuses_updated_at_id_idx ON area_focuses (updated_at, id);

COMMENT ON TABLE area_focuses IS
    'Fokusområden: an area singled out by an agreement and/or a party for a period, e.g. the särskilt utsatta '
    'områdena where "de gemensamma kraftsamlingarna" apply.';
COMMENT ON COLUMN area_focuses.code IS 'Optional stable slug (natural key for seed data), e.g. ''so-2018-suo-norrby''.';
COMMENT ON COLUMN area_focuses.agreement_id IS 'Agreement that names the focus (at least one of agreement_id, party_id).';
COMMENT ON COLUMN area_focuses.party_id IS 'Party that owns/drives the focus (at least one of agreement_id, party_id).';
COMMENT ON COLUMN area_focuses.reason IS 'Why the area is in focus, in Swedish, preferably quoting the source document.';
COMMENT ON COLUMN area_focuses.priority IS '1 = highest priority (högst), 5 = lowest; default 3.';
COMMENT ON COLUMN area_focuses.valid_to IS 'Last day of the focus, inclusive; NULL = until further notice (tills vidare).';
COMMENT ON COLUMN area_focuses.version IS 'Optimistic-concurrency version (ETag); incremented by the application on update.';
