/* server.c - Ulfius/MHD set-up and the one dispatcher every route goes
 * through (request id, limits, auth, problem rendering, log, metrics); see
 * http_server.h. Handler helpers are in request.c and respond.c, TLS
 * loading in tls.c. */
#include "estd/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "estd/auth.h"
#include "estd/buf.h"
#include "estd/http.h"
#include "estd/http_guard.h"
#include "estd/http_tls.h"
#include "estd/log.h"
#include "estd/metrics.h"
#include "estd/personnummer.h"
#include "estd/problem.h"
#include "estd/ratelimit.h"
#include "estd/util.h"

#define HTTP_MAX_ROUTES 256

/* Per-route registration record handed to Ulfius as user_data. */
typedef struct route_slot {
  est_app *app;
  const http_route *route;
  int index;
} route_slot;

struct http_server {
  struct _u_instance inst;
  struct sockaddr_in bind;
  est_app *app;
  route_slot slots[HTTP_MAX_ROUTES];
  int nslots;
  route_slot fallback;
  http_tls tls;
  http_guard *guard;   /* per-connection deadlines and the connection budget */
  est_ratelimit *anon; /* per client address, requests without a valid key */
};

/* The one listener of the process (the MHD callbacks below reach it). */
static http_server *g_srv;

/* Requests MHD has started (request line received) and not yet completed
 * (response sent or connection gone): what a graceful stop waits for. A
 * request still uploading its body is not in a handler yet but counts here. */
static atomic_int g_requests_open;

static void *uri_log_counting(void *cls, const char *uri, struct MHD_Connection *con) {
  http_server *srv = cls;
  atomic_fetch_add(&g_requests_open, 1);
  http_guard_request_line(srv->guard, con, uri);
  return ulfius_uri_logger(NULL, uri);
}

static void request_completed_counting(void *cls, struct MHD_Connection *con, void **con_cls,
                                       enum MHD_RequestTerminationCode toe) {
  http_server *srv = cls;
  mhd_request_completed(NULL, con, con_cls, toe);
  http_guard_request_done(srv->guard, con);
  atomic_fetch_sub(&g_requests_open, 1);
}

/* May a request to path carry a body (some route with HTTP_ROUTE_BODY
 * matches it)? Decides the guard's body deadline. */
static bool path_matches(const char *tmpl, const char *path);
static bool takes_body(void *cls, const char *path) {
  http_server *srv = cls;
  for (int i = 0; i < srv->nslots; i++)
    if ((srv->slots[i].route->flags & HTTP_ROUTE_BODY) && path_matches(srv->slots[i].route->path, path)) return true;
  return false;
}

/* MHD's own diagnostics (bind failures, protocol errors) as JSON log lines
 * instead of raw text on stderr. */
