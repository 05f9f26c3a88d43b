/* routes_ops.c - probes and metrics: /livez, /readyz, /metrics. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/auth.h"
#include "estd/http.h"
#include "estd/http_server.h"
#include "estd/intake.h"
#include "estd/log.h"
#include "estd/metrics.h"
#include "estd/migrate.h"
#include "estd/oidc.h"
#include "estd/pool.h"
#include "estd/situation_cache.h"
#include "estd/store_doccache.h"
#include "estd/store_police_feed.h"
#include "estd/util.h"

static est_result livez(http_ctx *ctx) {
  http_reply_raw(ctx, 200, "application/json", HTTP_LITERAL("{\"status\":\"ok\"}"));
  return EST_OK;
}

/* Migrations are only ever added, and only by a newer build (a new
 * process), so once the schema is found current it stays current for this
 * process: the check (one query per migration file) runs until it first
 * succeeds, then never again. Failures and "pending" are not cached. */
static atomic_bool g_migrations_current;

/* NULL when current, else the reason readiness fails. */
static const char *migrations_check(est_app *app) {
  if (app->migrations_current || atomic_load(&g_migrations_current)) return NULL;
  int pending = 0;
  est_result rc = est_migrate_pending(app->pool, app->cfg->sql_dir, &pending);
  if (rc == EST_EUNAVAILABLE || rc == EST_ETIMEOUT) return "database unreachable";
  if (rc != EST_OK) return "migration check failed";
  if (pending > 0) return "database migrations pending";
  atomic_store(&g_migrations_current, true);
  return NULL;
}

/* The intake's health as a JSON object (readiness body, /healthz/intake). */
static json_t *intake_json(est_app *app, est_intake_status *h) {
  est_intake_health(app->intake, h);
  json_t *j = json_pack("{s:s}", "state", h->state);
  if (!j || !app->intake) return j;
  json_object_set_new(j, "assigned", json_boolean(h->assigned));
  json_object_set_new(j, "brokers_up", h->brokers_up >= 0 ? json_integer(h->brokers_up) : json_null());
  json_object_set_new(j, "consumer_lag", h->consumer_lag >= 0 ? json_integer(h->consumer_lag) : json_null());
  json_object_set_new(j, "seconds_since_last_batch",
                      h->last_batch_age_s >= 0 ? json_real(h->last_batch_age_s) : json_null());
  json_object_set_new(j, "database_failing_seconds", json_real(h->db_failing_s));
  return j;
}

/* The read replica's state (readiness body), NULL when none is configured.
 * It never makes the instance unready: reads fall back to the primary. */
static json_t *replica_json(est_app *app) {
  est_replica_status st;
  est_pool_replica_status(app->pool, &st);
  if (!st.configured) return NULL;
  char replay[24];
  est_lsn_format(st.replay_lsn, replay);
  return json_pack("{s:s,s:o,s:f,s:s,s:I,s:I}", "state", est_replica_state_name(st.state), "lag_seconds",
                   st.lag_s >= 0 ? json_real(st.lag_s) : json_null(), "max_lag_seconds", st.max_lag_s, "replay_lsn",
                   replay, "reads_replica", (json_int_t)st.reads_replica, "reads_primary",
                   (json_int_t)st.reads_primary);
}

/* Logs a readiness change once, at warn, with the reason (probes
 * themselves are logged at debug). */
static void readiness_note(const char *reason) {
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  static int last = -1; /* -1 unknown, 0 not ready, 1 ready */
  int now = reason ? 0 : 1;
  pthread_mutex_lock(&mu);
  if (now != last) {
    if (now) est_log_kv(last == -1 ? EST_LOG_INFO : EST_LOG_WARN, "readiness: ready", NULL);
    else est_log_kv(EST_LOG_WARN, "readiness: not ready", "reason", reason, NULL);
    last = now;
  }
  pthread_mutex_unlock(&mu);
}

/* Ready = "send me HTTP traffic": not draining, the database answers
 * within ESTD_READY_TIMEOUT_MS, migrations current. The Kafka intake is
 * reported in the body ("intake") and by /healthz/intake, but never makes
 * the API unready: a broker outage must not take every instance out of the
 * load balancer while the REST API serves perfectly. */
static est_result readyz(http_ctx *ctx) {
  est_app *app = ctx->app;
  const char *reason = NULL;
  est_result prc = EST_OK;
  if (atomic_load(&app->draining)) reason = "shutting down";
  else if ((prc = est_pool_ping(app->pool)) != EST_OK)
    reason = prc == EST_ETIMEOUT ? "database did not answer within the readiness deadline" : "database unreachable";
  else reason = migrations_check(app);
  readiness_note(reason);
  est_intake_status h;
  json_t *intake = intake_json(app, &h);
  /* OpenID Connect key status is reported, not gated on: API keys, sessions
   * and cached keys keep working while the issuer is away (docs/SECURITY.md). */
  est_oidc *oidc = est_auth_oidc(app);
  json_t *oidc_j = oidc ? est_oidc_status(oidc) : NULL;
  if (reason) {
    /* "status" stays the numeric HTTP status (RFC 9457); the reason is an extension member. */
    ctx->problem_extra = json_pack("{s:s,s:o*,s:o*,s:o*}", "reason", reason, "intake", intake, "oidc", oidc_j,
                                   "read_replica", replica_json(app));
    return http_fail(ctx, EST_EUNAVAILABLE, "not ready: %s", reason);
  }
  http_reply_json_steal(ctx, 200,
                        json_pack("{s:s,s:o*,s:o*,s:o*}", "status", "ready", "intake", intake, "oidc", oidc_j,
                                  "read_replica", replica_json(app)));
  return EST_OK;
}

