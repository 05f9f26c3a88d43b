/* pool.h - a bounded pool of PostgreSQL connections.
 *
 * Contract: a connection is used by one thread at a time (acquire/release).
 * Connections are opened lazily and re-opened after a failure, so the pool
 * recovers by itself when PostgreSQL restarts. acquire waits at most the
 * configured time and then returns EST_EUNAVAILABLE (mapped to 503).
 * Only store/ sees the libpq type; everyone else sees est_pool as opaque.
 *
 * Deadlines (docs/OPERATIONS.md "Database deadlines"): every connection has
 * TCP keepalives and tcp_user_timeout; every statement (and every connect)
 * runs with a client-side deadline of its connection's class. A statement
 * that does not answer in time is cancelled (PQcancel, in the background)
 * and its connection discarded; the call returns EST_ETIMEOUT (503). */
#ifndef ESTD_POOL_H
#define ESTD_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include "estd/result.h"

typedef struct est_pool est_pool;
typedef struct est_conn est_conn;

typedef struct est_pool_stats {
  int size;                  /* configured maximum */
  int open;                  /* connections currently open */
  int in_use;                /* connections currently acquired */
  uint64_t acquired_total;   /* successful acquisitions */
  uint64_t timeouts_total;   /* acquisitions that gave up */
  uint64_t wait_us_total;    /* summed wait time of acquisitions */
  uint64_t reconnects_total; /* connections (re)opened */
  uint64_t deadline_total;   /* statements or connects that ran past their deadline */
} est_pool_stats;

/* Deadline classes: a connection is REQUEST after acquire; store code
 * switches it with est_conn_set_class for longer work. */
typedef enum est_db_class {
  EST_DB_REQUEST = 0, /* HTTP reads and writes: ESTD_DB_QUERY_TIMEOUT_MS */
  EST_DB_INTAKE = 1,  /* Kafka intake batches: ESTD_DB_INTAKE_TIMEOUT_MS */
  EST_DB_MAINT = 2,   /* migrations, seed (operator commands): no client deadline */
  EST_DB_NCLASSES
} est_db_class;

/* Client-side deadlines in ms per class (0 = none) and socket settings. */
typedef struct est_pool_deadlines {
  int class_ms[EST_DB_NCLASSES];
  int ping_ms;             /* est_pool_ping (readiness) */
  int tcp_user_timeout_ms; /* libpq tcp_user_timeout (0 = kernel default) */
  int keepalives_idle_s;   /* libpq keepalives_idle */
} est_pool_deadlines;

/* conninfo: a libpq URL or key=value string, copied. */
est_result est_pool_create(est_pool **out, const char *conninfo, int size, int acquire_timeout_ms,
                           int statement_timeout_ms);
/* Replaces the deadlines (before the pool is used; the defaults after
 * create are: no client deadline, 1 s ping, tcp_user_timeout 10 s). */
void est_pool_set_deadlines(est_pool *pool, const est_pool_deadlines *d);
void est_pool_destroy(est_pool *pool);
est_result est_pool_acquire(est_pool *pool, est_conn **out);
/* Returns c to the pool; a connection whose last command failed at the
 * connection level is closed and re-opened on next use. */
void est_pool_release(est_pool *pool, est_conn *c);
void est_pool_stats_get(est_pool *pool, est_pool_stats *out);
/* Readiness check: SELECT 1 on a dedicated connection (not the pool, so a
 * busy pool does not read as a dead database), answered within the ping
 * deadline or EST_ETIMEOUT. Concurrent callers share that connection. */
est_result est_pool_ping(est_pool *pool);
/* application_name of the pool's connections from now on ("estd" by
 * default): tells the pools apart in pg_stat_activity. */
void est_pool_set_name(est_pool *pool, const char *application_name);

/* The document cache attached to a pool (store_doccache.h), NULL = none. */
struct est_doccache;
void est_pool_set_doccache(est_pool *pool, struct est_doccache *dc);
struct est_doccache *est_pool_doccache(est_pool *pool);

/* ---- read routing (docs/ARCHITECTURE.md "Reads that scale out") ----------
 * A primary pool may have a second pool on a streaming replica attached. A
 * monitor thread (own connections, every interval_ms) reads the primary's
 * WAL position and the replica's replay position; the replica's lag is how
 * long ago the primary was first seen past what the replica has replayed.
 * est_pool_for_read hands out the replica while it is reachable, a standby,
 * and lags at most max_lag_ms, and (min_lsn, a read-your-writes token)
 * has replayed at least min_lsn as last seen; else the primary. A read on
 * the replica whose connect fails is served by the primary instead (in
 * est_pool_acquire) and marks the replica down until the monitor sees it
 * back. Writes always use the primary pool itself. */
typedef enum est_replica_state {
  EST_REPLICA_STARTING = 0, /* not checked yet: reads go to the primary */
  EST_REPLICA_OK,
  EST_REPLICA_LAGGING, /* lag over the limit: reads go to the primary */
  EST_REPLICA_DOWN,    /* unreachable or not a standby: reads go to the primary */
} est_replica_state;

typedef struct est_replica_status {
  bool configured; /* a replica is attached (the rest is zero otherwise) */
  est_replica_state state;
  double lag_s, max_lag_s;               /* lag_s -1 = unknown */
  uint64_t replay_lsn, primary_lsn;      /* as last seen by the monitor */
  uint64_t reads_replica, reads_primary; /* routing decisions of est_pool_for_read */
  uint64_t fallbacks;                    /* replica reads served by the primary at acquire */
  uint64_t transitions;                  /* state changes */
  est_pool_stats pool;                   /* the replica pool's own counters */
} est_replica_status;

/* Attaches replica (a pool created on ESTD_DATABASE_READ_URL) to primary
 * and starts the monitor; detach stops it (before destroying either pool). */
est_result est_pool_attach_replica(est_pool *primary, est_pool *replica, int max_lag_ms, int interval_ms);
void est_pool_detach_replica(est_pool *primary);
/* The pool a read should use (see above); primary itself without replica. */
est_pool *est_pool_for_read(est_pool *primary, uint64_t min_lsn);
void est_pool_replica_status(est_pool *primary, est_replica_status *out);
const char *est_replica_state_name(est_replica_state st);

/* Read-your-writes token: the WAL position just past the last commit this
 * thread made (est_db_commit on a primary with a replica attached) since
 * the previous take, 0 = none; the take resets it. */
uint64_t est_db_commit_lsn_take(void);
/* PostgreSQL's LSN text "16/B374D848" <-> its 64-bit value; parse accepts
 * 1-8 hex digits on each side of the slash and nothing else. */
bool est_lsn_parse(const char *text, uint64_t *out);
void est_lsn_format(uint64_t lsn, char buf[24]);

#endif
