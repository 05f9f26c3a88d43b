/* pool.c - bounded libpq connection pool (see pool.h, db.h). */
#include "estd/db.h"
#include "estd/pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/log.h"
#include "estd/util.h"

#define EST_CONN_MAX_PREPARED 128
#define EST_POOL_IDLE_PROBE_US (5u * 1000000u)
/* Cancel requests in flight at once (each a short-lived thread: PQcancel
 * blocks until the server answers, which a frozen server does not). */
#define EST_MAX_CANCELS 4
/* Connect deadline when the class has none (libpq's connect_timeout is the
 * same value). */
#define EST_CONNECT_DEFAULT_MS 3000

struct est_conn {
  PGconn *pg;
  est_pool *pool;
  bool in_use;
  bool broken;          /* close at release */
  bool dead;            /* unusable now (deadline passed, connection lost): fail fast */
  bool quiet;           /* connect failures are not logged (the replica monitor reports state changes) */
  int timeout_ms;       /* client deadline per statement, 0 = none */
  uint64_t released_us; /* when it was last returned to the pool */
  int nprepared;
  const est_stmt *prepared[EST_CONN_MAX_PREPARED]; /* identity of prepared stmts */
  char last_constraint[64];                        /* PG_DIAG_CONSTRAINT_NAME of the last failed statement */
};

/* Read routing (est_pool_attach_replica): the replica's state as the
 * monitor thread last saw it, read lock-free by every routed read. */
#define EST_LAG_SAMPLES 256
typedef struct replica_monitor {
  est_pool *replica;
  int max_lag_ms, interval_ms;
  pthread_t thread;
  bool running;
  pthread_mutex_t mu; /* stop flag + cv */
  pthread_cond_t cv;
  bool stop;
  atomic_int state;          /* est_replica_state */
  atomic_ullong replay_lsn;  /* last replayed LSN seen on the replica */
  atomic_ullong primary_lsn; /* last pg_current_wal_lsn() seen on the primary */
  atomic_llong lag_us;       /* -1 = unknown */
  atomic_ullong routed[2];   /* reads sent to [0] primary, [1] replica */
  atomic_ullong fallbacks;   /* reads that found the replica unreachable at acquire */
  atomic_ullong transitions; /* state changes */
  /* primary WAL positions by time, for the lag in seconds (monitor thread only) */
  struct {
    uint64_t t_us, lsn;
  } samples[EST_LAG_SAMPLES];
  int nsamples, head;
  est_conn mon_primary, mon_replica; /* the monitor's own connections */
} replica_monitor;

struct est_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *conninfo;
  char options[64];
  char app_name[64]; /* application_name of every connection */
  char tcp_user_timeout[16], keepalives_idle[16];
  int size;
  int acquire_timeout_ms;
  est_pool_deadlines dl;
  est_conn *conns;
  est_pool_stats stats;
  /* readiness ping: its own connection, one caller at a time */
  pthread_mutex_t ping_mu;
  est_conn ping;
  atomic_llong last_deadline_log_us;
  est_pool *fallback;       /* a replica pool: the primary to use when the replica is unreachable */
  replica_monitor *monitor; /* a primary with a read replica attached, else NULL */
  struct est_doccache *doccache;
};

/* The WAL position of this thread's last commit through est_db_commit on a
 * pool with a replica (read-your-writes token), 0 = none since the last take. */
static _Thread_local uint64_t t_commit_lsn;

static atomic_int g_cancels;

static void deadlines_apply(est_pool *p, const est_pool_deadlines *d) {
  p->dl = *d;
  snprintf(p->tcp_user_timeout, sizeof p->tcp_user_timeout, "%d", d->tcp_user_timeout_ms);
  snprintf(p->keepalives_idle, sizeof p->keepalives_idle, "%d", d->keepalives_idle_s > 0 ? d->keepalives_idle_s : 10);
}

est_result est_pool_create(est_pool **out, const char *conninfo, int size, int acquire_timeout_ms,
                           int statement_timeout_ms) {
  if (size < 1 || !conninfo) return EST_EINVAL;
  est_pool *p = calloc(1, sizeof *p);
  if (!p) return EST_ENOMEM;
  p->conninfo = strdup(conninfo);
  p->conns = calloc((size_t)size, sizeof *p->conns);
  if (!p->conninfo || !p->conns) {
    free(p->conninfo);
    free(p->conns);
    free(p);
    return EST_ENOMEM;
  }
  /* jit=off: estd's statements are short and prepared; on the partitioned
   * events tables (migration 0120) the planner's summed partition costs
   * pass jit_above_cost, and compiling the expressions of a situation
   * statement took 7 s of its 7 s (docs/BENCHMARKS.md, "Scale"). */
  snprintf(p->options, sizeof p->options, "-c statement_timeout=%d -c jit=off", statement_timeout_ms);
  p->size = size;
  p->acquire_timeout_ms = acquire_timeout_ms;
  p->stats.size = size;
  for (int i = 0; i < size; i++) p->conns[i].pool = p;
  p->ping.pool = p;
  snprintf(p->app_name, sizeof p->app_name, "estd");
  est_pool_deadlines d = {{0, 0, 0}, 1000, 10000, 10};
  deadlines_apply(p, &d);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  pthread_mutex_init(&p->ping_mu, NULL);
  *out = p;
  return EST_OK;
}

