/* areas.c - areas (områden) with PostGIS geometry (see store_areas.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_areas.h"
#include "estd/store_util.h"

const char *const store_areas_sorts[] = {"id", "name", "created_at", NULL};

/* Geometry as stored: what a validated GeoJSON Polygon/MultiPolygon (jsonb
 * expression x) becomes. Altitudes are dropped (the column is 2D). */
#define AREA_GEOM_FROM(x) "ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(" x "), 4326)))"

/* The validated aliases array of the body b.j, else dflt. */
#define AREA_ALIASES(dflt) \
  "CASE WHEN b.j ? 'aliases' THEN ARRAY(SELECT jsonb_array_elements_text(b.j->'aliases')) ELSE " dflt " END"

#define AREA_JSON_HEAD                                                                            \
  "json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'kind', a.kind, 'approximate', " \
  "a.approximate, 'description', a.description, 'aliases', to_json(a.aliases), "
#define AREA_JSON_TAIL                                                                                        \
  "'centroid', json_build_object('lat', round(ST_Y(ST_Centroid(a.geom))::numeric, 7), 'lon', "                \
  "round(ST_X(ST_Centroid(a.geom))::numeric, 7)), 'area_m2', round(ST_Area(a.geom::geography)::numeric, 1), " \
  "'created_at', a.created_at, 'updated_at', a.updated_at, 'archived_at', a.archived_at, 'version', "         \
  "a.version)::text"
#define AREA_JSON_GEOM AREA_JSON_HEAD "'geometry', ST_AsGeoJSON(a.geom)::json, " AREA_JSON_TAIL
#define AREA_JSON_NOGEOM AREA_JSON_HEAD AREA_JSON_TAIL

/* $1 kind, $2/$3 cursor (value, id), $4 limit, $5/$6 point (lon, lat),
 * $7..$10 bbox (minLon, minLat, maxLon, maxLat), $11 include archived. For the id sort the cursor
 * value is always "", which keeps $2 typed and referenced. */
#define AREA_LIST(name, json, sortval, after, order)                                                                 \
  {                                                                                                                  \
    name,                                                                                                            \
        "SELECT " json ", " sortval                                                                                  \
        ", a.id FROM areas a WHERE ($1::text IS NULL OR a.kind = $1)"                                                \
        " AND ($5::float8 IS NULL OR ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint($5::float8, $6::float8), 4326)))" \
        " AND ($7::float8 IS NULL OR ST_Intersects(a.geom, ST_MakeEnvelope($7::float8, $8::float8, $9::float8, "     \
        "$10::float8, 4326)))"                                                                                       \
        " AND ($11::bool OR a.archived_at IS NULL)"                                                                  \
        " AND ($3::bigint IS NULL OR " after ") ORDER BY " order " LIMIT $4",                                        \
        11                                                                                                           \
  }

/* [direction][with geometry] for one sort. */
#define AREA_LIST4(name, sortval, after_asc, after_desc, order_asc, order_desc)   \
  {                                                                               \
    {AREA_LIST(name, AREA_JSON_NOGEOM, sortval, after_asc, order_asc),            \
     AREA_LIST(name "_g", AREA_JSON_GEOM, sortval, after_asc, order_asc)},        \
    {                                                                             \
      AREA_LIST(name "_d", AREA_JSON_NOGEOM, sortval, after_desc, order_desc),    \
          AREA_LIST(name "_d_g", AREA_JSON_GEOM, sortval, after_desc, order_desc) \
    }                                                                             \
  }

static const est_stmt area_list[3][2][2] = {
    AREA_LIST4("areas_list_id", "''", "($2::text = '' AND a.id > $3)", "($2::text = '' AND a.id < $3)", "a.id",
               "a.id DESC"),
    AREA_LIST4("areas_list_name", "a.name", "(a.name, a.id) > ($2::text, $3)", "(a.name, a.id) < ($2::text, $3)",
               "a.name, a.id", "a.name DESC, a.id DESC"),
    AREA_LIST4("areas_list_created", "a.created_at::text", "(a.created_at, a.id) > ($2::timestamptz, $3)",
               "(a.created_at, a.id) < ($2::timestamptz, $3)", "a.created_at, a.id", "a.created_at DESC, a.id DESC"),
};