static void mhd_logger(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_logger(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  size_t n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
  /* A client over its limits makes MHD log one line per refused
   * connection: keep one a second at warn, the rest at debug. */
  static _Atomic long long last_limit_s;
  int level = EST_LOG_INFO;
  if (strstr(buf, "connection limit")) {
    long long now = (long long)time(NULL), last = atomic_load(&last_limit_s);
    level = now != last && atomic_compare_exchange_strong(&last_limit_s, &last, now) ? EST_LOG_WARN : EST_LOG_DEBUG;
  }
  if (level < est_log_get_level()) return;
  est_log_kv(level, buf, "component", "microhttpd", NULL);
}

static const http_route *const g_tables[] = {
    http_routes_ops,    http_routes_parties, http_routes_commitments, http_routes_areas,    http_routes_focuses,
    http_routes_events, http_routes_sources, http_routes_situation,   http_routes_security, http_routes_auth,
    http_routes_web,    http_routes_public,  http_routes_cycle,       http_routes_ogc,      NULL};

const http_route *const *http_route_tables(void) { return g_tables; }

int http_status_for_result(est_result rc) {
  switch (rc) {
  case EST_OK: return 200;
  case EST_EINVAL: return 422;
  case EST_EPARSE: return 400;
  case EST_ENOTFOUND: return 404;
  case EST_ECONFLICT: return 409;
  case EST_EPRECONDITION: return 412;
  case EST_EUNAVAILABLE: return 503;
  case EST_ETOOLARGE: return 413;
  case EST_EUNAUTHORIZED: return 401;
  case EST_EFORBIDDEN: return 403;
  case EST_ERATELIMIT: return 429;
  case EST_EUNSUPPORTED: return 415;
  case EST_ETIMEOUT: return 503;
  case EST_ENOPRECOND: return 428;
  case EST_EMETHOD: return 405;
  default: return 500;
  }
}

/* ---- dispatcher ------------------------------------------------------------ */

static double mono_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void request_id_init(http_ctx *ctx) {
  const char *in = http_header(ctx, "X-Request-Id");
  if (in && est_request_id_valid(in)) {
    snprintf(ctx->request_id, sizeof ctx->request_id, "%s", in);
  } else {
    est_request_id_generate(ctx->request_id, sizeof ctx->request_id);
  }
}

static void render_problem(http_ctx *ctx, est_result rc) {
  int status = http_status_for_result(rc);
  if (rc == EST_EINVAL && !ctx->problem_errors && !ctx->problem_detail) status = 422;
  json_t *p = est_problem_new(rc, status, ctx->problem_detail, ctx->req->url_path, ctx->problem_errors);
  ctx->problem_errors = NULL;
  if (p && ctx->problem_extra) json_object_update(p, ctx->problem_extra);
  if (p) json_object_set_new(p, "request_id", json_string(ctx->request_id));
  char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
  json_decref(p);
  if (status == 503) ulfius_add_header_to_response(ctx->res, "Retry-After", "1");
  if (s) {
    http_reply_raw(ctx, status, "application/problem+json", s, strlen(s));
    free(s);
  } else {
    http_reply_raw(ctx, status, "application/problem+json", HTTP_LITERAL("{}"));
  }
}

/* True if the declared or received body is over the limit. MHD only hands
 * Ulfius max_post_body_size bytes (it truncates silently), so a received
 * length equal to that cap means the client sent more than the limit. */
static bool body_too_large(http_ctx *ctx) {
  size_t max = ctx->app->cfg->max_body_bytes;
  const char *cl = http_header(ctx, "Content-Length");
  if (cl) {
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    if (*end == '\0' && n > max) return true;
  }
  return ctx->req->binary_body_length > max;
}

static void access_log(http_ctx *ctx, const char *route_path, double dur) {
  bool probe = ctx->route && (ctx->route->flags & HTTP_ROUTE_NOLOG);
  int level = ctx->status >= 500 ? EST_LOG_ERROR : EST_LOG_INFO;
  /* Probes and scrapes: debug whatever their status (a readiness change is
   * logged once by the probe itself). */
  if (probe) level = EST_LOG_DEBUG;
  if (level < est_log_get_level()) return;
  char st[16], ms[32];
  snprintf(st, sizeof st, "%d", ctx->status);
  snprintf(ms, sizeof ms, "%.3f", dur * 1000.0);
  est_log_kv(level, "request", "request_id", ctx->request_id, "method", ctx->req->http_verb, "route", route_path,
             "path", ctx->req->url_path, "#status", st, "#duration_ms", ms, ctx->problem_detail ? "detail" : NULL,
             ctx->problem_detail, NULL);
}

/* A request's context, with its request id (the client's X-Request-Id or a new one). */
static void ctx_init(http_ctx *ctx, const struct _u_request *req, struct _u_response *res, est_app *app,
                     const http_route *route, int route_index) {
  memset(ctx, 0, sizeof *ctx);
  ctx->req = req;
  ctx->res = res;
  ctx->app = app;
  ctx->route = route;
  ctx->route_index = route_index;
  request_id_init(ctx);
}

static void ctx_cleanup(http_ctx *ctx) {
  free(ctx->problem_detail);
  json_decref(ctx->problem_errors);
  json_decref(ctx->problem_extra);
}

/* Query limits (docs/SECURITY.md): a raw query string longer than
 * ESTD_MAX_QUERY_BYTES is answered 414 here (ctx->status set); a decoded
 * parameter name or value longer than ESTD_MAX_PARAM_BYTES gives 400. */
static est_result query_limits(http_ctx *ctx) {
  const est_config *cfg = ctx->app->cfg;
  const char *q = ctx->req->http_url ? strchr(ctx->req->http_url, '?') : NULL;
  if (q && strlen(q + 1) > (size_t)cfg->max_query_bytes) {
    http_fail(ctx, EST_ETOOLARGE, "the query string exceeds %d bytes", cfg->max_query_bytes);
    json_t *p = est_problem_new(EST_ETOOLARGE, 414, ctx->problem_detail, ctx->req->url_path, NULL);
    char *s = NULL;
    if (p) {
      json_object_set_new(p, "type", json_string("/problems/uri-too-long"));
      json_object_set_new(p, "title", json_string("URI too long"));
      json_object_set_new(p, "request_id", json_string(ctx->request_id));
      s = json_dumps(p, JSON_COMPACT);
      json_decref(p);
    }
    http_reply_raw(ctx, 414, "application/problem+json", s ? s : "{}", s ? strlen(s) : sizeof "{}" - 1);
    free(s);
    return EST_OK;
  }
  const char **keys = u_map_enum_keys(ctx->req->map_url);
  for (int i = 0; keys && keys[i]; i++) {
    const char *v = u_map_get(ctx->req->map_url, keys[i]);
    if (strlen(keys[i]) > (size_t)cfg->max_param_bytes || (v && strlen(v) > (size_t)cfg->max_param_bytes)) {
      char name[72];
      snprintf(name, sizeof name, "%.64s", keys[i]);
      http_fail_field(ctx, name, "longer than the parameter limit");
      return http_fail(ctx, EST_EPARSE, "a query parameter exceeds %d bytes", cfg->max_param_bytes);
    }
  }
  return EST_OK;
}

/* Is name (len bytes) one of the space-separated words of list? */
static bool word_in(const char *list, const char *name, size_t len) {
  for (const char *p = list; p && *p;) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (n && n == len && memcmp(p, name, len) == 0) return true;
    p += n;
  }
  return false;
}

