/* guard.c - per-connection deadlines and the connection budget (see
 * http_guard.h). */
#include "estd/util.h"
#include "estd/http_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "estd/log.h"

#define GUARD_TICK_MS 100
/* A request still arriving when the drain starts gets this long (at most
 * its own head deadline) to arrive; idle connections go at once. */
#define GUARD_DRAIN_HEAD_MS 2000

typedef enum { PH_OPEN, PH_HEAD, PH_HANDLER, PH_IDLE } phase;

typedef struct conn_rec {
  struct conn_rec *prev, *next;
  int fd;
  phase ph;
  bool cut;
  bool refused;          /* over the connection limit: cut at accept, not counted as open */
  long long deadline_ms; /* 0 = none */
  bool body_allowed;     /* the path takes a body: deadline = head + body_ms */
  long long head_ms;     /* when the head must be complete */
} conn_rec;

struct http_guard {
  http_guard_limits lim;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  conn_rec *head;
  http_guard_counters c;
  bool draining, stop;
  long long drain_head_deadline_ms; /* requests arriving during the drain: complete by then */
  pthread_t thread;
};

/* The connection whose request this thread is serving (one thread per
 * connection): set at the request line, read when the handler starts. */
static _Thread_local conn_rec *tl_rec;

/* Under g->mu. */
static void cut(conn_rec *r, uint64_t *counter) {
  if (r->cut) return;
  r->cut = true;
  r->deadline_ms = 0;
  (*counter)++;
  /* The socket stays open (MHD closes it); the connection's thread sees
   * end-of-stream at once and closes the connection. */
  shutdown(r->fd, SHUT_RDWR);
}

static void *watchdog_main(void *arg) {
  http_guard *g = arg;
  pthread_mutex_lock(&g->mu);
  while (!g->stop) {
    long long now = est_mono_ms();
    for (conn_rec *r = g->head; r; r = r->next) {
      if (r->cut) continue;
      if (g->draining && (r->ph == PH_OPEN || r->ph == PH_IDLE)) {
        cut(r, &g->c.cut_drain_total);
        continue;
      }
      if (!r->deadline_ms || now < r->deadline_ms) continue;
      if (g->draining) cut(r, &g->c.cut_drain_total);
      else if (r->ph == PH_IDLE) cut(r, &g->c.cut_idle_total);
      else if (r->ph == PH_HEAD && r->body_allowed) cut(r, &g->c.cut_body_total);
      else cut(r, &g->c.cut_header_total);
    }
    struct timespec ts = est_mono_deadline(GUARD_TICK_MS);
    pthread_cond_timedwait(&g->cv, &g->mu, &ts);
  }
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

http_guard *http_guard_create(const http_guard_limits *lim) {
  http_guard *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->lim = *lim;
  pthread_mutex_init(&g->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&g->thread, NULL, watchdog_main, g) != 0) {
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
    return NULL;
  }
  return g;
}

void http_guard_destroy(http_guard *g) {
  if (!g) return;
  pthread_mutex_lock(&g->mu);
  g->stop = true;
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
  pthread_join(g->thread, NULL);
  /* MHD has stopped: every connection was reported closed. */
  for (conn_rec *r = g->head, *n; r; r = n) {
    n = r->next;
    free(r);
  }
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g);
}