static const est_stmt area_get = STORE_GET_STMT("area_get", "areas", "a", AREA_JSON_GEOM);

static const est_stmt area_lock = STORE_LOCK_STMT("area_lock", "areas", "a", AREA_JSON_GEOM);

/* One statement: topology check and insert. Returns (ok, reason, doc,
 * version, id); doc is NULL when the geometry is invalid. */
static const est_stmt area_insert = {
    "area_insert",
    "WITH b AS (SELECT $1::jsonb AS j), "
    "g AS (SELECT " AREA_GEOM_FROM("b.j->'geometry'") " AS geom FROM b), "
    "v AS (SELECT g.geom, ST_IsValid(g.geom) AS ok, ST_IsValidReason(g.geom) AS reason FROM g), "
    "ins AS (INSERT INTO areas AS a (code, name, kind, geom, approximate, description, aliases) "
    "SELECT b.j->>'code', b.j->>'name', b.j->>'kind', v.geom, COALESCE((b.j->>'approximate')::boolean, false), "
    "b.j->>'description', " AREA_ALIASES("'{}'") " FROM b, v WHERE v.ok "
    "RETURNING " AREA_JSON_GEOM " AS doc, a.version, a.id) "
    "SELECT v.ok, v.reason, ins.doc, ins.version, ins.id FROM v LEFT JOIN ins ON true",
    1};

/* Merge patch $3 onto area $1 at version $2 (NULL = any). Returns (ok,
 * reason, doc, version); no doc when the geometry is invalid or the version
 * did not match. */
static const est_stmt area_update = {
    "area_update",
    "WITH b AS (SELECT $3::jsonb AS j), "
    "g AS (SELECT CASE WHEN b.j ? 'geometry' THEN " AREA_GEOM_FROM("b.j->'geometry'") " END AS geom FROM b), "
    "v AS (SELECT g.geom, (g.geom IS NULL OR ST_IsValid(g.geom)) AS ok, "
    "CASE WHEN g.geom IS NOT NULL THEN ST_IsValidReason(g.geom) END AS reason FROM g), "
    "upd AS (UPDATE areas a SET "
    "code = CASE WHEN b.j ? 'code' THEN b.j->>'code' ELSE a.code END, "
    "name = COALESCE(b.j->>'name', a.name), "
    "kind = COALESCE(b.j->>'kind', a.kind), "
    "approximate = COALESCE((b.j->>'approximate')::boolean, a.approximate), "
    "description = CASE WHEN b.j ? 'description' THEN b.j->>'description' ELSE a.description END, "
    "aliases = " AREA_ALIASES("a.aliases") ", "
    "geom = COALESCE(v.geom, a.geom), updated_at = now(), version = a.version + 1 "
    "FROM b, v WHERE v.ok AND a.id = $1 AND ($2::bigint IS NULL OR a.version = $2) "
    "RETURNING " AREA_JSON_GEOM " AS doc, a.version) "
    "SELECT v.ok, v.reason, upd.doc, upd.version FROM v LEFT JOIN upd ON true",
    3};

const store_archivable store_areas_archivable = STORE_ARCHIVE_STMTS("area", "areas", "a", AREA_JSON_GEOM);

/* ---- helpers ---------------------------------------------------------------- */

/* Explains a failed write on c from its SQLSTATE and constraint name. */
static est_result explain_area_error(est_conn *c, est_result rc, const char *sqlstate, store_write_error *f) {
  const char *cn = est_conn_last_constraint(c);
  if (strcmp(sqlstate, "23505") == 0 && strcmp(cn, "areas_code_key") == 0) {
    store_write_error_set(f, "/code", "another area already has this code");
    return EST_ECONFLICT;
  }
  if (strcmp(cn, "areas_geom_valid") == 0 || strcmp(cn, "areas_geom_lonlat") == 0 || strcmp(sqlstate, "22023") == 0) {
    store_write_error_set(f, "/geometry", "the geometry is not a valid WGS84 area");
    return EST_EINVAL;
  }
  if (strcmp(cn, "areas_name_nonempty") == 0) {
    store_write_error_set(f, "/name", "must not be empty");
    return EST_EINVAL;
  }
  if (strcmp(sqlstate, "23503") == 0) {
    store_write_error_set(f, "", "the area is still referenced (%s)", cn);
    return EST_ECONFLICT;
  }
  if (rc == EST_EINVAL && cn[0]) store_write_error_set(f, "", "violates the rule %s", cn);
  return rc;
}

