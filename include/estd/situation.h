/* situation.h - the situational picture (lägesbild) document
 * (domain/situation.c).
 *
 * The store fetches rows (store_situation.h: JSON texts built by
 * PostgreSQL, the counts built from the rollups' cells by
 * situation_counts.h); this module builds the document from them: the JSON picture
 * with privacy applied to every count and CompStat changes, its GeoJSON
 * FeatureCollection, the hot spots (clustering the incidents with
 * hotspot.h) and the cache key. Pure: no I/O, no clock.
 *
 * Every count the document publishes goes through est_publish_json
 * (privacy.h) with the caller's est_publish_policy, one call per table and
 * period (presence counts through est_publish_tree); CompStat changes are
 * computed from the published counts afterwards (a null count gives a null
 * change). The default policy is the cell-key rounding (disclosure.h). */
#ifndef ESTD_SITUATION_H
#define ESTD_SITUATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/compstat.h"
#include "estd/disclosure.h"
#include "estd/hotspot.h"
#include "estd/period.h"
#include "estd/privacy.h"
#include "estd/result.h"

#define EST_SITUATION_HOTSPOTS_MAX 50         /* hot spots in a picture */
#define EST_SITUATION_GEOJSON_EVENTS_MAX 5000 /* event Features in a GeoJSON picture */

/* The normalised query: everything that changes the document. */
typedef struct est_situation_query {
  long long area_id; /* 0 = all areas */
  est_period period, previous, year_ago;
  /* The three periods as local dates "YYYY-MM-DD", each [from, to). */
  char from[11], to[11], prev_from[11], prev_to[11], ya_from[11], ya_to[11];
  const char *bucket;   /* "day" | "week" (static) */
  double eps_m;         /* DBSCAN eps in metres (EPSG:3006) */
  int min_points;       /* DBSCAN minpoints */
  bool detail;          /* exact hot-spot geometry and event times (est_disclosure_exact_geometry),
                          else on the EST_DISCLOSURE_GRID_M grid and local dates */
  bool detail_scope;    /* the caller has read-detail (admin implies it) */
  int k;                /* rounding base of the policy (est_disclosure_base; <= 1 exact) */
  bool include_events;  /* GeoJSON: also the period's events */
  est_rows rows;        /* whose events the GeoJSON may list (est_disclosure_rows) */
  long long rows_party; /* with EST_ROWS_PARTY */
  bool from_raw;        /* read the counts from the raw events instead of the rollups (ESTD_SITUATION_SOURCE=raw:
                           the check and benchmark baseline; the same document) */
} est_situation_query;

/* Sets q->period, its previous and year-ago periods and the date strings;
 * with bucket NULL the default (by week above
 * EST_PERIOD_DAY_BUCKET_MAX_DAYS days, else by day). */
void est_situation_query_period(est_situation_query *q, const est_period *period, const char *bucket);

/* The rows the store fetched for one picture, all from one snapshot (JSON
 * texts, see store_situation.h). areas and events only for GeoJSON
 * (events NULL when not asked for). */
typedef struct est_situation_rows {
  json_t *counts;             /* store_situation_counts (borrowed; the document takes members of it and
                                 publishes them in place: build one document per counts) */
  const char *hotspots;       /* the hot spots' details, ranked (store_situation_hotspots) */
  const char *context;        /* {"area", "presence", "focuses", "commitments", "freshness"} */
  const char *areas;          /* area Features */
  const char *events;         /* up to EST_SITUATION_GEOJSON_EVENTS_MAX + 1 event Features */
  const char *hotspots_as_of; /* when the hot spots were last known current (RFC 3339) */
  bool hotspots_stale;        /* newer events exist in their buckets (served within ESTD_HOTSPOT_MAX_STALENESS_S): the
                          document then has "hot_spots_as_of" and "hot_spots_stale": true; without them the hot
                          spots are of the same snapshot as the counts (the document as before) */
  const char *hotspots_published; /* when non-NULL: hotspots already published under the document's policy
                                     (est_situation_hotspots_publish); the document then holds a placeholder
                                     that est_situation_hotspots_splice replaces by this text (not for GeoJSON) */
} est_situation_rows;

/* The hot spots text rows->hotspots published exactly as est_situation_document
 * publishes them under pol, as compact JSON (*out malloc'd): a picture
 * recomputed while its hot spots are unchanged (the memo, under intake) then
 * splices this text instead of parsing, publishing and printing the hot
 * spots again, most of the all-areas document. EST_EINTERNAL when hotspots
 * is not a JSON array. */
est_result est_situation_hotspots_publish(const est_publish_policy *pol, const char *hotspots, char **out);
/* doc (len bytes) with the cut bytes at `at` replaced by text, malloc'd into
 * *out (*olen bytes); a copy of doc when at is NULL. */