void est_pool_set_deadlines(est_pool *p, const est_pool_deadlines *d) { deadlines_apply(p, d); }

void est_pool_set_doccache(est_pool *p, struct est_doccache *dc) { p->doccache = dc; }
struct est_doccache *est_pool_doccache(est_pool *p) {
  return p->doccache;
}

void est_pool_set_name(est_pool *p, const char *application_name) {
  snprintf(p->app_name, sizeof p->app_name, "%s", application_name);
}

static void conn_close(est_conn *c) {
  if (c->pg) PQfinish(c->pg);
  c->pg = NULL;
  c->broken = false;
  c->dead = false;
  c->nprepared = 0;
}

void est_pool_destroy(est_pool *p) {
  if (!p) return;
  for (int i = 0; i < p->size; i++) conn_close(&p->conns[i]);
  conn_close(&p->ping);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->ping_mu);
  free(p->conns);
  free(p->conninfo);
  free(p);
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Absolute deadline ms from now (0 = none -> UINT64_MAX). */
static uint64_t deadline_after(int ms) { return ms > 0 ? now_us() + (uint64_t)ms * 1000u : UINT64_MAX; }

/* Server notices (e.g. "already exists, skipping") are not errors; keep
 * them off stderr so the log stays one JSON object per line. */
static void notice_drop(void *arg, const char *message) {
  (void)arg;
  est_log_kv(EST_LOG_DEBUG, "database notice", "notice", message, NULL);
}

/* Waits until c's socket is readable (or writable with want_write) or the
 * deadline passes: EST_OK, EST_ETIMEOUT, or EST_EUNAVAILABLE. */
static est_result wait_socket(PGconn *pg, uint64_t deadline, bool want_write) {
  int fd = PQsocket(pg);
  if (fd < 0) return EST_EUNAVAILABLE;
  for (;;) {
    int ms = -1;
    if (deadline != UINT64_MAX) {
      uint64_t now = now_us();
      if (now >= deadline) return EST_ETIMEOUT;
      ms = (int)((deadline - now + 999u) / 1000u);
    }
    struct pollfd pfd = {fd, (short)(POLLIN | (want_write ? POLLOUT : 0)), 0};
    int n = poll(&pfd, 1, ms);
    if (n > 0) return EST_OK;
    if (n < 0 && errno != EINTR) return EST_EUNAVAILABLE;
  }
}

static void *cancel_main(void *arg) {
  PGcancel *k = arg;
  char err[256];
  (void)PQcancel(k, err, sizeof err);
  PQfreeCancel(k);
  atomic_fetch_sub(&g_cancels, 1);
  return NULL;
}

/* The deadline passed on c: ask the server to cancel (in the background,
 * at most EST_MAX_CANCELS at once) and discard the connection. */
static void deadline_expired(est_conn *c, const char *what) {
  est_pool *p = c->pool;
  PGcancel *k = c->pg ? PQgetCancel(c->pg) : NULL;
  if (k && atomic_fetch_add(&g_cancels, 1) < EST_MAX_CANCELS) {
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, cancel_main, k) == 0) k = NULL;
    else atomic_fetch_sub(&g_cancels, 1);
    pthread_attr_destroy(&a);
  } else if (k) {
    atomic_fetch_sub(&g_cancels, 1);
  }
  if (k) PQfreeCancel(k);
  c->dead = c->broken = true;
  pthread_mutex_lock(&p->mu);
  p->stats.deadline_total++;
  pthread_mutex_unlock(&p->mu);
  /* One line per second at most: a frozen database fails every request. */
  long long now = (long long)now_us(), last = atomic_load(&p->last_deadline_log_us);
  if (now - last >= 1000000 && atomic_compare_exchange_strong(&p->last_deadline_log_us, &last, now)) {
    char ms[16];
    snprintf(ms, sizeof ms, "%d", c->timeout_ms);
    est_log_kv(EST_LOG_WARN, "database call passed its deadline; cancelled, connection discarded", "call", what,
               "#deadline_ms", ms, NULL);
  }
}

/* Opens c->pg within timeout_ms (0 = EST_CONNECT_DEFAULT_MS) without
 * blocking past it. Called without the pool lock held. */
