/* routes_ogc.c - OGC API - Features (Part 1 Core, Part 2 CRS by
 * reference) under /ogc (docs/OGC.md):
 *
 *   GET /ogc                                               landing page
 *   GET /ogc/api                                           API definition (OpenAPI 3.0 JSON)
 *   GET /ogc/conformance                                   conformance classes
 *   GET /ogc/collections                                   areas, area-focuses, hot-spots, events
 *   GET /ogc/collections/{collectionId}                    one collection
 *   GET /ogc/collections/{collectionId}/items              GeoJSON FeatureCollection, paged
 *   GET /ogc/collections/{collectionId}/items/{featureId}  one Feature
 *
 * Same authentication and disclosure policy as /v1 (estd/disclosure.h):
 * the events collection shows individual events at their exact positions,
 * so it needs read-detail, and a read-detail key sees only its own party's
 * events, admin every party's (est_disclosure_feature_rows); anyone else
 * gets 403 there and does not see it in /ogc/collections. The
 * hot spots are the situational picture's (rounded counts, hulls on a grid
 * without read-detail). Documents and parameters: domain/ogc.c; rows and
 * every coordinate transformation (PostGIS): store/ogc.c.
 *
 * `crs` is also taken by the collection descriptions: GDAL's OAPIF driver
 * (3.6) repeats a dataset URL's query on every request, so
 * OAPIF:.../collections/areas?crs=... reads the items in that CRS; the
 * description's items links then carry it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/http.h"
#include "estd/ogc.h"
#include "estd/store_ogc.h"
#include "estd/util.h"

#define GEOJSON_TYPE "application/geo+json"
#define JSON_TYPE "application/json"

/* ---- request helpers ------------------------------------------------------- */

/* The service's base URL (links must be absolute: a client resolves them
 * against the landing page's own path otherwise): ESTD_PUBLIC_URL + /ogc
 * (behind a proxy), else scheme://Host/ogc. */
