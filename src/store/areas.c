/* areas.c - areas (områden) with PostGIS geometry (see store_areas.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"
#include "estd/audit.h"
#include "estd/buf.h"
#include "estd/store_areas.h"
#include "estd/store_records.h"
#include "estd/store_util.h"
#include "internal.h"

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
 * reason, doc, version, geometry changed); no doc when the geometry is
 * invalid or the version did not match. */
static const est_stmt area_update = {
    "area_update",
    "WITH b AS (SELECT $3::jsonb AS j), "
    "g AS (SELECT CASE WHEN b.j ? 'geometry' THEN " AREA_GEOM_FROM("b.j->'geometry'") " END AS geom FROM b), "
    "v AS (SELECT g.geom, (g.geom IS NULL OR ST_IsValid(g.geom)) AS ok, "
    "CASE WHEN g.geom IS NOT NULL THEN ST_IsValidReason(g.geom) END AS reason FROM g), "
    "upd AS (UPDATE areas a SET "
    SET_TEXT_OF("a", "code") ", " SET_KEEP_OF("a", "name", "text") ", " SET_KEEP_OF("a", "kind", "text") ", "
    SET_KEEP_OF("a", "approximate", "boolean") ", " SET_TEXT_OF("a", "description") ", "
    "aliases = " AREA_ALIASES("a.aliases") ", "
    "geom = COALESCE(v.geom, a.geom), updated_at = now(), version = a.version + 1 "
    "FROM b, v WHERE v.ok AND a.id = $1 AND ($2::bigint IS NULL OR a.version = $2) "
    "RETURNING " AREA_JSON_GEOM " AS doc, a.version), "
    "o AS (SELECT geom FROM areas WHERE id = $1) " /* the statement's snapshot: the row before */
    "SELECT v.ok, v.reason, upd.doc, upd.version, (v.geom IS NOT NULL AND NOT (v.geom = o.geom)) "
    "FROM v LEFT JOIN upd ON true LEFT JOIN o ON true",
    3};

const store_archivable store_areas_archivable = STORE_ARCHIVE_STMTS("area", "areas", "a", AREA_JSON_GEOM);

/* ---- re-assignment of events to changed areas ---------------------------------- */

/* $1 the changed areas' ids (bigint[]). The candidates are the events in one
 * of them now (event_areas) and those their geometry intersects now (hit:
 * one spatial join through the GiST indexes; tracks without a point by a
 * scan of those rows). For each,
 * its memberships in the changed areas are recomputed with the intake's rule
 * (point or track intersects the area; municipality/county precision: no
 * area) and its other memberships kept; an event without a position (its
 * detail removed by retention) keeps all of its memberships. events.area_ids and event_areas are
 * written with ordinary DML, so the tables' statement triggers (situation
 * versions, rollups) see every change. Returns one JSON text:
 * {"events_moved": n, "areas": [{"id", "code", "events_in", "events_out"}]}. */