/* Is name a {placeholder} of the path template? */
static bool path_placeholder(const char *tmpl, const char *name) {
  size_t len = strlen(name);
  for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{')) {
    const char *e = strchr(p, '}');
    if (e && (size_t)(e - p - 1) == len && memcmp(p + 1, name, len) == 0) return true;
  }
  return false;
}

/* The exact contract: a query parameter the route does not take (a typo
 * such as ?stauts=, or an empty name) is 400 naming it, so a caller never
 * silently gets an unfiltered answer. The route's list (http_route.query)
 * is the one place; openapi.yaml states the same lists. */
static est_result query_known(http_ctx *ctx) {
  if (ctx->route->query && strcmp(ctx->route->query, HTTP_QUERY_PAGE) == 0) return EST_OK;
  /* Ulfius drops a parameter with an empty name ("?=false"): look in the raw query. */
  const char *q = ctx->req->http_url ? strchr(ctx->req->http_url, '?') : NULL;
  for (const char *p = q; p && *p; p = strchr(p + 1, '&'))
    if (p[1] == '=') {
      http_fail_field(ctx, "(empty name)", "a query parameter needs a name");
      return http_fail(ctx, EST_EPARSE, "unknown query parameter '(empty name)'; this operation takes %s",
                       ctx->route->query && *ctx->route->query ? ctx->route->query : "none");
    }
  const char **keys = u_map_enum_keys(ctx->req->map_url);
  est_result rc = EST_OK;
  for (int i = 0; keys && keys[i] && rc == EST_OK; i++) {
    if (word_in(ctx->route->query, keys[i], strlen(keys[i])) || path_placeholder(ctx->route->path, keys[i])) continue;
    char name[72];
    snprintf(name, sizeof name, "%.64s", keys[i][0] ? keys[i] : "(empty name)");
    est_pnr_redact(name);
    http_fail_field(ctx, name, "not a parameter of this operation");
    rc = http_fail(ctx, EST_EPARSE, "unknown query parameter '%s'; this operation takes %s", name,
                   ctx->route->query && *ctx->route->query ? ctx->route->query : "none");
  }
  return rc;
}

