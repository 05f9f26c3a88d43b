/* pool.c - bounded libpq connection pool (see pool.h, db.h). */
#include "estd/db.h"
#include "estd/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/log.h"

#define EST_CONN_MAX_PREPARED 128
#define EST_POOL_IDLE_PROBE_US (5u * 1000000u)

struct est_conn {
  PGconn *pg;
  bool in_use;
  bool broken;
  uint64_t released_us; /* when it was last returned to the pool */
  int nprepared;
  const est_stmt *prepared[EST_CONN_MAX_PREPARED]; /* identity of prepared stmts */
  char last_constraint[64]; /* PG_DIAG_CONSTRAINT_NAME of the last failed statement */
};

struct est_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *conninfo;
  char options[64];
  int size;
  int acquire_timeout_ms;
  est_conn *conns;
  est_pool_stats stats;
};

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
  snprintf(p->options, sizeof p->options, "-c statement_timeout=%d", statement_timeout_ms);
  p->size = size;
  p->acquire_timeout_ms = acquire_timeout_ms;
  p->stats.size = size;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  *out = p;
  return EST_OK;
}

static void conn_close(est_conn *c) {
  if (c->pg) PQfinish(c->pg);
  c->pg = NULL;
  c->broken = false;
  c->nprepared = 0;
}

void est_pool_destroy(est_pool *p) {
  if (!p) return;
  for (int i = 0; i < p->size; i++) conn_close(&p->conns[i]);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p->conns);
  free(p->conninfo);
  free(p);
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Server notices (e.g. "already exists, skipping") are not errors; keep
 * them off stderr so the log stays one JSON object per line. */
static void notice_drop(void *arg, const char *message) {
  (void)arg;
  est_log_kv(EST_LOG_DEBUG, "database notice", "notice", message, NULL);
}

/* Opens c->pg if needed. Called without the pool lock held. */
static est_result conn_open(est_pool *p, est_conn *c) {
  if (c->pg && !c->broken && PQstatus(c->pg) == CONNECTION_OK) return EST_OK;
  conn_close(c);
  const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
  const char *vals[] = {p->conninfo, "3", p->options, "estd", NULL};
  c->pg = PQconnectdbParams(keys, vals, 1);
  if (!c->pg) return EST_ENOMEM;
  if (PQstatus(c->pg) == CONNECTION_OK) PQsetNoticeProcessor(c->pg, notice_drop, NULL);
  if (PQstatus(c->pg) != CONNECTION_OK) {
    est_log_kv(EST_LOG_WARN, "database connection failed", "error", PQerrorMessage(c->pg), NULL);
    conn_close(c);
    return EST_EUNAVAILABLE;
  }
  pthread_mutex_lock(&p->mu);
  p->stats.reconnects_total++;
  pthread_mutex_unlock(&p->mu);
  return EST_OK;
}

est_result est_pool_acquire(est_pool *p, est_conn **out) {
  uint64_t start = now_us();
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += p->acquire_timeout_ms / 1000;
  deadline.tv_nsec += (long)(p->acquire_timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
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

  /* A connection idle for a while may have been cut by a database restart
   * that happened meanwhile; PQstatus cannot tell until it is used, so
   * probe it once instead of failing the caller's first statement. */
  if (c->pg && now_us() - c->released_us > EST_POOL_IDLE_PROBE_US) {
    PGresult *r = PQexec(c->pg, "");
    if (PQresultStatus(r) != PGRES_EMPTY_QUERY || PQstatus(c->pg) != CONNECTION_OK) c->broken = true;
    PQclear(r);
  }
  est_result rc = conn_open(p, c);
  pthread_mutex_lock(&p->mu);
  if (rc != EST_OK) {
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

void est_pool_release(est_pool *p, est_conn *c) {
  if (!c) return;
  if (c->pg && (c->broken || PQstatus(c->pg) != CONNECTION_OK)) {
    conn_close(c);
  } else if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
    /* A caller left a transaction open (an error path): roll it back so the
     * next user starts clean; if that fails, drop the connection. */
    PGresult *r = PQexec(c->pg, "ROLLBACK");
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

est_result est_db_map_error(const PGresult *r) {
  const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (!st) return EST_EUNAVAILABLE; /* no SQLSTATE: the connection failed */
  if (strcmp(st, "23505") == 0) return EST_ECONFLICT;
  if (strcmp(st, "23503") == 0) return EST_ECONFLICT;
  if (strcmp(st, "23P01") == 0) return EST_ECONFLICT;
  if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) return EST_ECONFLICT;
  if (strncmp(st, "23", 2) == 0) return EST_EINVAL;
  if (strncmp(st, "22", 2) == 0) return EST_EINVAL;
  if (strcmp(st, "57014") == 0) return EST_ETIMEOUT;
  if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0 || strcmp(st, "53300") == 0)
    return EST_EUNAVAILABLE;
  return EST_EINTERNAL;
}

static bool conn_has_prepared(est_conn *c, const est_stmt *s) {
  for (int i = 0; i < c->nprepared; i++)
    if (c->prepared[i] == s) return true;
  return false;
}

static est_result result_fail(est_conn *c, PGresult *r, char sqlstate[6]) {
  est_result rc = est_db_map_error(r);
  const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (sqlstate) snprintf(sqlstate, 6, "%s", st ? st : "");
  const char *cn = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
  snprintf(c->last_constraint, sizeof c->last_constraint, "%s", cn ? cn : "");
  if (rc == EST_EUNAVAILABLE || PQstatus(c->pg) != CONNECTION_OK) {
    c->broken = true;
    rc = EST_EUNAVAILABLE;
  }
  if (rc == EST_EINTERNAL)
    est_log_kv(EST_LOG_ERROR, "database error", "sqlstate", st ? st : "",
               "error", r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), NULL);
  PQclear(r);
  return rc;
}

est_result est_db_exec(est_conn *c, const est_stmt *s, const char *const *params, PGresult **out,
                       char sqlstate[6]) {
  *out = NULL;
  if (sqlstate) sqlstate[0] = '\0';
  c->last_constraint[0] = '\0';
  if (!c->pg) return EST_EUNAVAILABLE;
  if (!conn_has_prepared(c, s)) {
    PGresult *r = PQprepare(c->pg, s->name, s->sql, s->nparams, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_fail(c, r, sqlstate);
    PQclear(r);
    if (c->nprepared < EST_CONN_MAX_PREPARED) c->prepared[c->nprepared++] = s;
    /* else: stays prepared server-side under its name; re-preparing would
     * fail, so a connection with too many statements is recycled. */
    else c->broken = true;
  }
  PGresult *r = PQexecPrepared(c->pg, s->name, s->nparams, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return result_fail(c, r, sqlstate);
  *out = r;
  return EST_OK;
}

est_result est_db_command(est_conn *c, const char *sql) {
  if (!c->pg) return EST_EUNAVAILABLE;
  PGresult *r = PQexec(c->pg, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return result_fail(c, r, NULL);
  PQclear(r);
  return EST_OK;
}

est_result est_pool_ping(est_pool *p) {
  est_conn *c;
  est_result rc = est_pool_acquire(p, &c);
  if (rc != EST_OK) return rc;
  static const est_stmt ping = {"pool_ping", "SELECT 1", 0};
  PGresult *r;
  rc = est_db_exec(c, &ping, NULL, &r, NULL);
  PQclear(r);
  est_pool_release(p, c);
  return rc;
}