static est_result conn_open(est_pool *p, est_conn *c, int timeout_ms) {
  if (c->pg && !c->broken && PQstatus(c->pg) == CONNECTION_OK) return EST_OK;
  conn_close(c);
  /* Keepalive defaults come before dbname so the URL can override them;
   * connect_timeout, options and application_name come after it. */
  const char *keys[] = {"keepalives",          "keepalives_idle",
                        "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout",    "dbname",
                        "connect_timeout",     "options",
                        "application_name",    NULL};
  const char *vals[] = {"1", p->keepalives_idle, "3",         "3", p->tcp_user_timeout, p->conninfo,
                        "3", p->options,         p->app_name, NULL};
  uint64_t deadline = deadline_after(timeout_ms > 0 ? timeout_ms : EST_CONNECT_DEFAULT_MS);
  c->pg = PQconnectStartParams(keys, vals, 1);
  if (!c->pg) return EST_ENOMEM;
  est_result rc = EST_OK;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (PQstatus(c->pg) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    rc = wait_socket(c->pg, deadline, st == PGRES_POLLING_WRITING);
    if (rc != EST_OK) break;
    st = PQconnectPoll(c->pg);
  }
  if (rc == EST_OK && (st != PGRES_POLLING_OK || PQstatus(c->pg) != CONNECTION_OK)) rc = EST_EUNAVAILABLE;
  if (rc == EST_OK && PQsetnonblocking(c->pg, 1) != 0) rc = EST_EUNAVAILABLE;
  if (rc != EST_OK) {
    if (rc == EST_ETIMEOUT) {
      pthread_mutex_lock(&p->mu);
      p->stats.deadline_total++;
      pthread_mutex_unlock(&p->mu);
      if (!c->quiet) est_log_kv(EST_LOG_WARN, "database connection failed", "error", "connect deadline passed", NULL);
    } else if (!c->quiet) {
      est_log_kv(EST_LOG_WARN, "database connection failed", "error", PQerrorMessage(c->pg), NULL);
    }
    conn_close(c);
    return EST_EUNAVAILABLE;
  }
  PQsetNoticeProcessor(c->pg, notice_drop, NULL);
  pthread_mutex_lock(&p->mu);
  p->stats.reconnects_total++;
  pthread_mutex_unlock(&p->mu);
  return EST_OK;
}

/* Sends what libpq has queued and collects the results of the command just
 * sent, within the deadline: the first error result if any, else the last
 * result (PQexec semantics). NULL if the connection failed or the deadline
 * passed (then c is dead and *timed_out is set). */
static PGresult *conn_await(est_conn *c, uint64_t deadline, const char *what, bool *timed_out) {
  PGconn *pg = c->pg;
  *timed_out = false;
  est_result rc = EST_OK;
  for (;;) { /* flush the request (non-blocking connection) */
    int f = PQflush(pg);
    if (f == 0) break;
    if (f < 0) goto lost;
    if ((rc = wait_socket(pg, deadline, true)) != EST_OK) goto failed;
    if (!PQconsumeInput(pg)) goto lost;
  }
  PGresult *keep = NULL;
  for (;;) {
    while (PQisBusy(pg)) {
      if ((rc = wait_socket(pg, deadline, false)) != EST_OK) {
        PQclear(keep);
        goto failed;
      }
      if (!PQconsumeInput(pg)) {
        PQclear(keep);
        goto lost;
      }
    }
    PGresult *r = PQgetResult(pg);
    if (!r) break;
    ExecStatusType st = PQresultStatus(r);
    bool keep_is_error = keep && PQresultStatus(keep) != PGRES_COMMAND_OK && PQresultStatus(keep) != PGRES_TUPLES_OK &&
                         PQresultStatus(keep) != PGRES_EMPTY_QUERY;
    if (keep_is_error) {
      PQclear(r);
    } else {
      PQclear(keep);
      keep = r;
    }
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) goto lost; /* never used */
  }
  return keep;
failed:
  if (rc == EST_ETIMEOUT) {
    *timed_out = true;
    deadline_expired(c, what);
    return NULL;
  }
lost:
  c->dead = c->broken = true;
  return NULL;
}

/* Runs sql (no parameters) on c within the deadline. */
static PGresult *conn_run(est_conn *c, const char *sql, uint64_t deadline, bool *timed_out) {
  *timed_out = false;
  if (!PQsendQuery(c->pg, sql)) {
    c->dead = c->broken = true;
    return NULL;
  }
  return conn_await(c, deadline, "command", timed_out);
}

/* An idle pooled connection has nothing to read (it LISTENs to nothing);
 * after a server shutdown it has the server's FATAL message or EOF. One
 * poll, no round trip. */
static bool conn_idle_intact(est_conn *c) {
  struct pollfd pfd = {PQsocket(c->pg), POLLIN, 0};
  return pfd.fd >= 0 && poll(&pfd, 1, 0) == 0;
}

/* Acquires one of p's own connections; *conn_failed tells a failed
 * connect (the server is unreachable) from a full pool. */