static const est_stmt area_reassign = {
    "area_reassign2",
    "WITH hit AS (SELECT e.id AS event_id, e.occurred_at AS t, a.id AS area_id FROM areas a JOIN events e "
    "  ON ST_Intersects(a.geom, e.geom) "
    "  WHERE a.id = ANY ($1::bigint[]) AND COALESCE(e.location_precision, 'point') NOT IN ('municipality', 'county') "
    "  UNION ALL SELECT e.id, e.occurred_at, a.id FROM areas a JOIN events e ON e.geom IS NULL AND e.track IS NOT NULL "
    "  AND ST_Intersects(a.geom, e.track) WHERE a.id = ANY ($1::bigint[])), "
    "hits AS (SELECT event_id, t, array_agg(area_id) AS ids FROM hit GROUP BY event_id, t), "
    "cand AS (SELECT event_id AS id, t FROM hits UNION "
    "  SELECT ea.event_id, ea.occurred_at FROM event_areas ea WHERE ea.area_id = ANY ($1::bigint[])), "
    "calc AS (SELECT e.id, e.occurred_at AS t, CASE WHEN COALESCE(e.geom, e.track) IS NULL THEN e.area_ids ELSE "
    "  ARRAY(SELECT x.a FROM unnest(e.area_ids) x(a) WHERE NOT (x.a = ANY ($1::bigint[])) "
    "  UNION SELECT y.a FROM unnest(h.ids) y(a) ORDER BY 1) END AS new_ids "
    "  FROM cand JOIN events e ON e.id = cand.id AND e.occurred_at = cand.t LEFT JOIN hits h ON h.event_id = cand.id), "
    "upd AS (UPDATE events e SET area_ids = c.new_ids FROM calc c "
    "  WHERE e.id = c.id AND e.occurred_at = c.t AND e.area_ids IS DISTINCT FROM c.new_ids RETURNING e.id), "
    "del AS (DELETE FROM event_areas ea USING calc c WHERE ea.event_id = c.id AND ea.occurred_at = c.t "
    "  AND ea.area_id = ANY ($1::bigint[]) AND NOT (ea.area_id = ANY (c.new_ids)) "
    "  RETURNING ea.event_id, ea.area_id), "
    "ins AS (INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key, "
    "  duration_s, hs_pt) SELECT e.id, x.a, e.occurred_at, e.kind, e.category, e.party_id, e.record_key, "
    "  e.duration_s, e.hs_pt FROM calc c JOIN events e ON e.id = c.id AND e.occurred_at = c.t "
    "  CROSS JOIN LATERAL unnest(c.new_ids) x(a) "
    "  WHERE x.a = ANY ($1::bigint[]) ORDER BY x.a, e.id ON CONFLICT DO NOTHING RETURNING event_id, area_id), "
    "moves AS (SELECT area_id, count(*) FILTER (WHERE d) AS n_in, count(*) FILTER (WHERE NOT d) AS n_out FROM "
    "  (SELECT area_id, true AS d FROM ins UNION ALL SELECT area_id, false FROM del) m GROUP BY area_id) "
    "SELECT json_build_object('events_moved', (SELECT count(*) FROM (SELECT event_id FROM del UNION "
    "  SELECT event_id FROM ins) m), 'events_updated', (SELECT count(*) FROM upd), "
    "  'areas', COALESCE((SELECT json_agg(json_build_object('id', a.id, 'code', a.code, "
    "  'events_in', COALESCE(mv.n_in, 0), 'events_out', COALESCE(mv.n_out, 0)) ORDER BY a.id) "
    "  FROM areas a LEFT JOIN moves mv ON mv.area_id = a.id WHERE a.id = ANY ($1::bigint[])), '[]'))::text",
    1};

est_result store_areas_reassign(est_conn *c, const est_actor *who, const char *area_ids, const char *cause,
                                long long *moved) {
  const char *params[1] = {area_ids};
  PGresult *r = NULL;
  est_result rc = est_db_exec(c, &area_reassign, params, &r, NULL);
  if (rc == EST_OK && PQntuples(r) != 1) rc = EST_EINTERNAL;
  if (rc == EST_OK) {
    json_t *doc = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    long long n = doc ? (long long)json_integer_value(json_object_get(doc, "events_moved")) : 0;
    if (moved) *moved = n;
    json_t *areas = json_object_get(doc, "areas");
    if (!doc) rc = EST_ENOMEM;
    else if (n > 0) {
      /* One row per re-assignment: who (the actor), which areas, how many
       * events moved in and out of each; entity_id when one area changed. */
      json_object_set_new(doc, "cause", json_string(cause));
      char *after = json_dumps(doc, JSON_COMPACT);
      long long one = json_array_size(areas) == 1
                          ? (long long)json_integer_value(json_object_get(json_array_get(areas, 0), "id"))
                          : 0;
      rc = after ? store_audit_write(c, who, "update", "area_assignment", one, NULL, after) : EST_ENOMEM;
      free(after);
    }
    json_decref(doc);
  }
  PQclear(r);
  return rc;
}

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
    /* The new area's history: the events already inside it. */
    char ids[32];
    snprintf(ids, sizeof ids, "{%lld}", *id);
    if (rc == EST_OK) rc = store_areas_reassign(c, who, ids, "create", NULL);
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
      char ids[32];
      snprintf(ids, sizeof ids, "{%lld}", id);
      if (rc == EST_OK && strcmp(PQgetvalue(r, 0, 4), "t") == 0) rc = store_areas_reassign(c, who, ids, "update", NULL);
    }
  }
  PQclear(before);
  PQclear(r);
  return store_tx_end_doc(pool, c, rc, out);
}

