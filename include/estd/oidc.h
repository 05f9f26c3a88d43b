/* oidc.h - OpenID Connect: JWT bearer validation against the configured
 * issuer's JWKS (librhonabwy for the JOSE work, libcurl for the fetches),
 * and the provider endpoints the web sign-in uses (docs/SECURITY.md).
 *
 * Keys: a background thread fetches {issuer}/.well-known/openid-configuration
 * and its jwks_uri at start and every ESTD_OIDC_JWKS_REFRESH_S. A token with
 * an unknown kid asks for an early refresh, at most once per
 * ESTD_OIDC_REFRESH_MIN_INTERVAL_MS (requests meanwhile wait for the same
 * refresh), and waits for it at most four ESTD_OIDC_FETCH_TIMEOUT_MS;
 * otherwise it fails closed (401). While the
 * issuer is unreachable the last key set keeps working until it is
 * ESTD_OIDC_JWKS_MAX_AGE_S old. Request threads never fetch themselves.
 *
 * Tokens: a verified token's outcome (party, scopes, sub, iss) is cached
 * under SHA-256(token) in a bounded table (ESTD_OIDC_TOKEN_CACHE_SIZE) until
 * min(exp + skew, now + ESTD_OIDC_TOKEN_CACHE_TTL_S), so the signature is
 * checked once per token, not once per request. */
#ifndef ESTD_OIDC_H
#define ESTD_OIDC_H

#include <jansson.h>
#include <stddef.h>

#include "estd/config.h"
#include "estd/oidc_claims.h"
#include "estd/pool.h"
#include "estd/result.h"

typedef struct est_oidc est_oidc;

/* Checks the OIDC settings (algorithm list, claim mapping) without starting
 * anything; EST_ECONFIG with one line in err. EST_OK when OIDC is off. */
est_result est_oidc_config_check(const est_config *cfg, char *err, size_t errlen);

/* Starts OIDC when ESTD_OIDC_ISSUER is set (*out = NULL otherwise). */
est_result est_oidc_start(const est_config *cfg, est_oidc **out, char *err, size_t errlen);
/* Stops the fetch thread and frees everything. NULL is fine. */
void est_oidc_stop(est_oidc *o);

/* What a verified access token resolves to. */
typedef struct est_oidc_who {
  long long party_id;
  unsigned scopes;
  char sub[EST_JWT_SUB_MAX + 1];
  char iss[256];
} est_oidc_who;

/* Verifies an access token (audience ESTD_OIDC_AUDIENCE) and maps it to a
 * party and scopes (party codes looked up in pool). EST_EUNAUTHORIZED (bad
 * token) or EST_EFORBIDDEN (valid token, no party/scope) with a reason;
 * EST_EUNAVAILABLE/EST_ETIMEOUT when the party lookup cannot run. */
est_result est_oidc_authenticate(est_oidc *o, est_pool *pool, const char *token, size_t len, est_oidc_who *who,
                                 char *reason, size_t n);

/* Verifies signature, iss, aud == audience, exp/nbf/iat; *claims (caller
 * decrefs) on success. For ID tokens (audience = the client id). */
est_result est_oidc_verify(est_oidc *o, const char *token, size_t len, const char *audience, json_t **claims,
                           char *reason, size_t n);

/* Maps verified claims as est_oidc_authenticate does (party lookup included). */
est_result est_oidc_map_who(est_oidc *o, est_pool *pool, const json_t *claims, est_oidc_who *who, char *reason,
                            size_t n);

/* A provider endpoint from discovery ("authorization_endpoint",
 * "token_endpoint", "end_session_endpoint") copied into buf; EST_EUNAVAILABLE
 * when discovery has not succeeded yet. */
est_result est_oidc_endpoint(est_oidc *o, const char *name, char *buf, size_t n);

/* POSTs an application/x-www-form-urlencoded body to the token endpoint
 * with client_secret_basic authentication; *resp is the JSON answer (caller
 * decrefs), *status the HTTP status. Deadline ESTD_OIDC_FETCH_TIMEOUT_MS. */
est_result est_oidc_token_post(est_oidc *o, const char *form, int *status, json_t **resp);

/* {"issuer","status":"ok|stale|unavailable","keys","keys_age_s","refreshes",
 *  "failures","last_error"} for /readyz (caller decrefs). */
json_t *est_oidc_status(est_oidc *o);

#endif
