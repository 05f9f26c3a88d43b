/* places.c - the district names for the Police-feed geocoder (see
 * store_places.h). */
#include "estd/store_places.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/store_util.h"

static const est_stmt places_districts = {"places_districts",
                                          "SELECT a.id, x.name, ST_X(pt.p), ST_Y(pt.p) FROM areas a "
                                          "CROSS JOIN LATERAL (SELECT ST_PointOnSurface(a.geom) AS p) pt "
                                          "CROSS JOIN LATERAL unnest(array_prepend(a.name, a.aliases)) AS x(name) "
                                          "WHERE a.kind = 'district' AND a.archived_at IS NULL ORDER BY a.id",
                                          0};

void store_places_free(store_places *p) {
  for (size_t i = 0; i < p->n; i++) free(p->names[i]);
  free(p->names);
  free(p->v);
  memset(p, 0, sizeof *p);
}

est_result store_places_read(est_pool *pool, store_places *out) {
  memset(out, 0, sizeof *out);
  PGresult *r = NULL;
  est_result rc = store_exec1(pool, &places_districts, NULL, &r, NULL);
  if (rc != EST_OK) return rc;
  size_t n = (size_t)PQntuples(r);
  out->v = calloc(n ? n : 1, sizeof *out->v);
  out->names = calloc(n ? n : 1, sizeof *out->names);
  if (!out->v || !out->names) rc = EST_ENOMEM;
  for (size_t i = 0; i < n && rc == EST_OK; i++) {
    if (!(out->names[i] = strdup(PQgetvalue(r, (int)i, 1)))) {
      rc = EST_ENOMEM;
      break;
    }
    out->n = i + 1;
    out->v[i] = (est_place){strtoll(PQgetvalue(r, (int)i, 0), NULL, 10), out->names[i],
                            strtod(PQgetvalue(r, (int)i, 2), NULL), strtod(PQgetvalue(r, (int)i, 3), NULL)};
  }
  PQclear(r);
  if (rc != EST_OK) store_places_free(out);
  return rc;
}

/* ---- the geocoder of the admission look-ups -------------------------------- */

#define PLACES_TTL_MS 5000
static pthread_mutex_t g_places_mu = PTHREAD_MUTEX_INITIALIZER;
static store_places g_places;
static long long g_places_at = -1; /* monotonic ms of the read; -1 = never */

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

est_result store_places_geocode(void *pool, est_event *ev, const char *municipality) {
  if (!(ev->flags & EST_EVENT_FLAG_POLICE_FEED) || !ev->precision || strcmp(ev->precision, "municipality") != 0 ||
      !ev->description)
    return EST_OK;
  est_result rc = EST_OK;
  pthread_mutex_lock(&g_places_mu);
  long long now = mono_ms();
  if (g_places_at < 0 || now - g_places_at >= PLACES_TTL_MS) {
    store_places fresh;
    if ((rc = store_places_read(pool, &fresh)) == EST_OK) {
      store_places_free(&g_places);
      g_places = fresh;
      g_places_at = now;
    }
  }
  if (rc == EST_OK) est_police_geocode(ev, municipality, g_places.v, g_places.n);
  pthread_mutex_unlock(&g_places_mu);
  return rc;
}