static est_result pool_acquire_own(est_pool *p, est_conn **out, bool *conn_failed) {
  *conn_failed = false;
  uint64_t start = now_us();
  struct timespec deadline = est_realtime_after_ms(p->acquire_timeout_ms);
  est_conn *c = NULL;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    /* Prefer an idle connection that is already open. */
    for (int i = 0; i < p->size && !c; i++)
      if (!p->conns[i].in_use && p->conns[i].pg) c = &p->conns[i];
    for (int i = 0; i < p->size && !c; i++)
      if (!p->conns[i].in_use) c = &p->conns[i];
    if (c) break;
    int e = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
    if (e == ETIMEDOUT) {
      p->stats.timeouts_total++;
      pthread_mutex_unlock(&p->mu);
      return EST_EUNAVAILABLE;
    }
  }
  c->in_use = true;
  p->stats.in_use++;
  pthread_mutex_unlock(&p->mu);
  c->timeout_ms = p->dl.class_ms[EST_DB_REQUEST];

  /* A connection idle for a while may have been cut by a database restart
   * that happened meanwhile; PQstatus cannot tell until it is used, so
   * probe it once instead of failing the caller's first statement. */
  est_result rc = EST_OK;
  uint64_t t0 = now_us();
  if (c->pg && p->fallback && !conn_idle_intact(c))
    c->broken = true; /* a replica that stopped: reconnect or fall back */
  if (c->pg && !c->broken && t0 - c->released_us > EST_POOL_IDLE_PROBE_US) {
    bool to;
    PGresult *r = conn_run(c, "", deadline_after(c->timeout_ms), &to);
    if (PQresultStatus(r) != PGRES_EMPTY_QUERY || PQstatus(c->pg) != CONNECTION_OK) c->broken = true;
    PQclear(r);
    if (to) rc = EST_ETIMEOUT; /* the server does not answer: do not wait again to reconnect */
  }
  if (rc == EST_OK) {
    int left = c->timeout_ms > 0 ? c->timeout_ms - (int)((now_us() - t0) / 1000u) : 0;
    rc = conn_open(p, c, c->timeout_ms > 0 ? (left > 1 ? left : 1) : 0);
  }
  pthread_mutex_lock(&p->mu);
  if (rc != EST_OK) {
    *conn_failed = true;
    if (c->dead) conn_close(c);
    c->in_use = false;
    p->stats.in_use--;
    p->stats.timeouts_total++;
    pthread_cond_signal(&p->cv);
  } else {
    p->stats.acquired_total++;
    p->stats.wait_us_total += now_us() - start;
  }
  pthread_mutex_unlock(&p->mu);
  if (rc == EST_OK) *out = c;
  return rc;
}

static void monitor_set_state(replica_monitor *m, est_replica_state st);

est_result est_pool_acquire(est_pool *p, est_conn **out) {
  bool conn_failed;
  est_result rc = pool_acquire_own(p, out, &conn_failed);
  if (rc != EST_OK && conn_failed && p->fallback) {
    /* The replica went away since the monitor's last look: this read and
     * the following ones go to the primary until the monitor sees it back. */
    replica_monitor *m = p->fallback->monitor;
    if (m) {
      monitor_set_state(m, EST_REPLICA_DOWN);
      atomic_fetch_add(&m->fallbacks, 1);
    }
    rc = pool_acquire_own(p->fallback, out, &conn_failed);
  }
  return rc;
}

void est_conn_set_class(est_conn *c, est_db_class cls) {
  if (cls >= 0 && cls < EST_DB_NCLASSES) c->timeout_ms = c->pool->dl.class_ms[cls];
}

void est_pool_release(est_pool *p, est_conn *c) {
  if (!c) return;
  p = c->pool; /* a read may have been served by the replica's primary (est_pool_acquire) */
  if (c->pg && (c->broken || c->dead || PQstatus(c->pg) != CONNECTION_OK)) {
    conn_close(c);
  } else if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
    /* A caller left a transaction open (an error path): roll it back so the
     * next user starts clean; if that fails, drop the connection. */
    bool to;
    PGresult *r = conn_run(c, "ROLLBACK", deadline_after(p->dl.class_ms[EST_DB_REQUEST]), &to);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) conn_close(c);
    PQclear(r);
  }
  c->released_us = now_us();
  pthread_mutex_lock(&p->mu);
  c->in_use = false;
  p->stats.in_use--;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

void est_pool_stats_get(est_pool *p, est_pool_stats *out) {
  pthread_mutex_lock(&p->mu);
  *out = p->stats;
  int open = 0;
  for (int i = 0; i < p->size; i++)
    if (p->conns[i].pg) open++;
  out->open = open;
  pthread_mutex_unlock(&p->mu);
}

PGconn *est_conn_pg(est_conn *c) { return c->pg; }
const char *est_conn_error(est_conn *c) { return c->pg ? PQerrorMessage(c->pg) : "not connected"; }
const char *est_conn_last_constraint(est_conn *c) { return c->last_constraint; }

est_result est_db_map_sqlstate(const char *st, bool on_replica) {
  if (!st) return EST_EUNAVAILABLE; /* no SQLSTATE: the connection failed */
  if (strcmp(st, "23505") == 0) return EST_ECONFLICT;
  if (strcmp(st, "23503") == 0) return EST_ECONFLICT;
  if (strcmp(st, "23P01") == 0) return EST_ECONFLICT;
  if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) return on_replica ? EST_EUNAVAILABLE : EST_ECONFLICT;
  if (strncmp(st, "23", 2) == 0) return EST_EINVAL;
  if (strncmp(st, "22", 2) == 0) return EST_EINVAL;
  if (strcmp(st, "57014") == 0) return EST_ETIMEOUT;
  if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0 || strcmp(st, "53300") == 0) return EST_EUNAVAILABLE;
  return EST_EINTERNAL;
}

static est_result result_fail(est_conn *c, PGresult *r, char sqlstate[6], bool timed_out) {
  if (timed_out) return EST_ETIMEOUT; /* c is dead: cancelled and discarded at release */
  const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  est_result rc = est_db_map_sqlstate(st, c->pool->fallback != NULL); /* fallback: c is a replica's */
  if (sqlstate) snprintf(sqlstate, 6, "%s", st ? st : "");
  const char *cn = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
  snprintf(c->last_constraint, sizeof c->last_constraint, "%s", cn ? cn : "");
  if (rc == EST_EUNAVAILABLE || PQstatus(c->pg) != CONNECTION_OK) {
    c->broken = true;
    if (!r || PQstatus(c->pg) != CONNECTION_OK) c->dead = true;
    rc = EST_EUNAVAILABLE;
  }
  if (rc == EST_EINTERNAL)
    est_log_kv(EST_LOG_ERROR, "database error", "sqlstate", st ? st : "", "error",
               r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), NULL);
  PQclear(r);
  return rc;
}

