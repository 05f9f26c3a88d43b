/* ogc.c - OGC API - Features: CRSs, parameters and documents (see ogc.h). */
#include "estd/ogc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/util.h"

static const est_ogc_crs crs_table[] = {
    {EST_OGC_CRS84, 4326, false, 7},
    {EST_OGC_EPSG4326, 4326, true, 7},
    {EST_OGC_EPSG3006, 3006, true, 3},
};
#define NCRS (sizeof crs_table / sizeof *crs_table)

const est_ogc_crs *est_ogc_crs_find(const char *uri) {
  if (!uri) return &crs_table[0];
  for (size_t i = 0; i < NCRS; i++)
    if (strcmp(crs_table[i].uri, uri) == 0) return &crs_table[i];
  return NULL;
}

json_t *est_ogc_crs_list(void) {
  json_t *a = json_array();
  for (size_t i = 0; i < NCRS; i++) json_array_append_new(a, json_string(crs_table[i].uri));
  return a;
}

const char *est_ogc_crs_names(void) { return EST_OGC_CRS84 ", " EST_OGC_EPSG4326 ", " EST_OGC_EPSG3006; }

/* ---- bbox ------------------------------------------------------------------ */

/* Up to max comma-separated finite decimal numbers of s into v; the count,
 * or -1 when s is not such a list. */
static int numbers(const char *s, double *v, int max) {
  int n = 0;
  const char *p = s;
  for (;;) {
    if (n == max || *p == '\0' || *p == ',' || *p == ' ') return -1;
    char *end;
    errno = 0;
    double x = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(x)) return -1;
    /* strtod also reads hex floats, "inf", "nan": only plain decimals here. */
    for (const char *q = p; q < end; q++)
      if (!strchr("0123456789+-.eE", *q)) return -1;
    v[n++] = x;
    if (*end == '\0') return n;
    if (*end != ',') return -1;
    p = end + 1;
  }
}

est_result est_ogc_bbox_parse(const char *s, const est_ogc_crs *crs, double out[4], const char **why) {
  double v[6];
  if (s && strlen(s) > EST_OGC_BBOX_MAX) {
    *why = "must be at most 200 characters";
    return EST_EPARSE;
  }
  int n = s ? numbers(s, v, 6) : -1;
  if (n != 4 && n != 6) {
    *why = "must be 4 numbers (lower corner, upper corner in the axis order of bbox-crs) or 6 with heights";
    return EST_EPARSE;
  }
  /* axis 1 and 2 of the lower (a) and upper (b) corner */
  double a1 = v[0], a2 = v[1], b1 = v[n / 2], b2 = v[n / 2 + 1];
  if (a1 > b1 || a2 > b2) {
    *why = "the lower corner must not exceed the upper corner on either axis (no bbox across the antimeridian)";
    return EST_EPARSE;
  }
  double minx = crs->swap ? a2 : a1, miny = crs->swap ? a1 : a2, maxx = crs->swap ? b2 : b1, maxy = crs->swap ? b1 : b2;
  if (crs->srid == 4326 && (minx < -180 || maxx > 180 || miny < -90 || maxy > 90)) {
    *why = "longitude must be within -180..180 and latitude within -90..90";
    return EST_EPARSE;
  }
  out[0] = minx;
  out[1] = miny;
  out[2] = maxx;
  out[3] = maxy;
  return EST_OK;
}

/* ---- datetime ---------------------------------------------------------------- */

/* One end of an interval: "" or ".." (open, *open set) or a date-time. */
static bool interval_end(const char *s, size_t len, char *out, size_t cap, long long *secs, bool *open) {
  *open = len == 0 || (len == 2 && memcmp(s, "..", 2) == 0);
  out[0] = '\0';
  if (*open) return true;
  if (len >= cap) return false;
  memcpy(out, s, len);
  out[len] = '\0';
  return est_rfc3339_valid(out) && est_rfc3339_epoch(out, secs);
}

est_result est_ogc_datetime_parse(const char *s, est_ogc_interval *out, const char **why) {
  memset(out, 0, sizeof *out);
  static const char form[] =
      "must be an RFC 3339 date-time with offset (2026-11-02T08:00:00Z) or an interval "
      "start/end, start/.. or ../end";
  *why = form;
  if (!s) return EST_EPARSE;
  const char *slash = strchr(s, '/');
  if (!slash) {
    bool open;
    if (!interval_end(s, strlen(s), out->start, sizeof out->start, &out->start_s, &open) || open) return EST_EPARSE;
    memcpy(out->end, out->start, sizeof out->end);
    out->end_s = out->start_s;
    out->instant = true;
    return EST_OK;
  }
  if (strchr(slash + 1, '/')) return EST_EPARSE;
  bool open0, open1;
  if (!interval_end(s, (size_t)(slash - s), out->start, sizeof out->start, &out->start_s, &open0) ||
      !interval_end(slash + 1, strlen(slash + 1), out->end, sizeof out->end, &out->end_s, &open1))
    return EST_EPARSE;
  if (open0 && open1) {
    *why = "an interval needs at least one end";
    return EST_EPARSE;
  }
  if (!open0 && !open1 && out->start_s > out->end_s) {
    *why = "the start of the interval is after its end";
    return EST_EPARSE;
  }
  return EST_OK;
}

