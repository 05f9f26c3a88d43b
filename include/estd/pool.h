/* pool.h - a bounded pool of PostgreSQL connections.
 *
 * Contract: a connection is used by one thread at a time (acquire/release).
 * Connections are opened lazily and re-opened after a failure, so the pool
 * recovers by itself when PostgreSQL restarts. acquire waits at most the
 * configured time and then returns EST_EUNAVAILABLE (mapped to 503).
 * Only store/ sees the libpq type; everyone else sees est_pool as opaque. */
#ifndef ESTD_POOL_H
#define ESTD_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include "estd/result.h"

typedef struct est_pool est_pool;
typedef struct est_conn est_conn;

typedef struct est_pool_stats {
  int size;                 /* configured maximum */
  int open;                 /* connections currently open */
  int in_use;               /* connections currently acquired */
  uint64_t acquired_total;  /* successful acquisitions */
  uint64_t timeouts_total;  /* acquisitions that gave up */
  uint64_t wait_us_total;   /* summed wait time of acquisitions */
  uint64_t reconnects_total;/* connections (re)opened */
} est_pool_stats;

/* conninfo: a libpq URL or key=value string, copied. */
est_result est_pool_create(est_pool **out, const char *conninfo, int size, int acquire_timeout_ms,
                           int statement_timeout_ms);
void est_pool_destroy(est_pool *pool);
est_result est_pool_acquire(est_pool *pool, est_conn **out);
/* Returns c to the pool; a connection whose last command failed at the
 * connection level is closed and re-opened on next use. */
void est_pool_release(est_pool *pool, est_conn *c);
void est_pool_stats_get(est_pool *pool, est_pool_stats *out);
/* Cheap liveness check used by /readyz: acquires, runs SELECT 1. */
est_result est_pool_ping(est_pool *pool);

#endif
