/* consumer.c - the Kafka event consumer inside `estd serve` (see intake.h).
 *
 * One thread runs a librdkafka high-level consumer:
 *   poll up to ESTD_KAFKA_BATCH_MAX messages or ESTD_KAFKA_BATCH_WAIT_MS
 *   -> parse/validate each (domain/event.c)
 *   -> one transaction: valid events (multi-row INSERT ... ON CONFLICT DO
 *      NOTHING) + dead letters (store/events.c)
 *   -> only then rd_kafka_offsets_store (auto commit sends stored offsets).
 * The write runs on a writer thread while the consumer thread already
 * polls and parses the next batch (two batches at most: the one being
 * written and the one being filled); offsets are stored strictly in batch
 * order, and if a batch is dropped the one after it is dropped too.
 * A database failure keeps the batch in memory, pauses the partitions (so
 * nothing more is fetched), and retries with exponential backoff (100 ms
 * .. 5 s) while still polling, so group membership and rebalances are
 * served. On revoke the in-flight batch gets one write attempt; if that
 * fails it is dropped uncommitted and the partition's next owner re-reads
 * it (safe: the insert is idempotent). Offsets are committed synchronously
 * before the partitions are given up. */
#include "estd/intake.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "estd/event.h"
#include "estd/log.h"
#include "estd/metrics.h"
#include "estd/problem.h"
#include "estd/store_events.h"

#define BACKOFF_MIN_MS 100
#define MAX_WRITERS 8
#define MIN_SLICE 100 /* smaller batches are not split */
#define BACKOFF_MAX_MS 5000

/* A batch of consumed messages and, once prepared, their parse results. */
typedef struct batch {
  rd_kafka_message_t **msgs;
  size_t n, cap;
  store_msg *sm;        /* n entries once prepared */
  est_event *evs;
  est_event_header **hdrs;
  bool prepared;
  size_t nslices;                 /* slicing of the batch (0 = not tried yet) */
  bool slice_done[MAX_WRITERS];   /* slices already committed */
} batch;

struct est_intake {
  est_app *app;
  rd_kafka_t *rk;
  pthread_t thread;
  bool thread_started;
  atomic_bool stop;
  atomic_bool assigned;
  _Atomic long long stop_deadline_ms;
  batch slots[2];
  batch *cur;           /* being filled and parsed by the consumer thread */
  batch *flight;        /* being written (by the writer thread while flight_running) */
  pthread_t flight_thread;
  bool flight_running;
  est_result flight_rc;
  double flight_secs;
  /* messages polled while a batch was being retried (start the next batch) */
  rd_kafka_message_t **carry;
  size_t ncarry, capcarry;
  bool paused;
  long long last_lag_ms;
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration -------------------------------------------------------- */

/* ---- parsing one message ---------------------------------------------------- */

/* "field: detail; field: detail" from the error array (malloc'd). */
static char *errors_text(json_t *errors) {
  char buf[1024];
  size_t len = 0;
  buf[0] = '\0';
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    int w = snprintf(buf + len, sizeof buf - len, "%s%s: %s", i ? "; " : "",
                     json_string_value(json_object_get(e, "field")), json_string_value(json_object_get(e, "detail")));
    if (w < 0 || (size_t)w >= sizeof buf - len) break;
    len += (size_t)w;
  }
  return strdup(buf);
}

