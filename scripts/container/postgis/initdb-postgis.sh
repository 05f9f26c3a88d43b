# Sourced by docker-entrypoint.sh at initdb, as postgis/postgis's own
# initdb-postgis.sh does: a template_postgis database, and the PostGIS
# extensions in it and in POSTGRES_DB.
psql -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE template_postgis IS_TEMPLATE true;'
for db in template_postgis "$POSTGRES_DB"; do
  psql -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS postgis_topology;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS postgis_tiger_geocoder;
SQL
done
