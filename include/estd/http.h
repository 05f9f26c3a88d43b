/* http.h - what a route handler sees: the route table entry, the request
 * context, request helpers (http/request.c) and reply helpers
 * (http/respond.c). The listener and dispatcher are in http_server.h.
 *
 * Every route is an http_route with one handler. A single dispatcher
 * (http/server.c) wraps all handlers: request id, body limits, auth,
 * problem+json rendering of failures, access log and metrics. A handler
 * either replies with http_reply_* and returns EST_OK, or returns a
 * negative est_result (optionally after http_fail/http_fail_field to add
 * detail) and the dispatcher renders the RFC 9457 problem. */
#ifndef ESTD_HTTP_H
#define ESTD_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ulfius.h>

#include "estd/app.h"
#include "estd/result.h"
#include "estd/scope.h"

/* Scopes a route may require (issue: security). */
enum {
  HTTP_SCOPE_NONE = EST_SCOPE_NONE,
  HTTP_SCOPE_READ = EST_SCOPE_READ,
  HTTP_SCOPE_READ_DETAIL = EST_SCOPE_READ_DETAIL,
  HTTP_SCOPE_WRITE_EVENTS = EST_SCOPE_WRITE_EVENTS,
  HTTP_SCOPE_WRITE_COMMITMENTS = EST_SCOPE_WRITE_COMMITMENTS,
  HTTP_SCOPE_ADMIN = EST_SCOPE_ADMIN,
};

enum {
  HTTP_ROUTE_PUBLIC = 1u << 0, /* no credentials needed (probes) */
  HTTP_ROUTE_BODY = 1u << 1,   /* takes a JSON request body */
  HTTP_ROUTE_NOLOG = 1u << 2,  /* not access-logged at info (probes, metrics) */
};

typedef struct http_ctx http_ctx;
typedef est_result (*http_handler_fn)(http_ctx *ctx);

typedef struct http_route {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* OpenAPI template, e.g. "/v1/commitments/{id}" */
  http_handler_fn handler;
  unsigned scopes; /* required scopes (any admin key passes) */
  unsigned flags;  /* HTTP_ROUTE_* */
  /* The query parameters the route takes, space-separated (NULL: none).
   * The dispatcher answers 400 naming any other one before the handler
   * runs; the path's {placeholders} are always allowed. Must equal the
   * operation's query parameters in openapi.yaml (`estd routes --query`,
   * tests/integration/test_openapi.py). */
  const char *query;
} http_route;

/* The parameters of every keyset-paged list (http_list_params). */
#define HTTP_QUERY_LIST "limit cursor sort"
/* The query string is the page's own (the web app's client-side state,
 * e.g. /app/?week=2026-W45): the server reads none and refuses none. */
#define HTTP_QUERY_PAGE "*"

/* Authenticated caller (filled by the auth step; zeroed when auth is off). */
/* The same type for every credential: an API key (key_id, key_prefix), a
 * JWT bearer token (sub, iss) or a web session (sub, iss, session_id); the
 * scope checks and the disclosure policy read only party_id and scopes. */
typedef enum http_auth_kind { HTTP_AUTH_NONE = 0, HTTP_AUTH_KEY, HTTP_AUTH_JWT, HTTP_AUTH_SESSION } http_auth_kind;

typedef struct http_principal {
  long long key_id;   /* 0 = anonymous */
  long long party_id; /* party the caller acts for */
  unsigned scopes;
  char key_prefix[24];
  http_auth_kind kind;
  char sub[256];        /* OIDC subject ("" for API keys) */
  char iss[256];        /* OIDC issuer ("" for API keys) */
  long long session_id; /* web session row id, 0 otherwise */
} http_principal;

struct http_ctx {
  const struct _u_request *req;
  struct _u_response *res;
  est_app *app;
  const http_route *route;
  int route_index;
  char request_id[72];
  http_principal who;
  int status;             /* set by http_reply_* */
  char *problem_detail;   /* owned; set by http_fail */
  json_t *problem_errors; /* owned; array of {field, detail} */
  json_t *problem_extra;  /* owned; object merged into the problem document */
};

/* Read-your-writes (docs/ARCHITECTURE.md "Reads that scale out"): every
 * response to a request that committed a write carries the header below
 * with the commit's WAL position when a read replica is configured; a read
 * presenting it is served by the replica only once that has replayed past
 * it, else by the primary. */