/* Kafka intake health for alerting: 200 when consuming normally (or
 * intake off), 503 otherwise; the body says why either way. */
static est_result healthz_intake(http_ctx *ctx) {
  est_intake_status h;
  json_t *j = intake_json(ctx->app, &h);
  bool ok = strcmp(h.state, "ok") == 0 || strcmp(h.state, "off") == 0;
  if (!ok) http_set_header(ctx, "Retry-After", "5");
  http_reply_json_steal(ctx, ok ? 200 : 503, j);
  return EST_OK;
}

/* The Police-feed counts live in the database (the poller is a process of
 * its own): read at most every ESTD_METRICS_DB_SAMPLE_MS, so while the
 * database is away at most one scrape in that time waits for it; the others
 * show the last reading (none before the first succeeds). */
static pthread_mutex_t g_police_mu = PTHREAD_MUTEX_INITIALIZER;
static est_metrics_police_feed g_police;
static bool g_police_ok, g_police_read;
static long long g_police_at_ms;

static bool police_feed_sample(est_app *app, est_metrics_police_feed *out) {
  long long now = est_mono_ms();
  pthread_mutex_lock(&g_police_mu);
  if (!g_police_read || now - g_police_at_ms >= app->cfg->metrics_db_sample_ms) {
    g_police_read = true;
    g_police_at_ms = now;
    est_metrics_police_feed fresh;
    if (store_police_feed_metrics(app->pool, &fresh) == EST_OK) {
      g_police = fresh;
      g_police_ok = true;
    }
  }
  bool ok = g_police_ok;
  if (ok) *out = g_police;
  pthread_mutex_unlock(&g_police_mu);
  return ok;
}

static est_result metrics(http_ctx *ctx) {
  est_app *app = ctx->app;
  est_metrics_gauges g = {.in_flight = atomic_load(&app->in_flight), .draining = atomic_load(&app->draining)};
  est_scache_counters(&g.scache_hits, &g.scache_misses, &g.scache_coalesced);
  http_situation_refresh_counters(&g.hotspot_refreshes, &g.hotspot_refresh_failures);
  if (app->pool) {
    est_pool_stats ps;
    est_pool_stats_get(app->pool, &ps);
    g.has_pool = true;
    g.pool_size = ps.size;
    g.pool_open = ps.open;
    g.pool_in_use = ps.in_use;
    g.pool_acquired_total = ps.acquired_total;
    g.pool_timeouts_total = ps.timeouts_total;
    g.pool_wait_us_total = ps.wait_us_total;
    g.pool_reconnects_total = ps.reconnects_total;
    g.pool_deadline_total = ps.deadline_total;
  }
  if (app->doc_cache) {
    g.has_doc_cache = true;
    store_doccache_counters(app->doc_cache, &g.doc_cache);
  }
  est_replica_status rs;
  est_pool_replica_status(app->pool, &rs);
  if ((g.has_replica = rs.configured))
    g.replica = (est_metrics_replica){rs.state == EST_REPLICA_OK,
                                      est_replica_state_name(rs.state),
                                      rs.lag_s,
                                      rs.reads_replica,
                                      rs.reads_primary,
                                      rs.fallbacks};
  g.has_police_feed = app->pool && police_feed_sample(app, &g.police_feed);
  http_server_counters(&g.conn);
  if (app->intake) {
    est_intake_status h;
    est_intake_health(app->intake, &h);
    g.has_intake = true;
    g.intake_ok = strcmp(h.state, "ok") == 0;
    g.intake_brokers_up = h.brokers_up;
    g.intake_last_batch_age_s = h.last_batch_age_s;
    g.intake_db_failing_s = h.db_failing_s;
  }
  char *text = est_metrics_render(&g);
  if (!text) return EST_ENOMEM;
  http_reply_raw(ctx, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
  free(text);
  return EST_OK;
}

const http_route http_routes_ops[] = {
    {"GET", "/livez", livez, 0, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_NOLOG, NULL},
    {"GET", "/readyz", readyz, 0, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_NOLOG, NULL},
    {"GET", "/healthz/intake", healthz_intake, 0, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_NOLOG, NULL},
    {"GET", "/metrics", metrics, HTTP_SCOPE_READ, HTTP_ROUTE_NOLOG, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
