/* metrics.c - Prometheus text-format metrics (see metrics.h). */
#include "estd/metrics.h"

#include "estd/buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include "estd/version.h"

#define MAX_ROUTES 257 /* slot 0 = unmatched, route i at i + 1 */
#define NBUCKETS 13

static const double bucket_le[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,    0.25,  0.5,    1.0,   2.5,  10.0};

typedef struct {
  const char *method;
  const char *path;
  atomic_uint_fast64_t by_status[500]; /* status 100..599 */
  atomic_uint_fast64_t buckets[NBUCKETS];
  atomic_uint_fast64_t count;
  atomic_uint_fast64_t sum_ns;
} route_metrics;

static route_metrics g_routes[MAX_ROUTES];

void est_metrics_route_register(int index, const char *method, const char *path) {
  if (index < 0 || index + 1 >= MAX_ROUTES) return;
  g_routes[index + 1].method = method;
  g_routes[index + 1].path = path;
}

void est_metrics_http_observe(int route_index, int status, double seconds) {
  int slot = route_index + 1;
  if (slot < 0 || slot >= MAX_ROUTES) return;
  route_metrics *m = &g_routes[slot];
  if (status >= 100 && status <= 599) atomic_fetch_add(&m->by_status[status - 100], 1);
  for (int b = 0; b < NBUCKETS; b++)
    if (seconds <= bucket_le[b]) atomic_fetch_add(&m->buckets[b], 1);
  atomic_fetch_add(&m->count, 1);
  atomic_fetch_add(&m->sum_ns, (uint_fast64_t)(seconds * 1e9));
}

/* ---- labelled counters (small, closed label sets; mutex-protected) ---- */

typedef struct label_counter {
  char a[48], b[48];
  long long partition;
  double value;
  struct label_counter *next;
} label_counter;

typedef struct {
  pthread_mutex_t mu;
  label_counter *head;
} label_family;

static label_family g_ingested = {PTHREAD_MUTEX_INITIALIZER, NULL};
static label_family g_rejected = {PTHREAD_MUTEX_INITIALIZER, NULL};
static label_family g_lag = {PTHREAD_MUTEX_INITIALIZER, NULL};
static label_family g_retention_runs = {PTHREAD_MUTEX_INITIALIZER, NULL};
static label_family g_retention_rows = {PTHREAD_MUTEX_INITIALIZER, NULL};
static _Atomic long long g_retention_last_s;
static atomic_uint_fast64_t g_deadlettered;
static atomic_uint_fast64_t g_batches;
static atomic_uint_fast64_t g_batch_messages;
static atomic_uint_fast64_t g_commit_ns;

/* Adds (or with set=1, stores) v for the label pair. Labels are truncated
 * to 47 bytes (escaped when rendered). A family holds at most
 * FAMILY_MAX_SERIES label sets; further ones are counted under "other" so
 * a misbehaving producer cannot blow up the cardinality. */
#define FAMILY_MAX_SERIES 200
static void family_add(label_family *f, const char *a, const char *b, long long part, double v, int set) {
  char sa[48], sb[48];
  snprintf(sa, sizeof sa, "%s", a ? a : "");
  snprintf(sb, sizeof sb, "%s", b ? b : "");
  pthread_mutex_lock(&f->mu);
  int n = 0;
  label_counter *c = f->head;
  for (; c; c = c->next, n++)
    if (strcmp(c->a, sa) == 0 && strcmp(c->b, sb) == 0 && c->partition == part) break;
  if (!c && n >= FAMILY_MAX_SERIES) {
    snprintf(sa, sizeof sa, "other");
    snprintf(sb, sizeof sb, "%s", b && *b ? "other" : "");
    part = -1;
    for (c = f->head; c; c = c->next)
      if (strcmp(c->a, sa) == 0 && strcmp(c->b, sb) == 0 && c->partition == part) break;
  }
  if (!c && (c = calloc(1, sizeof *c)) != NULL) {
    memcpy(c->a, sa, sizeof sa);
    memcpy(c->b, sb, sizeof sb);
    c->partition = part;
    c->next = f->head;
    f->head = c;
  }
  if (c) c->value = set ? v : c->value + v;
  pthread_mutex_unlock(&f->mu);
}

