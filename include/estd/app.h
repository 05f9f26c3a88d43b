/* app.h - the process-wide context handed to the HTTP routes and intake.
 *
 * Created once by `estd serve` before any thread starts and destroyed after
 * every thread has stopped; its pointers are therefore stable for the
 * lifetime of every request. */
#ifndef ESTD_APP_H
#define ESTD_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include "estd/config.h"
#include "estd/pool.h"

struct est_intake;
struct est_auth;
struct est_scache;
struct est_doccache;

typedef struct est_app {
  const est_config *cfg;
  est_pool *pool;                     /* the primary: writes, and every read not routed below */
  est_pool *read_pool;                /* ESTD_DATABASE_READ_URL's replica, NULL = none; reads pick via http_read_pool */
  struct est_intake *intake;          /* NULL when Kafka intake is off */
  struct est_auth *auth;              /* API-key verification, NULL = auth disabled */
  struct est_scache *situation_cache; /* rendered situational pictures, NULL = off */
  struct est_scache *hotspot_cache;   /* last computed hot spots per area and period (est_scache_put), NULL = off */
  struct est_doccache *doc_cache;     /* documents by id (store_doccache.h), NULL = off */
  atomic_bool draining;               /* set on SIGTERM: readiness fails */
  atomic_int in_flight;               /* requests currently in a handler */
  bool migrations_current;            /* checked at start and by /readyz */
} est_app;

#endif
