/* store_places.h - the names of the district areas for the Police-feed
 * geocoder (store/places.c): read from areas (names and aliases, a point
 * inside each), and the admission look-up's geocoder on a cached copy. */
#ifndef ESTD_STORE_PLACES_H
#define ESTD_STORE_PLACES_H

#include <stddef.h>

#include "estd/event.h"
#include "estd/place.h"
#include "estd/pool.h"

/* The names and aliases of the active district areas with a point inside
 * each (ST_PointOnSurface), for est_police_geocode. */
typedef struct store_places {
  est_place *v;
  size_t n;
  char **names; /* owned strings behind v[i].name */
} store_places;
est_result store_places_read(est_pool *pool, store_places *out);
void store_places_free(store_places *p);

/* The admission look-up's geocoder (est_admit_lookup.geocode, arg: the
 * pool): est_police_geocode against the district names, read at most every
 * 5 s per process (a new alias applies within 5 s). Only Police-feed events
 * at a municipality centroid with a summary cause a read. */
est_result store_places_geocode(void *pool, est_event *ev, const char *municipality);

#endif
