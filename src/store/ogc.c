/* ogc.c - the rows of the OGC API - Features collections (see
 * store_ogc.h). Every coordinate transformation is PostGIS's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/store_ogc.h"
#include "estd/store_util.h"
#include "internal.h"

/* Parameters of every list statement: $1 output SRID, $2 swap the axes
 * (the CRS's authority order is y/x), $3 decimals; $4..$7 bbox (minx, miny,
 * maxx, maxy; NULL = none) in SRID $8. */
#define OGC_GEOM(g, srid, swap, digits)                                                     \
  "ST_AsGeoJSON(CASE WHEN " swap "::bool THEN ST_FlipCoordinates(ST_Transform(" g ", " srid \
  "::int)) ELSE "                                                                           \
  "ST_Transform(" g ", " srid "::int) END, " digits "::int, 0)::json"
#define OGC_LIST_GEOM(g) OGC_GEOM(g, "$1", "$2", "$3")

/* The bbox as a geometry in SRID $8: a polygon, or a line or point when it
 * has no area (ST_Envelope's degenerate cases; ST_MakeEnvelope would make
 * an invalid polygon of them). */
#define OGC_BOX \
  "ST_Envelope(ST_SetSRID(ST_MakeLine(ST_MakePoint($4::float8, $5::float8), ST_MakePoint($6::float8, $7::float8)), $8::int))"
/* g (EPSG:4326) intersects the bbox, decided in the bbox's own CRS (g
 * itself when that is EPSG:4326: the CASE folds away in the custom plans
 * exec_read asks for); the index test before it uses the bbox densified
 * (500 m segments), taken to EPSG:4326 and widened by 0.001 degrees, a
 * superset of its image. */
#define OGC_BBOX(g)                                                                                                   \
  "($4::float8 IS NULL OR (" g " && ST_Expand(ST_Transform(ST_Segmentize(" OGC_BOX                                    \
  ", CASE WHEN $8::int = 4326 THEN 1 ELSE 500 END), 4326), 0.001) AND ST_Intersects(CASE WHEN $8::int = 4326 THEN " g \
  " ELSE ST_Transform(" g ", $8::int) END, " OGC_BOX ")))"

/* A page: the rows of `from` (x its row alias) that `where` selects after
 * the cursor `after` (keyset on the primary key, LIMIT `limit`), as
 * features: only the rows of the page are projected. Columns (feature, '',
 * id, matched) for store_page_collect; matched, the count over all pages,
 * only on the first page (no cursor: a later page would count everything
 * again), in the same statement and so the same snapshot. */
#define OGC_PAGE(feature, from, x, where, after, limit)                                                     \
  "SELECT " feature ", '', " x ".id, CASE WHEN " after "::bigint IS NULL THEN (SELECT count(*) FROM " from  \
  " WHERE " where ") END FROM " from " WHERE " where " AND (" after "::bigint IS NULL OR " x ".id > " after \
  ") ORDER BY " x ".id LIMIT " limit

#define FEATURE(id, geom, props) \
  "json_build_object('type', 'Feature', 'id', " id ", 'geometry', " geom ", 'properties', " props ")::text"

#define AREA_PROPS                                                                                                  \
  "json_build_object('code', a.code, 'name', a.name, 'kind', a.kind, 'approximate', a.approximate, 'description', " \
  "a.description, 'area_m2', round(ST_Area(a.geom::geography)::numeric, 1), 'updated_at', a.updated_at)"
#define AREA_WHERE(a) a ".archived_at IS NULL"

/* Focus validity [valid_from, valid_to] as local dates against [$9, $10]. */
#define FOCUS_PROPS                                                                                      \
  "json_build_object('code', f.code, 'area_id', f.area_id, 'area_code', ar.code, 'area_name', ar.name, " \
  "'agreement_id', f.agreement_id, 'party_id', f.party_id, 'reason', f.reason, 'priority', f.priority, " \
  "'valid_from', f.valid_from, 'valid_to', f.valid_to)"
#define FOCUS_WHERE                                                                                                   \
  "f.archived_at IS NULL AND ($10::timestamptz IS NULL OR (f.valid_from::timestamp AT TIME ZONE 'Europe/Stockholm') " \
  "<= $10) AND ($9::timestamptz IS NULL OR f.valid_to IS NULL OR ((f.valid_to + 1)::timestamp AT TIME ZONE "          \
  "'Europe/Stockholm') > $9)"