#define HTTP_CONSISTENCY_HEADER "Consistency-Token"

/* The pool for a list or situation read: the read replica when it is
 * healthy and has replayed the caller's Consistency-Token (if any), else
 * the primary. A token that is not an LSN counts as not replayed. */
est_pool *http_read_pool(http_ctx *ctx);

/* Route tables are NULL-terminated arrays defined by each routes_*.c. */
extern const http_route http_routes_ops[];
extern const http_route http_routes_auth[];
extern const http_route http_routes_parties[];
extern const http_route http_routes_commitments[];
extern const http_route http_routes_areas[];
extern const http_route http_routes_focuses[];
extern const http_route http_routes_events[];    /* events, dead letters */
extern const http_route http_routes_sources[];   /* the event source registry */
extern const http_route http_routes_situation[]; /* situation, progress, reports */
/* Waits until no background hot spot refresh runs (routes_situation.c;
 * before the pools and app->hotspot_cache are destroyed). */
void http_situation_drain(void);
/* Background hot spot refreshes started, and those that failed. */
void http_situation_refresh_counters(uint64_t *started, uint64_t *failed);
extern const http_route http_routes_security[]; /* audit */
extern const http_route http_routes_web[];      /* the web app under /app/ */
extern const http_route http_routes_public[];   /* the public medborgarlöfte page's API */

extern const http_route http_routes_cycle[]; /* parties/agreements writes, meetings, actions, indicators */
extern const http_route http_routes_ogc[];   /* OGC API - Features under /ogc */

/* The situational picture of one ISO week (week NULL = the current one)
 * for area_id (0 = all) exactly as GET /v1/situation?week=..&area_id=..
 * serves it (same defaults) to the caller `as` (NULL = this request's
 * caller) with rounding base k (-1 = that caller's default). *body is
 * malloc'd (*len bytes); *used and *k_used are the disclosure it was made
 * with (routes_situation.c). */
#include "estd/disclosure.h"
est_result http_situation_render(http_ctx *ctx, long long area_id, const char *week, const est_caller *as, int k,
                                 char **body, size_t *len, est_caller *used, int *k_used);
/* The same for any period (the OGC hot spots, routes_ogc.c). */
#include "estd/period.h"
est_result http_situation_render_period(http_ctx *ctx, long long area_id, const est_period *period,
                                        const est_caller *as, int k, char **body, size_t *len, est_caller *used,
                                        int *k_used);

/* ---- reading the request (http/request.c) ---- */

/* Path or query parameter by name (path parameters shadow query ones),
 * NULL if absent. Query values are not yet validated. */
const char *http_param(http_ctx *ctx, const char *name);
const char *http_header(http_ctx *ctx, const char *name);
/* true when the Accept header names type (a substring match: no q-values). */
bool http_accepts(http_ctx *ctx, const char *type);

/* Parses the request body as one strict JSON value (UTF-8, no duplicate
 * keys, Content-Type application/json or +json). On failure records the
 * detail and returns EST_EPARSE / EST_EUNSUPPORTED. *out is owned by caller. */
est_result http_body_json(http_ctx *ctx, json_t **out);

/* ---- replies (http/respond.c) ---- */

/* A string literal as the (body, len) arguments of http_reply_raw; the
 * length is computed by the compiler, never written by hand. */
#define HTTP_LITERAL(s) ("" s), (sizeof(s) - 1)

/* Replies; *_steal takes ownership of body. */
void http_reply_json_steal(http_ctx *ctx, int status, json_t *body);
void http_reply_raw(http_ctx *ctx, int status, const char *content_type, const char *body, size_t len);
void http_reply_empty(http_ctx *ctx, int status);
void http_set_header(http_ctx *ctx, const char *name, const char *value);
/* Replies 500 with a fixed problem document (needs no allocation: for the
 * out-of-memory paths). */
void http_reply_internal_error(http_ctx *ctx);

/* ---- failures for the problem document (http/request.c) ---- */

