/* auth.c - request authentication (see auth.h). */
#include "estd/auth.h"

#include "estd/http.h"

est_result est_auth_check_request(http_ctx *ctx) {
  if (!ctx->app->auth) {
    ctx->who.scopes = ~0u;
    return EST_OK;
  }
  return http_fail(ctx, EST_EUNAUTHORIZED, "authentication is not available");
}

est_result est_auth_init(est_app *app) {
  app->auth = NULL;
  return EST_OK;
}

void est_auth_free(est_app *app) { app->auth = NULL; }
