-- 0115 other names of an area (aliases), for the Police-feed geocoder: a
-- district named in a feed record's summary ("på Norrby", "i
-- Hässleholmen", or a local name such as "Norrbyområdet") is matched
-- against the names and aliases of the district areas (src/domain/place.c;
-- docs/EVENTS.md "Police feed"). Set through the areas API (`aliases`:
-- at most 20, each 1..100 characters, validated in src/domain/area.c).
ALTER TABLE areas
  ADD COLUMN aliases text[] NOT NULL DEFAULT '{}',
  ADD CONSTRAINT areas_aliases_size CHECK (cardinality(aliases) <= 20),
  ADD CONSTRAINT areas_aliases_nonempty CHECK (array_position(aliases, NULL) IS NULL AND '' <> ALL (aliases));
COMMENT ON COLUMN areas.aliases IS
  'Other names of the area (e.g. Norrbyområdet); the Police-feed geocoder matches names and aliases.';