static est_period week_of(est_date d) {
  int y, w;
  est_iso_week_of(d, &y, &w);
  est_period p = {est_iso_week_monday(y, w), est_date_from_days(est_date_to_days(est_iso_week_monday(y, w)) + 7), y, w};
  return p;
}

est_result est_ogc_period(const est_ogc_interval *iv, est_date today, est_period *out, const char **why) {
  memset(out, 0, sizeof *out);
  if (!iv) {
    *out = week_of(today);
    return EST_OK;
  }
  if (!iv->start[0] || !iv->end[0]) {
    *why = "the hot spots are those of one period: give an instant (its ISO week) or a closed interval";
    return EST_EPARSE;
  }
  est_date from = est_stockholm_date((time_t)iv->start_s);
  if (iv->instant || iv->start_s == iv->end_s) {
    *out = week_of(from);
    return EST_OK;
  }
  /* The last local date the interval reaches; an end on local midnight
   * does not reach into that day. */
  long to = est_date_to_days(est_stockholm_date((time_t)(iv->end_s - 1))) + 1;
  if (to <= est_date_to_days(from)) to = est_date_to_days(from) + 1;
  if (to - est_date_to_days(from) > EST_PERIOD_MAX_DAYS) {
    *why = "the interval spans more than 731 days";
    return EST_EPARSE;
  }
  out->from = from;
  out->to = est_date_from_days(to);
  int y0, w0;
  est_iso_week_of(from, &y0, &w0);
  if (est_date_weekday(from) == 0 && to - est_date_to_days(from) == 7) {
    out->iso_year = y0;
    out->iso_week = w0;
  }
  return EST_OK;
}

/* ---- documents ------------------------------------------------------------------ */

const est_ogc_collection est_ogc_collections[] = {
    {"areas", "Areas",
     "The areas (districts, särskilt utsatta områden, hot-spot places) the partners work in; one feature per active "
     "area. No temporal property: datetime is refused.",
     false},
    {"area-focuses", "Area focuses",
     "Areas an agreement or a party has singled out for a period (fokusområden), with the area's boundary; "
     "datetime selects the focuses whose validity [valid_from, valid_to] (Europe/Stockholm dates, valid_to "
     "open when unset) intersects it.",
     true},
    {"hot-spots", "Hot spots",
     "The hot spots (clusters of incidents, DBSCAN 150 m / 5 incidents) of one period as the situational "
     "picture shows them, under the same disclosure control (counts rounded by the cell key method, hulls on "
     "a 100 m grid without the read-detail scope). datetime selects the period: an instant its ISO week, a "
     "closed interval its Europe/Stockholm dates; without it the current ISO week.",
     true},
    {"events", "Events",
     "Individual events (incidents, patrols, activities) at their positions. Only for the read-detail scope: a "
     "key sees its own party's events, admin every party's. datetime filters on occurred_at.",
     true},
    {NULL, NULL, NULL, false},
};

const est_ogc_collection *est_ogc_collection_find(const char *id) {
  for (const est_ogc_collection *c = est_ogc_collections; id && c->id; c++)
    if (strcmp(c->id, id) == 0) return c;
  return NULL;
}

static void query_encode(est_buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~:/@,", *p)) {
      est_buf_append(b, (const char *)p, 1);
    } else {
      char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      est_buf_append(b, e, 3);
    }
  }
}

void est_ogc_href(est_buf *b, const char *base, const char *path, const char *const *kv) {
  est_buf_puts(b, base);
  est_buf_puts(b, path);
  char sep = '?';
  for (size_t i = 0; kv && kv[i]; i += 2) {
    if (!kv[i + 1]) continue;
    est_buf_append(b, &sep, 1);
    query_encode(b, kv[i]);
    est_buf_puts(b, "=");
    query_encode(b, kv[i + 1]);
    sep = '&';
  }
}

json_t *est_ogc_link(const char *href, const char *rel, const char *type, const char *title) {
  json_t *l = json_pack("{s:s, s:s, s:s}", "href", href ? href : "", "rel", rel, "type", type);
  if (l && title) json_object_set_new(l, "title", json_string(title));
  return l;
}

