/* consumer.c - the Kafka event consumer inside `estd serve` (see intake.h).
 *
 * One thread runs a librdkafka high-level consumer:
 *   poll up to ESTD_KAFKA_BATCH_MAX messages or ESTD_KAFKA_BATCH_WAIT_MS
 *   -> parse/validate each (domain/event.c)
 *   -> one transaction: valid events (binary COPY into a staging table, one
 *      INSERT ... ON CONFLICT DO NOTHING statement) + dead letters
 *      (store/events.c, store/deadletters.c)
 *   -> only then rd_kafka_offsets_store (auto commit sends stored offsets).
 * Writes run on writer threads, one transaction per batch, up to
 * ESTD_KAFKA_WRITERS batches at once, while the consumer thread already
 * polls and parses the next batch: PostgreSQL works on several batches at
 * a time and one batch's commit (WAL flush) overlaps with the next one's
 * insert. Offsets are stored strictly in batch order (a batch that
 * committed waits for every older batch to commit), and if a batch is
 * dropped every younger one is dropped too.
 * A database failure keeps the batch in memory, pauses the partitions (so
 * nothing more is fetched), and retries with exponential backoff (100 ms
 * .. 5 s) while still polling, so group membership and rebalances are
 * served. On revoke each batch not yet committed gets one more write
 * attempt; if that fails it is dropped uncommitted (with every younger one)
 * and the partition's next owner re-reads it (safe: the insert is
 * idempotent). Offsets are committed synchronously
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

#include "estd/admit.h"
#include "estd/event.h"
#include "estd/personnummer.h"
#include "estd/log.h"
#include "estd/metrics.h"
#include "estd/problem.h"
#include "estd/store_events.h"

#define BACKOFF_MIN_MS 100
#define MAX_WRITERS 8
/* cur + up to writers + 1 handed over (see wait_writer): a younger batch
 * that committed keeps its slot until every older one has. */
#define MAX_SLOTS (MAX_WRITERS + 2)
#define BACKOFF_MAX_MS 5000

/* A batch of consumed messages and, once prepared, their parse results. */
typedef struct batch {
  rd_kafka_message_t **msgs;
  size_t n, cap;
  store_msg *sm; /* n entries once prepared */
  est_event *evs;
  est_event_header **hdrs;
  bool *admitted; /* n entries: the admission policy has decided (and a dead letter is redacted) */
  bool prepared;
  /* Once prepared, the messages' bytes (value, key, headers) are copied
   * into raw and the librdkafka messages are destroyed (msgs[i] = NULL): a
   * message pins the whole decompressed record batch it came from (MiBs),
   * so holding a few batches of messages would hold many record batches.
   * offs: the offsets to store (next offset per partition). */
  unsigned char *raw;
  rd_kafka_topic_partition_list_t *offs;
  /* writer thread (consumer thread only, except done/rc/secs: under in->mu) */
  bool queued;  /* in in->fifo */
  bool running; /* a writer thread was started and not joined yet */
  bool done;    /* the writer thread has finished (rc, secs valid) */
  est_result rc;
  double secs;
  pthread_t thread;
  struct est_intake *in;
} batch;