static est_result base_url(http_ctx *ctx, char *out, size_t n) {
  if (ctx->app->cfg->public_url) {
    snprintf(out, n, "%s/ogc", ctx->app->cfg->public_url);
    return EST_OK;
  }
  const char *host = http_header(ctx, "Host");
  bool ok = host && host[0] && strlen(host) <= 255;
  for (const char *p = host; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(".-:[]", *p);
  if (!ok) return http_fail(ctx, EST_EPARSE, "the Host header must name the server (host[:port])");
  snprintf(out, n, "%s://%s/ogc", ctx->app->cfg->tls_cert_file ? "https" : "http", host);
  return EST_OK;
}

/* Fails with 400 naming parameter name. */
static est_result bad_param(http_ctx *ctx, const char *name, const char *detail) {
  http_fail_field(ctx, name, detail);
  return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s': %s", name, detail);
}

/* f: the encoding asked for; *as_json for f=json where GeoJSON is the default. */
static est_result param_f(http_ctx *ctx, bool items, bool *as_json) {
  static const char *const meta[] = {"json", NULL}, *const feats[] = {"geojson", "json", NULL};
  const char *f;
  est_result rc = http_param_enum(ctx, "f", items ? feats : meta, &f);
  *as_json = f && strcmp(f, "json") == 0;
  return rc;
}

static est_result param_crs(http_ctx *ctx, const char *name, const est_ogc_crs **out) {
  const char *v = http_param(ctx, name);
  *out = est_ogc_crs_find(v);
  if (*out) return EST_OK;
  char msg[320];
  snprintf(msg, sizeof msg, "not a supported CRS; use one of %s", est_ogc_crs_names());
  return bad_param(ctx, name, msg);
}

/* The collection of the path; 404 for an unknown one, 403 for events to a
 * caller that may see no event rows (*rows, *party: what it sees). */
static est_result collection_of(http_ctx *ctx, const est_ogc_collection **c, est_rows *rows, long long *party) {
  const char *id = http_param(ctx, "collectionId");
  *c = est_ogc_collection_find(id);
  if (!*c) return http_fail(ctx, EST_ENOTFOUND, "no collection '%.64s'", id ? id : "");
  est_caller who = http_caller(ctx);
  *rows = est_disclosure_feature_rows(&who, party);
  if (strcmp((*c)->id, "events") == 0 && *rows == EST_ROWS_NONE)
    return http_fail(ctx, EST_EFORBIDDEN,
                     "the events collection shows individual events at their exact position: it needs the "
                     "read-detail scope (and a party, whose events it shows; admin sees every party's)");
  return EST_OK;
}

/* Replies with doc (taken) as type, with Content-Crs when crs is set. */
static est_result reply(http_ctx *ctx, json_t *doc, const char *type, const est_ogc_crs *crs) {
  char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
  json_decref(doc);
  if (!s) return EST_ENOMEM;
  if (crs) {
    char hdr[96];
    snprintf(hdr, sizeof hdr, "<%s>", crs->uri);
    http_set_header(ctx, "Content-Crs", hdr);
  }
  http_reply_raw(ctx, 200, type, s, strlen(s));
  free(s);
  return EST_OK;
}

/* ---- metadata --------------------------------------------------------------- */

static est_result landing(http_ctx *ctx) {
  char base[320];
  bool as_json;
  est_result rc = param_f(ctx, false, &as_json);
  if (rc == EST_OK) rc = base_url(ctx, base, sizeof base);
  return rc == EST_OK ? reply(ctx, est_ogc_landing(base), JSON_TYPE, NULL) : rc;
}

static est_result api_definition(http_ctx *ctx) {
  char base[320];
  est_result rc = base_url(ctx, base, sizeof base);
  return rc == EST_OK ? reply(ctx, est_ogc_api_definition(base), EST_OGC_OPENAPI_TYPE, NULL) : rc;
}

static est_result conformance(http_ctx *ctx) {
  bool as_json;
  est_result rc = param_f(ctx, false, &as_json);
  return rc == EST_OK ? reply(ctx, est_ogc_conformance(), JSON_TYPE, NULL) : rc;
}

/* The description of c as the caller sees it (extent from its rows); with
 * crs (not NULL) its items links ask for that CRS. */
static est_result describe(http_ctx *ctx, const char *base, const est_ogc_collection *c, est_rows rows, long long party,
                           const char *crs, json_t **out) {
  bool has_bbox;
  double bbox[4];
  char *t0, *t1;
  est_result rc = store_ogc_extent(ctx->app->pool, c->id, rows, party, &has_bbox, bbox, &t0, &t1);
  if (rc != EST_OK) return rc;
  *out = est_ogc_collection_doc(base, c, has_bbox ? bbox : NULL, t0, t1, crs);
  free(t0);
  free(t1);
  return *out ? EST_OK : EST_ENOMEM;
}

static est_result collections(http_ctx *ctx) {
  char base[320];
  bool as_json;
  const est_ogc_crs *crs;
  est_result rc = param_f(ctx, false, &as_json);
  if (rc == EST_OK) rc = param_crs(ctx, "crs", &crs);
  if (rc == EST_OK) rc = base_url(ctx, base, sizeof base);
  if (rc != EST_OK) return rc;
  est_caller who = http_caller(ctx);
  long long party;
  est_rows rows = est_disclosure_feature_rows(&who, &party);
  json_t *list = json_array();
  for (const est_ogc_collection *c = est_ogc_collections; c->id && rc == EST_OK; c++) {
    if (strcmp(c->id, "events") == 0 && rows == EST_ROWS_NONE) continue; /* not for this caller */
    json_t *d;
    rc = describe(ctx, base, c, rows, party, http_param(ctx, "crs"), &d);
    if (rc == EST_OK) json_array_append_new(list, d);
  }
  if (rc != EST_OK) {
    json_decref(list);
    return rc;
  }
  est_buf b = EST_BUF_INIT;
  est_ogc_href(&b, base, "/collections", NULL);
  char *self = est_buf_steal(&b);
  json_t *doc = json_pack("{s:[o], s:o, s:o}", "links", est_ogc_link(self, "self", JSON_TYPE, "Collections"),
                          "collections", list, "crs", est_ogc_crs_list());
  free(self);
  return reply(ctx, doc, JSON_TYPE, NULL);
}

static est_result collection(http_ctx *ctx) {
  char base[320];
  bool as_json;
  const est_ogc_collection *c;
  const est_ogc_crs *crs;
  est_rows rows;
  long long party;
  est_result rc = collection_of(ctx, &c, &rows, &party);
  if (rc == EST_OK) rc = param_f(ctx, false, &as_json);
  if (rc == EST_OK) rc = param_crs(ctx, "crs", &crs);
  if (rc == EST_OK) rc = base_url(ctx, base, sizeof base);
  json_t *doc = NULL;
  if (rc == EST_OK) rc = describe(ctx, base, c, rows, party, http_param(ctx, "crs"), &doc);
  return rc == EST_OK ? reply(ctx, doc, JSON_TYPE, NULL) : rc;
}

/* ---- features ----------------------------------------------------------------- */

/* The parameters of items and item requests. */
typedef struct feature_req {
  const est_ogc_collection *c;
  bool as_json;
  bool has_time;
  est_ogc_interval iv;
  store_ogc_query q;
  est_list_query page;
  char base[320];
} feature_req;

static est_result feature_params(http_ctx *ctx, bool items, feature_req *r) {
  memset(r, 0, sizeof *r);
  est_result rc = collection_of(ctx, &r->c, &r->q.rows, &r->q.rows_party);
  if (rc == EST_OK) rc = param_f(ctx, true, &r->as_json);
  if (rc == EST_OK) rc = param_crs(ctx, "crs", &r->q.crs);
  if (rc == EST_OK) rc = base_url(ctx, r->base, sizeof r->base);
  if (rc != EST_OK || !items) return rc;
  if ((rc = param_crs(ctx, "bbox-crs", &r->q.bbox_crs)) != EST_OK) return rc;
  const char *why, *v;
  if ((v = http_param(ctx, "bbox"))) {
    if (est_ogc_bbox_parse(v, r->q.bbox_crs, r->q.bbox, &why) != EST_OK) return bad_param(ctx, "bbox", why);
    r->q.has_bbox = true;
  }
  if ((v = http_param(ctx, "datetime"))) {
    if (!r->c->temporal) return bad_param(ctx, "datetime", "this collection has no temporal property");
    if (est_ogc_datetime_parse(v, &r->iv, &why) != EST_OK) return bad_param(ctx, "datetime", why);
    r->has_time = true;
    r->q.t_start = r->iv.start[0] ? r->iv.start : NULL;
    r->q.t_end = r->iv.end[0] ? r->iv.end : NULL;
  }
  r->page.limit = EST_OGC_LIMIT_DEFAULT;
  if ((v = http_param(ctx, "limit"))) {
    long l;
    if (est_parse_int(v, 1, EST_OGC_LIMIT_MAX, &l) != EST_OK) {
      char msg[64];
      snprintf(msg, sizeof msg, "must be an integer from 1 to %d", EST_OGC_LIMIT_MAX);
      return bad_param(ctx, "limit", msg);
    }
    r->page.limit = (int)l;
  }
  if ((v = http_param(ctx, "cursor"))) {
    if (est_cursor_decode(v, "id", &r->page.after) != EST_OK)
      return bad_param(ctx, "cursor", "not a cursor of a next link of this service");
    r->page.has_after = true;
  }
  return EST_OK;
}

/* The hot spots of the period r selects as Features in CRS84 (a JSON array
 * text, malloc'd; ids their ranks), and the period and privacy members of
 * the collection (*extra, caller owns). only > 0: just that rank. */
static est_result hot_spot_features(http_ctx *ctx, const feature_req *r, long long only, char **out, json_t **extra) {
  *out = NULL;
  *extra = NULL;
  est_period period;
  const char *why;
  if (est_ogc_period(r->has_time ? &r->iv : NULL, est_stockholm_date(time(NULL)), &period, &why) != EST_OK)
    return bad_param(ctx, "datetime", why);
  char *body;
  size_t len;
  est_caller used;
  int k;
  est_result rc = http_situation_render_period(ctx, 0, &period, NULL, -1, &body, &len, &used, &k);
  if (rc != EST_OK) return rc;
  json_t *doc = json_loadb(body, len, 0, NULL);
  free(body);
  if (!doc) return EST_EINTERNAL;
  json_t *per = json_object_get(doc, "period");
  json_t *feats = json_array();
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(doc, "hot_spots"), i, h) {
    json_int_t rank = json_integer_value(json_object_get(h, "rank"));
    if (only > 0 && rank != only) continue;
    json_t *props = json_deep_copy(h);
    json_object_del(props, "hull");
    json_object_del(props, "centroid"); /* CRS84: the geometry is the hot spot, in the requested CRS */
    json_object_set(props, "period_from", json_object_get(per, "from"));
    json_object_set(props, "period_to", json_object_get(per, "to"));
    json_array_append_new(feats, json_pack("{s:s, s:I, s:O, s:o}", "type", "Feature", "id", rank, "geometry",
                                           json_object_get(h, "hull"), "properties", props));
  }
  *extra = json_pack("{s:O, s:O}", "period", per, "privacy", json_object_get(doc, "privacy"));
  json_decref(doc);
  *out = json_dumps(feats, JSON_COMPACT);
  json_decref(feats);
  if (!*out || !*extra) {
    free(*out);
    json_decref(*extra);
    *out = NULL;
    *extra = NULL;
    return EST_ENOMEM;
  }
  return EST_OK;
}