/* ---- import of official boundaries ---------------------------------------------- */

/* The features of a FeatureCollection, checked one by one. Parameters:
 * $1 the FeatureCollection (jsonb), $2 its EPSG code, $3/$4 the code/name
 * property (NULL: the first of code, kod / name, namn that a feature has;
 * no name property: the name is the code), $5 a code prefix ('' = none),
 * $6 the longest name (EST_AREA_NAME_MAX). Columns of imp: idx (1-based),
 * src_code (the property's value), code (its slug: lowercase, å/ä/ö folded,
 * other runs of non-alphanumerics as '-'; the API's slug rule), name, geom
 * (valid MultiPolygon in WGS84, repaired when safe), repaired, reason
 * (ST_IsValidReason), change (relative area change by ST_MakeValid),
 * problem (NULL = importable), skippable (a geometry problem). Repair rule:
 * ST_MakeValid's polygonal part is used when it is a non-empty valid
 * (Multi)Polygon whose area differs from the drawn one by at most 1 %. */
#define IMPORT_FEATURES                                                                                             \
  "WITH fc AS (SELECT $1::jsonb AS j), "                                                                            \
  "ft AS (SELECT x.o::int AS idx, x.f, CASE WHEN jsonb_typeof(x.f->'properties') = 'object' "                       \
  "  THEN x.f->'properties' ELSE '{}' END AS p FROM fc CROSS JOIN LATERAL jsonb_array_elements("                    \
  "  CASE WHEN jsonb_typeof(fc.j->'features') = 'array' THEN fc.j->'features' ELSE '[]' END) "                      \
  "  WITH ORDINALITY x(f, o)), "                                                                                    \
  "fld AS (SELECT COALESCE($3::text, (SELECT u.c FROM unnest(ARRAY['code', 'kod']) WITH ORDINALITY u(c, n) "        \
  "  WHERE EXISTS (SELECT 1 FROM ft WHERE ft.p ? u.c) ORDER BY u.n LIMIT 1)) AS cf, "                               \
  "  COALESCE($4::text, (SELECT u.c FROM unnest(ARRAY['name', 'namn']) WITH ORDINALITY u(c, n) "                    \
  "  WHERE EXISTS (SELECT 1 FROM ft WHERE ft.p ? u.c) ORDER BY u.n LIMIT 1)) AS nf), "                              \
  "g0 AS (SELECT ft.idx, NULLIF(btrim(ft.p->>fld.cf), '') AS src_code, "                                            \
  "  NULLIF(btrim(ft.p->>COALESCE(fld.nf, fld.cf)), '') AS name, "                                                  \
  "  CASE WHEN jsonb_typeof(ft.f->'geometry') = 'object' THEN ft.f->'geometry'->>'type' END AS gtype, "             \
  "  CASE WHEN ft.f->'geometry'->>'type' IN ('Polygon', 'MultiPolygon') THEN ST_Force2D(ST_Transform("              \
  "  ST_SetSRID(ST_GeomFromGeoJSON(ft.f->'geometry'), $2::int), 4326)) END AS raw FROM ft, fld), "                  \
  "g1 AS (SELECT g0.*, trim(BOTH '-' FROM regexp_replace(translate(lower(CASE WHEN $5::text = '' "                  \
  "  THEN src_code ELSE $5 || '-' || src_code END), 'åäöáàâãéèêëíìîïóòôõúùûüýÿæøçñ', " \
  "  'aaoaaaaeeeeiiiioooouuuuyyaocn'), '[^a-z0-9]+', '-', 'g')) AS code, ST_IsValid(raw) AS ok, "                   \
  "  ST_IsValidReason(raw) AS reason, ST_Area(raw) AS a0, CASE WHEN NOT ST_IsValid(raw) "                           \
  "  THEN ST_Multi(ST_CollectionExtract(ST_MakeValid(raw), 3)) END AS fixed FROM g0), "                             \
  "g2 AS (SELECT g1.*, CASE WHEN fixed IS NOT NULL AND a0 > 0 THEN abs(ST_Area(fixed) - a0) / a0 END "              \
  "  AS change, CASE WHEN ok THEN ST_Multi(raw) WHEN fixed IS NOT NULL AND NOT ST_IsEmpty(fixed) "                  \
  "  AND ST_IsValid(fixed) AND a0 > 0 AND abs(ST_Area(fixed) - a0) <= 0.01 * a0 THEN fixed END AS geom, "           \
  "  raw IS NOT NULL AND (ST_XMin(raw) < -180 OR ST_XMax(raw) > 180 OR ST_YMin(raw) < -90 "                         \
  "  OR ST_YMax(raw) > 90) AS outside, count(*) OVER (PARTITION BY code) AS ncode, "                                \
  "  array_agg(idx) OVER (PARTITION BY code) AS same_code FROM g1), "                                               \
  "imp AS (SELECT g2.idx, g2.src_code, g2.code, g2.name, g2.geom, (NOT g2.ok AND g2.geom IS NOT NULL) "             \
  "  AS repaired, g2.reason, g2.change, CASE "                                                                      \
  "  WHEN fld.cf IS NULL THEN 'no code property: the features have neither \"code\" nor \"kod\" "                   \
  "(--code-field names it)' "                                                                                       \
  "  WHEN g2.src_code IS NULL THEN format('no value for the code property \"%s\"', fld.cf) "                        \
  "  WHEN g2.code !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR char_length(g2.code) > 100 THEN "                                \
  "    format('the code \"%s\" gives no usable code (a slug of at most 100 characters)', g2.src_code) "             \
  "  WHEN g2.name IS NULL THEN format('no value for the name property \"%s\"', fld.nf) "                            \
  "  WHEN char_length(g2.name) > $6::int THEN format('the name is longer than %s characters', $6) "                 \
  "  WHEN g2.ncode > 1 THEN format('the code \"%s\" occurs in more than one feature (features %s)', "               \
  "    g2.code, array_to_string(g2.same_code, ', ')) "                                                              \
  "  WHEN g2.gtype IS NULL THEN 'the feature has no geometry' "                                                     \
  "  WHEN g2.raw IS NULL THEN format('the geometry is a %s, not a Polygon or MultiPolygon', g2.gtype) "             \
  "  WHEN g2.outside THEN 'the coordinates are outside WGS84 longitude/latitude after the transformation "          \
  "from the file''s CRS: wrong CRS? (--srs names the data''s)' "                                                    \
  "  WHEN ST_IsEmpty(g2.raw) THEN 'the geometry is empty' "                                                         \
  "  WHEN g2.geom IS NULL THEN format('invalid geometry (%s) that ST_MakeValid cannot repair safely (%s)', "        \
  "    g2.reason, CASE WHEN g2.change IS NULL THEN 'the drawn area is 0 or the result is no polygon' "              \
  "    ELSE format('the area changes by %s %%, more than 1 %%', round(g2.change::numeric * 100, 1)) END) "          \
  "  WHEN ST_Area(g2.geom::geography) < 1 THEN 'the area is smaller than 1 m²: wrong CRS? (--srs names the "       \
  "data''s)' END AS problem, (g2.src_code IS NOT NULL AND g2.name IS NOT NULL AND g2.ncode = 1 "                    \
  "  AND g2.code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(g2.code) <= 100 "                                     \
  "  AND char_length(g2.name) <= $6::int) AS skippable FROM g2, fld) "