/* Events: whole rows or none (estd/disclosure.h): $13 the only party whose
 * events may be read (NULL = every party; 0 = none). */
#define EVENT_PROPS                                                                                          \
  "json_build_object('kind', e.kind, 'category', e.category, 'activity_type', e.activity_type, 'party_id', " \
  "e.party_id, 'occurred_at', e.occurred_at, 'place_name', e.place_name, 'location_precision', "             \
  "COALESCE(e.location_precision, CASE WHEN e.geom IS NOT NULL THEN 'point' END), 'area_ids', e.area_ids, "  \
  "'source', e.source)"
#define EVENT_WHERE(party)                                                                                              \
  "($9::timestamptz IS NULL OR e.occurred_at >= $9) AND ($10::timestamptz IS NULL OR e.occurred_at <= $10) AND (" party \
  "::bigint IS NULL OR e.party_id = " party ")"

/* A page statement of table t aliased x (feature id x.id, geometry x.geom). */
#define OGC_TABLE_PAGE(name, t, x, props, where, after, limit, n)                                                  \
  {                                                                                                                \
    name,                                                                                                          \
        OGC_PAGE(FEATURE(x ".id", OGC_LIST_GEOM(x ".geom"), props), t " " x, x, where " AND " OGC_BBOX(x ".geom"), \
                 after, limit),                                                                                    \
        n                                                                                                          \
  }
enum { PAGE_AREAS, PAGE_EVENTS };
static const est_stmt table_pages[] = {
    [PAGE_AREAS] = OGC_TABLE_PAGE("ogc_areas_page", "areas", "a", AREA_PROPS, AREA_WHERE("a"), "$9", "$10", 10),
    [PAGE_EVENTS] = OGC_TABLE_PAGE("ogc_events_page", "events", "e", EVENT_PROPS, EVENT_WHERE("$13"), "$11", "$12", 13),
};

static const est_stmt focuses_page = {"ogc_focuses_page",
                                      OGC_PAGE(FEATURE("f.id", OGC_LIST_GEOM("ar.geom"), FOCUS_PROPS),
                                               "area_focuses f JOIN areas ar ON ar.id = f.area_id", "f",
                                               FOCUS_WHERE " AND " OGC_BBOX("ar.geom"), "$11", "$12"),
                                      12};

/* Features given as JSON ($11, CRS84), ids integers (at most a few dozen:
 * counted on every page). */
static const est_stmt features_page = {
    "ogc_features_page",
    "WITH g AS (SELECT (t.f->>'id')::bigint AS id, t.f->'properties' AS props, "
    "ST_SetSRID(ST_GeomFromGeoJSON(t.f->'geometry'), 4326) AS geom FROM jsonb_array_elements($11::jsonb) AS t(f)), "
    "s AS (SELECT g.*, count(*) OVER () AS matched FROM g WHERE " OGC_BBOX("g.geom") ") "
    "SELECT " FEATURE("s.id", OGC_LIST_GEOM("s.geom"), "s.props")
    ", '', s.id, s.matched FROM s WHERE ($9::bigint IS NULL OR s.id > $9) ORDER BY s.id LIMIT $10",
    11};

/* Single features: $1..$3 as above, $4 the id (events: $5 the party). */
#define OGC_ONE_GEOM(g) OGC_GEOM(g, "$1", "$2", "$3")
static const est_stmt area_one = {
    "ogc_area_one",
    "SELECT " FEATURE("a.id", OGC_ONE_GEOM("a.geom"), AREA_PROPS) " FROM areas a WHERE a.id = $4 AND " AREA_WHERE("a"),
    4};
static const est_stmt focus_one = {"ogc_focus_one",
                                   "SELECT " FEATURE("f.id", OGC_ONE_GEOM("ar.geom"), FOCUS_PROPS)
                                   " FROM area_focuses f JOIN areas ar ON ar.id = f.area_id WHERE f.id = $4 AND "
                                   "f.archived_at IS NULL",
                                   4};
static const est_stmt event_one = {
    "ogc_event_one",
    "SELECT " FEATURE("e.id", OGC_ONE_GEOM("e.geom"),
                      EVENT_PROPS) " FROM events e WHERE e.id = $4 AND ($5::bigint IS NULL OR e.party_id = $5)",
    5};