void est_metrics_event_ingested(const char *source, const char *kind) {
  family_add(&g_ingested, source, kind, 0, 1, 0);
}
void est_metrics_event_rejected(const char *reason) { family_add(&g_rejected, reason, "", 0, 1, 0); }
void est_metrics_event_deadlettered(void) { atomic_fetch_add(&g_deadlettered, 1); }
void est_metrics_retention_run(bool ok, long long events_stripped, long long events_deleted,
                               long long dead_letters_deleted, long long finished_epoch_s) {
  family_add(&g_retention_runs, ok ? "ok" : "error", "", 0, 1, 0);
  if (!ok) return;
  family_add(&g_retention_rows, "events", "strip", 0, (double)events_stripped, 0);
  family_add(&g_retention_rows, "events", "delete", 0, (double)events_deleted, 0);
  family_add(&g_retention_rows, "dead_letters", "delete", 0, (double)dead_letters_deleted, 0);
  atomic_store(&g_retention_last_s, finished_epoch_s);
}
void est_metrics_consumer_batch(size_t messages, double commit_seconds) {
  atomic_fetch_add(&g_batches, 1);
  atomic_fetch_add(&g_batch_messages, messages);
  atomic_fetch_add(&g_commit_ns, (uint_fast64_t)(commit_seconds * 1e9));
}
void est_metrics_consumer_lag_set(const char *topic, int partition, long long lag) {
  family_add(&g_lag, topic, "", partition, (double)lag, 1);
}

/* ---- rendering ---------------------------------------------------------- */

/* Prometheus label value escaping: backslash, double quote and newline. */
static void sb_label(est_buf *s, const char *v) {
  for (const char *p = v ? v : ""; *p; p++) {
    if (*p == '\\') est_buf_printf(s, "\\\\");
    else if (*p == '"') est_buf_printf(s, "\\\"");
    else if (*p == '\n') est_buf_printf(s, "\\n");
    else est_buf_printf(s, "%c", *p);
  }
}