static void prepare_one(est_intake *in, batch *b, size_t i) {
  rd_kafka_message_t *m = b->msgs[i];
  store_msg *sm = &b->sm[i];
  est_event *ev = &b->evs[i];
  memset(sm, 0, sizeof *sm);
  memset(ev, 0, sizeof *ev);
  sm->topic = rd_kafka_topic_name(m->rkt);
  sm->partition = m->partition;
  sm->offset = m->offset;
  sm->key = m->key;
  sm->key_len = m->key_len;
  sm->payload = m->payload;
  sm->len = m->len;
  rd_kafka_headers_t *hs = NULL;
  size_t nh = 0;
  if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs) nh = rd_kafka_header_cnt(hs);
  b->hdrs[i] = nh ? calloc(nh, sizeof **b->hdrs) : NULL;
  if (nh && !b->hdrs[i]) nh = 0;
  for (size_t k = 0; k < nh; k++) {
    const char *name;
    const void *val;
    size_t size;
    if (rd_kafka_header_get_all(hs, k, &name, &val, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) break;
    b->hdrs[i][k].name = name;
    b->hdrs[i][k].value = val;
    b->hdrs[i][k].len = size;
  }
  sm->headers = b->hdrs[i];
  sm->nheaders = nh;
  sm->ev = ev;
  json_t *errors = NULL;
  est_event_reason r = est_event_from_message(m->payload, m->len, b->hdrs[i], nh, ev, &errors);
  if (r == EST_REASON_NONE) {
    char bbuf[128];
    const char *bound =
        est_topic_bound_party(in->app->cfg->kafka_topic_parties, sm->topic, bbuf, sizeof bbuf) ? bbuf : NULL;
    if (bound && ev->party && strcmp(ev->party, bound) != 0) {
      char d[320];
      snprintf(d, sizeof d, "topic %.64s is bound to party %.64s; the event claims %.64s", sm->topic, bound,
               ev->party);
      est_problem_add_error(&errors, "/party", d);
      r = EST_REASON_PARTY_MISMATCH;
    } else if (bound && !ev->party) {
      ev->party = strdup(bound);
    } else if (!ev->party) {
      est_problem_add_error(&errors, "/party", "is required (CloudEvents extension attribute: party code)");
      r = EST_REASON_SCHEMA;
    }
  }
  if (r == EST_REASON_NONE) r = est_event_screen(ev, true, &errors);
  if (r != EST_REASON_NONE) {
    sm->reason = est_event_reason_name(r);
    sm->detail = errors ? errors_text(errors) : NULL;
  }
  json_decref(errors);
}

static est_result batch_prepare(est_intake *in, batch *b) {
  if (b->prepared || b->n == 0) return EST_OK;
  b->sm = calloc(b->n, sizeof *b->sm);
  b->evs = calloc(b->n, sizeof *b->evs);
  b->hdrs = calloc(b->n, sizeof *b->hdrs);
  if (!b->sm || !b->evs || !b->hdrs) {
    free(b->sm);
    free(b->evs);
    free(b->hdrs);
    b->sm = NULL;
    b->evs = NULL;
    b->hdrs = NULL;
    return EST_ENOMEM;
  }
  for (size_t i = 0; i < b->n; i++) prepare_one(in, b, i);
  b->prepared = true;
  return EST_OK;
}

/* Frees the batch content (messages included); keeps the msgs array. */
static void batch_clear(batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    if (b->prepared) {
      est_event_free(&b->evs[i]);
      free(b->sm[i].detail);
      free(b->hdrs[i]);
    }
    rd_kafka_message_destroy(b->msgs[i]);
  }
  free(b->sm);
  free(b->evs);
  free(b->hdrs);
  b->sm = NULL;
  b->evs = NULL;
  b->hdrs = NULL;
  b->n = 0;
  b->prepared = false;
  b->nslices = 0;
  memset(b->slice_done, 0, sizeof b->slice_done);
}

static bool push(rd_kafka_message_t ***arr, size_t *n, size_t *cap, rd_kafka_message_t *m) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    rd_kafka_message_t **na = realloc(*arr, nc * sizeof *na);
    if (!na) return false;
    *arr = na;
    *cap = nc;
  }
  (*arr)[(*n)++] = m;
  return true;
}

/* ---- committing ------------------------------------------------------------- */

