/* metrics.h - process metrics rendered in the Prometheus text format.
 *
 * Counters are lock-free atomics so the hot path costs a few increments.
 * Routes are registered once at start (index = position in the route
 * table); index -1 is the "unmatched" bucket. A core service: every layer
 * may report to it; what belongs to a higher layer (server, pool, cache)
 * is sampled by the caller of est_metrics_render (http/routes_ops.c). */
#ifndef ESTD_METRICS_H
#define ESTD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void est_metrics_route_register(int index, const char *method, const char *path);
void est_metrics_http_observe(int route_index, int status, double seconds);

/* Intake counters (labels are small closed sets; unknown values go to "other"). */
/* Labelled by kind (incident, patrol, activity), not category: /metrics is
 * open to every read key, and per-category counters scraped over time would
 * give exact small counts past the disclosure control (docs/SECURITY.md). */
void est_metrics_event_ingested(const char *source, const char *kind);
void est_metrics_event_rejected(const char *reason);
void est_metrics_event_deadlettered(void);
/* One retention (gallring) run: estd_retention_runs_total{result},
 * estd_retention_rows_total{table,action}, and (ok) the end time. */
void est_metrics_retention_run(bool ok, long long events_stripped, long long events_deleted,
                               long long dead_letters_deleted, long long finished_epoch_s);
void est_metrics_consumer_batch(size_t messages, double commit_seconds);
/* Consumer lag per partition, set by the intake after each poll cycle. */
void est_metrics_consumer_lag_set(const char *topic, int partition, long long lag);

/* HTTP connections: kept by the connection guard (http_guard.h names it
 * http_guard_counters), sampled as they are. */
typedef struct est_metrics_connections {
  int open;                  /* connections open now */
  uint64_t refused_total;    /* refused at the connection limit */
  uint64_t cut_header_total; /* request head not complete in time */
  uint64_t cut_body_total;   /* request body not complete in time */
  uint64_t cut_idle_total;   /* keep-alive idle past its time */
  uint64_t cut_drain_total;  /* closed by the drain */
} est_metrics_connections;

/* The read replica as the pool's monitor sees it (pool.h "read routing"). */
typedef struct est_metrics_replica {
  int up;            /* 1 = reads go to it (state ok) */
  const char *state; /* est_replica_state_name */
  double lag_s;      /* -1 = unknown */
  uint64_t reads_replica, reads_primary, fallbacks;
} est_metrics_replica;

/* The document cache's counters (store_doccache.h). */
typedef struct est_metrics_doc_cache {
  uint64_t hits, misses, bypass, invalidations, syncs;
  int listening; /* 1 = connected, LISTENing, flushed since */
} est_metrics_doc_cache;

/* The Police-feed poller's new records by the type's mapping in estd's type
 * list (store_police_feed.h; kept in the database, since the poller is a
 * process of its own): estd_police_feed_records_total{mapping},
 * estd_police_feed_unmapped_total{type} (a listed type, so at most the
 * list's unmapped ones) and estd_police_feed_unknown_types (types not in
 * the list: their names only in the log and `estd police-feed types
 * --counts`, never as a label, which the feed's free text would blow up). */
#define EST_METRICS_POLICE_UNMAPPED_MAX 64
typedef struct est_metrics_police_feed {
  uint64_t mapped, unmapped, summary, unknown;
  uint64_t unknown_types; /* distinct types not in the list */
  size_t n_types;         /* entries of types[] (listed unmapped types seen) */
  struct {
    char type[96];
    uint64_t records;
  } types[EST_METRICS_POLICE_UNMAPPED_MAX];
} est_metrics_police_feed;

/* Gauges and counters owned by higher layers, sampled at scrape time. */
typedef struct est_metrics_gauges {
  int in_flight;                                         /* HTTP requests currently in a handler */
  bool draining;                                         /* shutting down */
  uint64_t scache_hits, scache_misses, scache_coalesced; /* situation_cache.h */
  uint64_t hotspot_refreshes, hotspot_refresh_failures;  /* background hot spot refreshes (http.h) */
  bool has_pool;                                         /* the pool members below are set */
  int pool_size, pool_open, pool_in_use;
  uint64_t pool_acquired_total, pool_timeouts_total, pool_wait_us_total, pool_reconnects_total, pool_deadline_total;
  est_metrics_connections conn;   /* HTTP connections (http_guard.h) */
  bool has_intake;                /* the intake members below are set (intake.h) */
  bool intake_ok;                 /* state "ok" */
  int intake_brokers_up;          /* -1 = not known */
  double intake_last_batch_age_s; /* -1 = none yet */
  double intake_db_failing_s;
  bool has_replica; /* ESTD_DATABASE_READ_URL set: replica is set (pool.h) */
  est_metrics_replica replica;
  bool has_doc_cache; /* doc_cache is set (store_doccache.h) */
  est_metrics_doc_cache doc_cache;
  bool has_police_feed; /* police_feed is set (read from the database at the scrape) */
  est_metrics_police_feed police_feed;
} est_metrics_gauges;

/* Renders every metric with the sampled gauges g; the caller frees the string. */
char *est_metrics_render(const est_metrics_gauges *g);

#endif
