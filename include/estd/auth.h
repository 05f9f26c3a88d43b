/* auth.h - authentication and scope checks for HTTP requests.
 *
 * est_auth_check_request fills ctx->who from the Authorization header and
 * checks the route's scopes. When the app has no auth configured (ctx->app
 * ->auth == NULL) every request is allowed with all scopes. */
#ifndef ESTD_AUTH_H
#define ESTD_AUTH_H

#include "estd/result.h"

struct http_ctx;
est_result est_auth_check_request(struct http_ctx *ctx);



struct est_app;
/* Sets app->auth from configuration (NULL = auth disabled). */
est_result est_auth_init(struct est_app *app);
void est_auth_free(struct est_app *app);
#endif