/* The client's IPv4 address as a rate-limit key (0 if unknown). */
static long long client_key(const struct _u_request *req) {
  const struct sockaddr *sa = req->client_address;
  if (!sa || sa->sa_family != AF_INET) return 0;
  return (long long)ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) + 1;
}

/* Requests refused for want of a valid key (401) take a token from their
 * client address's bucket (ESTD_RATE_LIMIT_ANON_RPS); out of tokens they
 * get 429 with Retry-After instead. Public routes (probes, sign-in, static
 * pages) are not limited here. */
static est_result anon_limit(http_ctx *ctx) {
  int retry_s = 1;
  if (!g_srv || !g_srv->anon || est_ratelimit_take(g_srv->anon, client_key(ctx->req), (int64_t)est_mono_ms(), &retry_s))
    return EST_OK;
  char ra[16];
  snprintf(ra, sizeof ra, "%d", retry_s);
  http_set_header(ctx, "Retry-After", ra);
  free(ctx->problem_detail);
  ctx->problem_detail = NULL;
  return http_fail(ctx, EST_ERATELIMIT, "too many requests without a valid key from this address (%d per second)",
                   ctx->app->cfg->rate_limit_anon_rps);
}

static int dispatch(const struct _u_request *req, struct _u_response *res, void *user_data) {
  route_slot *slot = user_data;
  double t0 = mono_seconds();
  http_ctx ctx;
  ctx_init(&ctx, req, res, slot->app, slot->route, slot->index);
  if (g_srv) http_guard_handler(g_srv->guard);
  atomic_fetch_add(&ctx.app->in_flight, 1);
  (void)est_db_commit_lsn_take(); /* this thread's token belongs to this request only */

  est_result rc = query_limits(&ctx); /* may reply 414 itself (ctx.status set) */
  if (rc == EST_OK && ctx.status == 0 && (ctx.route->flags & HTTP_ROUTE_BODY) && body_too_large(&ctx))
    rc = http_fail(&ctx, EST_ETOOLARGE, "request body exceeds %zu bytes", ctx.app->cfg->max_body_bytes);
  if (rc == EST_OK && ctx.status == 0 && !(ctx.route->flags & HTTP_ROUTE_PUBLIC)) {
    rc = est_auth_check_request(&ctx);
    if (rc == EST_EUNAUTHORIZED && anon_limit(&ctx) != EST_OK) rc = EST_ERATELIMIT;
  }
  if (rc == EST_OK && ctx.status == 0) rc = query_known(&ctx); /* after auth: 401 before 400 */
  if (rc == EST_OK && ctx.status == 0) rc = ctx.route->handler(&ctx);
  if (rc < 0) render_problem(&ctx, rc);
  if (ctx.status == 0) render_problem(&ctx, EST_EINTERNAL);
  ulfius_add_header_to_response(res, "X-Request-Id", ctx.request_id);
  uint64_t lsn = est_db_commit_lsn_take();
  if (lsn && ctx.status < 400) {
    char tok[24];
    est_lsn_format(lsn, tok);
    ulfius_add_header_to_response(res, HTTP_CONSISTENCY_HEADER, tok);
  }
  /* Draining: tell keep-alive clients to reconnect (to another instance). */
  if (atomic_load(&ctx.app->draining)) ulfius_add_header_to_response(res, "Connection", "close");

  double dur = mono_seconds() - t0;
  est_metrics_http_observe(ctx.route_index, ctx.status, dur);
  access_log(&ctx, ctx.route->path, dur);
  ctx_cleanup(&ctx);
  atomic_fetch_sub(&ctx.app->in_flight, 1);
  return U_CALLBACK_COMPLETE;
}

