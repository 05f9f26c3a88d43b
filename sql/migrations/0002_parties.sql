-- 0002 foundation: parties (parter) in the cooperation.

CREATE TABLE parties (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    name_en     text,
    -- kind (Swedish label):
    --   police          = polis (Polismyndigheten / lokalpolisområde)
    --   municipality    = kommun
    --   housing_company = bostadsbolag (e.g. kommunalt bostadsbolag)
    --   other           = annan aktör (region, räddningstjänst, förening, …)
    kind        text NOT NULL,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT parties_code_key UNIQUE (code),
    CONSTRAINT parties_code_slug CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT parties_name_nonempty CHECK (char_length(name) > 0),
    CONSTRAINT parties_kind_check CHECK (kind IN ('police', 'municipality', 'housing_company', 'other'))
);

CREATE INDEX parties_kind_id_idx ON parties (kind, id);

COMMENT ON TABLE parties IS
    'Parter: organisations that sign agreements and are responsible for commitments (Polisen, kommunen, bostadsbolag).';
COMMENT ON COLUMN parties.code IS 'Stable slug, natural key, e.g. ''polisen-boras''.';
COMMENT ON COLUMN parties.name IS 'Official Swedish name, e.g. ''Polismyndigheten, lokalpolisområde Borås''.';
COMMENT ON COLUMN parties.name_en IS 'English name (informational).';
COMMENT ON COLUMN parties.kind IS
    'police = polis, municipality = kommun, housing_company = bostadsbolag, other = annan aktör.';