struct est_intake {
  est_app *app;
  rd_kafka_t *rk;
  pthread_t thread;
  bool thread_started;
  atomic_bool stop;
  atomic_bool assigned;
  _Atomic long long stop_deadline_ms;
  batch slots[MAX_SLOTS];
  batch *cur;             /* being filled and parsed by the consumer thread */
  batch *fifo[MAX_SLOTS]; /* handed to the writers, oldest first, not finished yet */
  size_t nfifo;
  size_t writers;     /* ESTD_KAFKA_WRITERS */
  pthread_mutex_t mu; /* guards batch.done/rc/secs and nrunning */
  pthread_cond_t cv;  /* a writer thread finished */
  size_t nrunning;    /* writer threads not done yet */
  /* messages polled while a batch was being retried (start the next batch) */
  rd_kafka_message_t **carry;
  size_t ncarry, capcarry;
  bool paused;
  long long last_lag_ms;
  /* health (est_intake_health; written by the consumer thread) */
  _Atomic long long started_ms;
  _Atomic long long last_batch_ms; /* last batch committed, 0 = none yet */
  _Atomic long long db_failing_ms; /* first failed write of the batch being retried, 0 = writes fine */
  atomic_int brokers_up;           /* from the statistics callback, -1 = not known yet */
  _Atomic long long lag_total;     /* summed over the assigned partitions, -1 = not known */
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

/* Copies n bytes to *dst (advanced) and returns the copy; NULL for NULL. */
static const void *raw_copy(unsigned char **dst, const void *src, size_t n, bool nul) {
  if (!src) return NULL;
  unsigned char *p = *dst;
  if (n) memcpy(p, src, n);
  if (nul) p[n++] = '\0';
  *dst = p + n;
  return p;
}

/* Bytes raw_copy needs for message m. */
static size_t raw_size(rd_kafka_message_t *m) {
  size_t total = m->len + m->key_len;
  rd_kafka_headers_t *hs = NULL;
  if (rd_kafka_message_headers(m, &hs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hs) return total;
  const char *name;
  const void *val;
  size_t size;
  for (size_t k = 0; rd_kafka_header_get_all(hs, k, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; k++)
    total += strlen(name) + 1 + size;
  return total;
}

/* Parses message i; its bytes are copied to *raw (advanced). */
static void prepare_one(batch *b, size_t i, unsigned char **raw) {
  rd_kafka_message_t *m = b->msgs[i];
  store_msg *sm = &b->sm[i];
  est_event *ev = &b->evs[i];
  memset(sm, 0, sizeof *sm);
  memset(ev, 0, sizeof *ev);
  rd_kafka_topic_partition_t *op =
      rd_kafka_topic_partition_list_find(b->offs, rd_kafka_topic_name(m->rkt), m->partition);
  sm->topic = op->topic; /* owned by b->offs */
  sm->partition = m->partition;
  sm->offset = m->offset;
  sm->key = raw_copy(raw, m->key, m->key_len, false);
  sm->key_len = m->key_len;
  sm->payload = raw_copy(raw, m->payload, m->len, false);
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
    b->hdrs[i][k].name = raw_copy(raw, name, strlen(name), true);
    b->hdrs[i][k].value = raw_copy(raw, val, size, false);
    b->hdrs[i][k].len = size;
  }
  sm->headers = b->hdrs[i];
  sm->nheaders = nh;
  sm->ev = ev;
  json_t *errors = NULL;
  est_event_reason r = est_event_from_message(sm->payload, sm->len, b->hdrs[i], nh, ev, &errors);
  if (r != EST_REASON_NONE) {
    sm->reason = est_event_reason_name(r);
    sm->detail = errors ? errors_text(errors) : NULL;
  }
  json_decref(errors);
}

/* The writable copy (in b->raw) of bytes of message data. */
static unsigned char *raw_at(batch *b, const void *p) { return b->raw + ((const unsigned char *)p - b->raw); }

/* Redacts personal identity numbers from message i before it can be stored
 * as a dead letter: value, key, header names and values (all copies in
 * b->raw), the detail, and the id and source columns. */
static void redact_dead_letter(batch *b, size_t i) {
  store_msg *sm = &b->sm[i];
  if (sm->payload) est_pnr_redact_raw(raw_at(b, sm->payload), sm->len);
  if (sm->key) est_pnr_redact_raw(raw_at(b, sm->key), sm->key_len);
  for (size_t k = 0; k < sm->nheaders; k++) {
    const est_event_header *h = &sm->headers[k];
    if (h->name) est_pnr_redact_raw(raw_at(b, h->name), strlen(h->name));
    if (h->value) est_pnr_redact_raw(raw_at(b, h->value), h->len);
  }
  est_pnr_redact(sm->detail);
  if (sm->ev) {
    est_pnr_redact(sm->ev->id);
    est_pnr_redact(sm->ev->source);
  }
}

/* Applies the admission policy (admit.h) to every parsed message of b not
 * decided yet, then redacts the raw bytes of every message (value, key,
 * headers; detail, id and source), whether or not it parsed, before any
 * can be stored as a dead letter. A failed registry look-up returns its result: the
 * batch is retried, and the messages decided so far stay decided. */
static est_result batch_admit(est_intake *in, batch *b) {
  est_admit_lookup lk = store_admit_lookup(in->app->pool);
  long long now = (long long)time(NULL);
  for (size_t i = 0; i < b->n; i++) {
    if (b->admitted[i]) continue;
    store_msg *sm = &b->sm[i];
    est_event *ev = &b->evs[i];
    /* The topic's party, also for a message that does not parse: its dead letter's party. */
    bool bound = est_topic_bound_party(in->app->cfg->kafka_topic_parties, sm->topic, sm->party, sizeof sm->party);
    if (!bound) sm->party[0] = '\0';
    if (!sm->reason) {
      char chan[300];
      est_admit_policy pol = {0};
      if (bound) {
        pol.bound_code = sm->party;
        pol.bound_enforced = true;
      }
      snprintf(chan, sizeof chan, "topic %.249s", sm->topic);
      pol.channel = chan;
      pol.redact = true;
      pol.now_s = now;
      pol.max_future_s = in->app->cfg->event_max_future_s;
      pol.geocode = in->app->cfg->police_geocode_municipality;
      json_t *errors = NULL;
      est_result rc;
      est_event_reason r = est_event_admit(ev, &pol, &lk, &errors, &rc);
      if (rc != EST_OK) {
        json_decref(errors);
        return rc;
      }
      if (r != EST_REASON_NONE) {
        sm->reason = est_event_reason_name(r);
        sm->detail = errors ? errors_text(errors) : NULL;
      }
      json_decref(errors);
    }
    /* Every message: one that is admitted may still become a dead letter
     * (rejected_by_database), and its raw bytes were never redacted. */
    redact_dead_letter(b, i);
    b->admitted[i] = true;
  }
  return EST_OK;
}

/* Frees the per-message arrays of a batch (not the messages) and NULLs them. */
static void batch_free_arrays(batch *b) {
  free(b->sm);
  free(b->evs);
  free(b->hdrs);
  free(b->raw);
  free(b->admitted);
  if (b->offs) rd_kafka_topic_partition_list_destroy(b->offs);
  b->sm = NULL;
  b->evs = NULL;
  b->hdrs = NULL;
  b->raw = NULL;
  b->admitted = NULL;
  b->offs = NULL;
}

static est_result batch_prepare(batch *b) {
  if (b->prepared || b->n == 0) return EST_OK;
  b->sm = calloc(b->n, sizeof *b->sm);
  b->evs = calloc(b->n, sizeof *b->evs);
  b->hdrs = calloc(b->n, sizeof *b->hdrs);
  b->admitted = calloc(b->n, sizeof *b->admitted);
  b->offs = rd_kafka_topic_partition_list_new(8);
  size_t total = 1;
  for (size_t i = 0; i < b->n; i++) total += raw_size(b->msgs[i]);
  b->raw = malloc(total);
  if (!b->sm || !b->evs || !b->hdrs || !b->admitted || !b->offs || !b->raw) {
    batch_free_arrays(b);
    return EST_ENOMEM;
  }
  for (size_t i = 0; i < b->n; i++) {
    rd_kafka_message_t *m = b->msgs[i];
    const char *topic = rd_kafka_topic_name(m->rkt);
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(b->offs, topic, m->partition);
    if (!p) p = rd_kafka_topic_partition_list_add(b->offs, topic, m->partition);
    if (p->offset < m->offset + 1) p->offset = m->offset + 1;
  }
  unsigned char *raw = b->raw;
  for (size_t i = 0; i < b->n; i++) {
    prepare_one(b, i, &raw);
    rd_kafka_message_destroy(b->msgs[i]);
    b->msgs[i] = NULL;
  }
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
    if (b->msgs[i]) rd_kafka_message_destroy(b->msgs[i]);
  }
  batch_free_arrays(b);
  b->n = 0;
  b->prepared = false;
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

/* Stores the offsets of a prepared (written) batch. */
static void store_offsets(est_intake *in, batch *b) {
  if (!b->offs) return;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(in->rk, b->offs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    est_log_kv(EST_LOG_WARN, "cannot store offsets (partition no longer assigned?)", "error", rd_kafka_err2str(err),
               NULL);
}

static void count_committed(batch *b, double secs) {
  size_t stored = 0, dead = 0, skipped = 0;
  for (size_t i = 0; i < b->n; i++) {
    store_msg *sm = &b->sm[i];
    if (sm->stored) {
      stored++;
      est_metrics_event_ingested("kafka", sm->ev->kind);
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

/* One write attempt of batch b as one transaction (no offsets). */
static est_result batch_write(est_intake *in, batch *b) {
  est_result rc = batch_prepare(b);
  if (rc == EST_OK) rc = batch_admit(in, b);
  if (rc != EST_OK) return rc;
  return store_intake_batch(in->app->pool, b->sm, b->n);
}

/* After a successful write: store the offsets, count, clear. */
static void batch_finish(est_intake *in, batch *b, double secs) {
  atomic_store(&in->last_batch_ms, now_ms());
  atomic_store(&in->db_failing_ms, 0);
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

static void *writer_main(void *arg) {
  batch *b = arg;
  est_intake *in = b->in;
  struct timespec a;
  clock_gettime(CLOCK_MONOTONIC, &a);
  est_result rc = batch_write(in, b);
  double secs = seconds_since(&a);
  pthread_mutex_lock(&in->mu);
  b->rc = rc;
  b->secs = secs;
  b->done = true;
  in->nrunning--;
  pthread_cond_broadcast(&in->cv);
  pthread_mutex_unlock(&in->mu);
  return NULL;
}

/* Joins b's writer thread if it has finished (or, with block, once it has).
 * Returns false if it is still running. */
static bool writer_join(est_intake *in, batch *b, bool block) {
  if (!b->running) return true;
  pthread_mutex_lock(&in->mu);
  while (block && !b->done) pthread_cond_wait(&in->cv, &in->mu);
  bool done = b->done;
  pthread_mutex_unlock(&in->mu);
  if (!done) return false;
  pthread_join(b->thread, NULL);
  b->running = false;
  return true;
}

/* Waits for every writer thread; their results stay in their batches. */
static void join_all(est_intake *in) {
  for (size_t k = 0; k < in->nfifo; k++) writer_join(in, in->fifo[k], true);
}

/* Removes finished (empty, joined) batches from the FIFO. */
static void fifo_compact(est_intake *in) {
  size_t w = 0;
  for (size_t k = 0; k < in->nfifo; k++) {
    batch *b = in->fifo[k];
    if (b->n == 0 && !b->running) b->queued = false;
    else in->fifo[w++] = b;
  }
  in->nfifo = w;
}

/* Finishes (stores the offsets of) the oldest batches whose write has
 * committed; stops at the first one that is still running or failed. */
static void finish_committed(est_intake *in) {
  for (size_t k = 0; k < in->nfifo; k++) {
    batch *b = in->fifo[k];
    if (b->n == 0 && !b->running) continue;
    if (b->running || b->rc != EST_OK) break;
    batch_finish(in, b, b->secs);
  }
  fifo_compact(in);
}

/* Drops every uncommitted message (handed over, cur, carry) without
 * storing offsets: they are read again from the committed offsets.
 * Dropping all of them keeps offsets in order (a later batch never commits
 * past a dropped one). Waits for the writer threads first; batches that
 * committed in order are finished, not dropped. */
static void drop_all(est_intake *in, const char *why) {
  join_all(in);
  finish_committed(in);
  size_t total = in->cur->n + in->ncarry;
  for (size_t k = 0; k < in->nfifo; k++) total += in->fifo[k]->n;
  if (total == 0) return;
  char n[24];
  snprintf(n, sizeof n, "%zu", total);
  est_log_kv(EST_LOG_WARN, "dropping uncommitted messages; they will be re-read", "reason", why, "#messages", n, NULL);
  for (size_t k = 0; k < in->nfifo; k++) batch_clear(in->fifo[k]);
  fifo_compact(in);
  batch_clear(in->cur);
  for (size_t i = 0; i < in->ncarry; i++) rd_kafka_message_destroy(in->carry[i]);
  in->ncarry = 0;
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
  /* Finish the batches while we still own their partitions, oldest first:
   * one more attempt for a batch whose write failed. */
  join_all(in);
  for (size_t k = 0; k < in->nfifo; k++) {
    batch *b = in->fifo[k];
    if (b->n == 0) continue;
    if (b->rc == EST_OK) {
      batch_finish(in, b, b->secs);
    } else if (batch_try(in, b) != EST_OK) {
      drop_all(in, "database unavailable during rebalance");
      break;
    }
  }
  fifo_compact(in);
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

/* librdkafka statistics (every few seconds, on the consumer thread): how
 * many of the cluster's brokers (nodeid >= 0; bootstrap entries are -1)
 * this client is connected to. Only the count is used. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  (void)rk;
  est_intake *in = opaque;
  json_t *j = json_loadb(json, len, 0, NULL);
  json_t *brokers = j ? json_object_get(j, "brokers") : NULL;
  if (json_is_object(brokers)) {
    int up = 0;
    const char *name;
    json_t *b;
    json_object_foreach(brokers, name, b) {
      json_int_t id = json_integer_value(json_object_get(b, "nodeid"));
      const char *st = json_string_value(json_object_get(b, "state"));
      if (id >= 0 && st && strcmp(st, "UP") == 0) up++;
    }
    int was = atomic_exchange(&in->brokers_up, up);
    if (was != 0 && up == 0) est_log_kv(EST_LOG_WARN, "Kafka intake: no broker reachable", NULL);
    else if (was == 0 && up > 0) est_log_kv(EST_LOG_WARN, "Kafka intake: broker reachable again", NULL);
  }
  json_decref(j);
  return 0; /* librdkafka frees json */
}

void est_intake_health(est_intake *in, est_intake_status *h) {
  memset(h, 0, sizeof *h);
  h->consumer_lag = -1;
  h->last_batch_age_s = -1;
  h->brokers_up = -1;
  if (!in) {
    h->state = "off";
    return;
  }
  long long now = now_ms(), last = atomic_load(&in->last_batch_ms), fail = atomic_load(&in->db_failing_ms);
  h->assigned = atomic_load(&in->assigned);
  h->brokers_up = atomic_load(&in->brokers_up);
  h->consumer_lag = atomic_load(&in->lag_total);
  h->last_batch_age_s = last ? (double)(now - last) / 1000.0 : -1;
  h->uptime_s = (double)(now - atomic_load(&in->started_ms)) / 1000.0;
  h->db_failing_s = fail ? (double)(now - fail) / 1000.0 : 0;
  if (h->brokers_up == 0) h->state = "broker_unreachable";
  else if (fail) h->state = "database_unavailable";
  else if (!h->assigned) h->state = h->brokers_up < 0 ? "starting" : "no_assignment";
  else h->state = "ok";
}

/* ---- the loop ------------------------------------------------------------- */

static void update_lag(est_intake *in) {
  long long t = now_ms();
  if (t - in->last_lag_ms < 1000) return;
  in->last_lag_ms = t;
  rd_kafka_topic_partition_list_t *parts = NULL;
  if (rd_kafka_assignment(in->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) return;
  rd_kafka_position(in->rk, parts);
  long long total = 0;
  for (int i = 0; i < parts->cnt; i++) {
    rd_kafka_topic_partition_t *p = &parts->elems[i];
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(in->rk, p->topic, p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0)
      continue;
    long long pos = p->offset >= 0 ? p->offset : lo;
    est_metrics_consumer_lag_set(p->topic, p->partition, hi > pos ? hi - pos : 0);
    total += hi > pos ? hi - pos : 0;
  }
  rd_kafka_topic_partition_list_destroy(parts);
  atomic_store(&in->lag_total, total);
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
    } else if (in->nfifo > 0) {
      timeout = 10; /* idle: come back soon to finish the batches being written */
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, timeout);
    if (!m) {
      if (!in->cur->n) {
        update_lag(in);
        return; /* idle: let the caller check stop and the batches being written */
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
 * everything uncommitted is dropped). b must be the oldest batch not
 * finished (or cur with none handed over) and have no writer thread;
 * younger batches may still be being written. */
static void commit_batch(est_intake *in, batch *b) {
  int backoff = BACKOFF_MIN_MS, failures = 0;
  while (b->n > 0) {
    est_result rc = batch_try(in, b);
    if (rc == EST_OK) break;
    failures++;
    if (failures == 1) atomic_store(&in->db_failing_ms, now_ms());
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

/* Finishes the oldest batches whose writes are over, in order; a failed
 * write is retried synchronously (commit_batch) before anything younger is
 * finished. With block, waits for the oldest writer to finish first. */
static void retire(est_intake *in, bool block) {
  while (in->nfifo > 0) {
    batch *b = in->fifo[0];
    if (!writer_join(in, b, block)) return;
    if (b->n > 0 && b->rc == EST_OK) batch_finish(in, b, b->secs);
    else if (b->n > 0) commit_batch(in, b); /* may be finished or dropped by a rebalance */
    fifo_compact(in);
  }
}

/* Waits until a writer is free: fewer than ESTD_KAFKA_WRITERS writes
 * running and at most writers + 1 batches handed over (one younger batch
 * that committed may wait for the oldest one; more would only hold memory:
 * measured, 2 * writers is not faster). Finishes what is finished
 * meanwhile. */
static void wait_writer(est_intake *in) {
  for (;;) {
    retire(in, false);
    if (in->nfifo > in->writers) {
      retire(in, true); /* the oldest one holds the others back */
      continue;
    }
    pthread_mutex_lock(&in->mu);
    if (in->nrunning < in->writers) {
      pthread_mutex_unlock(&in->mu);
      return;
    }
    pthread_cond_wait(&in->cv, &in->mu); /* a writer thread finished */
    pthread_mutex_unlock(&in->mu);
  }
}

/* A slot that is neither cur nor handed over. */
static batch *free_slot(est_intake *in) {
  for (size_t k = 0; k < MAX_SLOTS; k++) {
    batch *b = &in->slots[k];
    if (b != in->cur && !b->queued) return b;
  }
  return NULL; /* not reached: wait_writer keeps one free */
}

/* Hands the parsed in->cur to a writer thread and starts a new cur. */
static void launch(est_intake *in) {
  batch *b = in->cur;
  b->in = in;
  b->queued = true;
  b->done = false;
  b->rc = EST_OK;
  in->fifo[in->nfifo++] = b;
  pthread_mutex_lock(&in->mu);
  in->nrunning++;
  pthread_mutex_unlock(&in->mu);
  b->running = pthread_create(&b->thread, NULL, writer_main, b) == 0;
  if (!b->running) {
    pthread_mutex_lock(&in->mu);
    in->nrunning--;
    pthread_mutex_unlock(&in->mu);
    b->rc = EST_ENOMEM; /* retire() writes it synchronously */
  }
  in->cur = free_slot(in);
}

/* Finishes every batch handed over (retrying failed writes). */
static void settle_all(est_intake *in) {
  while (in->nfifo > 0) retire(in, true);
}

static void *consumer_main(void *arg) {
  est_intake *in = arg;
  while (!atomic_load(&in->stop)) {
    fill(in);
    retire(in, false);
    if (in->cur->n > 0 && batch_prepare(in->cur) != EST_OK) {
      settle_all(in);
      commit_batch(in, in->cur); /* out of memory: the synchronous path retries */
      continue;
    }
    if (in->cur->n == 0) continue; /* idle: fill returns soon while writes are running */
    wait_writer(in);
    if (in->cur->n == 0) continue; /* dropped by a rebalance meanwhile */
    launch(in);
  }
  /* Finish what was polled (fill returns at once when stop is set). */
  settle_all(in);
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
  pthread_mutex_destroy(&in->mu);
  pthread_cond_destroy(&in->cv);
  for (int k = 0; k < MAX_SLOTS; k++) {
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
  atomic_store(&in->started_ms, now_ms());
  atomic_store(&in->brokers_up, -1);
  atomic_store(&in->lag_total, -1);
  in->writers = cfg->kafka_writers < 1             ? 1
                : cfg->kafka_writers > MAX_WRITERS ? MAX_WRITERS
                                                   : (size_t)cfg->kafka_writers;
  pthread_mutex_init(&in->mu, NULL);
  pthread_cond_init(&in->cv, NULL);
  if (!est_topic_parties_valid(cfg->kafka_topic_parties)) {
    est_log_kv(EST_LOG_ERROR, "ESTD_KAFKA_TOPIC_PARTIES must be topic=party-code,...", "value",
               cfg->kafka_topic_parties, NULL);
    intake_free(in);
    return EST_ECONFIG;
  }
  char qmin[24];
  snprintf(qmin, sizeof qmin, "%d", cfg->kafka_batch_max * 2 > 1000 ? cfg->kafka_batch_max * 2 : 1000);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  bool ok = conf_set(conf, "bootstrap.servers", cfg->kafka_brokers) &&
            conf_set(conf, "group.id", cfg->kafka_group_id) && conf_set(conf, "client.id", "estd") &&
            conf_set(conf, "enable.auto.commit", "true") && conf_set(conf, "enable.auto.offset.store", "false") &&
            conf_set(conf, "auto.offset.reset", "earliest") && conf_set(conf, "enable.partition.eof", "false") &&
            conf_set(conf, "session.timeout.ms", "10000") && conf_set(conf, "heartbeat.interval.ms", "2000") &&
            /* Bounded prefetch keeps RSS small: about two batches are buffered
             * (a batch of 2000 typical events is ~1 MiB). A partition fetch
             * takes a whole producer record batch (librdkafka producers: up to
             * 1 MB): with 512 KiB the fetch cycle, not PostgreSQL, capped a
             * backlog at ~16 000 events/s. fetch.max.bytes trades memory for
             * catch-up rate: 3 MiB ~19 300 events/s at ~60 MiB RSS, 4 MiB
             * ~22 000 at ~72 MiB (docs/BENCHMARKS.md); the default stays under
             * the 64 MiB budget, ESTD_KAFKA_PROP_FETCH_MAX_BYTES overrides it. */
            conf_set(conf, "queued.max.messages.kbytes", "4096") && conf_set(conf, "queued.min.messages", qmin) &&
            conf_set(conf, "fetch.max.bytes", "3145728") && conf_set(conf, "max.partition.fetch.bytes", "1048576") &&
            conf_set(conf, "partition.assignment.strategy", "range,roundrobin") &&
            conf_set(conf, "statistics.interval.ms", "2000"); /* broker reachability for est_intake_health */
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
  rd_kafka_conf_set_stats_cb(conf, stats_cb);
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
  est_log_kv(EST_LOG_INFO, "Kafka intake started", "brokers", cfg->kafka_brokers, "topics", cfg->kafka_topics, "group",
             cfg->kafka_group_id, NULL);
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
