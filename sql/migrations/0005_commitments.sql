-- 0005 foundation: commitments (åtaganden / "X förbinder sig att …", medborgarlöftets löften),
-- their responsible parties and the areas they concern.

CREATE TABLE commitments (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id        bigint NOT NULL REFERENCES agreements (id),
    cooperation_area_id bigint,
    code                text,
    text                text NOT NULL,
    target_value        numeric,
    target_unit         text,
    -- target_comparison (Swedish label):
    --   at_least = minst, at_most = högst, exactly = exakt
    target_comparison   text,
    -- target_per (Swedish label):
    --   period = under perioden, year = per år, quarter = per kvartal, month = per månad, week = per vecka
    target_per          text,
    target_from         date,
    target_to           date,
    -- status (Swedish label):
    --   planned = planerad, ongoing = pågående, fulfilled = uppfyllt,
    --   partially_fulfilled = delvis uppfyllt, not_fulfilled = ej uppfyllt
    status              text NOT NULL DEFAULT 'planned',
    follow_up_note      text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             bigint NOT NULL DEFAULT 1,
    CONSTRAINT commitments_code_key UNIQUE (code),
    CONSTRAINT commitments_code_nonempty CHECK (code IS NULL OR char_length(code) > 0),
    -- MATCH SIMPLE: not checked when cooperation_area_id is NULL (e.g. medborgarlöfte promises).
    CONSTRAINT commitments_cooperation_area_same_agreement
        FOREIGN KEY (cooperation_area_id, agreement_id) REFERENCES cooperation_areas (id, agreement_id),
    CONSTRAINT commitments_text_nonempty CHECK (char_length(text) > 0),
    CONSTRAINT commitments_target_value_positive CHECK (target_value IS NULL OR target_value > 0),
    CONSTRAINT commitments_target_unit_nonempty CHECK (target_unit IS NULL OR char_length(target_unit) > 0),
    CONSTRAINT commitments_target_comparison_check
        CHECK (target_comparison IS NULL OR target_comparison IN ('at_least', 'at_most', 'exactly')),
    CONSTRAINT commitments_target_per_check
        CHECK (target_per IS NULL OR target_per IN ('period', 'year', 'quarter', 'month', 'week')),
    -- A machine-readable target is all-or-nothing.
    CONSTRAINT commitments_target_complete CHECK (
        (target_value IS NULL AND target_unit IS NULL AND target_comparison IS NULL
         AND target_per IS NULL AND target_from IS NULL AND target_to IS NULL)
        OR
        (target_value IS NOT NULL AND target_unit IS NOT NULL AND target_comparison IS NOT NULL
         AND target_per IS NOT NULL AND target_from IS NOT NULL AND target_to IS NOT NULL
         AND target_to >= target_from)
    ),
    CONSTRAINT commitments_status_check
        CHECK (status IN ('planned', 'ongoing', 'fulfilled', 'partially_fulfilled', 'not_fulfilled')),
    CONSTRAINT commitments_version_positive CHECK (version >= 1)
);

-- List filters + keyset paging (ORDER BY id, or (created_at, id) / (updated_at, id)).
CREATE INDEX commitments_agreement_id_idx ON commitments (agreement_id, id);
CREATE INDEX commitments_cooperation_area_id_idx ON commitments (cooperation_area_id, id)
    WHERE cooperation_area_id IS NOT NULL;
CREATE INDEX commitments_status_id_idx ON commitments (status, id);
CREATE INDEX commitments_created_at_id_idx ON commitments (created_at, id);
CREATE INDEX commitments_updated_at_id_idx ON commitments (updated_at, id);

COMMENT ON TABLE commitments IS
    'Åtaganden: one "Polisen/Borås Stad förbinder sig att …" bullet of a samverkansöverenskommelse, '
    'or one promise ("Det här lovar vi") of a medborgarlöfte.';
COMMENT ON COLUMN commitments.cooperation_area_id IS
    'Samverkansområde the commitment belongs to; NULL for medborgarlöfte promises. Must belong to the same agreement.';
COMMENT ON COLUMN commitments.code IS 'Optional stable slug, e.g. ''so-1-polisen-1'' or ''ml-3''.';
COMMENT ON COLUMN commitments.text IS 'The commitment in Swedish, as written in the agreement.';
COMMENT ON COLUMN commitments.target_value IS 'Numeric target stated in the text (e.g. 9 for "samtliga nio nätverksgrupper").';
COMMENT ON COLUMN commitments.target_unit IS 'What is counted, lower_snake_case, e.g. network_group, operative_action.';
COMMENT ON COLUMN commitments.target_comparison IS 'at_least = minst, at_most = högst, exactly = exakt.';
COMMENT ON COLUMN commitments.target_per IS
    'Counting window: period = under hela perioden target_from..target_to, year = per år, quarter = per kvartal, '
    'month = per månad, week = per vecka.';
COMMENT ON COLUMN commitments.status IS
    'planned = planerad, ongoing = pågående, fulfilled = uppfyllt, partially_fulfilled = delvis uppfyllt, '
    'not_fulfilled = ej uppfyllt.';
COMMENT ON COLUMN commitments.follow_up_note IS 'Uppföljning: free-text follow-up of the commitment.';
COMMENT ON COLUMN commitments.version IS 'Optimistic-concurrency version (ETag); incremented by the application on update.';

CREATE TABLE commitment_parties (
    commitment_id bigint NOT NULL REFERENCES commitments (id) ON DELETE CASCADE,
    party_id      bigint NOT NULL REFERENCES parties (id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (commitment_id, party_id)
);

CREATE INDEX commitment_parties_party_idx ON commitment_parties (party_id, commitment_id);

COMMENT ON TABLE commitment_parties IS
    'Ansvariga parter: the parties responsible for a commitment (e.g. "(Polis, Borås stad, AB Bostäder)").';

CREATE TABLE commitment_areas (
    commitment_id bigint NOT NULL REFERENCES commitments (id) ON DELETE CASCADE,
    area_id       bigint NOT NULL REFERENCES areas (id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (commitment_id, area_id)
);

CREATE INDEX commitment_areas_area_idx ON commitment_areas (area_id, commitment_id);

COMMENT ON TABLE commitment_areas IS 'The areas (stadsdelar etc.) a commitment concerns.';