/* Does url_path match an OpenAPI template ({x} matches one segment)? */
static bool path_matches(const char *tmpl, const char *path) {
  while (*tmpl && *path) {
    if (*tmpl == '{') {
      const char *te = strchr(tmpl, '}');
      if (!te) return false;
      size_t seg = strcspn(path, "/");
      if (seg == 0) return false;
      tmpl = te + 1;
      path += seg;
    } else if (*tmpl == *path) {
      tmpl++;
      path++;
    } else {
      return false;
    }
  }
  if (*path == '/' && path[1] == '\0') path++;
  return *tmpl == '\0' && *path == '\0';
}

static const http_route fallback_route = {"*", "(unmatched)", NULL, 0, HTTP_ROUTE_PUBLIC, NULL};

static int dispatch_unmatched(const struct _u_request *req, struct _u_response *res, void *user_data) {
  http_server *srv = user_data;
  double t0 = mono_seconds();
  http_ctx ctx;
  ctx_init(&ctx, req, res, srv->app, &fallback_route, -1);
  if (g_srv) http_guard_handler(g_srv->guard);
  est_buf allow = EST_BUF_INIT;
  for (int i = 0; i < srv->nslots; i++) {
    const http_route *r = srv->slots[i].route;
    if (path_matches(r->path, req->url_path))
      est_buf_printf(&allow, "%s%s%s", allow.len ? ", " : "", r->method, strcmp(r->method, "GET") ? "" : ", HEAD");
  }
  if (allow.len && !allow.oom) {
    ulfius_add_header_to_response(res, "Allow", allow.data);
    render_problem(
        &ctx, http_fail(&ctx, EST_EMETHOD, "method %s is not allowed here; allowed: %s", req->http_verb, allow.data));
  } else {
    render_problem(&ctx, http_fail(&ctx, EST_ENOTFOUND, "no route for %s", req->url_path));
  }
  est_buf_free(&allow);
  ulfius_add_header_to_response(res, "X-Request-Id", ctx.request_id);
  double dur = mono_seconds() - t0;
  est_metrics_http_observe(-1, ctx.status, dur);
  access_log(&ctx, "(unmatched)", dur);
  ctx_cleanup(&ctx);
  return U_CALLBACK_COMPLETE;
}

/* "/v1/x/{id}" -> "/v1/x/:id" (Ulfius' placeholder syntax). */
static void to_ulfius_format(const char *tmpl, char *out, size_t n) {
  size_t j = 0;
  for (size_t i = 0; tmpl[i] && j + 2 < n; i++) {
    if (tmpl[i] == '{') out[j++] = ':';
    else if (tmpl[i] != '}') out[j++] = tmpl[i];
  }
  out[j] = '\0';
}

/* Without ESTD_HTTP_REUSE_PORT a port another process listens on is an
 * error at start, named clearly: bind a probe socket the way MHD will
 * (SO_REUSEADDR, which on Linux does not share a listening port). */
static est_result port_free(const est_config *cfg, const struct sockaddr_in *sa) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return EST_OK; /* let MHD report it */
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = bind(fd, (const struct sockaddr *)sa, sizeof *sa);
  int err = errno;
  close(fd);
  if (rc == 0) return EST_OK;
  char port[16];
  snprintf(port, sizeof port, "%d", cfg->port);
  est_log_kv(EST_LOG_ERROR,
             err == EADDRINUSE ? "the port is already in use (another estd?); set ESTD_HTTP_REUSE_PORT=on to share it "
                                 "on purpose"
                               : "cannot bind the listen address",
             "address", cfg->listen_address, "#port", port, "error", strerror(err), NULL);
  return EST_EIO;
}