static void sb_help(est_buf *s, const char *name, const char *type, const char *help) {
  est_buf_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One unlabelled sample with its HELP and TYPE (integers print exactly up to 2^53). */
static void sb_value(est_buf *s, const char *name, const char *type, const char *help, double v) {
  sb_help(s, name, type, help);
  est_buf_printf(s, "%s %.15g\n", name, v);
}

static void render_family(est_buf *s, label_family *f, const char *name, const char *la, const char *lb) {
  pthread_mutex_lock(&f->mu);
  for (label_counter *c = f->head; c; c = c->next) {
    est_buf_printf(s, "%s{%s=\"", name, la);
    sb_label(s, c->a);
    if (lb) {
      est_buf_printf(s, "\",%s=\"", lb);
      sb_label(s, c->b);
    }
    est_buf_printf(s, "\"} %.17g\n", c->value);
  }
  pthread_mutex_unlock(&f->mu);
}

/* Standard process_* metrics from /proc/self (Linux); silently skipped
 * where unavailable. */
static void render_process(est_buf *s) {
  long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  FILE *f = fopen("/proc/self/stat", "r");
  if (f) {
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the parenthesised command name (which may hold spaces). */
    char *p = strrchr(buf, ')');
    unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
    long long rss = 0;
    if (p && tck > 0 &&
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
               &utime, &stime, &start, &vsize, &rss) == 5) {
      sb_help(s, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
      est_buf_printf(s, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)tck);
      sb_help(s, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
      est_buf_printf(s, "process_virtual_memory_bytes %llu\n", vsize);
      sb_help(s, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
      est_buf_printf(s, "process_resident_memory_bytes %lld\n", rss * (long long)page);
      /* Boot time + start ticks = start time in Unix seconds. */
      FILE *st = fopen("/proc/stat", "r");
      unsigned long long btime = 0;
      if (st) {
        char line[256];
        while (fgets(line, sizeof line, st))
          if (sscanf(line, "btime %llu", &btime) == 1) break;
        fclose(st);
      }
      if (btime) {
        sb_help(s, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        est_buf_printf(s, "process_start_time_seconds %.2f\n", (double)btime + (double)start / (double)tck);
      }
    }
  }
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    long nfd = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
      if (e->d_name[0] != '.') nfd++;
    closedir(d);
    sb_help(s, "process_open_fds", "gauge", "Number of open file descriptors.");
    est_buf_printf(s, "process_open_fds %ld\n", nfd - 1); /* minus the one opendir holds */
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    sb_help(s, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    est_buf_printf(s, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
  }
}

/* One route's histogram, made consistent: a scrape races with observe(),
 * which bumps the buckets before the count, so buckets are read after the
 * count and clamped: cumulative (non-decreasing) and never above _count. */
static void render_histogram(est_buf *s, route_metrics *m, const char *path, const char *method) {
  uint_fast64_t count = atomic_load(&m->count);
  uint_fast64_t sum_ns = atomic_load(&m->sum_ns);
  uint_fast64_t prev = 0;
  for (int b = 0; b < NBUCKETS; b++) {
    uint_fast64_t v = atomic_load(&m->buckets[b]);
    if (v < prev) v = prev;
    if (v > count) v = count;
    prev = v;
    est_buf_printf(s, "estd_http_request_duration_seconds_bucket{route=\"");
    sb_label(s, path);
    est_buf_printf(s, "\",method=\"%s\",le=\"%g\"} %llu\n", method, bucket_le[b], (unsigned long long)v);
  }
  est_buf_printf(s, "estd_http_request_duration_seconds_bucket{route=\"");
  sb_label(s, path);
  est_buf_printf(s, "\",method=\"%s\",le=\"+Inf\"} %llu\n", method, (unsigned long long)count);
  est_buf_printf(s, "estd_http_request_duration_seconds_sum{route=\"");
  sb_label(s, path);
  est_buf_printf(s, "\",method=\"%s\"} %.9f\n", method, (double)sum_ns / 1e9);
  est_buf_printf(s, "estd_http_request_duration_seconds_count{route=\"");
  sb_label(s, path);
  est_buf_printf(s, "\",method=\"%s\"} %llu\n", method, (unsigned long long)count);
}

char *est_metrics_render(const est_metrics_gauges *g) {
  est_buf s = EST_BUF_INIT;
  est_buf_printf(&s, "# HELP estd_build_info Build information.\n# TYPE estd_build_info gauge\n");
  est_buf_printf(&s, "estd_build_info{version=\"%s\"} 1\n", ESTD_VERSION);

  sb_help(&s, "estd_http_requests_total", "counter", "HTTP requests by route template, method and status.");
  for (int i = 0; i < MAX_ROUTES; i++) {
    route_metrics *m = &g_routes[i];
    const char *method = i == 0 ? "*" : m->method, *path = i == 0 ? "(unmatched)" : m->path;
    if (!path) continue;
    for (int st = 0; st < 500; st++) {
      uint_fast64_t n = atomic_load(&m->by_status[st]);
      if (!n) continue;
      est_buf_printf(&s, "estd_http_requests_total{route=\"");
      sb_label(&s, path);
      est_buf_printf(&s, "\",method=\"%s\",status=\"%d\"} %llu\n", method, st + 100, (unsigned long long)n);
    }
  }
  sb_help(&s, "estd_http_request_duration_seconds", "histogram",
          "HTTP request duration (handler and response building) by route template and method.");
  for (int i = 0; i < MAX_ROUTES; i++) {
    route_metrics *m = &g_routes[i];
    const char *method = i == 0 ? "*" : m->method, *path = i == 0 ? "(unmatched)" : m->path;
    if (!path || !atomic_load(&m->count)) continue;
    render_histogram(&s, m, path, method);
  }
  sb_help(&s, "estd_http_requests_in_flight", "gauge", "HTTP requests currently in a handler.");
  est_buf_printf(&s, "estd_http_requests_in_flight %d\n", g->in_flight);
  sb_help(&s, "estd_draining", "gauge", "1 while the process shuts down (readiness fails), else 0.");
  est_buf_printf(&s, "estd_draining %d\n", g->draining ? 1 : 0);
  sb_help(&s, "estd_http_connections_open", "gauge", "HTTP connections open.");
  est_buf_printf(&s, "estd_http_connections_open %d\n", g->conn.open);
  sb_help(
      &s, "estd_http_connections_closed_total", "counter",
      "HTTP connections closed by estd: refused at ESTD_HTTP_MAX_CONNECTIONS, or cut at a deadline or by the drain.");
  est_buf_printf(&s,
                 "estd_http_connections_closed_total{reason=\"limit\"} %llu\n"
                 "estd_http_connections_closed_total{reason=\"header_timeout\"} %llu\n"
                 "estd_http_connections_closed_total{reason=\"body_timeout\"} %llu\n"
                 "estd_http_connections_closed_total{reason=\"idle_timeout\"} %llu\n"
                 "estd_http_connections_closed_total{reason=\"drain\"} %llu\n",
                 (unsigned long long)g->conn.refused_total, (unsigned long long)g->conn.cut_header_total,
                 (unsigned long long)g->conn.cut_body_total, (unsigned long long)g->conn.cut_idle_total,
                 (unsigned long long)g->conn.cut_drain_total);
  if (g->has_intake) {
    sb_help(&s, "estd_intake_up", "gauge", "1 while the Kafka intake consumes normally (/healthz/intake state ok).");
    est_buf_printf(&s, "estd_intake_up %d\n", g->intake_ok ? 1 : 0);
    sb_help(&s, "estd_intake_brokers_up", "gauge", "Kafka brokers the intake is connected to (-1 until known).");
    est_buf_printf(&s, "estd_intake_brokers_up %d\n", g->intake_brokers_up);
    sb_help(&s, "estd_intake_seconds_since_last_batch", "gauge",
            "Seconds since the intake last committed a batch (-1 until the first).");
    est_buf_printf(&s, "estd_intake_seconds_since_last_batch %.3f\n", g->intake_last_batch_age_s);
    sb_help(&s, "estd_intake_database_failing_seconds", "gauge",
            "How long intake writes have been failing (0 = they do not).");
    est_buf_printf(&s, "estd_intake_database_failing_seconds %.3f\n", g->intake_db_failing_s);
  }

  est_buf_printf(&s,
                 "# HELP estd_events_ingested_total Events stored, by source (kafka, http) and kind.\n"
                 "# TYPE estd_events_ingested_total counter\n");
  render_family(&s, &g_ingested, "estd_events_ingested_total", "source", "kind");
  est_buf_printf(&s,
                 "# HELP estd_events_rejected_total Events rejected, by reason.\n"
                 "# TYPE estd_events_rejected_total counter\n");
  render_family(&s, &g_rejected, "estd_events_rejected_total", "reason", NULL);
  est_buf_printf(&s,
                 "# HELP estd_retention_runs_total Retention (gallring) runs by result.\n"
                 "# TYPE estd_retention_runs_total counter\n");
  render_family(&s, &g_retention_runs, "estd_retention_runs_total", "result", NULL);
  est_buf_printf(&s,
                 "# HELP estd_retention_rows_total Rows stripped of detail or deleted by retention.\n"
                 "# TYPE estd_retention_rows_total counter\n");
  render_family(&s, &g_retention_rows, "estd_retention_rows_total", "table", "action");
  est_buf_printf(
      &s,
      "# HELP estd_retention_last_run_timestamp_seconds When the last successful retention run ended.\n"
      "# TYPE estd_retention_last_run_timestamp_seconds gauge\nestd_retention_last_run_timestamp_seconds %lld\n",
      (long long)atomic_load(&g_retention_last_s));
  est_buf_printf(&s,
                 "# HELP estd_events_deadlettered_total Kafka messages written to the dead-letter table.\n"
                 "# TYPE estd_events_deadlettered_total counter\nestd_events_deadlettered_total %llu\n",
                 (unsigned long long)atomic_load(&g_deadlettered));
  est_buf_printf(&s,
                 "# HELP estd_consumer_batches_total Consumer batches committed.\n"
                 "# TYPE estd_consumer_batches_total counter\nestd_consumer_batches_total %llu\n",
                 (unsigned long long)atomic_load(&g_batches));
  est_buf_printf(&s,
                 "# HELP estd_consumer_batch_messages_total Messages in committed consumer batches.\n"
                 "# TYPE estd_consumer_batch_messages_total counter\nestd_consumer_batch_messages_total %llu\n",
                 (unsigned long long)atomic_load(&g_batch_messages));
  est_buf_printf(&s,
                 "# HELP estd_consumer_commit_seconds_total Time spent committing consumer batches.\n"
                 "# TYPE estd_consumer_commit_seconds_total counter\nestd_consumer_commit_seconds_total %.9f\n",
                 (double)atomic_load(&g_commit_ns) / 1e9);
  est_buf_printf(&s,
                 "# HELP estd_consumer_lag_messages Consumer lag per partition.\n"
                 "# TYPE estd_consumer_lag_messages gauge\n");
  pthread_mutex_lock(&g_lag.mu);
  for (label_counter *c = g_lag.head; c; c = c->next) {
    est_buf_printf(&s, "estd_consumer_lag_messages{topic=\"");
    sb_label(&s, c->a);
    est_buf_printf(&s, "\",partition=\"%lld\"} %.0f\n", c->partition, c->value);
  }
  pthread_mutex_unlock(&g_lag.mu);

  { /* situational-picture cache (estd/situation_cache.h) */
    uint64_t hits = g->scache_hits, misses = g->scache_misses, coalesced = g->scache_coalesced;
    est_buf_printf(
        &s,
        "# HELP estd_situation_cache_requests_total Situational pictures served from the cache (hit) or computed (miss).\n"
        "# TYPE estd_situation_cache_requests_total counter\n"
        "estd_situation_cache_requests_total{result=\"hit\"} %llu\n"
        "estd_situation_cache_requests_total{result=\"miss\"} %llu\n",
        (unsigned long long)hits, (unsigned long long)misses);
    est_buf_printf(
        &s,
        "# HELP estd_situation_cache_coalesced_total Requests that waited for an identical computation in progress.\n"
        "# TYPE estd_situation_cache_coalesced_total counter\nestd_situation_cache_coalesced_total %llu\n",
        (unsigned long long)coalesced);
    est_buf_printf(&s,
                   "# HELP estd_hotspot_refreshes_total Hot spots recomputed in the background before their staleness "
                   "bound (started; failed: the refresh's database work failed).\n"
                   "# TYPE estd_hotspot_refreshes_total counter\n"
                   "estd_hotspot_refreshes_total{result=\"started\"} %llu\n"
                   "estd_hotspot_refreshes_total{result=\"failed\"} %llu\n",
                   (unsigned long long)g->hotspot_refreshes, (unsigned long long)g->hotspot_refresh_failures);
  }
  if (g->has_pool) {
    est_buf_printf(&s,
                   "# HELP estd_db_pool_size Configured maximum database connections.\n"
                   "# TYPE estd_db_pool_size gauge\nestd_db_pool_size %d\n",
                   g->pool_size);
    est_buf_printf(&s,
                   "# HELP estd_db_pool_open Database connections open.\n"
                   "# TYPE estd_db_pool_open gauge\nestd_db_pool_open %d\n",
                   g->pool_open);
    est_buf_printf(&s,
                   "# HELP estd_db_pool_in_use Database connections in use.\n"
                   "# TYPE estd_db_pool_in_use gauge\nestd_db_pool_in_use %d\n",
                   g->pool_in_use);
    est_buf_printf(&s,
                   "# HELP estd_db_pool_acquired_total Successful connection acquisitions.\n"
                   "# TYPE estd_db_pool_acquired_total counter\nestd_db_pool_acquired_total %llu\n",
                   (unsigned long long)g->pool_acquired_total);
    est_buf_printf(&s,
                   "# HELP estd_db_pool_timeouts_total Acquisitions that failed (timeout or database down).\n"
                   "# TYPE estd_db_pool_timeouts_total counter\nestd_db_pool_timeouts_total %llu\n",
                   (unsigned long long)g->pool_timeouts_total);
    est_buf_printf(&s,
                   "# HELP estd_db_deadline_exceeded_total Database calls cancelled at their client-side deadline.\n"
                   "# TYPE estd_db_deadline_exceeded_total counter\nestd_db_deadline_exceeded_total %llu\n",
                   (unsigned long long)g->pool_deadline_total);
    est_buf_printf(&s,
                   "# HELP estd_db_pool_wait_seconds_total Time spent waiting for a connection.\n"
                   "# TYPE estd_db_pool_wait_seconds_total counter\nestd_db_pool_wait_seconds_total %.6f\n",
                   (double)g->pool_wait_us_total / 1e6);
    est_buf_printf(&s,
                   "# HELP estd_db_pool_connects_total Connections opened (including reconnects).\n"
                   "# TYPE estd_db_pool_connects_total counter\nestd_db_pool_connects_total %llu\n",
                   (unsigned long long)g->pool_reconnects_total);
  }
  if (g->has_replica) {
    const est_metrics_replica *r = &g->replica;
    sb_help(&s, "estd_db_replica_up", "gauge", "1 while list and situation reads go to the read replica.");
    est_buf_printf(&s, "estd_db_replica_up{state=\"%s\"} %d\n", r->state, r->up);
    sb_value(&s, "estd_db_replica_lag_seconds", "gauge",
             "How long ago the primary was first seen past the replica's replay position (-1 = unknown).", r->lag_s);
    sb_help(&s, "estd_db_reads_total", "counter", "Routed reads (lists, situation) by the server chosen.");
    est_buf_printf(&s, "estd_db_reads_total{target=\"replica\"} %llu\nestd_db_reads_total{target=\"primary\"} %llu\n",
                   (unsigned long long)r->reads_replica, (unsigned long long)r->reads_primary);
    sb_value(&s, "estd_db_read_fallbacks_total", "counter",
             "Replica reads served by the primary because the replica could not be reached.", (double)r->fallbacks);
  }
  if (g->has_doc_cache) {
    const est_metrics_doc_cache *d = &g->doc_cache;
    sb_help(&s, "estd_doc_cache_requests_total", "counter",
            "Documents by id served from the cache (hit), fetched and cached (miss), or fetched past the cache "
            "while its listener was not in sync (bypass).");
    est_buf_printf(&s,
                   "estd_doc_cache_requests_total{result=\"hit\"} %llu\nestd_doc_cache_requests_total{result=\"miss\"} "
                   "%llu\nestd_doc_cache_requests_total{result=\"bypass\"} %llu\n",
                   (unsigned long long)d->hits, (unsigned long long)d->misses, (unsigned long long)d->bypass);
    sb_value(&s, "estd_doc_cache_invalidations_total", "counter", "Change notifications received.",
             (double)d->invalidations);
    sb_value(&s, "estd_doc_cache_syncs_total", "counter",
             "Notification barriers completed (one serves every request that arrived before it began).",
             (double)d->syncs);
    sb_value(&s, "estd_doc_cache_listening", "gauge",
             "1 while the cache's LISTEN connection is up (else it is bypassed).", d->listening);
  }
  if (g->has_police_feed) {
    const est_metrics_police_feed *p = &g->police_feed;
    sb_help(&s, "estd_police_feed_records_total", "counter",
            "New records the Police-feed poller took in, by how estd's type list maps their type (mapped to a "
            "category, unmapped = kept as ovrigt, summary = skipped, unknown = not in the list).");
    const struct {
      const char *mapping;
      uint64_t records;
    } by[] = {{"mapped", p->mapped}, {"unmapped", p->unmapped}, {"summary", p->summary}, {"unknown", p->unknown}};
    for (size_t i = 0; i < sizeof by / sizeof by[0]; i++)
      est_buf_printf(&s, "estd_police_feed_records_total{mapping=\"%s\"} %llu\n", by[i].mapping,
                     (unsigned long long)by[i].records);
    sb_help(&s, "estd_police_feed_unmapped_total", "counter",
            "New Police-feed poller records per listed type estd keeps as ovrigt (unmapped).");
    for (size_t i = 0; i < p->n_types; i++) {
      est_buf_printf(&s, "estd_police_feed_unmapped_total{type=\"");
      sb_label(&s, p->types[i].type);
      est_buf_printf(&s, "\"} %llu\n", (unsigned long long)p->types[i].records);
    }
    sb_value(&s, "estd_police_feed_unknown_types", "gauge",
             "Distinct Police-feed types the poller met that estd's type list does not have (the list needs them).",
             (double)p->unknown_types);
  }
  render_process(&s);
  return est_buf_steal(&s);
}