static void store_offsets(est_intake *in, batch *b) {
  rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(8);
  for (size_t i = 0; i < b->n; i++) {
    rd_kafka_message_t *m = b->msgs[i];
    const char *topic = rd_kafka_topic_name(m->rkt);
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(offs, topic, m->partition);
    if (!p) p = rd_kafka_topic_partition_list_add(offs, topic, m->partition);
    if (p->offset < m->offset + 1) p->offset = m->offset + 1;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(in->rk, offs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    est_log_kv(EST_LOG_WARN, "cannot store offsets (partition no longer assigned?)", "error", rd_kafka_err2str(err),
               NULL);
  rd_kafka_topic_partition_list_destroy(offs);
}

static void count_committed(batch *b, double secs) {
  size_t stored = 0, dead = 0, skipped = 0;
  for (size_t i = 0; i < b->n; i++) {
    store_msg *sm = &b->sm[i];
    if (sm->stored) {
      stored++;
      est_metrics_event_ingested("kafka", sm->ev->category ? sm->ev->category : sm->ev->kind);
    } else if (sm->reason) {
      est_metrics_event_rejected(sm->reason);
      if (sm->deadlettered) {
        dead++;
        est_metrics_event_deadlettered();
      } else {
        skipped++;
      }
    }
  }
  est_metrics_consumer_batch(b->n, secs);
  if (est_log_get_level() <= EST_LOG_DEBUG) {
    char a[24], st[24], c[24], d[24], e[32];
    snprintf(a, sizeof a, "%zu", b->n);
    snprintf(st, sizeof st, "%zu", stored);
    snprintf(c, sizeof c, "%zu", dead);
    snprintf(d, sizeof d, "%zu", skipped);
    snprintf(e, sizeof e, "%.3f", secs * 1000.0);
    est_log_kv(EST_LOG_DEBUG, "intake batch committed", "#size", a, "#stored", st, "#deadlettered", c, "#skipped", d,
               "#commit_ms", e, NULL);
  }
}

typedef struct slice_job {
  est_pool *pool;
  store_msg *sm;
  size_t n;
  est_result rc;
} slice_job;

static void *slice_main(void *arg) {
  slice_job *j = arg;
  j->rc = store_intake_batch(j->pool, j->sm, j->n);
  return NULL;
}

/* One write attempt of batch b (no offsets). The batch is cut into up to
 * ESTD_KAFKA_WRITERS contiguous slices written concurrently, each in its own
 * transaction (PostgreSQL runs them on separate cores); a slice that
 * committed is not written again when another one is retried. EST_OK once
 * every slice has committed. */
static est_result batch_write(est_intake *in, batch *b) {
  est_result rc = batch_prepare(in, b);
  if (rc != EST_OK) return rc;
  size_t w = (size_t)in->app->cfg->kafka_writers;
  if (w > MAX_WRITERS) w = MAX_WRITERS;
  if (w > 1 && b->n < w * MIN_SLICE) w = b->n / MIN_SLICE > 1 ? b->n / MIN_SLICE : 1;
  if (b->nslices != w) {
    /* first attempt for this batch (slicing is fixed from then on) */
    b->nslices = w;
    memset(b->slice_done, 0, sizeof b->slice_done);
  }
  slice_job jobs[MAX_WRITERS];
  pthread_t threads[MAX_WRITERS];
  bool started[MAX_WRITERS] = {false};
  size_t per = (b->n + w - 1) / w, inline_job = w;
  for (size_t k = 0; k < w; k++) {
    size_t off = k * per, len = off < b->n ? (b->n - off < per ? b->n - off : per) : 0;
    jobs[k] = (slice_job){in->app->pool, b->sm + off, len, EST_OK};
    if (b->slice_done[k] || len == 0) continue;
    if (inline_job == w) {
      inline_job = k; /* run one slice on this thread */
      continue;
    }
    started[k] = pthread_create(&threads[k], NULL, slice_main, &jobs[k]) == 0;
    if (!started[k]) slice_main(&jobs[k]);
  }
  if (inline_job < w) slice_main(&jobs[inline_job]);
  rc = EST_OK;
  for (size_t k = 0; k < w; k++) {
    if (started[k]) pthread_join(threads[k], NULL);
    if (b->slice_done[k] || jobs[k].n == 0) continue;
    if (jobs[k].rc == EST_OK) b->slice_done[k] = true;
    else if (rc == EST_OK) rc = jobs[k].rc;
  }
  return rc;
}

/* After a successful write: store the offsets, count, clear. */
static void batch_finish(est_intake *in, batch *b, double secs) {
  store_offsets(in, b);
  count_committed(b, secs);
  batch_clear(b);
}

static double seconds_since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* One synchronous write attempt; on success the batch is finished. */
static est_result batch_try(est_intake *in, batch *b) {
  struct timespec a;
  clock_gettime(CLOCK_MONOTONIC, &a);
  est_result rc = batch_write(in, b);
  if (rc == EST_OK) batch_finish(in, b, seconds_since(&a));
  return rc;
}

static void *flight_main(void *arg) {
  est_intake *in = arg;
  struct timespec a;
  clock_gettime(CLOCK_MONOTONIC, &a);
  in->flight_rc = batch_write(in, in->flight);
  in->flight_secs = seconds_since(&a);
  return NULL;
}

/* Waits for the writer thread; a committed flight batch is finished (its
 * offsets stored), a failed one stays in in->flight for the caller. */
static void flight_wait(est_intake *in) {
  if (!in->flight_running) return;
  pthread_join(in->flight_thread, NULL);
  in->flight_running = false;
  if (in->flight_rc == EST_OK) batch_finish(in, in->flight, in->flight_secs);
}

static void set_paused(est_intake *in, bool pause) {
  if (in->paused == pause) return;
  rd_kafka_topic_partition_list_t *parts = NULL;
  if (rd_kafka_assignment(in->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR && parts) {
    if (pause) rd_kafka_pause_partitions(in->rk, parts);
    else rd_kafka_resume_partitions(in->rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
  }
  in->paused = pause;
}

/* Drops every uncommitted message (flight, cur, carry) without storing
 * offsets: they are read again from the committed offsets. Dropping all of
 * them keeps offsets in order (a later batch never commits past a dropped
 * one). Call with no writer thread running. */
static void drop_all(est_intake *in, const char *why) {
  size_t total = in->flight->n + in->cur->n + in->ncarry;
  if (total == 0) return;
  char n[24];
  snprintf(n, sizeof n, "%zu", total);
  est_log_kv(EST_LOG_WARN, "dropping uncommitted messages; they will be re-read", "reason", why, "#messages", n,
             NULL);
  batch_clear(in->flight);
  batch_clear(in->cur);
  for (size_t i = 0; i < in->ncarry; i++) rd_kafka_message_destroy(in->carry[i]);
  in->ncarry = 0;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
  est_intake *in = opaque;
  bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  char cnt[24];
  snprintf(cnt, sizeof cnt, "%d", parts ? parts->cnt : 0);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    est_log_kv(EST_LOG_INFO, "partitions assigned", "#partitions", cnt, NULL);
    if (coop) {
      rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
      if (e) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, parts);
    }
    in->paused = false;
    atomic_store(&in->assigned, true);
    return;
  }
  est_log_kv(EST_LOG_INFO, "partitions revoked", "#partitions", cnt, NULL);
  /* Finish the batches while we still own their partitions, oldest first. */
  flight_wait(in);
  if (in->flight->n > 0 && batch_try(in, in->flight) != EST_OK) drop_all(in, "database unavailable during rebalance");
  if (in->cur->n > 0 && batch_try(in, in->cur) != EST_OK) drop_all(in, "database unavailable during rebalance");
  drop_all(in, "rebalance");
  rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
  if (ce != RD_KAFKA_RESP_ERR_NO_ERROR && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
    est_log_kv(EST_LOG_WARN, "offset commit on revoke failed", "error", rd_kafka_err2str(ce), NULL);
  if (coop) {
    rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
    if (e) rd_kafka_error_destroy(e);
    /* Dropped messages of partitions we keep must be fetched again. */
    rd_kafka_topic_partition_list_t *kept = NULL;
    if (rd_kafka_assignment(rk, &kept) == RD_KAFKA_RESP_ERR_NO_ERROR && kept) {
      rd_kafka_committed(rk, kept, 5000);
      for (int i = 0; i < kept->cnt; i++)
        if (kept->elems[i].offset < 0) kept->elems[i].offset = RD_KAFKA_OFFSET_STORED;
      rd_kafka_error_t *se = rd_kafka_seek_partitions(rk, kept, 5000);
      if (se) rd_kafka_error_destroy(se);
      rd_kafka_topic_partition_list_destroy(kept);
    }
  } else {
    rd_kafka_assign(rk, NULL);
    atomic_store(&in->assigned, false);
  }
  in->paused = false;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  int l = level <= 3 ? EST_LOG_ERROR : level <= 5 ? EST_LOG_WARN : level == 6 ? EST_LOG_INFO : EST_LOG_DEBUG;
  if (l < est_log_get_level()) return;
  est_log_kv(l, "kafka", "facility", fac, "message", buf, NULL);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  (void)rk;
  (void)opaque;
  est_log_kv(err == RD_KAFKA_RESP_ERR__FATAL ? EST_LOG_ERROR : EST_LOG_WARN, "kafka error", "error",
             rd_kafka_err2name((rd_kafka_resp_err_t)err), "reason", reason, NULL);
}

/* ---- the loop ------------------------------------------------------------- */

static void update_lag(est_intake *in) {
  long long t = now_ms();
  if (t - in->last_lag_ms < 1000) return;
  in->last_lag_ms = t;
  rd_kafka_topic_partition_list_t *parts = NULL;
  if (rd_kafka_assignment(in->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) return;
  rd_kafka_position(in->rk, parts);
  for (int i = 0; i < parts->cnt; i++) {
    rd_kafka_topic_partition_t *p = &parts->elems[i];
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(in->rk, p->topic, p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0)
      continue;
    long long pos = p->offset >= 0 ? p->offset : lo;
    est_metrics_consumer_lag_set(p->topic, p->partition, hi > pos ? hi - pos : 0);
  }
  rd_kafka_topic_partition_list_destroy(parts);
}

static void take(est_intake *in, rd_kafka_message_t *m) {
  batch *b = in->cur;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
      est_log_kv(EST_LOG_WARN, "kafka consume error", "error", rd_kafka_message_errstr(m), NULL);
    rd_kafka_message_destroy(m);
    return;
  }
  if (!push(&b->msgs, &b->n, &b->cap, m)) {
    /* Out of memory: leave the message unconsumed by dropping everything. */
    rd_kafka_message_destroy(m);
    flight_wait(in);
    drop_all(in, "out of memory");
  }
}

/* Polls into in->cur until it is full, the wait elapsed or stop is requested. */
static void fill(est_intake *in) {
  const est_config *cfg = in->app->cfg;
  size_t max = (size_t)cfg->kafka_batch_max;
  for (size_t i = 0; i < in->ncarry; i++) take(in, in->carry[i]);
  in->ncarry = 0;
  long long deadline = in->cur->n ? now_ms() + cfg->kafka_batch_wait_ms : 0;
  while (in->cur->n < max && !atomic_load(&in->stop)) {
    int timeout = 100;
    if (in->cur->n) {
      long long left = deadline - now_ms();
      if (left <= 0) break;
      if (left < timeout) timeout = (int)left;
    } else if (in->flight_running) {
      timeout = 10; /* idle: come back soon to finish the flight batch */
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, timeout);
    if (!m) {
      if (!in->cur->n) {
        update_lag(in);
        return; /* idle: let the caller check stop and the flight batch */
      }
      continue;
    }
    bool first = in->cur->n == 0;
    take(in, m);
    if (first && in->cur->n) deadline = now_ms() + cfg->kafka_batch_wait_ms;
  }
}

/* Writes batch b synchronously, retrying until it commits, it is dropped
 * by a rebalance, or stop is requested and the grace period is over (then
 * everything uncommitted is dropped). No writer thread may be running. */
static void commit_batch(est_intake *in, batch *b) {
  int backoff = BACKOFF_MIN_MS, failures = 0;
  while (b->n > 0) {
    est_result rc = batch_try(in, b);
    if (rc == EST_OK) break;
    failures++;
    if (failures == 1 || failures % 10 == 0) {
      char f[16], bo[16];
      snprintf(f, sizeof f, "%d", failures);
      snprintf(bo, sizeof bo, "%d", backoff);
      est_log_kv(EST_LOG_WARN, "intake batch not committed, retrying", "error", est_result_str(rc), "#attempt", f,
                 "#retry_in_ms", bo, NULL);
    }
    set_paused(in, true);
    long long until = now_ms() + backoff;
    while (b->n > 0 && now_ms() < until) {
      if (atomic_load(&in->stop) && now_ms() >= atomic_load(&in->stop_deadline_ms)) break;
      rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, 50);
      if (m && !push(&in->carry, &in->ncarry, &in->capcarry, m)) rd_kafka_message_destroy(m);
    }
    if (b->n > 0 && atomic_load(&in->stop) && now_ms() >= atomic_load(&in->stop_deadline_ms)) {
      drop_all(in, "shutdown grace period over");
      break;
    }
    if (backoff < BACKOFF_MAX_MS) backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
  }
  set_paused(in, false);
  if (failures) est_log_kv(EST_LOG_INFO, "intake resumed", NULL);
}

/* Finishes the flight batch (retrying synchronously if its write failed). */
static void settle_flight(est_intake *in) {
  flight_wait(in);
  if (in->flight->n > 0) commit_batch(in, in->flight);
}

static void *consumer_main(void *arg) {
  est_intake *in = arg;
  while (!atomic_load(&in->stop)) {
    fill(in);
    if (in->cur->n > 0 && batch_prepare(in, in->cur) != EST_OK) {
      settle_flight(in);
      commit_batch(in, in->cur); /* out of memory: the synchronous path retries */
      continue;
    }
    if (in->flight_running && in->cur->n == 0) {
      /* idle: don't keep a finished write waiting */
      settle_flight(in);
      continue;
    }
    settle_flight(in);
    if (in->cur->n == 0) continue;
    /* hand the parsed batch to the writer thread and fill the other slot */
    batch *t = in->flight;
    in->flight = in->cur;
    in->cur = t;
    in->flight_running = pthread_create(&in->flight_thread, NULL, flight_main, in) == 0;
    if (!in->flight_running) commit_batch(in, in->flight);
  }
  /* Finish what was polled (fill returns at once when stop is set). */
  settle_flight(in);
  if (in->cur->n > 0) commit_batch(in, in->cur);
  drop_all(in, "shutdown");
  rd_kafka_resp_err_t ce = rd_kafka_commit(in->rk, NULL, 0);
  if (ce != RD_KAFKA_RESP_ERR_NO_ERROR && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
    est_log_kv(EST_LOG_WARN, "final offset commit failed", "error", rd_kafka_err2str(ce), NULL);
  rd_kafka_consumer_close(in->rk);
  return NULL;
}

/* ---- start / stop ------------------------------------------------------------ */

static bool conf_set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[256];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    est_log_kv(EST_LOG_ERROR, "invalid Kafka property", "property", k, "error", err, NULL);
    return false;
  }
  return true;
}

static void intake_free(est_intake *in) {
  for (int k = 0; k < 2; k++) {
    batch_clear(&in->slots[k]);
    free(in->slots[k].msgs);
  }
  for (size_t i = 0; i < in->ncarry; i++) rd_kafka_message_destroy(in->carry[i]);
  free(in->carry);
  if (in->rk) rd_kafka_destroy(in->rk);
  free(in);
}

est_result est_intake_start(est_intake **out, est_app *app) {
  const est_config *cfg = app->cfg;
  *out = NULL;
  est_intake *in = calloc(1, sizeof *in);
  if (!in) return EST_ENOMEM;
  in->app = app;
  in->cur = &in->slots[0];
  in->flight = &in->slots[1];
  if (!est_topic_parties_valid(cfg->kafka_topic_parties)) {
    est_log_kv(EST_LOG_ERROR, "ESTD_KAFKA_TOPIC_PARTIES must be topic=party-code,...", "value",
               cfg->kafka_topic_parties, NULL);
    intake_free(in);
    return EST_ECONFIG;
  }
  char qmin[24];
  snprintf(qmin, sizeof qmin, "%d", cfg->kafka_batch_max * 2 > 1000 ? cfg->kafka_batch_max * 2 : 1000);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  bool ok = conf_set(conf, "bootstrap.servers", cfg->kafka_brokers) && conf_set(conf, "group.id", cfg->kafka_group_id) &&
            conf_set(conf, "client.id", "estd") && conf_set(conf, "enable.auto.commit", "true") &&
            conf_set(conf, "enable.auto.offset.store", "false") && conf_set(conf, "auto.offset.reset", "earliest") &&
            conf_set(conf, "enable.partition.eof", "false") && conf_set(conf, "session.timeout.ms", "10000") &&
            conf_set(conf, "heartbeat.interval.ms", "2000") &&
            /* Bounded prefetch keeps RSS small: about two batches are buffered
             * (a batch of 2000 typical events is ~1 MiB). */
            conf_set(conf, "queued.max.messages.kbytes", "4096") && conf_set(conf, "queued.min.messages", qmin) &&
            conf_set(conf, "fetch.max.bytes", "4194304") && conf_set(conf, "max.partition.fetch.bytes", "524288") &&
            conf_set(conf, "partition.assignment.strategy", "range,roundrobin");
  for (size_t i = 0; ok && i < cfg->n_kafka_props; i++)
    ok = conf_set(conf, cfg->kafka_props[2 * i], cfg->kafka_props[2 * i + 1]);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    intake_free(in);
    return EST_ECONFIG;
  }
  rd_kafka_conf_set_opaque(conf, in);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  char err[512];
  in->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!in->rk) {
    est_log_kv(EST_LOG_ERROR, "cannot create Kafka consumer", "error", err, NULL);
    rd_kafka_conf_destroy(conf);
    intake_free(in);
    return EST_ECONFIG;
  }
  rd_kafka_poll_set_consumer(in->rk);
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
  char *copy = strdup(cfg->kafka_topics ? cfg->kafka_topics : ""), *save = NULL;
  for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t; t = strtok_r(NULL, ", ", &save))
    rd_kafka_topic_partition_list_add(topics, t, RD_KAFKA_PARTITION_UA);
  free(copy);
  rd_kafka_resp_err_t se = topics->cnt ? rd_kafka_subscribe(in->rk, topics) : RD_KAFKA_RESP_ERR__INVALID_ARG;
  rd_kafka_topic_partition_list_destroy(topics);
  if (se != RD_KAFKA_RESP_ERR_NO_ERROR) {
    est_log_kv(EST_LOG_ERROR, "cannot subscribe to ESTD_KAFKA_TOPICS", "error", rd_kafka_err2str(se), NULL);
    intake_free(in);
    return EST_ECONFIG;
  }
  if (pthread_create(&in->thread, NULL, consumer_main, in) != 0) {
    rd_kafka_consumer_close(in->rk);
    intake_free(in);
    return EST_ENOMEM;
  }
  in->thread_started = true;
  est_log_kv(EST_LOG_INFO, "Kafka intake started", "brokers", cfg->kafka_brokers, "topics", cfg->kafka_topics,
             "group", cfg->kafka_group_id, NULL);
  *out = in;
  return EST_OK;
}

bool est_intake_has_assignment(est_intake *in) { return in && atomic_load(&in->assigned); }

void est_intake_stop(est_intake *in, int grace_ms) {
  if (!in) return;
  /* Keep a little of the budget for close and the HTTP drain. */
  int budget = grace_ms > 2000 ? grace_ms - 1000 : grace_ms / 2;
  atomic_store(&in->stop_deadline_ms, now_ms() + budget);
  atomic_store(&in->stop, true);
  if (in->thread_started) pthread_join(in->thread, NULL);
  intake_free(in);
  est_log_kv(EST_LOG_INFO, "Kafka intake stopped", NULL);
}