/* Room for the connection limit: raise the soft descriptor limit to the
 * hard one, and say so if the limit still does not fit. */
static void fd_budget(const est_config *cfg) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    (void)getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t need = (rlim_t)cfg->http_max_connections + (rlim_t)cfg->db_pool_size + 64;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
    char have[24], want[24];
    snprintf(have, sizeof have, "%llu", (unsigned long long)rl.rlim_cur);
    snprintf(want, sizeof want, "%llu", (unsigned long long)need);
    est_log_kv(EST_LOG_WARN, "the open-file limit is below ESTD_HTTP_MAX_CONNECTIONS plus the pool", "#limit", have,
               "#needed", want, NULL);
  }
}

/* Frees a server whose framework is not running (never started, or stopped). */
static void server_free(http_server *srv) {
  g_srv = NULL;
  http_guard_destroy(srv->guard);
  est_ratelimit_destroy(srv->anon);
  ulfius_clean_instance(&srv->inst);
  http_tls_free(&srv->tls);
  free(srv);
}

est_result http_server_start(http_server **out, est_app *app) {
  http_server *srv = calloc(1, sizeof *srv);
  if (!srv) return EST_ENOMEM;
  srv->app = app;
  const est_config *cfg = app->cfg;
  srv->bind.sin_family = AF_INET;
  srv->bind.sin_port = htons((uint16_t)cfg->port);
  inet_pton(AF_INET, cfg->listen_address, &srv->bind.sin_addr);
  if (ulfius_init_instance(&srv->inst, (unsigned)cfg->port, &srv->bind, NULL) != U_OK) {
    free(srv);
    return EST_EINTERNAL;
  }
  /* One byte over the limit lets the dispatcher tell "exactly the limit"
   * from "truncated by MHD" (see body_too_large). */
  srv->inst.max_post_body_size = cfg->max_body_bytes + 1;
  srv->inst.check_utf8 = 0; /* we validate ourselves instead of silently dropping */
  srv->inst.allowed_post_processor = U_POST_PROCESS_NONE;

  for (const http_route *const *t = g_tables; *t; t++) {
    for (const http_route *r = *t; r->method; r++) {
      if (srv->nslots >= HTTP_MAX_ROUTES) break;
      route_slot *s = &srv->slots[srv->nslots];
      s->app = app;
      s->route = r;
      s->index = srv->nslots;
      char fmt[256];
      to_ulfius_format(r->path, fmt, sizeof fmt);
      /* Every GET also answers HEAD (RFC 9110 9.3.2): same handler, MHD
       * sends the headers and drops the body. */
      bool is_get = strcmp(r->method, "GET") == 0;
      if (ulfius_add_endpoint_by_val(&srv->inst, r->method, NULL, fmt, 0, dispatch, s) != U_OK ||
          (is_get && ulfius_add_endpoint_by_val(&srv->inst, "HEAD", NULL, fmt, 0, dispatch, s) != U_OK)) {
        server_free(srv);
        return EST_EINTERNAL;
      }
      est_metrics_route_register(s->index, r->method, r->path);
      srv->nslots++;
    }
  }
  ulfius_set_default_endpoint(&srv->inst, dispatch_unmatched, srv);

  if (cfg->tls_cert_file && http_tls_load(&srv->tls, cfg) != EST_OK) {
    server_free(srv);
    return EST_ECONFIG;
  }
  if (!cfg->http_reuse_port && port_free(cfg, &srv->bind) != EST_OK) {
    server_free(srv);
    return EST_EIO;
  }
  fd_budget(cfg);
  http_guard_limits lim = {cfg->http_header_timeout_s * 1000,
                           cfg->http_body_timeout_s * 1000,
                           cfg->http_timeout_s * 1000,
                           cfg->http_max_connections,
                           takes_body,
                           srv};
  srv->guard = http_guard_create(&lim);
  bool rl_failed = false;
  if (app->auth)
    srv->anon = est_ratelimit_create(cfg->rate_limit_anon_rps, cfg->rate_limit_anon_burst, 4096, &rl_failed);
  if (!srv->guard || rl_failed) {
    server_free(srv);
    return EST_ENOMEM;
  }
  g_srv = srv;
  /* One thread per connection (not a fixed pool): a handler waiting on
   * the database holds only its own connection, so probes and other
   * clients never queue behind it. The number of threads is bounded by the
   * connection limits; the guard closes new connections at once at
   * ESTD_HTTP_MAX_CONNECTIONS, before MHD's own limit (set above it) would
   * stop accepting and leave them waiting in the kernel backlog. */
  struct MHD_OptionItem ops[] = {
      {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, NULL}, /* first, so it gets every message */
      {MHD_OPTION_CONNECTION_LIMIT, cfg->http_max_connections + cfg->http_max_connections / 4 + 64, NULL},
      {MHD_OPTION_CONNECTION_TIMEOUT, cfg->http_timeout_s, NULL},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->http_max_connections_per_ip, NULL},
      /* 1: SO_REUSEPORT (sharing asked for); 0: MHD's default, SO_REUSEADDR only */
      {MHD_OPTION_LISTENING_ADDRESS_REUSE, cfg->http_reuse_port ? 1 : 0, NULL},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
      {MHD_OPTION_SOCK_ADDR, 0, &srv->bind},
      {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)http_guard_notify, srv->guard},
      {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed_counting, srv},
      {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log_counting, srv},
      /* TLS (docs/SECURITY.md); without it the first entry ends the list. */
      {srv->tls.cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->tls.cert},
      {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls.key},
      {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
      {MHD_OPTION_END, 0, NULL}};
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (srv->tls.cert) flags |= MHD_USE_TLS;
  if (ulfius_start_framework_with_mhd_options(&srv->inst, flags, ops) != U_OK) {
    est_log_kv(EST_LOG_ERROR, "cannot start HTTP listener", "address", cfg->listen_address, NULL);
    server_free(srv);
    return EST_EIO;
  }
  est_log_kv(EST_LOG_INFO, "listening", "address", cfg->listen_address, "scheme", srv->tls.cert ? "https" : "http",
             NULL);
  *out = srv;
  return EST_OK;
}

