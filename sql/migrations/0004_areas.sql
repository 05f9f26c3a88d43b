-- 0004 foundation: geographic areas (områden).

CREATE TABLE areas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text,
    name        text NOT NULL,
    -- kind (Swedish label):
    --   district               = stadsdel
    --   sarskilt_utsatt_omrade = särskilt utsatt område (Polisens NOA-lista)
    --   hot_spot               = hot spot / brottsutsatt plats
    --   other                  = annat område
    kind        text NOT NULL,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    approximate boolean NOT NULL DEFAULT false,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1,
    CONSTRAINT areas_code_key UNIQUE (code),
    CONSTRAINT areas_code_nonempty CHECK (code IS NULL OR char_length(code) > 0),
    CONSTRAINT areas_name_nonempty CHECK (char_length(name) > 0),
    CONSTRAINT areas_kind_check CHECK (kind IN ('district', 'sarskilt_utsatt_omrade', 'hot_spot', 'other')),
    CONSTRAINT areas_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    -- WGS84 lon/lat range; catches projected (e.g. SWEREF 99) coordinates stored as 4326.
    CONSTRAINT areas_geom_lonlat CHECK (
        ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90
    ),
    CONSTRAINT areas_version_positive CHECK (version >= 1)
);

CREATE INDEX areas_geom_gist ON areas USING gist (geom);
CREATE INDEX areas_kind_id_idx ON areas (kind, id);
CREATE INDEX areas_created_at_id_idx ON areas (created_at, id);
CREATE INDEX areas_updated_at_id_idx ON areas (updated_at, id);

COMMENT ON TABLE areas IS
    'Områden: stadsdelar, särskilt utsatta områden and hot spots that commitments and area focuses concern.';
COMMENT ON COLUMN areas.code IS 'Optional stable slug (seeded areas have one, e.g. ''hassleholmen'').';
COMMENT ON COLUMN areas.kind IS
    'district = stadsdel, sarskilt_utsatt_omrade = särskilt utsatt område, hot_spot = hot spot, other = annat.';
COMMENT ON COLUMN areas.geom IS 'Boundary as MultiPolygon in WGS84 (EPSG:4326, lon/lat).';
COMMENT ON COLUMN areas.approximate IS
    'true when the boundary is an approximation (ungefärlig avgränsning), not an official boundary.';
COMMENT ON COLUMN areas.version IS 'Optimistic-concurrency version (ETag); incremented by the application on update.';