/* Records a detail for the problem document and returns rc. */
est_result http_fail(http_ctx *ctx, est_result rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a field-level validation error (JSON pointer-ish name); returns EST_EINVAL. */
est_result http_fail_field(http_ctx *ctx, const char *field, const char *detail);
/* Moves the field errors of a domain validation (array of {field, detail}) into ctx. */
est_result http_fail_errors(http_ctx *ctx, json_t *errors_steal);

/* ---- parameters (http/request.c) ---- */

/* Parses the standard list parameters: limit (1..page_max, default
 * page_default) and cursor (opaque, may be NULL). */
est_result http_page_params(http_ctx *ctx, int *limit, const char **cursor);
/* Parses an optional positive int64 id parameter; *present tells if given. */
est_result http_param_id(http_ctx *ctx, const char *name, long long *out, bool *present);
/* The `source` query parameter (NULL when absent): 400 naming it unless est_event_source_valid. */
est_result http_param_source(http_ctx *ctx, const char **out);

/* ---- list and document parameters (http/request.c) and replies (http/respond.c) ---- */
#include "estd/store.h"

/* Validates limit, sort (against sorts, NULL-terminated; an entry "-field"
 * is a list with that one order, see est_sort_parse) and cursor into *q:
 * the one parser of list parameters. */
est_result http_list_params(http_ctx *ctx, const char *const *sorts, est_list_query *q);
/* Replies 200 {"items": [...], "next_cursor": ..., "next": link-or-null}; frees page. */
void http_reply_page(http_ctx *ctx, est_page *page);
/* Replies status with the document and its ETag; frees doc. Honors
 * If-None-Match on GET (304). */
void http_reply_doc(http_ctx *ctx, int status, est_doc *doc);
/* Parses If-Match ("N", W/"N" or *). *present false when absent; a
 * wildcard sets *version = 0. EST_EPARSE on a malformed tag. */
est_result http_if_match(http_ctx *ctx, long long *version, bool *present);
/* Like http_if_match, but the header is required: 428 without it. */
est_result http_if_match_required(http_ctx *ctx, long long *version);
/* Replies 201 with Location: <collection>/<id>, the document and its ETag; frees doc. */
void http_reply_created(http_ctx *ctx, const char *collection, long long id, est_doc *doc);
/* Validates an optional query string parameter against a closed set. */
est_result http_param_enum(http_ctx *ctx, const char *name, const char *const *allowed, const char **out);
/* Validates an optional YYYY-MM-DD query parameter. */
est_result http_param_date(http_ctx *ctx, const char *name, const char **out);
/* Requires the path id parameter "id"; 404 when it is not a valid id. */
est_result http_path_id(http_ctx *ctx, long long *id);

/* The agreement reports (report, follow-up, statutory-report) are served two
 * ways by one handler each: on their own path JSON by default, CSV with
 * `format=csv` or an Accept naming text/csv; on the same path + ".csv"
 * (csv_route) always CSV, the operation generated clients read as text.
 * *csv tells which; 400 on another `format`. */
est_result http_report_format(http_ctx *ctx, bool csv_route, bool *csv);
/* Replies 200 with doc as JSON, or (csv) as to_csv's text/csv (RFC 4180, one
 * header row) attachment "agreement-<id>-<name>.csv"; frees doc. */
struct est_buf;
est_result http_reply_report(http_ctx *ctx, json_t *doc, bool csv,
                             est_result (*to_csv)(const json_t *, struct est_buf *), const char *name, long long id);

/* The caller as the disclosure policy sees it (estd/disclosure.h). The
 * scopes are the effective ones (admin implies every scope, auth.c). */
#include "estd/disclosure.h"
static inline est_caller http_caller(const http_ctx *ctx) {
  est_caller c = {ctx->who.party_id, (ctx->who.scopes & HTTP_SCOPE_READ_DETAIL) != 0,
                  (ctx->who.scopes & HTTP_SCOPE_ADMIN) != 0};
  return c;
}

/* The agreement report (JSON document, progress evaluated today) that
 * GET /v1/agreements/{id}/report serves (routes_situation.c); the public
 * page's source too, as an anonymous caller. Published through the
 * policy for caller (NULL: the request's caller). EST_ENOTFOUND for an
 * unknown id. */
est_result http_agreement_report(http_ctx *ctx, long long id, const est_caller *caller, json_t **out);

/* The audit actor for the current request (valid while ctx lives). */
#include "estd/actor.h"
static inline est_actor http_actor(const http_ctx *ctx) {
  est_actor a = {ctx->who.key_id, ctx->who.party_id, ctx->request_id, ctx->who.sub[0] ? ctx->who.sub : NULL,
                 ctx->who.iss[0] ? ctx->who.iss : NULL};
  return a;
}

#endif