void http_server_quiesce(http_server *srv) {
  /* Close the listen socket (new connections are refused); open
   * connections keep being served. Idempotent. */
  if (srv && srv->inst.mhd_daemon) {
    MHD_socket fd = MHD_quiesce_daemon(srv->inst.mhd_daemon);
    if (fd != MHD_INVALID_SOCKET) close(fd);
  }
}

void http_server_drain(http_server *srv) {
  if (srv) http_guard_drain(srv->guard);
}

void http_server_stop(http_server *srv, int grace_ms) {
  if (!srv) return;
  http_server_quiesce(srv);
  http_guard_drain(srv->guard); /* idle and slow connections go now; handlers finish */
  /* The grace period is measured on the clock: on a loaded machine a 10 ms
   * sleep takes longer, and counting sleeps would outlast the watchdog. */
  long long until = est_mono_ms() + grace_ms;
  while (est_mono_ms() < until && (atomic_load(&g_requests_open) > 0 || atomic_load(&srv->app->in_flight) > 0))
    usleep(10 * 1000);
  if (atomic_load(&g_requests_open) > 0 || atomic_load(&srv->app->in_flight) > 0)
    est_log(EST_LOG_WARN, "grace period over with %d requests open", atomic_load(&g_requests_open));
  ulfius_stop_framework(&srv->inst);
  server_free(srv);
}

void http_server_counters(http_guard_counters *out) { http_guard_counters_get(g_srv ? g_srv->guard : NULL, out); }
