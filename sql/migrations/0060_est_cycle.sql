-- 0060 the EST work cycle as records (issue 16): writable, versioned parties, agreements and
-- cooperation areas; agreement revisions and signing; meetings with a frozen lägesbild; actions
-- (insatser/åtgärder) with events as evidence; outcome indicators from surveys; the status history
-- of commitments.

-- ---------------------------------------------------------------------------------------------
-- Versioning and archiving of the foundation tables. Archiving (arkivering) keeps the row and
-- everything that refers to it; archived rows are left out of lists unless asked for.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE parties
    ADD COLUMN version     bigint NOT NULL DEFAULT 1,
    ADD COLUMN archived_at timestamptz,
    ADD CONSTRAINT parties_version_positive CHECK (version >= 1);

ALTER TABLE agreements
    ADD COLUMN version                bigint NOT NULL DEFAULT 1,
    ADD COLUMN archived_at            timestamptz,
    ADD COLUMN previous_agreement_id  bigint,
    ADD COLUMN supersedes             boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT agreements_version_positive CHECK (version >= 1),
    ADD CONSTRAINT agreements_previous_fkey FOREIGN KEY (previous_agreement_id) REFERENCES agreements (id),
    -- A version chain: each agreement has at most one direct revision.
    ADD CONSTRAINT agreements_previous_key UNIQUE (previous_agreement_id),
    ADD CONSTRAINT agreements_not_self_previous CHECK (previous_agreement_id IS NULL OR previous_agreement_id <> id),
    ADD CONSTRAINT agreements_supersedes_needs_previous CHECK (NOT supersedes OR previous_agreement_id IS NOT NULL);

COMMENT ON COLUMN agreements.previous_agreement_id IS
    'Revision (revidering): the agreement version this one follows (e.g. 2021-2023 after 2018-2020).';
COMMENT ON COLUMN agreements.supersedes IS
    'true when this revision replaces its predecessor during the predecessor''s own period (explicit supersede); '
    'the predecessor then ends the day before this one starts.';

ALTER TABLE agreement_parties
    ADD COLUMN signatory_role text,
    ADD COLUMN signed_on      date,
    ADD CONSTRAINT agreement_parties_signatory_role_nonempty
        CHECK (signatory_role IS NULL OR char_length(signatory_role) BETWEEN 1 AND 200);
COMMENT ON COLUMN agreement_parties.signatory_role IS
    'Role title of the person who signs for the party (e.g. ''Lokalpolisområdeschef''); never a name.';
COMMENT ON COLUMN agreement_parties.signed_on IS 'Date the party signed, if signed.';

ALTER TABLE cooperation_areas
    ADD COLUMN version     bigint NOT NULL DEFAULT 1,
    ADD COLUMN archived_at timestamptz,
    ADD CONSTRAINT cooperation_areas_version_positive CHECK (version >= 1);

-- Carried-over commitments link to the commitment of the previous agreement version they continue.
ALTER TABLE commitments
    ADD COLUMN predecessor_commitment_id bigint,
    ADD CONSTRAINT commitments_predecessor_fkey FOREIGN KEY (predecessor_commitment_id) REFERENCES commitments (id),
    ADD CONSTRAINT commitments_not_self_predecessor
        CHECK (predecessor_commitment_id IS NULL OR predecessor_commitment_id <> id),
    -- Target of the composite FK from actions: an action's commitment is of the action's agreement.
    ADD CONSTRAINT commitments_id_agreement_key UNIQUE (id, agreement_id);
CREATE INDEX commitments_predecessor_idx ON commitments (predecessor_commitment_id)
    WHERE predecessor_commitment_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- Status history of commitments (statushistorik), written by a trigger in the same transaction as
-- the change, whatever path made it (API, seed, CLI).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE commitment_status_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commitment_id bigint NOT NULL REFERENCES commitments (id) ON DELETE CASCADE,
    status        text NOT NULL,
    previous      text,
    changed_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX commitment_status_history_idx ON commitment_status_history (commitment_id, changed_at, id);
COMMENT ON TABLE commitment_status_history IS 'Every status a commitment has had, with the time it changed.';