/* The check of a whole import: one JSON text {code_field, name_field,
 * features (count), properties (of the first feature), problems [{feature,
 * code, name, problem, skippable}], repaired [{feature, code, name, reason,
 * area_change_pct}]}. */
static const est_stmt area_import_check = {
    "area_import_check",
    IMPORT_FEATURES
    "SELECT json_build_object('code_field', (SELECT cf FROM fld), 'name_field', (SELECT nf FROM fld), "
    "'features', (SELECT count(*) FROM ft), "
    "'properties', (SELECT COALESCE(json_agg(k ORDER BY k), '[]') FROM ft CROSS JOIN LATERAL "
    "  jsonb_object_keys(ft.p) k WHERE ft.idx = 1), "
    "'problems', (SELECT COALESCE(json_agg(json_build_object('feature', idx, 'code', src_code, 'name', name, "
    "  'problem', problem, 'skippable', skippable) ORDER BY idx), '[]') FROM imp WHERE problem IS NOT NULL), "
    "'repaired', (SELECT COALESCE(json_agg(json_build_object('feature', idx, 'code', src_code, 'name', name, "
    "  'reason', reason, 'area_change_pct', round(change::numeric * 100, 3)) ORDER BY idx), '[]') "
    "  FROM imp WHERE repaired AND problem IS NULL))::text",
    6};

