/* routes_ops.c - probes and metrics: /livez, /readyz, /metrics. */
#include <stdlib.h>
#include <string.h>

#include "estd/http.h"
#include "estd/intake.h"
#include "estd/metrics.h"
#include "estd/migrate.h"

static est_result livez(http_ctx *ctx) {
  http_reply_raw(ctx, 200, "application/json", "{\"status\":\"ok\"}", 15);
  return EST_OK;
}

/* Ready = not draining, database answers, migrations current, and the
 * Kafka consumer (when on) has its partition assignment. */
static est_result readyz(http_ctx *ctx) {
  est_app *app = ctx->app;
  const char *reason = NULL;
  if (atomic_load(&app->draining)) {
    reason = "shutting down";
  } else if (est_pool_ping(app->pool) != EST_OK) {
    reason = "database unreachable";
  } else {
    int pending = 0;
    if (est_migrate_pending(app->pool, app->cfg->sql_dir, &pending) != EST_OK) reason = "database unreachable";
    else if (pending > 0) reason = "database migrations pending";
  }
  if (!reason && app->intake && !est_intake_has_assignment(app->intake)) reason = "Kafka consumer has no partition assignment";
  if (reason) {
    json_t *extra = json_pack("{s:s, s:s}", "status", "unavailable", "reason", reason);
    ctx->problem_extra = extra;
    return http_fail(ctx, EST_EUNAVAILABLE, "not ready: %s", reason);
  }
  http_reply_raw(ctx, 200, "application/json", "{\"status\":\"ready\"}", 18);
  return EST_OK;
}

static est_result metrics(http_ctx *ctx) {
  char *text = est_metrics_render(ctx->app);
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