static est_result doc_take(PGresult *r, int col_json, int col_version, est_doc *out) {
  out->json = strdup(PQgetvalue(r, 0, col_json));
  out->version = strtoll(PQgetvalue(r, 0, col_version), NULL, 10);
  return out->json ? EST_OK : EST_ENOMEM;
}

/* ---- reads -------------------------------------------------------------------- */

est_result store_areas_list(est_pool *pool, const store_area_filter *f, const est_list_query *q, est_page *out) {
  char lon[32], lat[32], bb[4][32];
  if (f->has_point) {
    snprintf(lon, sizeof lon, "%.17g", f->lon);
    snprintf(lat, sizeof lat, "%.17g", f->lat);
  }
  for (int i = 0; i < 4 && f->has_bbox; i++) snprintf(bb[i], sizeof bb[i], "%.17g", f->bbox[i]);
  const char *params[11] = {f->kind,
                            STORE_LIST_SLOTS,
                            f->has_point ? lon : NULL,
                            f->has_point ? lat : NULL,
                            f->has_bbox ? bb[0] : NULL,
                            f->has_bbox ? bb[1] : NULL,
                            f->has_bbox ? bb[2] : NULL,
                            f->has_bbox ? bb[3] : NULL,
                            f->archived ? "true" : "false"};
  return store_list_run(pool, &area_list[q->sort_index][q->desc][f->include_geometry ? 1 : 0], params, 1, q,
                        store_areas_sorts[q->sort_index], out);
}

est_result store_area_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id(pool, &area_get, id, out);
}

/* ---- writes ------------------------------------------------------------------- */

/* The outcome of an insert/update statement (rc, sqlstate st, result r
 * whose first columns are (geometry valid, ST_IsValidReason)): EST_OK when
 * it wrote a valid area, else the refusal explained in fail. */
static est_result written(est_conn *c, est_result rc, const char *st, PGresult *r, store_write_error *fail) {
  if (rc != EST_OK) return explain_area_error(c, rc, st, fail);
  if (PQntuples(r) != 1) return EST_EINTERNAL;
  if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
    store_write_error_set(fail, "/geometry", "invalid geometry: %s", PQgetvalue(r, 0, 1));
    return EST_EINVAL;
  }
  return EST_OK;
}

est_result store_area_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                             store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char st[6];
  const char *params[1] = {body};
  PGresult *r = NULL;
  rc = est_db_exec(c, &area_insert, params, &r, st);
  rc = written(c, rc, st, r, fail);
  if (rc == EST_OK) {
    *id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    rc = doc_take(r, 2, 3, out);
    if (rc == EST_OK) rc = store_audit_write(c, who, "create", "area", *id, NULL, out->json);
  }
  PQclear(r);
  return store_tx_end_doc(pool, c, rc, out);
}

est_result store_area_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                             est_doc *out, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24] = "", st[6];
  store_lld(idb, id);
  PGresult *before = NULL, *r = NULL;
  rc = store_lock_row(c, &area_lock, id, &before);
  if (rc == EST_OK) {
    const char *params[3] = {idb, store_lld_or_null(vb, version), patch};
    rc = est_db_exec(c, &area_update, params, &r, st);
    rc = written(c, rc, st, r, fail);
    if (rc == EST_OK && PQgetisnull(r, 0, 2)) {
      store_write_error_set(fail, "", "the area was changed since version %s was read", vb[0] ? vb : "(any)");
      rc = EST_EPRECONDITION;
    } else if (rc == EST_OK) {
      rc = doc_take(r, 2, 3, out);
      if (rc == EST_OK) rc = store_audit_write(c, who, "update", "area", id, PQgetvalue(before, 0, 0), out->json);
    }
  }
  PQclear(before);
  PQclear(r);
  return store_tx_end_doc(pool, c, rc, out);
}
