/* ogc.h - OGC API - Features (Part 1 Core, Part 2 CRS by reference): the
 * pure parts (domain/ogc.c): the supported CRSs and their axis order, the
 * bbox and datetime parameters, the period a datetime selects for
 * aggregated collections, and the JSON documents (landing page,
 * conformance, collections, the items' FeatureCollection with its links).
 * The geometry itself is never touched here: the store transforms it with
 * PostGIS (ST_Transform, ST_FlipCoordinates). docs/OGC.md.
 *
 * Axis order. A CRS URI means its authority's axis order (Part 2,
 * /req/crs/crs-uri): CRS84 is longitude, latitude; EPSG:4326 latitude,
 * longitude; EPSG:3006 (SWEREF 99 TM) northing, easting. PostGIS keeps x/y
 * (easting/longitude first), so a CRS with `swap` has its two axes
 * swapped on the way out (coordinates) and in (bbox). */
#ifndef ESTD_OGC_H
#define ESTD_OGC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "estd/buf.h"
#include "estd/period.h"
#include "estd/result.h"

#define EST_OGC_CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define EST_OGC_EPSG4326 "http://www.opengis.net/def/crs/EPSG/0/4326"
#define EST_OGC_EPSG3006 "http://www.opengis.net/def/crs/EPSG/0/3006"

/* Items per page: default and maximum of `limit` (openapi.yaml states both). */
#define EST_OGC_LIMIT_DEFAULT 100
#define EST_OGC_LIMIT_MAX 1000

/* A supported CRS: its URI, the PostGIS SRID and whether its axis order is
 * the reverse of PostGIS's x/y; digits: decimals written per coordinate. */
typedef struct est_ogc_crs {
  const char *uri;
  int srid;
  bool swap;
  int digits;
} est_ogc_crs;

/* The CRS of uri (NULL: CRS84, the default of every request); NULL when
 * unsupported. */
const est_ogc_crs *est_ogc_crs_find(const char *uri);
/* The supported CRS URIs as a JSON array (caller owns), CRS84 first. */
json_t *est_ogc_crs_list(void);
/* The supported URIs as one comma-separated line (static), for messages. */
const char *est_ogc_crs_names(void);

#define EST_OGC_BBOX_MAX 200 /* characters of a bbox parameter (openapi.yaml maxLength) */

/* Parses bbox (4 numbers, or 6 with heights, which are ignored) given in
 * crs's axis order into out = minx, miny, maxx, maxy in PostGIS's x/y order
 * of the same CRS. Lower corner <= upper corner on both axes (no bbox over
 * the antimeridian); degrees within their ranges for the geographic CRSs.
 * EST_EPARSE with *why (static) otherwise. */
est_result est_ogc_bbox_parse(const char *s, const est_ogc_crs *crs, double out[4], const char **why);

/* The datetime parameter: an instant, a closed interval or an interval
 * open at one end (".." or empty), RFC 3339 date-times with an offset
 * (Part 1 /req/core/fc-time-definition). start/end are the texts as given
 * ("" at an open end; equal for an instant), start_s/end_s their seconds. */
typedef struct est_ogc_interval {
  bool instant;
  char start[48], end[48];
  long long start_s, end_s;
} est_ogc_interval;
/* EST_EPARSE with *why (static) when s is not such a value, or the start is
 * after the end, or both ends are open. */
est_result est_ogc_datetime_parse(const char *s, est_ogc_interval *out, const char **why);

/* The period (Europe/Stockholm dates) an aggregated collection (the hot
 * spots) shows for datetime iv: NULL = the ISO week containing `today`; an
 * instant = the ISO week containing its local date; a closed interval = its
 * local dates (the end exclusive when it falls on local midnight), at most
 * EST_PERIOD_MAX_DAYS days. An open interval selects no period: EST_EPARSE
 * with *why. */
est_result est_ogc_period(const est_ogc_interval *iv, est_date today, est_period *out, const char **why);

/* ---- documents ---------------------------------------------------------- */

/* A collection as the service offers it. */
typedef struct est_ogc_collection {
  const char *id;          /* path segment: "areas" */
  const char *title;       /* English */
  const char *description; /* what a feature is, how datetime applies */
  bool temporal;           /* datetime filters it (else 400) */
} est_ogc_collection;

/* The collections (static, NULL-terminated by id). */
extern const est_ogc_collection est_ogc_collections[];
/* The collection named id, or NULL. */
const est_ogc_collection *est_ogc_collection_find(const char *id);

/* Appends base + path + the query of the key/value pairs kv (key, value,
 * ..., NULL; a NULL value skips its pair) to b. Values are
 * percent-encoded except for the characters a query may hold as they are
 * (RFC 3986 unreserved, ':', '/', '@', ',' ), so a CRS URI stays readable. */
void est_ogc_href(est_buf *b, const char *base, const char *path, const char *const *kv);

/* {"href", "rel", "type", "title"} (title may be NULL). Caller owns. */
json_t *est_ogc_link(const char *href, const char *rel, const char *type, const char *title);

/* The landing page of the service at base (e.g. "http://host/ogc"). */
json_t *est_ogc_landing(const char *base);
/* The media type of the API definition. */
#define EST_OGC_OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"
/* The API definition of the service at base (OpenAPI 3.0, the /ogc paths
 * only; the landing page's service-desc). */
json_t *est_ogc_api_definition(const char *base);
/* The conformance declaration. */
json_t *est_ogc_conformance(void);
/* One collection's description. extent_bbox: [minlon, minlat, maxlon,
 * maxlat] in CRS84, or NULL (unknown: no spatial extent); t0/t1: the
 * temporal extent's ends (NULL = open / none); crs: a CRS URI its items
 * links ask for (NULL: none). */
json_t *est_ogc_collection_doc(const char *base, const est_ogc_collection *c, const double *extent_bbox, const char *t0,
                               const char *t1, const char *crs);

/* The items' FeatureCollection around features (a JSON array, taken):
 * numberMatched (negative: unknown, left out), numberReturned, and the
 * links self (this encoding: GeoJSON, or JSON with as_json, f=json),
 * alternate (the other one), collection and, with next_cursor, next:
 * self's query plus cursor. query: the request's own parameters without
 * f and cursor (key, value, ..., NULL). NULL when memory runs out. */
json_t *est_ogc_items_doc(const char *base, const est_ogc_collection *c, json_t *features, long long matched,
                          const char *const *query, const char *next_cursor, bool as_json);

#endif
