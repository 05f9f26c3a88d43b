/* store_situation.h - the SQL of the situational picture (lägesbild)
 * (store/situation.c). Every function returns JSON text built by
 * PostgreSQL (malloc'd, caller frees); privacy suppression and CompStat
 * change are applied by the caller (domain rules in situation.h). */
#ifndef ESTD_STORE_SITUATION_H
#define ESTD_STORE_SITUATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "estd/pool.h"
#include "estd/result.h"

/* Dates are local Europe/Stockholm dates "YYYY-MM-DD"; every range is
 * [from, to) (to exclusive). */
typedef struct store_situation_query {
  long long area_id;             /* 0 = all areas */
  char from[11], to[11];         /* the period */
  char prev_from[11], prev_to[11];
  char ya_from[11], ya_to[11];   /* same period a year earlier */
  const char *bucket;            /* "day" | "week" */
  double eps_m;                  /* DBSCAN eps in metres (EPSG:3006) */
  int min_points;                /* DBSCAN minpoints */
  bool detail;                   /* exact hulls (detail scope) or blurred */
  bool geo;                      /* also the GeoJSON parts (areas, events) */
  int events_limit;              /* GeoJSON events (with geo): 0 = none */
} store_situation_query;

/* Every member malloc'd (NULL when not asked for); store_situation_result_free. */
typedef struct store_situation_result {
  char *counts, *hotspots, *context; /* see store_situation_get */
  char *areas;   /* with q->geo: JSON array of the area Features */
  char *events;  /* with q->geo and events_limit > 0: up to events_limit + 1 event Point
                    Features of the period (the extra one signals truncation) */
  char *version; /* the data version of the snapshot read (store_situation_version) */
} store_situation_result;
void store_situation_result_free(store_situation_result *r);

/* The data version: a short text that changes whenever data the
 * situational picture depends on may have changed, read with one cheap
 * statement (index lookups on small tables and events_pkey, plus the
 * transaction snapshot, see store/situation.c). Equal versions mean the
 * same committed data. Caller frees *version. */
est_result store_situation_version(est_pool *pool, char **version);

/* The situational picture (each document malloc'd into *out):
 *  counts:   {"total":{count,previous,year_ago}, "by_category":[..], "by_party":[..],
 *             "series":[{start,count}], "by_weekday":[{weekday,count}], "by_hour":[{hour,count}]}
 *  hotspots: [{rank, incident_count, centroid{lat,lon}, hull (GeoJSON Polygon), by_category[..],
 *             presence{patrols{count,duration_s}, activities{..}}}] (at most 50; weighted DBSCAN
 *             over grid cells of eps / 4, see estd/hotspot.h)
 *  context:  {"area", "presence":[per area], "focuses":[..], "commitments":[..], "freshness":{..}}
 *  areas, events: the GeoJSON parts when q->geo
 *  version:  the data version of the snapshot all of them were read from.
 * EST_ENOTFOUND when area_id is given and does not exist. One pooled
 * connection, one REPEATABLE READ READ ONLY snapshot for everything. */
est_result store_situation_get(est_pool *pool, const store_situation_query *q, store_situation_result *out);

#endif
