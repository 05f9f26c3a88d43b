/* doccache.c - documents by id, cached in process and invalidated by
 * LISTEN/NOTIFY; the contract and why it never serves a stale document
 * are in store_doccache.h. */
#include "estd/store_doccache.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "estd/db.h"
#include "estd/log.h"
#include "estd/store_util.h"
#include "estd/util.h"

#define RESOURCE_MAX 32

/* A cached body, shared by the slot and the hits copying it (outside the lock). */
typedef struct body {
  atomic_int refs;
  size_t len;
  char json[];
} body;

static void body_unref(body *b) {
  if (b && atomic_fetch_sub(&b->refs, 1) == 1) free(b);
}

typedef struct slot {
  char resource[RESOURCE_MAX]; /* "" = empty */
  long long id;
  long long version;
  body *b;      /* NULL = empty */
  uint64_t gen; /* bumped by every notification that maps here: fills begun before it are dropped */
} slot;

struct est_doccache {
  est_pool *pool;     /* the primary this cache is attached to */
  est_pool *listen;   /* one connection: the listener's */
  pthread_mutex_t mu; /* the slots, bytes, counters; epoch and listening are written under it */
  slot *slots;
  size_t nslots, bytes, max_bytes;
  atomic_uint_fast64_t epoch; /* bumped at every (re)connect and loss: everything cached before is gone */
  atomic_bool listening;      /* connected, LISTENing, flushed since */
  /* The barrier, under its own lock so that its waiters (woken together)
   * do not queue behind the slot table. Lock order: conn_mu, then mu or sync_mu. */
  pthread_mutex_t sync_mu;
  pthread_cond_t cv;     /* barrier completed, or the listener's state changed */
  uint64_t sync_started; /* barriers sent */
  uint64_t sync_done;    /* the newest barrier whose notification came back */
  uint64_t syncs;        /* barriers completed (counter) */
  bool leading;          /* a request thread is running a barrier on the connection */
  int wait_ms, retry_ms;
  /* The listen connection: used by one thread at a time under conn_mu (the
   * listener thread draining notifications while idle, or the request
   * thread leading a barrier); only the listener thread opens and closes it. */
  pthread_mutex_t conn_mu;
  est_conn *conn;
  bool lost;   /* a leader found the connection broken: the listener replaces it */
  int wake[2]; /* pipe: lost, or stop */
  bool stop;
  pthread_t thread;
  est_metrics_doc_cache n;
};