static est_result items(http_ctx *ctx) {
  feature_req r;
  est_result rc = feature_params(ctx, true, &r);
  if (rc != EST_OK) return rc;
  est_page pg = {NULL, NULL};
  long long matched = -1;
  json_t *extra = NULL;
  if (strcmp(r.c->id, "hot-spots") == 0) {
    char *feats;
    rc = hot_spot_features(ctx, &r, 0, &feats, &extra);
    if (rc == EST_OK) rc = store_ogc_features(ctx->app->pool, feats, &r.q, &r.page, &pg, &matched);
    free(feats);
  } else {
    rc = store_ogc_items(ctx->app->pool, r.c->id, &r.q, &r.page, &pg, &matched);
  }
  if (rc != EST_OK) {
    json_decref(extra);
    return rc;
  }
  json_t *features = json_loads(pg.items, 0, NULL);
  static const char *const keys[] = {"bbox", "bbox-crs", "crs", "datetime", "limit", NULL};
  const char *kv[2 * 5 + 1];
  size_t n = 0;
  for (size_t i = 0; keys[i]; i++) {
    kv[n++] = keys[i];
    kv[n++] = http_param(ctx, keys[i]);
  }
  kv[n] = NULL;
  json_t *doc = features ? est_ogc_items_doc(r.base, r.c, features, matched, kv, pg.next_cursor, r.as_json) : NULL;
  est_page_free(&pg);
  if (doc && extra) json_object_update(doc, extra);
  json_decref(extra);
  return reply(ctx, doc, r.as_json ? JSON_TYPE : GEOJSON_TYPE, r.q.crs);
}