void http_guard_notify(void *cls, struct MHD_Connection *con, void **socket_context,
                       enum MHD_ConnectionNotificationCode code) {
  http_guard *g = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    conn_rec *r = calloc(1, sizeof *r);
    *socket_context = r;
    if (!r || !ci) {
      if (r && !ci) r->fd = -1;
      if (!r) return; /* out of memory: no deadline for this one */
    } else {
      r->fd = ci->connect_fd;
    }
    r->ph = PH_OPEN;
    r->head_ms = r->deadline_ms = est_mono_ms() + g->lim.header_ms;
    pthread_mutex_lock(&g->mu);
    r->next = g->head;
    if (g->head) g->head->prev = r;
    g->head = r;
    if (r->fd >= 0 && (g->c.open >= g->lim.max_connections || g->draining)) {
      /* MHD 0.9.75 offers no accept policy through Ulfius: close it at
       * once instead (the client sees the connection closed). */
      r->refused = true;
      cut(r, &g->c.refused_total);
    } else {
      g->c.open++;
    }
    if (r->fd < 0) r->cut = true; /* cannot be cut: leave it to MHD's timeout */
    pthread_mutex_unlock(&g->mu);
    return;
  }
  conn_rec *r = *socket_context;
  if (!r) return;
  pthread_mutex_lock(&g->mu);
  if (r->prev) r->prev->next = r->next;
  else g->head = r->next;
  if (r->next) r->next->prev = r->prev;
  if (!r->refused) g->c.open--;
  pthread_mutex_unlock(&g->mu);
  if (tl_rec == r) tl_rec = NULL;
  free(r);
  *socket_context = NULL;
}

static conn_rec *rec_of(struct MHD_Connection *con) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

void http_guard_request_line(http_guard *g, struct MHD_Connection *con, const char *uri) {
  conn_rec *r = rec_of(con);
  tl_rec = r;
  if (!r) return;
  char path[512];
  size_t n = strcspn(uri ? uri : "", "?");
  if (n >= sizeof path) n = sizeof path - 1;
  memcpy(path, uri ? uri : "", n);
  path[n] = '\0';
  bool body = g->lim.takes_body && g->lim.takes_body(g->lim.takes_body_cls, path);
  long long now = est_mono_ms();
  pthread_mutex_lock(&g->mu);
  /* First request: its head deadline runs from the accept; later ones
   * from their request line. */
  if (r->ph != PH_OPEN) r->head_ms = now + g->lim.header_ms;
  r->ph = PH_HEAD;
  r->body_allowed = body;
  if (!r->cut) r->deadline_ms = r->head_ms + (body ? g->lim.body_ms : 0);
  if (!r->cut && g->draining && r->deadline_ms > g->drain_head_deadline_ms) r->deadline_ms = g->drain_head_deadline_ms;
  pthread_mutex_unlock(&g->mu);
}

void http_guard_handler(http_guard *g) {
  conn_rec *r = tl_rec;
  if (!r) return;
  pthread_mutex_lock(&g->mu);
  r->ph = PH_HANDLER;
  r->deadline_ms = 0;
  pthread_mutex_unlock(&g->mu);
}

void http_guard_request_done(http_guard *g, struct MHD_Connection *con) {
  conn_rec *r = rec_of(con);
  if (!r) return;
  pthread_mutex_lock(&g->mu);
  r->ph = PH_IDLE;
  if (!r->cut) {
    r->deadline_ms = est_mono_ms() + g->lim.idle_ms;
    if (g->draining) cut(r, &g->c.cut_drain_total);
  }
  pthread_mutex_unlock(&g->mu);
  if (tl_rec == r) tl_rec = NULL;
}

void http_guard_drain(http_guard *g) {
  if (!g) return;
  pthread_mutex_lock(&g->mu);
  if (!g->draining) {
    g->draining = true;
    long long allow = g->lim.header_ms < GUARD_DRAIN_HEAD_MS ? g->lim.header_ms : GUARD_DRAIN_HEAD_MS;
    g->drain_head_deadline_ms = est_mono_ms() + allow;
  }
  for (conn_rec *r = g->head; r; r = r->next) {
    if (r->ph == PH_OPEN || r->ph == PH_IDLE) cut(r, &g->c.cut_drain_total);
    else if (r->ph == PH_HEAD && !r->cut && r->deadline_ms > g->drain_head_deadline_ms)
      r->deadline_ms = g->drain_head_deadline_ms;
  }
  pthread_mutex_unlock(&g->mu);
}

void http_guard_counters_get(http_guard *g, http_guard_counters *out) {
  memset(out, 0, sizeof *out);
  if (!g) return;
  pthread_mutex_lock(&g->mu);
  *out = g->c;
  pthread_mutex_unlock(&g->mu);
}