static bool conn_has_prepared(est_conn *c, const est_stmt *s) {
  for (int i = 0; i < c->nprepared; i++)
    if (c->prepared[i] == s) return true;
  return false;
}

/* Records that s is now prepared on c. */
static void conn_note_prepared(est_conn *c, const est_stmt *s) {
  if (c->nprepared < EST_CONN_MAX_PREPARED) c->prepared[c->nprepared++] = s;
  /* else: stays prepared server-side under its name; re-preparing would
   * fail, so a connection with too many statements is recycled. */
  else c->broken = true;
}

est_result est_db_exec(est_conn *c, const est_stmt *s, const char *const *params, PGresult **out, char sqlstate[6]) {
  *out = NULL;
  if (sqlstate) sqlstate[0] = '\0';
  c->last_constraint[0] = '\0';
  if (!c->pg || c->dead) return EST_EUNAVAILABLE;
  /* One deadline for prepare + execute. */
  uint64_t deadline = deadline_after(c->timeout_ms);
  bool to = false;
  if (!conn_has_prepared(c, s)) {
    PGresult *r =
        PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL) ? conn_await(c, deadline, s->name, &to) : NULL;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_fail(c, r, sqlstate, to);
    PQclear(r);
    conn_note_prepared(c, s);
  }
  PGresult *r = PQsendQueryPrepared(c->pg, s->name, s->nparams, params, NULL, NULL, 0)
                    ? conn_await(c, deadline, s->name, &to)
                    : NULL;
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return result_fail(c, r, sqlstate, to);
  *out = r;
  return EST_OK;
}

/* COPY input in chunks of this size: libpq buffers what it cannot send
 * yet, so bounded chunks with a flush in between keep its buffer small. */
#define EST_COPY_CHUNK 65536

/* Sends what libpq has buffered, within the deadline. */
static est_result conn_flush(est_conn *c, uint64_t deadline) {
  for (;;) {
    int f = PQflush(c->pg);
    if (f == 0) return EST_OK;
    if (f < 0) return EST_EUNAVAILABLE;
    est_result rc = wait_socket(c->pg, deadline, true);
    if (rc != EST_OK) return rc;
    if (!PQconsumeInput(c->pg)) return EST_EUNAVAILABLE;
  }
}

/* The commands of one pipeline: a prepare (of item[i]'s statement) or
 * item[i] itself. */
typedef struct batch_cmd {
  size_t item;
  bool prepare;
  bool ok;
} batch_cmd;