/* The upsert of the importable features ($7 kind, NULL = 'district' for new
 * areas and unchanged for existing ones; $8 approximate), in code order.
 * An area whose name, kind, approximate flag and geometry (the same
 * coordinates, or the same point set: ST_Equals, e.g. rings drawn the other
 * way round by a Shapefile) are unchanged is not written: no new version,
 * no audit row.
 * Returns per written area (id, created, before doc or NULL, after doc,
 * geometry changed). The insert reads old first, so the existing rows are
 * locked (and their before images taken) before it writes them: a lock
 * taken after would skip rows this statement already changed. */
static const est_stmt area_import_upsert = {
    "area_import_upsert",
    IMPORT_FEATURES
    ", ok AS (SELECT * FROM imp WHERE problem IS NULL), "
    "old AS (SELECT a.id, a.geom, " AREA_JSON_GEOM
    " AS doc FROM areas a JOIN ok ON ok.code = a.code "
    "  ORDER BY a.id FOR UPDATE OF a), "
    "up AS (INSERT INTO areas AS a (code, name, kind, geom, approximate) "
    "  SELECT ok.code, ok.name, COALESCE($7::text, 'district'), ok.geom, $8::boolean FROM ok "
    "  WHERE (SELECT count(*) FROM old) >= 0 ORDER BY ok.code "
    "  ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = COALESCE($7::text, a.kind), "
    "  geom = excluded.geom, approximate = excluded.approximate, updated_at = now(), version = a.version + 1 "
    "  WHERE a.name <> excluded.name OR a.kind <> COALESCE($7::text, a.kind) "
    "  OR a.approximate <> excluded.approximate OR NOT (a.geom = excluded.geom OR ST_Equals(a.geom, excluded.geom)) "
    "  RETURNING a.id, a.geom, " AREA_JSON_GEOM
    " AS doc) "
    "SELECT up.id, old.id IS NULL, old.doc, up.doc, "
    "(old.id IS NULL OR NOT (old.geom = up.geom OR ST_Equals(old.geom, up.geom))) "
    "FROM up LEFT JOIN old ON old.id = up.id ORDER BY up.id",
    8};

/* Whether the check (area_import_check's document) blocks the import: no
 * feature, no code property, or a problem that is not a skippable one when
 * skip_invalid. */
static bool import_blocked(json_t *check, bool skip_invalid) {
  json_t *p;
  size_t i;
  bool blocked =
      json_integer_value(json_object_get(check, "features")) == 0 || json_is_null(json_object_get(check, "code_field"));
  json_array_foreach(json_object_get(check, "problems"), i, p) {
    if (!skip_invalid || !json_is_true(json_object_get(p, "skippable"))) blocked = true;
  }
  return blocked;
}

/* Writes the audit rows of the upserted areas r, adds them to the report's
 * areas, and collects the ids whose geometry changed into ids ("{1,2}"). */
