/* routes_ops.c - probes and metrics: /livez, /readyz, /metrics. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/http.h"
#include "estd/intake.h"
#include "estd/metrics.h"
#include "estd/migrate.h"
#include "estd/pool.h"
#include "estd/situation_cache.h"

static est_result livez(http_ctx *ctx) {
  http_reply_raw(ctx, 200, "application/json", HTTP_LITERAL("{\"status\":\"ok\"}"));
  return EST_OK;
}

/* The migrations check runs one query per migration file, so a "current"
 * answer is reused for a second (migrations are only ever added, so a
 * current schema stays current until a newer build is deployed). Failures
 * and "pending" are not cached. */
#define MIGRATION_CHECK_TTL_MS 1000
static pthread_mutex_t g_mig_mu = PTHREAD_MUTEX_INITIALIZER;
static long long g_mig_checked_ms = -1;

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* NULL when current, else the reason readiness fails. */
static const char *migrations_check(est_app *app) {
  long long now = mono_ms();
  pthread_mutex_lock(&g_mig_mu);
  bool fresh = g_mig_checked_ms >= 0 && now - g_mig_checked_ms < MIGRATION_CHECK_TTL_MS;
  pthread_mutex_unlock(&g_mig_mu);
  if (fresh) return NULL;
  int pending = 0;
  est_result rc = est_migrate_pending(app->pool, app->cfg->sql_dir, &pending);
  if (rc == EST_EUNAVAILABLE || rc == EST_ETIMEOUT) return "database unreachable";
  if (rc != EST_OK) return "migration check failed";
  if (pending > 0) return "database migrations pending";
  pthread_mutex_lock(&g_mig_mu);
  g_mig_checked_ms = now;
  pthread_mutex_unlock(&g_mig_mu);
  return NULL;
}

/* Ready = not draining, database answers, migrations current, and the
 * Kafka consumer (when on) has its partition assignment. */
static est_result readyz(http_ctx *ctx) {
  est_app *app = ctx->app;
  const char *reason = NULL;
  if (atomic_load(&app->draining)) reason = "shutting down";
  else if (est_pool_ping(app->pool) != EST_OK) reason = "database unreachable";
  else reason = migrations_check(app);
  if (!reason && app->intake && !est_intake_has_assignment(app->intake))
    reason = "Kafka consumer has no partition assignment";
  if (reason) {
    /* "status" stays the numeric HTTP status (RFC 9457); the reason is an extension member. */
    ctx->problem_extra = json_pack("{s:s}", "reason", reason);
    return http_fail(ctx, EST_EUNAVAILABLE, "not ready: %s", reason);
  }
  http_reply_raw(ctx, 200, "application/json", HTTP_LITERAL("{\"status\":\"ready\"}"));
  return EST_OK;
}

static est_result metrics(http_ctx *ctx) {
  est_app *app = ctx->app;
  est_metrics_gauges g = {.in_flight = atomic_load(&app->in_flight), .draining = atomic_load(&app->draining)};
  est_scache_counters(&g.scache_hits, &g.scache_misses, &g.scache_coalesced);
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
  }
  char *text = est_metrics_render(&g);
  if (!text) return EST_ENOMEM;
  http_reply_raw(ctx, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
  free(text);
  return EST_OK;
}

const http_route http_routes_ops[] = {
    {"GET", "/livez", livez, 0, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_NOLOG},
    {"GET", "/readyz", readyz, 0, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_NOLOG},
    {"GET", "/metrics", metrics, HTTP_SCOPE_READ, HTTP_ROUTE_NOLOG},
    {NULL, NULL, NULL, 0, 0},
};
