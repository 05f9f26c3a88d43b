/* auth.h - API keys, authentication and scope checks for HTTP requests.
 *
 * A key is the token "estd_<prefix>_<secret>": prefix = 12 lowercase hex
 * digits (public, used for lookup and safe to log), secret = 32 random
 * bytes from getrandom(2) in base64url without padding (43 chars). The
 * database stores only the prefix and HMAC-SHA256(ESTD_KEY_SECRET, token).
 *
 * est_auth_check_request fills ctx->who from the Authorization header
 * ("Bearer <token>"), applies the per-key rate limit and checks the
 * route's scopes (admin implies every scope). It runs before the handler,
 * so a refused request never learns whether a resource exists. When the
 * app has no auth configured (ctx->app->auth == NULL, ESTD_AUTH=off) every
 * request is allowed with all scopes and ctx->who.key_id stays 0.
 *
 * Verified keys are cached in memory (bounded, ESTD_AUTH_CACHE_TTL_MS), so
 * a revocation takes effect within the TTL; hashes are compared in
 * constant time; last_used_at is written at most once a minute per key. */
#ifndef ESTD_AUTH_H
#define ESTD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include "estd/config.h"
#include "estd/result.h"
#include "estd/scope.h"

#define EST_KEY_PREFIX_LEN 12        /* hex digits */
#define EST_KEY_SECRET_BYTES 32      /* random bytes in the secret part */
#define EST_KEY_TOKEN_MAX 96         /* longer Authorization tokens are malformed */
#define EST_KEY_HASH_LEN 32          /* HMAC-SHA256 */
#define EST_KEY_SERVER_SECRET_MIN 32 /* minimum length of ESTD_KEY_SECRET */

struct http_ctx;
est_result est_auth_check_request(struct http_ctx *ctx);

struct est_app;
/* Sets app->auth from configuration (NULL = auth disabled). Call
 * est_auth_config_check first; returns EST_ECONFIG if it would fail. */
est_result est_auth_init(struct est_app *app);
void est_auth_free(struct est_app *app);
/* The OpenID Connect verifier (NULL when no issuer is configured or auth is off). */
struct est_oidc;
struct est_oidc *est_auth_oidc(const struct est_app *app);

/* Validates the security configuration for `estd serve`: with ESTD_AUTH=
 * required, ESTD_KEY_SECRET must be at least EST_KEY_SERVER_SECRET_MIN
 * bytes. On failure writes one line naming the variable into err. */
est_result est_auth_config_check(const est_config *cfg, char *err, size_t errlen);
/* Just the ESTD_KEY_SECRET rule (also used by `estd keys create`). */
est_result est_key_secret_check(const char *secret, char *err, size_t errlen);

/* ---- key tokens ---- */
/* Makes a new key. *token is malloc'd (the caller shows it once, then
 * wipes it with explicit_bzero and frees it); prefix receives the prefix. */
est_result est_key_generate(char **token, char prefix[EST_KEY_PREFIX_LEN + 1]);
/* Checks the token format and extracts its prefix; EST_EINVAL if malformed. */
est_result est_key_parse(const char *token, char prefix[EST_KEY_PREFIX_LEN + 1]);
/* out = HMAC-SHA256(server_secret, token). */
est_result est_key_hash(const char *server_secret, const char *token, unsigned char out[EST_KEY_HASH_LEN]);
/* Constant-time equality of two n-byte buffers. */
bool est_ct_equal(const unsigned char *a, const unsigned char *b, size_t n);

#endif
