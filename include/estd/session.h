/* session.h - web sign-in for people (backend-for-frontend, CONTRACTS.md):
 * estd is a confidential OpenID Connect client; the browser holds only the
 * HttpOnly cookie estd_session, the session row lives in PostgreSQL
 * (web_sessions, shared by every instance). Routes: GET /auth/login,
 * GET /auth/callback, GET /auth/session, POST /auth/logout.
 *
 * Verified sessions are cached per process for ESTD_AUTH_CACHE_TTL_MS; a
 * sign-out on this instance takes effect at once, on another instance
 * within that TTL (as with API key revocation). */
#ifndef ESTD_SESSION_H
#define ESTD_SESSION_H

#include "estd/http.h"
#include "estd/store_oidc.h"

#define HTTP_SESSION_COOKIE "estd_session"

/* The estd_session cookie of the request, NULL if absent. */
const char *http_session_cookie(http_ctx *ctx);

/* Resolves a session cookie to the principal (kind HTTP_AUTH_SESSION) and its
 * CSRF token. EST_ENOTFOUND when the session is unknown, ended or expired. */
est_result http_session_principal(http_ctx *ctx, const char *cookie, http_principal *who, char csrf[64]);

/* out = hex SHA-256 of a cookie value (what web_sessions stores). */
est_result http_session_hash(const char *cookie, char out[65]);
/* A live session by cookie value (cache, then the database); hash receives
 * the cookie's hash. EST_ENOTFOUND for a malformed, unknown, ended or expired one. */
est_result http_session_find(http_ctx *ctx, const char *cookie, store_session *out, char hash[65]);
/* Drops a session from this process's cache (sign-out). */
void http_session_forget(const char *hash);

#endif