static uint64_t slot_hash(const char *resource, long long id) {
  uint64_t h = 1469598103934665603u; /* FNV-1a over the resource, then the id mixed in */
  for (const char *p = resource; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211u;
  h ^= (uint64_t)id * 0x9E3779B97F4A7C15u;
  return h ^ (h >> 29);
}

static slot *slot_of(est_doccache *dc, const char *resource, long long id) {
  return &dc->slots[slot_hash(resource, id) % dc->nslots];
}

static void slot_clear(est_doccache *dc, slot *s) {
  dc->bytes -= s->b->len;
  body_unref(s->b);
  s->b = NULL;
  s->resource[0] = '\0';
}

static bool slot_holds(const slot *s, const char *resource, long long id) {
  return s->b && s->id == id && strcmp(s->resource, resource) == 0;
}

/* Called with mu held. */
static void flush_all(est_doccache *dc) {
  for (size_t i = 0; i < dc->nslots; i++)
    if (dc->slots[i].b) slot_clear(dc, &dc->slots[i]);
  atomic_fetch_add(&dc->epoch, 1);
}

/* "<resource>:<id>" from estd_doc: drop the entry, fence fills in flight. */
static void invalidate(est_doccache *dc, const char *payload) {
  const char *colon = strrchr(payload, ':');
  if (!colon || colon == payload || (size_t)(colon - payload) >= RESOURCE_MAX) return;
  char res[RESOURCE_MAX];
  memcpy(res, payload, (size_t)(colon - payload));
  res[colon - payload] = '\0';
  char *end;
  long long id = strtoll(colon + 1, &end, 10);
  if (*end) return;
  pthread_mutex_lock(&dc->mu);
  slot *s = slot_of(dc, res, id);
  s->gen++;
  if (slot_holds(s, res, id)) slot_clear(dc, s);
  dc->n.invalidations++;
  pthread_mutex_unlock(&dc->mu);
}

static void set_listening(est_doccache *dc, bool on) {
  pthread_mutex_lock(&dc->mu);
  flush_all(dc); /* on loss: what is cached can no longer be kept right; on connect: notifications were missed */
  atomic_store(&dc->listening, on);
  dc->n.listening = on;
  pthread_mutex_unlock(&dc->mu);
  pthread_mutex_lock(&dc->sync_mu); /* waiters re-check listening and epoch */
  pthread_cond_broadcast(&dc->cv);
  pthread_mutex_unlock(&dc->sync_mu);
}

/* Applies every notification libpq has buffered on c; false if the
 * connection is lost. */
static bool drain(est_doccache *dc, est_conn *c) {
  PGconn *pg = est_conn_pg(c);
  if (!PQconsumeInput(pg)) return false;
  int me = PQbackendPID(pg);
  PGnotify *nt;
  while ((nt = PQnotifies(pg)) != NULL) {
    if (strcmp(nt->relname, "estd_doc") == 0) {
      invalidate(dc, nt->extra);
    } else if (nt->be_pid == me) { /* estd_sync: our own barrier (other instances' are not ours) */
      uint64_t n = strtoull(nt->extra, NULL, 10);
      pthread_mutex_lock(&dc->sync_mu);
      if (n > dc->sync_done) dc->sync_done = n;
      dc->syncs++;
      pthread_cond_broadcast(&dc->cv);
      pthread_mutex_unlock(&dc->sync_mu);
    }
    PQfreemem(nt);
  }
  return PQstatus(pg) == CONNECTION_OK;
}

static const est_stmt sync_stmt = {"doccache_sync", "SELECT pg_notify('estd_sync', $1)", 1};

/* Barrier n on c (conn_mu held): NOTIFY our own channel; its notification
 * comes back with the result (or after the entries queued before it, should
 * a writer still be committing), and drain applies everything before it. */
static bool run_barrier(est_doccache *dc, est_conn *c, uint64_t n) {
  char nb[24];
  const char *params[1] = {nb};
  snprintf(nb, sizeof nb, "%llu", (unsigned long long)n);
  PGresult *r;
  est_result rc = est_db_exec(c, &sync_stmt, params, &r, NULL);
  PQclear(r);
  return rc == EST_OK && drain(dc, c);
}

static void wake_listener(est_doccache *dc) {
  ssize_t w = write(dc->wake[1], "x", 1);
  (void)w;
}

/* The connection is gone (conn_mu held): bypass the cache from now on and
 * let the listener thread reconnect. */
static void conn_lost(est_doccache *dc) {
  if (dc->lost) return;
  dc->lost = true;
  set_listening(dc, false);
  wake_listener(dc);
}

/* Waits until the wake pipe or fd is readable, at most ms. */
static void wait_events(est_doccache *dc, int fd, int ms) {
  struct pollfd pfd[2] = {{dc->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
  if (poll(pfd, fd >= 0 ? 2 : 1, ms) > 0 && (pfd[0].revents & POLLIN)) {
    char buf[64];
    while (read(dc->wake[0], buf, sizeof buf) > 0) {
    }
  }
}

/* Waits the reconnect delay (wake-ups for anything but stop do not shorten it). */
static void retry_pause(est_doccache *dc) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    long left = dc->retry_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
    pthread_mutex_lock(&dc->mu);
    bool stop = dc->stop;
    pthread_mutex_unlock(&dc->mu);
    if (left <= 0 || stop) return;
    wait_events(dc, -1, (int)left);
  }
}

/* Opens and LISTENs the connection; true when it is in effect. */
static bool listener_connect(est_doccache *dc) {
  est_conn *c;
  if (est_pool_acquire(dc->listen, &c) != EST_OK) return false;
  /* The barrier's commit need not wait for the disk: it writes nothing but its notification. */
  if (est_db_command(c, "SET synchronous_commit = off") != EST_OK ||
      est_db_command(c, "LISTEN estd_doc; LISTEN estd_sync") != EST_OK) {
    est_pool_release(dc->listen, c);
    return false;
  }
  pthread_mutex_lock(&dc->conn_mu);
  dc->conn = c;
  dc->lost = false;
  set_listening(dc, true); /* LISTEN is in effect: flush what may have been missed before */
  pthread_mutex_unlock(&dc->conn_mu);
  est_log_kv(EST_LOG_INFO, "document cache listening", NULL);
  return true;
}

/* Keeps the connection: opens it, applies notifications while no barrier
 * runs, replaces it when lost. */
static void *listener_main(void *arg) {
  est_doccache *dc = arg;
  for (;;) {
    pthread_mutex_lock(&dc->mu);
    bool stop = dc->stop;
    pthread_mutex_unlock(&dc->mu);
    if (stop) break;
    if (!dc->conn) { /* only this thread sets conn */
      if (!listener_connect(dc)) retry_pause(dc);
      continue;
    }
    wait_events(dc, PQsocket(est_conn_pg(dc->conn)), 1000);
    pthread_mutex_lock(&dc->conn_mu);
    if (!dc->lost && !drain(dc, dc->conn)) conn_lost(dc);
    est_conn *gone = NULL;
    if (dc->lost) {
      gone = dc->conn;
      dc->conn = NULL;
    }
    pthread_mutex_unlock(&dc->conn_mu);
    if (gone) {
      est_log_kv(EST_LOG_WARN, "document cache listener lost its connection; cache bypassed until it reconnects", NULL);
      est_pool_release(dc->listen, gone); /* broken: closed */
      retry_pause(dc);
    }
  }
  if (dc->conn) est_pool_release(dc->listen, dc->conn);
  dc->conn = NULL;
  set_listening(dc, false);
  return NULL;
}

est_result store_doccache_start(est_doccache **out, est_pool *pool, const char *conninfo, const est_pool_deadlines *dl,
                                size_t entries, size_t max_bytes, int wait_ms, int retry_ms) {
  *out = NULL;
  if (entries == 0) return EST_OK;
  est_doccache *dc = calloc(1, sizeof *dc);
  if (!dc) return EST_ENOMEM;
  dc->slots = calloc(entries, sizeof *dc->slots);
  if (!dc->slots || pipe(dc->wake) != 0) {
    free(dc->slots);
    free(dc);
    return EST_ENOMEM;
  }
  fcntl(dc->wake[0], F_SETFL, O_NONBLOCK);
  fcntl(dc->wake[1], F_SETFL, O_NONBLOCK);
  dc->pool = pool;
  dc->nslots = entries;
  dc->max_bytes = max_bytes;
  dc->wait_ms = wait_ms;
  dc->retry_ms = retry_ms;
  est_result rc = est_pool_create(&dc->listen, conninfo, 1, 1000, 0);
  if (rc == EST_OK) {
    est_pool_set_deadlines(dc->listen, dl);
    est_pool_set_name(dc->listen, "estd-listen");
  }
  pthread_mutex_init(&dc->mu, NULL);
  pthread_mutex_init(&dc->sync_mu, NULL);
  pthread_mutex_init(&dc->conn_mu, NULL);
  pthread_cond_init(&dc->cv, NULL);
  if (rc != EST_OK || pthread_create(&dc->thread, NULL, listener_main, dc) != 0) {
    est_pool_destroy(dc->listen);
    pthread_cond_destroy(&dc->cv);
    pthread_mutex_destroy(&dc->mu);
    pthread_mutex_destroy(&dc->sync_mu);
    pthread_mutex_destroy(&dc->conn_mu);
    close(dc->wake[0]);
    close(dc->wake[1]);
    free(dc->slots);
    free(dc);
    return rc != EST_OK ? rc : EST_EINTERNAL;
  }
  est_pool_set_doccache(pool, dc);
  *out = dc;
  return EST_OK;
}

void store_doccache_stop(est_doccache *dc) {
  if (!dc) return;
  est_pool_set_doccache(dc->pool, NULL);
  pthread_mutex_lock(&dc->mu);
  dc->stop = true;
  pthread_mutex_unlock(&dc->mu);
  wake_listener(dc);
  pthread_join(dc->thread, NULL);
  for (size_t i = 0; i < dc->nslots; i++) body_unref(dc->slots[i].b);
  free(dc->slots);
  est_pool_destroy(dc->listen);
  close(dc->wake[0]);
  close(dc->wake[1]);
  pthread_cond_destroy(&dc->cv);
  pthread_mutex_destroy(&dc->mu);
  pthread_mutex_destroy(&dc->sync_mu);
  pthread_mutex_destroy(&dc->conn_mu);
  free(dc);
}

void store_doccache_counters(est_doccache *dc, est_metrics_doc_cache *out) {
  pthread_mutex_lock(&dc->mu);
  *out = dc->n;
  pthread_mutex_unlock(&dc->mu);
  pthread_mutex_lock(&dc->sync_mu);
  out->syncs = dc->syncs;
  pthread_mutex_unlock(&dc->sync_mu);
}

/* Waits for a barrier that begins after now; false if the listener is not
 * in sync or no barrier completes in time. The first waiter when none runs
 * leads one itself on the listen connection (no hand-off to another
 * thread); the others wait for it, and one of those still waiting for a
 * later one leads next. */
static bool barrier(est_doccache *dc) {
  pthread_mutex_lock(&dc->sync_mu);
  uint64_t need = dc->sync_started + 1, epoch = atomic_load(&dc->epoch);
  struct timespec ts = est_realtime_after_ms(dc->wait_ms);
  while (dc->sync_done < need && atomic_load(&dc->listening) && atomic_load(&dc->epoch) == epoch) {
    if (!dc->leading) {
      dc->leading = true;
      uint64_t n = ++dc->sync_started;
      pthread_mutex_unlock(&dc->sync_mu);
      pthread_mutex_lock(&dc->conn_mu); /* after sync_mu is released: drain takes it */
      if (dc->conn && !dc->lost && !run_barrier(dc, dc->conn, n)) conn_lost(dc);
      pthread_mutex_unlock(&dc->conn_mu);
      pthread_mutex_lock(&dc->sync_mu);
      dc->leading = false;
      pthread_cond_broadcast(&dc->cv);
      continue;
    }
    if (pthread_cond_timedwait(&dc->cv, &dc->sync_mu, &ts) == ETIMEDOUT) break;
  }
  bool ok = dc->sync_done >= need && atomic_load(&dc->listening) && atomic_load(&dc->epoch) == epoch;
  pthread_mutex_unlock(&dc->sync_mu);
  return ok;
}

est_result store_doc_by_id_cached(est_pool *pool, const char *resource, const est_stmt *stmt, long long id,
                                  est_doc *out) {
  est_doccache *dc = est_pool_doccache(pool);
  if (!dc || strlen(resource) >= RESOURCE_MAX) return store_doc_by_id(pool, stmt, id, out);
  slot *s = slot_of(dc, resource, id);
  pthread_mutex_lock(&dc->mu);
  bool cached = slot_holds(s, resource, id);
  pthread_mutex_unlock(&dc->mu);
  /* Only a possible hit waits for the barrier; a miss reads the database anyway. */
  bool synced = cached ? barrier(dc) : atomic_load(&dc->listening);
  if (synced && cached) {
    body *b = NULL;
    pthread_mutex_lock(&dc->mu);
    if (slot_holds(s, resource, id)) { /* still: not invalidated during the barrier */
      b = s->b;
      atomic_fetch_add(&b->refs, 1);
      out->version = s->version;
      dc->n.hits++;
    }
    pthread_mutex_unlock(&dc->mu);
    if (b) {
      out->json = malloc(b->len + 1);
      if (out->json) memcpy(out->json, b->json, b->len + 1);
      body_unref(b);
      return out->json ? EST_OK : EST_ENOMEM;
    }
  }
  /* Fenced fill: kept only if nothing for this slot was notified (and the
   * listener did not reconnect) while the document was being read. */
  pthread_mutex_lock(&dc->mu);
  uint64_t gen = s->gen, epoch = atomic_load(&dc->epoch);
  if (synced) dc->n.misses++;
  else dc->n.bypass++;
  pthread_mutex_unlock(&dc->mu);
  est_result rc = store_doc_by_id(pool, stmt, id, out);
  if (rc != EST_OK) return rc;
  size_t len = strlen(out->json);
  body *copy = len <= dc->max_bytes / 4 ? malloc(sizeof *copy + len + 1) : NULL;
  if (!copy) return EST_OK;
  atomic_init(&copy->refs, 1);
  copy->len = len;
  memcpy(copy->json, out->json, len + 1);
  pthread_mutex_lock(&dc->mu);
  if (s->gen == gen && atomic_load(&dc->epoch) == epoch && atomic_load(&dc->listening)) {
    if (s->b) slot_clear(dc, s);
    if (dc->bytes + len <= dc->max_bytes) {
      snprintf(s->resource, sizeof s->resource, "%s", resource);
      s->id = id;
      s->version = out->version;
      s->b = copy;
      dc->bytes += len;
      copy = NULL;
    }
  }
  pthread_mutex_unlock(&dc->mu);
  body_unref(copy);
  return EST_OK;
}