static est_result import_written(est_conn *c, const est_actor *who, PGresult *r, json_t *areas, est_buf *ids) {
  est_result rc = EST_OK;
  est_buf_puts(ids, "{");
  for (int i = 0; rc == EST_OK && i < PQntuples(r); i++) {
    bool is_new = strcmp(PQgetvalue(r, i, 1), "t") == 0, moved = strcmp(PQgetvalue(r, i, 4), "t") == 0;
    long long id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    rc = store_audit_write(c, who, is_new ? "create" : "update", "area", id,
                           PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
    json_t *doc = json_loads(PQgetvalue(r, i, 3), 0, NULL);
    json_array_append_new(areas, json_pack("{s:I,s:O?,s:O?,s:s,s:b}", "id", (json_int_t)id, "code",
                                           json_object_get(doc, "code"), "name", json_object_get(doc, "name"), "status",
                                           is_new ? "created" : "updated", "geometry_changed", moved));
    json_decref(doc);
    if (moved) {
      char b[24];
      if (ids->len > 1) est_buf_puts(ids, ",");
      est_buf_puts(ids, store_lld(b, id));
    }
  }
  est_buf_puts(ids, "}");
  return rc == EST_OK && ids->oom ? EST_ENOMEM : rc;
}

est_result store_areas_import(est_pool *pool, const est_actor *who, const char *fc, const store_area_import *in,
                              char **report, store_write_error *fail) {
  *report = NULL;
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  est_conn_set_class(c, EST_DB_MAINT); /* thousands of boundaries: an operator's command */
  char srid[24], nmax[24];
  const char *params[8] = {fc,
                           store_lld(srid, in->srid ? in->srid : 4326),
                           in->code_field,
                           in->name_field,
                           in->code_prefix ? in->code_prefix : "",
                           store_lld(nmax, EST_AREA_NAME_MAX),
                           in->kind,
                           in->approximate ? "true" : "false"};
  PGresult *r = NULL;
  char st[6];
  json_t *rep = NULL;
  rc = est_db_exec(c, &area_import_check, params, &r, st);
  if (rc != EST_OK && rc != EST_EUNAVAILABLE) {
    store_write_error_set(fail, "", "PostGIS refused the features: %s", est_conn_error(c));
    rc = EST_EINVAL;
  } else if (rc == EST_OK && (PQntuples(r) != 1 || !(rep = json_loads(PQgetvalue(r, 0, 0), 0, NULL)))) {
    rc = EST_EINTERNAL;
  }
  PQclear(r);
  r = NULL;
  if (rc == EST_OK && import_blocked(rep, in->skip_invalid)) {
    rc = EST_EINVAL;
    if (json_integer_value(json_object_get(rep, "features")) == 0)
      store_write_error_set(fail, "/features", "the layer has no features; nothing was stored");
    else store_write_error_set(fail, "", "the import was refused; nothing was stored (see the report)");
  }
  json_t *areas = json_array();
  long long moved = 0;
  est_buf ids = EST_BUF_INIT;
  if (rc == EST_OK) {
    rc = est_db_exec(c, &area_import_upsert, params, &r, st);
    if (rc != EST_OK) rc = explain_area_error(c, rc, st, fail);
    else rc = import_written(c, who, r, areas, &ids);
  }
  if (rc == EST_OK && ids.len > 2) rc = store_areas_reassign(c, who, ids.data, "import", &moved);
  PQclear(r);
  est_buf_free(&ids);
  /* A dry run does every check and write, reports, and rolls back. */
  est_result end = store_tx_end(pool, c, in->dry_run && rc == EST_OK ? EST_ECONFLICT : rc);
  if (rc == EST_OK && !in->dry_run) rc = end;
  if (rep) {
    long long created = 0, refused = (long long)json_array_size(json_object_get(rep, "problems"));
    size_t i;
    json_t *a;
    json_array_foreach(areas, i, a) created += strcmp(json_string_value(json_object_get(a, "status")), "created") == 0;
    bool ok = rc == EST_OK;
    json_object_set_new(rep, "stored", json_boolean(ok && !in->dry_run));
    json_object_set_new(rep, "dry_run", json_boolean(in->dry_run));
    json_object_set_new(rep, "created", json_integer(ok ? created : 0));
    json_object_set_new(rep, "updated", json_integer(ok ? (long long)json_array_size(areas) - created : 0));
    json_object_set_new(rep, "unchanged",
                        json_integer(ok ? json_integer_value(json_object_get(rep, "features")) - refused -
                                              (long long)json_array_size(areas)
                                        : 0));
    json_object_set_new(rep, "refused", json_integer(refused));
    json_object_set_new(rep, "events_moved", json_integer(moved));
    json_object_set_new(rep, "areas", ok ? json_incref(areas) : json_array());
    *report = json_dumps(rep, JSON_COMPACT);
    json_decref(rep);
    if (!*report && rc == EST_OK) rc = EST_ENOMEM;
  }
  json_decref(areas);
  return rc;
}