/* Extents: (minx, miny, maxx, maxy, t0, t1); times as RFC 3339 UTC. */
#define EXTENT_COLS(x) "ST_XMin(" x "), ST_YMin(" x "), ST_XMax(" x "), ST_YMax(" x ")"
#define UTC_TEXT(t) "to_char((" t ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
static const est_stmt areas_extent = {
    "ogc_areas_extent",
    "SELECT " EXTENT_COLS("x.b") ", NULL, NULL FROM (SELECT ST_Extent(a.geom) AS b FROM areas a WHERE "
    "a.archived_at IS NULL) x",
    0};
static const est_stmt focuses_extent = {
    "ogc_focuses_extent",
    "SELECT " EXTENT_COLS("x.b") ", " UTC_TEXT("x.t0::timestamp AT TIME ZONE 'Europe/Stockholm'") ", CASE WHEN x.open "
    "THEN NULL ELSE " UTC_TEXT("(x.t1 + 1)::timestamp AT TIME ZONE 'Europe/Stockholm'") " END FROM (SELECT "
    "ST_Extent(ar.geom) AS b, min(f.valid_from) AS t0, max(f.valid_to) AS t1, bool_or(f.valid_to IS NULL) AS open "
    "FROM area_focuses f JOIN areas ar ON ar.id = f.area_id WHERE f.archived_at IS NULL) x",
    0};
/* Events: the extent must not cost a scan of every event on each
 * /ogc/collections request: the planner's estimate (ST_EstimatedExtent,
 * from the table statistics; NULL before the first ANALYZE; per partition
 * of events, migration 0120, as PostGIS 3.3 cannot estimate a partitioned
 * table: it opens the parent's storage, which has none) when the caller
 * sees every event, none for a caller that sees one party's (the estimate
 * is of everyone's); the times from the indexes on (occurred_at) and
 * (party_id, occurred_at). */
static const est_stmt events_extent = {
    "ogc_events_extent2",
    "SELECT " EXTENT_COLS("x.b") ", " UTC_TEXT("x.t0") ", " UTC_TEXT("x.t1") " FROM (SELECT CASE WHEN $1::bigint IS "
    "NULL THEN (SELECT ST_Extent(ST_EstimatedExtent('public', c.relname::text, 'geom')::geometry) FROM "
    "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass) END AS b, (SELECT min(e.occurred_at) FROM events e WHERE "
    "$1::bigint IS NULL OR e.party_id = $1) AS t0, (SELECT max(e.occurred_at) FROM events e WHERE $1::bigint IS NULL "
    "OR e.party_id = $1) AS t1) x",
    1};

/* ---- parameters ----------------------------------------------------------------- */

/* The texts of $1..$8. */
typedef struct common_params {
  char srid[12], digits[12], bbox[4][32], bsrid[12];
} common_params;

static void common_fill(const store_ogc_query *q, common_params *b, const char **p) {
  snprintf(b->srid, sizeof b->srid, "%d", q->crs->srid);
  snprintf(b->digits, sizeof b->digits, "%d", q->crs->digits);
  snprintf(b->bsrid, sizeof b->bsrid, "%d", q->bbox_crs ? q->bbox_crs->srid : 4326);
  p[0] = b->srid;
  p[1] = q->crs->swap ? "true" : "false";
  p[2] = b->digits;
  for (int i = 0; i < 4; i++) {
    snprintf(b->bbox[i], sizeof b->bbox[i], "%.17g", q->bbox[i]);
    p[3 + i] = q->has_bbox ? b->bbox[i] : NULL;
  }
  p[7] = b->bsrid;
}

/* Runs s in a read-only transaction of its own with the two settings its
 * filters need: no JIT (PostGIS's function costs push every estimate over
 * jit_above_cost, and compiling takes longer than running: 1.6 s against
 * 0.1 s for a bbox over 50 000 events) and custom plans (the optional
 * filters, "$4 IS NULL OR ...", fold away only when the planner sees the
 * values; a generic plan would evaluate the bbox transform per row). */
static est_result exec_read(est_pool *pool, const est_stmt *s, const char *const *params, PGresult **r) {
  est_conn *c;
  *r = NULL;
  est_result rc = store_tx_begin_mode(
      pool, &c, "BEGIN READ ONLY; SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan");
  if (rc != EST_OK) return rc;
  rc = est_db_exec(c, s, params, r, NULL);
  rc = store_tx_end(pool, c, rc);
  if (rc != EST_OK) {
    PQclear(*r);
    *r = NULL;
  }
  return rc;
}