/* A link to base + path (+ kv) appended to links. */
static void add_link(json_t *links, const char *base, const char *path, const char *const *kv, const char *rel,
                     const char *type, const char *title) {
  est_buf b = EST_BUF_INIT;
  est_ogc_href(&b, base, path, kv);
  char *href = est_buf_steal(&b);
  if (href) json_array_append_new(links, est_ogc_link(href, rel, type, title));
  free(href);
}

#define JSON_TYPE "application/json"
#define GEOJSON_TYPE "application/geo+json"

json_t *est_ogc_landing(const char *base) {
  json_t *links = json_array();
  add_link(links, base, "", NULL, "self", JSON_TYPE, "This document");
  add_link(links, base, "/conformance", NULL, "conformance", JSON_TYPE, "Conformance classes");
  add_link(links, base, "/collections", NULL, "data", JSON_TYPE, "Collections");
  add_link(links, base, "/api", NULL, "service-desc", EST_OGC_OPENAPI_TYPE, "The API definition (OpenAPI 3.0)");
  return json_pack("{s:s, s:s, s:o}", "title", "estd – EST (effektiv samordning för trygghet) data", "description",
                   "Areas, area focuses, hot spots and events of the EST cooperation as OGC API – Features "
                   "(Part 1 Core, Part 2 CRS by reference: CRS84, EPSG:4326, EPSG:3006).",
                   "links", links);
}

/* ---- the API definition ---------------------------------------------------- */

static json_t *query_param(const char *name, const char *desc, json_t *schema) {
  return json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "in", "query", "required", 0, "description", desc,
                   "schema", schema);
}

static json_t *path_param(const char *name, json_t *schema) {
  return json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "path", "required", 1, "schema", schema);
}

/* An operation: GET with these parameters (taken), answering type. */
static json_t *get_op(const char *id, const char *summary, json_t *params, const char *type) {
  json_t *content = json_object();
  json_object_set_new(content, type, json_pack("{s:{s:s}}", "schema", "type", "object"));
  return json_pack("{s:{s:s, s:s, s:o, s:{s:{s:s, s:o}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}", "get", "operationId",
                   id, "summary", summary, "parameters", params, "responses", "200", "description", "OK", "content",
                   content, "400", "description", "Bad request (problem+json)", "401", "description",
                   "No valid credentials", "403", "description", "Not for this caller", "404", "description",
                   "Not found");
}

json_t *est_ogc_api_definition(const char *base) {
  json_t *crs = json_pack("{s:s, s:o}", "type", "string", "enum", est_ogc_crs_list());
  json_t *fmeta = query_param("f", "The encoding (json).", json_pack("{s:s, s:[s]}", "type", "string", "enum", "json"));
  json_t *fitems = query_param("f", "geojson (default) or json.",
                               json_pack("{s:s, s:[s, s]}", "type", "string", "enum", "geojson", "json"));
  json_t *coll = path_param("collectionId", json_pack("{s:s, s:[s, s, s, s]}", "type", "string", "enum", "areas",
                                                      "area-focuses", "hot-spots", "events"));
  json_t *items_params = json_pack(
      "[O, O, o, o, o, o, o, o]", coll, fitems, query_param("crs", "The CRS of the coordinates.", json_deep_copy(crs)),
      query_param("bbox", "lower corner, upper corner in the axis order of bbox-crs",
                  json_pack("{s:s, s:{s:s}, s:i, s:i}", "type", "array", "items", "type", "number", "minItems", 4,
                            "maxItems", 6)),
      query_param("bbox-crs", "The CRS of bbox (default CRS84).", json_deep_copy(crs)),
      query_param("datetime", "An RFC 3339 instant or an interval (start/end, start/.., ../end).",
                  json_pack("{s:s}", "type", "string")),
      query_param("limit", "Features per page.",
                  json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", EST_OGC_LIMIT_MAX,
                            "default", EST_OGC_LIMIT_DEFAULT)),
      query_param("cursor", "The position of a next link.", json_pack("{s:s}", "type", "string")));
  json_t *item_params = json_pack(
      "[O, o, O, o]", coll,
      path_param("featureId", json_pack("{s:s, s:s, s:i}", "type", "integer", "format", "int64", "minimum", 1)), fitems,
      query_param("crs", "The CRS of the coordinates.", json_deep_copy(crs)));
  json_t *paths = json_object();
  json_object_set_new(paths, "/", get_op("landingPage", "Landing page", json_pack("[O]", fmeta), JSON_TYPE));
  json_object_set_new(paths, "/api",
                      get_op("apiDefinition", "This API definition", json_array(), EST_OGC_OPENAPI_TYPE));
  json_object_set_new(paths, "/conformance",
                      get_op("conformance", "Conformance classes", json_pack("[O]", fmeta), JSON_TYPE));
  json_object_set_new(
      paths, "/collections",
      get_op("collections", "The collections",
             json_pack("[O, o]", fmeta, query_param("crs", "A CRS for the items links.", json_deep_copy(crs))),
             JSON_TYPE));
  json_object_set_new(
      paths, "/collections/{collectionId}",
      get_op("collection", "One collection",
             json_pack("[O, O, o]", coll, fmeta, query_param("crs", "A CRS for the items links.", json_deep_copy(crs))),
             JSON_TYPE));
  json_object_set_new(paths, "/collections/{collectionId}/items",
                      get_op("items", "The features of a collection", items_params, GEOJSON_TYPE));
  json_object_set_new(paths, "/collections/{collectionId}/items/{featureId}",
                      get_op("item", "One feature", item_params, GEOJSON_TYPE));
  json_decref(crs);
  json_decref(fmeta);
  json_decref(fitems);
  json_decref(coll);
  return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:{s:{s:{s:s, s:s}}}, s:[{s:[]}]}", "openapi", "3.0.3",
                   "info", "title", "estd OGC API – Features", "version", "1.0.0", "description",
                   "The OGC API – Features part of estd (the whole contract: openapi.yaml).", "servers", "url", base,
                   "paths", paths, "components", "securitySchemes", "bearerAuth", "type", "http", "scheme", "bearer",
                   "security", "bearerAuth");
}

