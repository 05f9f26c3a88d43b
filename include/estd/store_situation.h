/* store_situation.h - the rows of the situational picture (lägesbild)
 * (store/situation.c). The store only fetches: JSON text built by
 * PostgreSQL (malloc'd, caller frees), the counts (the document built from
 * the rollups' cells by situation_counts.h) and the incidents' points; the
 * clustering, privacy, CompStat changes and the document itself are the
 * domain's (situation.h), called by the route. */
#ifndef ESTD_STORE_SITUATION_H
#define ESTD_STORE_SITUATION_H

#include <stddef.h>

#include "estd/hotspot.h"
#include "estd/pool.h"
#include "estd/result.h"
#include "estd/situation.h"

/* One picture is read from one snapshot: open it (REPEATABLE READ READ
 * ONLY on one pooled connection; the data version is its first read), run
 * the reads below in any order, close it. The reads take the query of
 * situation.h: dates are local Europe/Stockholm dates, every range [from,
 * to). */
typedef struct store_situation_snap store_situation_snap;

/* Opens the snapshot of q's picture and reads its data version and
 * freshness (as store_situation_version; malloc'd), and with rows also its
 * counts and context (store_situation_counts, store_situation_context), all
 * in one round trip. EST_ENOTFOUND when q->area_id is not 0 and no such area
 * exists. */
est_result store_situation_open(est_pool *pool, const est_situation_query *q, bool rows, store_situation_snap **out,
                                char **version, char **freshness);
/* The data version of the buckets q's hot spots read
 * (est_situation_hotspot_buckets) in this snapshot: equal texts mean the
 * same hot spots. Owned by s. */
const char *store_situation_hot_version(const store_situation_snap *s);

/* Ends the snapshot (COMMIT when rc is EST_OK) and releases its
 * connection; returns rc, or the failure of the COMMIT. s may be NULL. */
est_result store_situation_close(store_situation_snap *s, est_result rc);

/* counts: {"total":{count,previous,year_ago}, "by_category":[{code, label_sv, label_en, count,
 * previous, year_ago}], "by_party":[{party_id, code, name, count, previous, year_ago}],
 * "series":[{start,count}], "by_weekday":[{weekday,name,count}], "by_hour":[{hour,count}],
 * "by_weekday_hour":[{weekday,hour,count}], "by_area":[{area_id,code,name,count}],
 * "sources":[{party_id,code,name,events,latest_occurred_at,latest_date,reported}]} and for
 * all areas "imprecise" (*out, a new reference). Every count X comes with its cell key "ck_X"
 * (estd/disclosure.h: the sum of its events' record keys mod 2^31), as do the hot spots' and
 * the presence's counts; the domain publishes them only through the policy of privacy.h.
 * From the rollups' cells (est_counts_document), or with q->from_raw the document PostgreSQL
 * builds from the raw events. Read by store_situation_open with rows; taken once
 * (EST_EINTERNAL after that or without rows). */
est_result store_situation_counts(store_situation_snap *s, const est_situation_query *q, json_t **out);

/* The period's incidents with a location, in SWEREF 99 TM (EPSG:3006)
 * metres, with their category's ordinal as the category slot and their record key: *pts
 * malloc'd (n entries, never NULL on success), *ncat one more than the
 * largest slot (0 without points). */
est_result store_situation_points(store_situation_snap *s, const est_situation_query *q, est_hs_point **pts, size_t *n,
                                  int *ncat);

/* The hot spots' details for the clusters cl[0..ncl) (ranked 1.. in that
 * order; category slots 0..ncat-1 as from store_situation_points): JSON
 * array [{rank, incident_count, centroid{lat,lon}, hull (GeoJSON Polygon in
 * WGS84; exact with q->detail, else the EST_DISCLOSURE_GRID_M grid rectangle around it,
 * the centroid the centre of its grid square), by_category[{code,
 * label_sv, label_en, count}], presence{patrols{count,duration_s},
 * activities{..}}}]. The hull is the convex hull of the cluster's
 * incidents, or a 25 m buffer of it when it is not a polygon; presence
 * counts the patrols/activities of the period whose point or track meets
 * the hull buffered by eps. */
est_result store_situation_hotspots(store_situation_snap *s, const est_situation_query *q, const est_hs_cluster *cl,
                                    int ncl, int ncat, char **out);

/* context: {"area", "presence":[per area], "focuses":[..], "commitments":[..], "freshness":{..}};
 * taken like the counts. */
est_result store_situation_context(store_situation_snap *s, char **out);

/* GeoJSON parts: the area Features (all areas, or the one), and up to
 * limit event Point Features of the period (ordered by occurred_at, id). */
est_result store_situation_geo_areas(store_situation_snap *s, const est_situation_query *q, char **out);
est_result store_situation_geo_events(store_situation_snap *s, const est_situation_query *q, int limit, char **out);

/* The data version of q's picture: a short text that changes whenever a
 * write to the (area, day) buckets it reads (est_situation_buckets) or to
 * its other inputs (areas, focuses, commitments, parties, categories)
 * commits; equal versions mean the same committed data of those buckets.
 * One cheap statement (primary-key lookups, see store/situation.c), which
 * also reads the picture's "freshness" object (JSON text: newest event
 * times, not cached). Caller frees both. */
est_result store_situation_version(est_pool *pool, const est_situation_query *q, char **version, char **freshness);

#endif