/* Runs a page statement and collects it; *matched from column 3. */
static est_result run_page(est_pool *pool, const est_stmt *s, const char *const *params, const est_list_query *page,
                           est_page *out, long long *matched) {
  PGresult *r = NULL;
  *matched = -1;
  est_result rc = exec_read(pool, s, params, &r);
  if (rc == EST_OK) {
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 3)) *matched = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    else if (!page->has_after) *matched = 0;
    rc = store_page_collect(r, page, "id", out);
  }
  PQclear(r);
  return rc;
}

est_result store_ogc_items(est_pool *pool, const char *c, const store_ogc_query *q, const est_list_query *page,
                           est_page *out, long long *matched) {
  common_params b;
  char after[24], lim[24], party[24];
  const char *p[13];
  common_fill(q, &b, p);
  const char *aft = page->has_after ? store_lld(after, page->after.id) : NULL;
  store_lld(lim, page->limit + 1);
  if (strcmp(c, "areas") == 0) {
    p[8] = aft;
    p[9] = lim;
    return run_page(pool, &table_pages[PAGE_AREAS], p, page, out, matched);
  }
  p[8] = q->t_start;
  p[9] = q->t_end;
  p[10] = aft;
  p[11] = lim;
  if (strcmp(c, "area-focuses") == 0) return run_page(pool, &focuses_page, p, page, out, matched);
  if (strcmp(c, "events") != 0) return EST_EINVAL;
  p[12] = store_rows_param(q->rows, q->rows_party, party);
  return run_page(pool, &table_pages[PAGE_EVENTS], p, page, out, matched);
}

est_result store_ogc_item(est_pool *pool, const char *c, const store_ogc_query *q, long long id, char **out) {
  common_params b;
  char idb[24], party[24];
  const char *p[8];
  common_fill(q, &b, p);
  p[3] = store_lld(idb, id);
  p[4] = store_rows_param(q->rows, q->rows_party, party);
  const est_stmt *s = strcmp(c, "areas") == 0          ? &area_one
                      : strcmp(c, "area-focuses") == 0 ? &focus_one
                      : strcmp(c, "events") == 0       ? &event_one
                                                       : NULL;
  if (!s) return EST_EINVAL;
  PGresult *r;
  est_result rc = exec_read(pool, s, p, &r);
  *out = NULL;
  if (rc == EST_OK && PQntuples(r) == 0) rc = EST_ENOTFOUND;
  if (rc == EST_OK && !(*out = strdup(PQgetvalue(r, 0, 0)))) rc = EST_ENOMEM;
  PQclear(r);
  return rc;
}

est_result store_ogc_features(est_pool *pool, const char *features, const store_ogc_query *q,
                              const est_list_query *page, est_page *out, long long *matched) {
  common_params b;
  char after[24], lim[24];
  const char *p[11];
  common_fill(q, &b, p);
  p[8] = page->has_after ? store_lld(after, page->after.id) : NULL;
  p[9] = store_lld(lim, page->limit + 1);
  p[10] = features;
  return run_page(pool, &features_page, p, page, out, matched);
}

static char *text_or_null(PGresult *r, int col) {
  return PQgetisnull(r, 0, col) ? NULL : strdup(PQgetvalue(r, 0, col));
}

est_result store_ogc_extent(est_pool *pool, const char *c, est_rows rows, long long rows_party, bool *has_bbox,
                            double bbox[4], char **t0, char **t1) {
  *has_bbox = false;
  *t0 = *t1 = NULL;
  char party[24];
  const char *p[1] = {store_rows_param(rows, rows_party, party)};
  const est_stmt *s = strcmp(c, "events") == 0         ? &events_extent
                      : strcmp(c, "area-focuses") == 0 ? &focuses_extent
                                                       : &areas_extent;
  PGresult *r = NULL;
  est_result rc = exec_read(pool, s, s->nparams ? p : NULL, &r);
  if (rc == EST_OK && PQntuples(r) == 1) {
    *has_bbox = !PQgetisnull(r, 0, 0);
    for (int i = 0; i < 4 && *has_bbox; i++) bbox[i] = strtod(PQgetvalue(r, 0, i), NULL);
    *t0 = text_or_null(r, 4);
    *t1 = text_or_null(r, 5);
  }
  PQclear(r);
  return rc;
}