est_result est_db_exec_batch(est_conn *c, est_db_item *items, size_t n, char sqlstate[6]) {
  if (sqlstate) sqlstate[0] = '\0';
  c->last_constraint[0] = '\0';
  for (size_t i = 0; i < n; i++) items[i].out = NULL;
  if (n > EST_DB_BATCH_MAX) return EST_EINVAL;
  if (!c->pg || c->dead) return EST_EUNAVAILABLE;
  uint64_t deadline = deadline_after(c->timeout_ms);
  PGconn *pg = c->pg;
  if (!PQenterPipelineMode(pg)) {
    c->broken = true;
    return EST_EUNAVAILABLE;
  }
  batch_cmd cmd[2 * EST_DB_BATCH_MAX];
  size_t ncmd = 0;
  bool sent = true;
  for (size_t i = 0; i < n && sent; i++) {
    const est_stmt *s = items[i].stmt;
    bool prepare = s && !conn_has_prepared(c, s);
    for (size_t k = 0; prepare && k < ncmd; k++) /* prepared earlier in this batch */
      if (cmd[k].prepare && items[cmd[k].item].stmt == s) prepare = false;
    if (prepare) {
      sent = PQsendPrepare(pg, s->name, s->sql, s->nparams, NULL) == 1;
      cmd[ncmd++] = (batch_cmd){.item = i, .prepare = true, .ok = false};
    }
    if (sent)
      sent = s ? PQsendQueryPrepared(pg, s->name, s->nparams, items[i].params, NULL, NULL, items[i].binary ? 1 : 0) == 1
               : PQsendQueryParams(pg, items[i].sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
    cmd[ncmd++] = (batch_cmd){.item = i, .prepare = false, .ok = false};
  }
  if (!sent || !PQpipelineSync(pg)) {
    c->dead = c->broken = true;
    return EST_EUNAVAILABLE;
  }
  est_result rc = conn_flush(c, deadline);
  /* The results: each command's, then NULL; after an error the later
   * commands report PGRES_PIPELINE_ABORTED; the sync point ends them. */
  PGresult *err = NULL;
  size_t k = 0;
  while (rc == EST_OK) {
    while (rc == EST_OK && PQisBusy(pg)) {
      rc = wait_socket(pg, deadline, false);
      if (rc == EST_OK && !PQconsumeInput(pg)) rc = EST_EUNAVAILABLE;
    }
    if (rc != EST_OK) break;
    PGresult *r = PQgetResult(pg);
    if (!r) {
      k++;
      continue;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (k < ncmd && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) && !err) {
      cmd[k].ok = true;
      if (cmd[k].prepare) PQclear(r);
      else items[cmd[k].item].out = r;
    } else if (st != PGRES_PIPELINE_ABORTED && !err && k < ncmd) {
      err = r; /* the first failure */
    } else {
      PQclear(r);
    }
  }
  if (rc == EST_OK && !PQexitPipelineMode(pg)) c->broken = true; /* results left over: recycle it */
  /* Statements whose prepare succeeded are prepared on c; one whose prepare
   * failed is not (it is prepared again next time). */
  for (size_t j = 0; j < ncmd; j++) {
    const est_stmt *s = items[cmd[j].item].stmt;
    if (cmd[j].prepare && cmd[j].ok && !conn_has_prepared(c, s)) conn_note_prepared(c, s);
  }
  if (rc != EST_OK || err) {
    for (size_t i = 0; i < n; i++) {
      PQclear(items[i].out);
      items[i].out = NULL;
    }
    if (rc == EST_ETIMEOUT) {
      PQclear(err);
      deadline_expired(c, "batch");
      return EST_ETIMEOUT;
    }
    if (rc != EST_OK) {
      PQclear(err);
      c->dead = c->broken = true;
      return EST_EUNAVAILABLE;
    }
    return result_fail(c, err, sqlstate, false);
  }
  return EST_OK;
}

est_result est_db_copy_in(est_conn *c, const char *copy_sql, const void *data, size_t len, char sqlstate[6]) {
  if (sqlstate) sqlstate[0] = '\0';
  c->last_constraint[0] = '\0';
  if (!c->pg || c->dead) return EST_EUNAVAILABLE;
  uint64_t deadline = deadline_after(c->timeout_ms);
  if (!PQsendQuery(c->pg, copy_sql)) {
    c->dead = c->broken = true;
    return EST_EUNAVAILABLE;
  }
  est_result rc = conn_flush(c, deadline);
  PGresult *r = NULL;
  while (rc == EST_OK && PQisBusy(c->pg)) { /* until the COPY IN answer (or an error) */
    rc = wait_socket(c->pg, deadline, false);
    if (rc == EST_OK && !PQconsumeInput(c->pg)) rc = EST_EUNAVAILABLE;
  }
  if (rc == EST_OK) r = PQgetResult(c->pg);
  if (rc == EST_OK && PQresultStatus(r) != PGRES_COPY_IN) {
    /* refused before any data: drain the rest, report the first */
    bool to;
    PQclear(conn_await(c, deadline, "copy", &to));
    if (to) PQclear(r);
    return result_fail(c, to ? NULL : r, sqlstate, to);
  }
  PQclear(r);
  const char *p = data;
  size_t off = 0;
  bool ended = false; /* the server ended the COPY itself (an error): its result follows */
  while (rc == EST_OK && off < len && !ended) {
    size_t n = len - off < EST_COPY_CHUNK ? len - off : EST_COPY_CHUNK;
    int put = PQputCopyData(c->pg, p + off, (int)n);
    if (put < 0) ended = true;
    else if (put > 0) off += n;
    if (!ended) rc = conn_flush(c, deadline);
  }
  if (rc == EST_OK && !ended && PQputCopyEnd(c->pg, NULL) < 0) ended = true;
  if (rc != EST_OK) {
    if (rc == EST_ETIMEOUT) {
      deadline_expired(c, "copy");
      return EST_ETIMEOUT;
    }
    c->dead = c->broken = true;
    return EST_EUNAVAILABLE;
  }
  bool to;
  r = conn_await(c, deadline, "copy", &to);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_fail(c, r, sqlstate, to);
  PQclear(r);
  return EST_OK;
}

est_result est_db_command(est_conn *c, const char *sql) {
  if (!c->pg || c->dead) return EST_EUNAVAILABLE;
  bool to;
  PGresult *r = conn_run(c, sql, deadline_after(c->timeout_ms), &to);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return result_fail(c, r, NULL, to);
  PQclear(r);
  return EST_OK;
}

est_result est_pool_ping(est_pool *p) {
  int ms = p->dl.ping_ms > 0 ? p->dl.ping_ms : 1000;
  uint64_t deadline = deadline_after(ms);
  struct timespec abs = est_realtime_after_ms(ms);
  /* Another probe holds the connection: wait for it, within our deadline. */
  if (pthread_mutex_timedlock(&p->ping_mu, &abs) != 0) return EST_ETIMEOUT;
  est_conn *c = &p->ping;
  est_result rc = EST_EUNAVAILABLE;
  /* A second attempt on a fresh connection when the kept one turns out to
   * have been cut (a database restart since the last probe). */
  for (int attempt = 0; attempt < 2; attempt++) {
    bool reused = c->pg != NULL;
    uint64_t left = now_us() < deadline ? deadline - now_us() : 0;
    if (left < 1000u) {
      rc = EST_ETIMEOUT;
      break;
    }
    c->timeout_ms = (int)(left / 1000u);
    rc = conn_open(p, c, c->timeout_ms);
    if (rc == EST_OK) {
      left = now_us() < deadline ? deadline - now_us() : 0;
      c->timeout_ms = left > 1000u ? (int)(left / 1000u) : 1;
      static const est_stmt ping = {"pool_ping", "SELECT 1", 0};
      PGresult *r;
      rc = est_db_exec(c, &ping, NULL, &r, NULL);
      PQclear(r);
    }
    if (c->broken || c->dead) conn_close(c);
    if (rc != EST_EUNAVAILABLE || !reused) break;
  }
  pthread_mutex_unlock(&p->ping_mu);
  return rc;
}

/* ---- read routing ---------------------------------------------------------- */

/* n (1..8) hex digits at s, the whole run; into *out. */
static bool lsn_half(const char *s, size_t n, uint64_t *out) {
  if (n < 1 || n > 8 || strspn(s, "0123456789ABCDEFabcdef") != n) return false;
  *out = strtoull(s, NULL, 16);
  return true;
}

bool est_lsn_parse(const char *s, uint64_t *out) {
  const char *slash = s ? strchr(s, '/') : NULL;
  uint64_t hi, lo;
  if (!slash || !lsn_half(s, (size_t)(slash - s), &hi) || !lsn_half(slash + 1, strlen(slash + 1), &lo)) return false;
  *out = hi << 32 | lo;
  return true;
}

void est_lsn_format(uint64_t lsn, char buf[24]) {
  snprintf(buf, 24, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

uint64_t est_db_commit_lsn_take(void) {
  uint64_t v = t_commit_lsn;
  t_commit_lsn = 0;
  return v;
}

est_result est_db_commit(est_conn *c) {
  if (!c->pool->monitor) return est_db_command(c, "COMMIT");
  if (!c->pg || c->dead) return EST_EUNAVAILABLE;
  /* One round trip: the commit, then (its own implicit transaction) the
   * WAL position just past the commit record. Should the SELECT alone fail
   * the commit has happened and only the token is lost: then nothing is
   * recorded and the caller's later reads simply go to the primary. */
  bool to;
  PGresult *r = conn_run(c, "COMMIT; SELECT pg_current_wal_lsn()::text", deadline_after(c->timeout_ms), &to);
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_TUPLES_OK) {
    uint64_t lsn;
    if (PQntuples(r) == 1 && est_lsn_parse(PQgetvalue(r, 0, 0), &lsn) && lsn > t_commit_lsn) t_commit_lsn = lsn;
    PQclear(r);
    return EST_OK;
  }
  if (st == PGRES_COMMAND_OK) { /* COMMIT answered, the SELECT's result missing: committed */
    PQclear(r);
    return EST_OK;
  }
  return result_fail(c, r, NULL, to);
}

const char *est_replica_state_name(est_replica_state st) {
  switch (st) {
  case EST_REPLICA_OK: return "ok";
  case EST_REPLICA_LAGGING: return "lagging";
  case EST_REPLICA_DOWN: return "down";
  default: return "starting";
  }
}

static void monitor_set_state(replica_monitor *m, est_replica_state st) {
  int old = atomic_exchange(&m->state, (int)st);
  if (old == (int)st) return;
  atomic_fetch_add(&m->transitions, 1);
  char lag[32] = "unknown";
  long long l = atomic_load(&m->lag_us);
  if (l >= 0) snprintf(lag, sizeof lag, "%.3f", (double)l / 1e6);
  est_log_kv(st == EST_REPLICA_OK ? EST_LOG_INFO : EST_LOG_WARN, "read replica state changed", "from",
             est_replica_state_name((est_replica_state)old), "to", est_replica_state_name(st), "#lag_s",
             l >= 0 ? lag : "null", NULL);
}

/* Runs the monitor's parameterless statement s on its own connection c of
 * pool p within ms; the connection is closed again after a failure. */
static est_result monitor_query(est_pool *p, est_conn *c, const est_stmt *s, int ms, PGresult **r) {
  *r = NULL;
  est_result rc = conn_open(p, c, ms);
  if (rc == EST_OK) {
    c->timeout_ms = ms;
    rc = est_db_exec(c, s, NULL, r, NULL);
  }
  if (c->broken || c->dead) conn_close(c);
  return rc;
}

/* How long ago the primary was first seen past the replica's replay
 * position: the replica's lag in µs (0 when it has replayed everything the
 * primary had written at the last sample). */
static long long monitor_lag_us(const replica_monitor *m, uint64_t replay, uint64_t now) {
  for (int k = 0; k < m->nsamples; k++) {
    int i = (m->head - m->nsamples + k + EST_LAG_SAMPLES) % EST_LAG_SAMPLES;
    if (m->samples[i].lsn > replay) return (long long)(now - m->samples[i].t_us);
  }
  return 0;
}

static void monitor_tick(est_pool *primary, replica_monitor *m) {
  int ms = primary->dl.ping_ms > 0 ? primary->dl.ping_ms : 1000;
  static const est_stmt primary_pos = {"replica_primary_lsn", "SELECT pg_current_wal_lsn()::text", 0};
  static const est_stmt replica_pos = {
      "replica_replay_lsn", "SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn(), '0/0')::text", 0};
  PGresult *r;
  uint64_t lsn;
  bool have_primary = false;
  if (monitor_query(primary, &m->mon_primary, &primary_pos, ms, &r) == EST_OK && PQntuples(r) == 1 &&
      est_lsn_parse(PQgetvalue(r, 0, 0), &lsn)) {
    have_primary = true;
    atomic_store(&m->primary_lsn, lsn);
    int last = (m->head - 1 + EST_LAG_SAMPLES) % EST_LAG_SAMPLES;
    if (m->nsamples == 0 || m->samples[last].lsn != lsn) { /* only positions the primary newly reached */
      m->samples[m->head].t_us = now_us();
      m->samples[m->head].lsn = lsn;
      m->head = (m->head + 1) % EST_LAG_SAMPLES;
      if (m->nsamples < EST_LAG_SAMPLES) m->nsamples++;
    }
  }
  PQclear(r);
  est_result rc = monitor_query(m->replica, &m->mon_replica, &replica_pos, ms, &r);
  bool standby =
      rc == EST_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't' && est_lsn_parse(PQgetvalue(r, 0, 1), &lsn);
  PQclear(r);
  if (!standby) { /* unreachable, or promoted (no longer following this primary) */
    atomic_store(&m->lag_us, -1);
    monitor_set_state(m, EST_REPLICA_DOWN);
    return;
  }
  atomic_store(&m->replay_lsn, lsn);
  /* Without a primary position the lag is unknown; the replica still serves
   * (the primary is then unreachable for the reads anyway). */
  long long lag = have_primary || m->nsamples ? monitor_lag_us(m, lsn, now_us()) : -1;
  atomic_store(&m->lag_us, lag);
  monitor_set_state(m, lag > (long long)m->max_lag_ms * 1000 ? EST_REPLICA_LAGGING : EST_REPLICA_OK);
}

static void *monitor_main(void *arg) {
  est_pool *primary = arg;
  replica_monitor *m = primary->monitor;
  pthread_mutex_lock(&m->mu);
  while (!m->stop) {
    pthread_mutex_unlock(&m->mu);
    monitor_tick(primary, m);
    pthread_mutex_lock(&m->mu);
    if (m->stop) break;
    struct timespec ts = est_realtime_after_ms(m->interval_ms);
    pthread_cond_timedwait(&m->cv, &m->mu, &ts);
  }
  pthread_mutex_unlock(&m->mu);
  conn_close(&m->mon_primary);
  conn_close(&m->mon_replica);
  return NULL;
}

est_result est_pool_attach_replica(est_pool *primary, est_pool *replica, int max_lag_ms, int interval_ms) {
  if (!primary || !replica || primary->monitor || interval_ms < 1) return EST_EINVAL;
  replica_monitor *m = calloc(1, sizeof *m);
  if (!m) return EST_ENOMEM;
  m->replica = replica;
  m->max_lag_ms = max_lag_ms;
  m->interval_ms = interval_ms;
  m->mon_primary.pool = primary;
  m->mon_replica.pool = replica;
  m->mon_primary.quiet = m->mon_replica.quiet = true;
  atomic_store(&m->lag_us, -1);
  atomic_store(&m->state, EST_REPLICA_STARTING);
  pthread_mutex_init(&m->mu, NULL);
  pthread_cond_init(&m->cv, NULL);
  replica->fallback = primary;
  primary->monitor = m;
  if (pthread_create(&m->thread, NULL, monitor_main, primary) != 0) {
    primary->monitor = NULL;
    replica->fallback = NULL;
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return EST_EINTERNAL;
  }
  m->running = true;
  return EST_OK;
}

void est_pool_detach_replica(est_pool *primary) {
  replica_monitor *m = primary ? primary->monitor : NULL;
  if (!m) return;
  pthread_mutex_lock(&m->mu);
  m->stop = true;
  pthread_cond_signal(&m->cv);
  pthread_mutex_unlock(&m->mu);
  if (m->running) pthread_join(m->thread, NULL);
  primary->monitor = NULL;
  m->replica->fallback = NULL;
  pthread_cond_destroy(&m->cv);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

est_pool *est_pool_for_read(est_pool *primary, uint64_t min_lsn) {
  replica_monitor *m = primary ? primary->monitor : NULL;
  if (!m) return primary;
  bool replica = atomic_load(&m->state) == EST_REPLICA_OK && (min_lsn == 0 || atomic_load(&m->replay_lsn) >= min_lsn);
  atomic_fetch_add(&m->routed[replica ? 1 : 0], 1);
  return replica ? m->replica : primary;
}

void est_pool_replica_status(est_pool *primary, est_replica_status *out) {
  memset(out, 0, sizeof *out);
  out->lag_s = -1;
  replica_monitor *m = primary ? primary->monitor : NULL;
  if (!m) return;
  out->configured = true;
  out->state = (est_replica_state)atomic_load(&m->state);
  long long l = atomic_load(&m->lag_us);
  out->lag_s = l >= 0 ? (double)l / 1e6 : -1;
  out->max_lag_s = (double)m->max_lag_ms / 1000.0;
  out->replay_lsn = atomic_load(&m->replay_lsn);
  out->primary_lsn = atomic_load(&m->primary_lsn);
  out->reads_primary = atomic_load(&m->routed[0]);
  out->reads_replica = atomic_load(&m->routed[1]);
  out->fallbacks = atomic_load(&m->fallbacks);
  out->transitions = atomic_load(&m->transitions);
  est_pool_stats_get(m->replica, &out->pool);
}