static est_result item(http_ctx *ctx) {
  feature_req r;
  est_result rc = feature_params(ctx, false, &r);
  if (rc != EST_OK) return rc;
  long long id;
  const char *fid = http_param(ctx, "featureId");
  if (!fid || est_parse_id(fid, &id) != EST_OK)
    return http_fail(ctx, EST_ENOTFOUND, "no feature '%.64s' in %s", fid ? fid : "", r.c->id);
  char *feature = NULL;
  if (strcmp(r.c->id, "hot-spots") == 0) {
    char *feats;
    json_t *extra;
    rc = hot_spot_features(ctx, &r, id, &feats, &extra);
    json_decref(extra);
    est_page pg = {NULL, NULL};
    long long matched;
    r.page.limit = 1;
    if (rc == EST_OK) rc = store_ogc_features(ctx->app->pool, feats, &r.q, &r.page, &pg, &matched);
    free(feats);
    json_t *one = rc == EST_OK ? json_loads(pg.items, 0, NULL) : NULL;
    est_page_free(&pg);
    if (rc == EST_OK && json_array_size(one) == 1) feature = json_dumps(json_array_get(one, 0), JSON_COMPACT);
    else if (rc == EST_OK) rc = EST_ENOTFOUND;
    json_decref(one);
  } else {
    rc = store_ogc_item(ctx->app->pool, r.c->id, &r.q, id, &feature);
  }
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "no feature %lld in %s", id, r.c->id);
  if (rc != EST_OK) return rc;
  json_t *f = feature ? json_loads(feature, 0, NULL) : NULL;
  free(feature);
  if (!f) return EST_ENOMEM;
  char self[512], coll[400];
  snprintf(self, sizeof self, "%s/collections/%s/items/%lld", r.base, r.c->id, id);
  snprintf(coll, sizeof coll, "%s/collections/%s", r.base, r.c->id);
  json_object_set_new(f, "links",
                      json_pack("[o, o]", est_ogc_link(self, "self", GEOJSON_TYPE, NULL),
                                est_ogc_link(coll, "collection", JSON_TYPE, r.c->title)));
  return reply(ctx, f, r.as_json ? JSON_TYPE : GEOJSON_TYPE, r.q.crs);
}

const http_route http_routes_ogc[] = {
    {"GET", "/ogc", landing, HTTP_SCOPE_READ, 0, "f"},
    {"GET", "/ogc/api", api_definition, HTTP_SCOPE_READ, 0, NULL},
    {"GET", "/ogc/conformance", conformance, HTTP_SCOPE_READ, 0, "f"},
    {"GET", "/ogc/collections", collections, HTTP_SCOPE_READ, 0, "f crs"},
    {"GET", "/ogc/collections/{collectionId}", collection, HTTP_SCOPE_READ, 0, "f crs"},
    {"GET", "/ogc/collections/{collectionId}/items", items, HTTP_SCOPE_READ, 0,
     "f crs bbox bbox-crs datetime limit cursor"},
    {"GET", "/ogc/collections/{collectionId}/items/{featureId}", item, HTTP_SCOPE_READ, 0, "f crs"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