est_result est_situation_splice(const char *doc, size_t len, const char *at, size_t cut, const char *text, char **out,
                                size_t *olen);
/* doc (len bytes): a compact document built from rows with hotspots_published;
 * *out (malloc'd, *olen bytes): doc with that text in place of its
 * placeholder. EST_EINTERNAL when doc has no placeholder. */
est_result est_situation_hotspots_splice(const char *doc, size_t len, const char *published, char **out, size_t *olen);

/* The hot spots of the period's incidents pts[0..n) (category slots
 * 0..ncat-1): weighted DBSCAN with q's eps and min_points, at most
 * EST_SITUATION_HOTSPOTS_MAX, largest first. Returns the number of clusters
 * in *out (est_hotspot_clusters_free), or -1 when memory runs out. */
int est_situation_hotspots(const est_situation_query *q, const est_hs_point *pts, size_t n, int ncat,
                           est_hs_cluster **out);

/* Builds the JSON picture (openapi.yaml Situation) into *out (caller owns).
 * Tables published through pol (privacy.h): "total" (key "total"),
 * "by_category" (key: category code), "by_party" (party id), "series"
 * (bucket start), "by_weekday" (weekday), "by_hour" (hour), each for the
 * periods "count", "previous" and "year_ago" where present; each hot spot
 * is published as "hot_spot" (key: rank; left out when its count is
 * suppressed) and its categories as "hot_spot.by_category"; presence
 * counts as "presence" and "hot_spot.presence".
 * EST_EINTERNAL when a row is not the JSON the store promises. */
est_result est_situation_document(const est_situation_query *q, const est_publish_policy *pol,
                                  const est_situation_rows *rows, json_t **out);

/* Builds the RFC 7946 FeatureCollection from a document of
 * est_situation_document (taken, also on failure) and the GeoJSON rows:
 * the areas, one Feature per hot spot (its hull), and the events (at most
 * EST_SITUATION_GEOJSON_EVENTS_MAX; "events_truncated" tells). */
est_result est_situation_geojson(const est_situation_query *q, json_t *doc, const est_situation_rows *rows,
                                 json_t **out);

/* The response-cache key of the query and representation (geo = GeoJSON). */
void est_situation_cache_key(const est_situation_query *q, bool geo, char *out, size_t n);

/* ---- data version buckets (cache invalidation per area and period) ------
 * The store keeps a counter per (area, local day) (sql/migrations/
 * 0070_situation_versions.sql), bumped in the writing transaction by every
 * statement that writes an event of that day: for each area the event lies
 * in, for EST_SITUATION_ALL_AREAS (every event) and, for patrols and
 * activities, for EST_SITUATION_PRESENCE (the presence around an area's hot
 * spots reads them outside the area too). A picture depends on the buckets
 * est_situation_buckets lists (plus one version of the other inputs:
 * areas, focuses, commitments, parties, categories). */
#define EST_SITUATION_ALL_AREAS 0LL
#define EST_SITUATION_PRESENCE (-1LL)
#define EST_SITUATION_BUCKETS_MAX 4

/* One range of buckets: area's days [from, to). */
typedef struct est_situation_bucket {
  long long area;
  est_date from, to;
} est_situation_bucket;

/* The buckets q's picture reads: its area (EST_SITUATION_ALL_AREAS for all)
 * over the current, previous and year-ago periods (overlapping or adjacent
 * ranges merged, sorted by from), and for one area the presence buckets of
 * the current period. Returns the number of ranges written to out. */
size_t est_situation_buckets(const est_situation_query *q, est_situation_bucket out[EST_SITUATION_BUCKETS_MAX]);

/* The buckets q's hot spots read: its area (or all areas) over the current
 * period, and for one area the presence buckets of the period (the patrols
 * and activities around its hot spots). A subset of est_situation_buckets. */
size_t est_situation_hotspot_buckets(const est_situation_query *q, est_situation_bucket out[EST_SITUATION_BUCKETS_MAX]);

/* The key of q's hot spots in the memo of their last computation (app->hotspot_cache): every
 * input that changes them (area, period, eps, min_points, exact geometry), nothing else. */
void est_situation_hotspots_key(const est_situation_query *q, char *out, size_t n);

/* true when bucket (area, day) lies in one of the ranges b[0..n). */
bool est_situation_buckets_cover(const est_situation_bucket *b, size_t n, long long area, est_date day);

/* A short text naming the ranges (equal for queries that read the same
 * buckets): the key under which version reads are shared. */
void est_situation_buckets_key(const est_situation_bucket *b, size_t n, char *out, size_t size);

#endif
