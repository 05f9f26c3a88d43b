-- 0003 foundation: agreements (samverkansöverenskommelse, medborgarlöfte), their parties,
-- and the cooperation areas (samverkansområden) of an agreement.

CREATE TABLE agreements (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                     text NOT NULL,
    -- kind (Swedish label):
    --   samverkansoverenskommelse = samverkansöverenskommelse (kommun + polis, flerårig)
    --   medborgarlofte            = medborgarlöfte (polisens löfte till invånarna, ofta ett år)
    kind                     text NOT NULL,
    title                    text NOT NULL,
    title_en                 text,
    description              text,
    valid_from               date NOT NULL,
    valid_to                 date NOT NULL,
    signed_on                date,
    complements_agreement_id bigint REFERENCES agreements (id),
    goals                    jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agreements_code_key UNIQUE (code),
    CONSTRAINT agreements_code_slug CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT agreements_kind_check CHECK (kind IN ('samverkansoverenskommelse', 'medborgarlofte')),
    CONSTRAINT agreements_title_nonempty CHECK (char_length(title) > 0),
    CONSTRAINT agreements_valid_range CHECK (valid_to >= valid_from),
    CONSTRAINT agreements_not_self_complement CHECK (complements_agreement_id IS NULL OR complements_agreement_id <> id),
    CONSTRAINT agreements_goals_string_array CHECK (
        jsonb_typeof(goals) = 'array'
        AND NOT jsonb_path_exists(goals, '$[*] ? (@.type() != "string")')
    )
);

CREATE INDEX agreements_kind_id_idx ON agreements (kind, id);
CREATE INDEX agreements_complements_idx ON agreements (complements_agreement_id) WHERE complements_agreement_id IS NOT NULL;
CREATE INDEX agreements_created_at_id_idx ON agreements (created_at, id);
CREATE INDEX agreements_updated_at_id_idx ON agreements (updated_at, id);

COMMENT ON TABLE agreements IS
    'Överenskommelser: a samverkansöverenskommelse (cooperation agreement between kommun and polis) or a '
    'medborgarlöfte (citizen promise), with validity period, parties and goals.';
COMMENT ON COLUMN agreements.kind IS
    'samverkansoverenskommelse = samverkansöverenskommelse, medborgarlofte = medborgarlöfte.';
COMMENT ON COLUMN agreements.title IS 'Swedish title as in the document.';
COMMENT ON COLUMN agreements.valid_from IS 'First day the agreement applies (giltig från).';
COMMENT ON COLUMN agreements.valid_to IS 'Last day the agreement applies, inclusive (giltig till och med).';
COMMENT ON COLUMN agreements.signed_on IS 'Date of signing (undertecknad), if known.';
COMMENT ON COLUMN agreements.complements_agreement_id IS
    'The agreement this one complements: a medborgarlöfte "är ett komplement till samverkansöverenskommelsen".';
COMMENT ON COLUMN agreements.goals IS
    'JSON array of strings: the shared goals, e.g. "Det här ska vi åstadkomma tillsammans".';

CREATE TABLE agreement_parties (
    agreement_id bigint NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    party_id     bigint NOT NULL REFERENCES parties (id),
    -- role: lower_snake_case; 'signatory' = undertecknande part.
    role         text NOT NULL DEFAULT 'signatory',
    signed_by    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agreement_id, party_id),
    CONSTRAINT agreement_parties_role_format CHECK (role ~ '^[a-z][a-z0-9_]*$')
);

CREATE INDEX agreement_parties_party_idx ON agreement_parties (party_id, agreement_id);

COMMENT ON TABLE agreement_parties IS 'Parter i överenskommelsen: which parties are party to (sign) an agreement.';
COMMENT ON COLUMN agreement_parties.role IS 'signatory = undertecknande part (default).';
COMMENT ON COLUMN agreement_parties.signed_by IS
    'Name and title of the signatory, e.g. ''Tomas Jansson, Lokalpolisområdeschef''.';

CREATE TABLE cooperation_areas (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id bigint NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    code         text NOT NULL,
    title        text NOT NULL,
    title_en     text,
    description  text,
    ordinal      integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cooperation_areas_agreement_code_key UNIQUE (agreement_id, code),
    -- target of the composite FK from commitments: a commitment's cooperation area must belong
    -- to the commitment's own agreement.
    CONSTRAINT cooperation_areas_id_agreement_key UNIQUE (id, agreement_id),
    CONSTRAINT cooperation_areas_code_slug CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT cooperation_areas_title_nonempty CHECK (char_length(title) > 0),
    CONSTRAINT cooperation_areas_ordinal_positive CHECK (ordinal > 0)
);

CREATE INDEX cooperation_areas_agreement_ordinal_idx ON cooperation_areas (agreement_id, ordinal, id);

COMMENT ON TABLE cooperation_areas IS
    'Samverkansområden: the thematic areas of a samverkansöverenskommelse under which each party '
    '"förbinder sig att" (commits to) concrete actions.';
COMMENT ON COLUMN cooperation_areas.code IS 'Slug unique within the agreement, e.g. ''so-1''.';
COMMENT ON COLUMN cooperation_areas.title IS 'Swedish heading of the samverkansområde as in the document.';
COMMENT ON COLUMN cooperation_areas.ordinal IS 'Position in the document (1-based).';