CREATE FUNCTION commitment_status_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO commitment_status_history (commitment_id, status, previous)
        VALUES (NEW.id, NEW.status, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER commitments_status_history AFTER INSERT OR UPDATE OF status ON commitments
    FOR EACH ROW EXECUTE FUNCTION commitment_status_history_write();

-- ---------------------------------------------------------------------------------------------
-- Meetings (EST-möten) with their frozen lägesbild.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE meetings (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id        bigint NOT NULL REFERENCES agreements (id),
    held_on             date NOT NULL,
    area_id             bigint REFERENCES areas (id),
    title               text,
    notes               text,
    decisions           jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- The frozen lägesbild: the exact bytes of the situational picture served when the meeting was
    -- recorded, its SHA-256, media type, the query that produced it and the data version it was read at.
    snapshot_body       text NOT NULL,
    snapshot_sha256     text NOT NULL,
    snapshot_media_type text NOT NULL DEFAULT 'application/json',
    snapshot_query      jsonb NOT NULL,
    snapshot_taken_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             bigint NOT NULL DEFAULT 1,
    archived_at         timestamptz,
    CONSTRAINT meetings_id_agreement_key UNIQUE (id, agreement_id),
    CONSTRAINT meetings_title_length CHECK (title IS NULL OR char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT meetings_notes_length CHECK (notes IS NULL OR char_length(notes) <= 8000),
    CONSTRAINT meetings_decisions_string_array CHECK (
        jsonb_typeof(decisions) = 'array'
        AND NOT jsonb_path_exists(decisions, '$[*] ? (@.type() != "string")')
    ),
    CONSTRAINT meetings_snapshot_sha256_format CHECK (snapshot_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT meetings_version_positive CHECK (version >= 1)
);
CREATE INDEX meetings_agreement_held_idx ON meetings (agreement_id, held_on, id);
CREATE INDEX meetings_held_idx ON meetings (held_on, id);
COMMENT ON TABLE meetings IS
    'EST-möten: the weekly meeting, the area it covered, who was there, what it decided, and the lägesbild it saw.';

-- The snapshot is immutable: no UPDATE may change it (the API refuses first; this is the backstop).
CREATE FUNCTION meetings_snapshot_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.snapshot_body IS DISTINCT FROM OLD.snapshot_body OR NEW.snapshot_sha256 IS DISTINCT FROM OLD.snapshot_sha256
       OR NEW.snapshot_media_type IS DISTINCT FROM OLD.snapshot_media_type
       OR NEW.snapshot_query IS DISTINCT FROM OLD.snapshot_query
       OR NEW.snapshot_taken_at IS DISTINCT FROM OLD.snapshot_taken_at
       OR NEW.held_on IS DISTINCT FROM OLD.held_on OR NEW.area_id IS DISTINCT FROM OLD.area_id
       OR NEW.agreement_id IS DISTINCT FROM OLD.agreement_id THEN
        RAISE EXCEPTION 'the lägesbild snapshot of meeting % cannot be changed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'meetings_snapshot_immutable';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER meetings_snapshot_immutable BEFORE UPDATE ON meetings
    FOR EACH ROW EXECUTE FUNCTION meetings_snapshot_immutable();

CREATE TABLE meeting_parties (
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    party_id   bigint NOT NULL REFERENCES parties (id),
    PRIMARY KEY (meeting_id, party_id)
);
CREATE INDEX meeting_parties_party_idx ON meeting_parties (party_id, meeting_id);
COMMENT ON TABLE meeting_parties IS 'Närvarande parter: the parties present at a meeting.';

-- Hot spots a meeting chose become area focuses for the coming period.
ALTER TABLE area_focuses ADD COLUMN meeting_id bigint REFERENCES meetings (id);
CREATE INDEX area_focuses_meeting_idx ON area_focuses (meeting_id, id) WHERE meeting_id IS NOT NULL;
COMMENT ON COLUMN area_focuses.meeting_id IS 'The meeting that chose this hot spot / area for the coming period.';

-- ---------------------------------------------------------------------------------------------
-- Actions (insatser / åtgärder).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE actions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id         bigint NOT NULL REFERENCES agreements (id),
    commitment_id        bigint,
    meeting_id           bigint,
    responsible_party_id bigint NOT NULL REFERENCES parties (id),
    area_id              bigint REFERENCES areas (id),
    area_focus_id        bigint REFERENCES area_focuses (id),
    found_in_action_id   bigint REFERENCES actions (id),
    -- kind: patrol = patrullering, trygghetsvandring, cleanup = städning/klottersanering,
    -- repair = åtgärd i fysisk miljö (belysning, passage), information = informationsinsats,
    -- operativ_insats, other = annan insats
    kind                 text NOT NULL DEFAULT 'other',
    title                text NOT NULL,
    description          text,
    planned_from         date,
    planned_to           date,
    -- status: planned = planerad, ongoing = pågående, done = genomförd, cancelled = inställd
    status               text NOT NULL DEFAULT 'planned',
    outcome_note         text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              bigint NOT NULL DEFAULT 1,
    archived_at          timestamptz,
    -- MATCH SIMPLE: checked only when commitment_id / meeting_id is set.
    CONSTRAINT actions_commitment_same_agreement
        FOREIGN KEY (commitment_id, agreement_id) REFERENCES commitments (id, agreement_id),
    CONSTRAINT actions_meeting_same_agreement
        FOREIGN KEY (meeting_id, agreement_id) REFERENCES meetings (id, agreement_id),
    CONSTRAINT actions_kind_check
        CHECK (kind IN ('patrol', 'trygghetsvandring', 'cleanup', 'repair', 'information', 'operativ_insats', 'other')),
    CONSTRAINT actions_status_check CHECK (status IN ('planned', 'ongoing', 'done', 'cancelled')),
    CONSTRAINT actions_place CHECK (area_id IS NOT NULL OR area_focus_id IS NOT NULL),
    CONSTRAINT actions_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT actions_description_length CHECK (description IS NULL OR char_length(description) <= 4000),
    CONSTRAINT actions_outcome_length CHECK (outcome_note IS NULL OR char_length(outcome_note) <= 4000),
    CONSTRAINT actions_planned_range CHECK (planned_to IS NULL OR planned_from IS NULL OR planned_to >= planned_from),
    CONSTRAINT actions_not_self_finding CHECK (found_in_action_id IS NULL OR found_in_action_id <> id),
    CONSTRAINT actions_version_positive CHECK (version >= 1)
);
CREATE INDEX actions_agreement_idx ON actions (agreement_id, id);
CREATE INDEX actions_commitment_idx ON actions (commitment_id, id) WHERE commitment_id IS NOT NULL;
CREATE INDEX actions_meeting_idx ON actions (meeting_id, id) WHERE meeting_id IS NOT NULL;
CREATE INDEX actions_party_idx ON actions (responsible_party_id, id);
CREATE INDEX actions_area_idx ON actions (area_id, id) WHERE area_id IS NOT NULL;
CREATE INDEX actions_status_idx ON actions (status, id);
CREATE INDEX actions_created_at_id_idx ON actions (created_at, id);
CREATE INDEX actions_updated_at_id_idx ON actions (updated_at, id);
COMMENT ON TABLE actions IS
    'Insatser/åtgärder: decided at a meeting or entered directly, carried out by one responsible party in an '
    'area, focus or hot spot, serving a commitment of the same agreement; findings of a trygghetsvandring '
    'become actions with found_in_action_id.';

CREATE TABLE action_events (
    action_id bigint NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    event_id  bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE, -- retention (gallring) takes the link with the event
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (action_id, event_id)
);
CREATE INDEX action_events_event_idx ON action_events (event_id, action_id);
COMMENT ON TABLE action_events IS 'Events linked to an action as evidence (patrols carried out, a trygghetsvandring held, graffiti cleaned).';

-- ---------------------------------------------------------------------------------------------
-- Outcome indicators (utfallsindikatorer) from surveys, and outcome targets of commitments.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE indicator_values (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- indicator: trygghet = trygghetsmätning/otrygghet, fortroende = förtroende för polis/kommun,
    -- utsatthet = utsatthet för brott
    indicator       text NOT NULL,
    measure         text NOT NULL,
    area_id         bigint NOT NULL REFERENCES areas (id),
    period_from     date NOT NULL,
    period_to       date NOT NULL,
    value           numeric NOT NULL,
    unit            text NOT NULL,
    source          text NOT NULL,
    sample_size     integer,
    margin_of_error numeric,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         bigint NOT NULL DEFAULT 1,
    archived_at     timestamptz,
    CONSTRAINT indicator_values_indicator_check CHECK (indicator IN ('trygghet', 'fortroende', 'utsatthet')),
    CONSTRAINT indicator_values_measure_slug CHECK (measure ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT indicator_values_period_range CHECK (period_to >= period_from),
    CONSTRAINT indicator_values_unit_nonempty CHECK (char_length(unit) BETWEEN 1 AND 64),
    CONSTRAINT indicator_values_source_nonempty CHECK (char_length(source) BETWEEN 1 AND 500),
    CONSTRAINT indicator_values_sample_positive CHECK (sample_size IS NULL OR sample_size > 0),
    CONSTRAINT indicator_values_margin_nonnegative CHECK (margin_of_error IS NULL OR margin_of_error >= 0),
    CONSTRAINT indicator_values_version_positive CHECK (version >= 1),
    CONSTRAINT indicator_values_key UNIQUE (indicator, measure, area_id, period_from, period_to, source)
);
CREATE INDEX indicator_values_area_idx ON indicator_values (area_id, indicator, measure, period_from, id);
COMMENT ON TABLE indicator_values IS
    'Survey results per area and period (trygghetsmätning, förtroende, utsatthet) with source, sample size '
    'and margin of error (half-width of the 95 % confidence interval, in the value''s unit).';

CREATE TABLE commitment_outcome_targets (
    commitment_id     bigint PRIMARY KEY REFERENCES commitments (id) ON DELETE CASCADE,
    indicator         text NOT NULL,
    measure           text NOT NULL,
    area_id           bigint NOT NULL REFERENCES areas (id),
    -- direction: increase = the value should rise (e.g. andel trygga), decrease = fall (andel otrygga)
    direction         text NOT NULL,
    baseline_value_id bigint NOT NULL REFERENCES indicator_values (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           bigint NOT NULL DEFAULT 1,
    CONSTRAINT commitment_outcome_targets_indicator_check CHECK (indicator IN ('trygghet', 'fortroende', 'utsatthet')),
    CONSTRAINT commitment_outcome_targets_direction_check CHECK (direction IN ('increase', 'decrease')),
    CONSTRAINT commitment_outcome_targets_version_positive CHECK (version >= 1)
);
COMMENT ON TABLE commitment_outcome_targets IS
    'An outcome goal of a commitment (e.g. "Ökad trygghet bland invånarna"): the survey measure in an area '
    'that should move in a direction from a baseline value; judged with the margins of error.';

-- The audit trail gains archive/restore actions (the same set as issue-11b's 0046, whichever runs last).
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('create', 'update', 'delete', 'ingest', 'resubmit', 'archive', 'restore', 'retention'));
