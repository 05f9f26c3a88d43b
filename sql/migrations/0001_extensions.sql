-- 0001 foundation: extensions.
-- Applied by the C migrator inside its own transaction (no BEGIN/COMMIT here);
-- the migrator owns schema_migrations.
--
-- postgis:    geometry(MultiPolygon,4326) for areas (stadsdelar, särskilt utsatta områden, hot spots).
-- btree_gist: lets later migrations (e.g. 0020-0029 situation) write exclusion constraints that mix
--             scalar equality with range/geometry overlap. Trusted extension, cheap to have.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;