json_t *est_ogc_conformance(void) {
  return json_pack("{s:[s, s, s, s]}", "conformsTo", "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                   "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                   "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                   "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs");
}

json_t *est_ogc_collection_doc(const char *base, const est_ogc_collection *c, const double *bbox, const char *t0,
                               const char *t1, const char *crs) {
  char path[96];
  snprintf(path, sizeof path, "/collections/%s", c->id);
  char items[112];
  snprintf(items, sizeof items, "%s/items", path);
  json_t *links = json_array();
  add_link(links, base, path, NULL, "self", JSON_TYPE, c->title);
  const char *kv[] = {"crs", crs, "f", NULL, NULL};
  add_link(links, base, items, kv, "items", GEOJSON_TYPE, "Items as GeoJSON");
  kv[3] = "json";
  add_link(links, base, items, kv, "items", JSON_TYPE, "Items as JSON");
  json_t *extent = json_object();
  if (bbox)
    json_object_set_new(
        extent, "spatial",
        json_pack("{s:[[f, f, f, f]], s:s}", "bbox", bbox[0], bbox[1], bbox[2], bbox[3], "crs", EST_OGC_CRS84));
  if (c->temporal && (t0 || t1))
    json_object_set_new(extent, "temporal",
                        json_pack("{s:[[s?, s?]], s:s}", "interval", t0, t1, "trs",
                                  "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"));
  return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "id", c->id, "title", c->title, "description",
                   c->description, "itemType", "feature", "crs", est_ogc_crs_list(), "storageCrs", EST_OGC_CRS84,
                   "extent", extent, "links", links);
}

json_t *est_ogc_items_doc(const char *base, const est_ogc_collection *c, json_t *features, long long matched,
                          const char *const *query, const char *next_cursor, bool as_json) {
  char coll[96], items[112];
  snprintf(coll, sizeof coll, "/collections/%s", c->id);
  snprintf(items, sizeof items, "%s/items", coll);
  /* query + [f=json] + [cursor]: room for both */
  size_t n = 0;
  while (query && query[n]) n += 2;
  const char **kv = calloc(n + 5, sizeof *kv);
  json_t *links = json_array();
  if (!kv || !links) {
    free(kv);
    json_decref(links);
    json_decref(features);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) kv[i] = query[i];
  const char *self_type = as_json ? JSON_TYPE : GEOJSON_TYPE, *alt_type = as_json ? GEOJSON_TYPE : JSON_TYPE;
  /* self: this representation; alternate: the other one (f=json or none) */
  kv[n] = "f";
  kv[n + 1] = as_json ? "json" : NULL;
  add_link(links, base, items, kv, "self", self_type, "This page");
  kv[n + 1] = as_json ? NULL : "json";
  add_link(links, base, items, kv, "alternate", alt_type, "This page in the other encoding");
  add_link(links, base, coll, NULL, "collection", JSON_TYPE, c->title);
  if (next_cursor) {
    kv[n + 1] = as_json ? "json" : NULL;
    kv[n + 2] = "cursor";
    kv[n + 3] = next_cursor;
    add_link(links, base, items, kv, "next", self_type, "Next page");
  }
  free(kv);
  size_t returned = json_array_size(features);
  json_t *fc = json_pack("{s:s, s:o, s:o}", "type", "FeatureCollection", "features", features, "links", links);
  if (fc && matched >= 0) json_object_set_new(fc, "numberMatched", json_integer(matched));
  if (fc) json_object_set_new(fc, "numberReturned", json_integer((json_int_t)returned));
  return fc;
}
