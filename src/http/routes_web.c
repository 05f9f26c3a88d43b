/* routes_web.c - the web app under /app/ (web/README.md, docs/OPERATIONS.md).
 *
 *   GET /app/                    the app (index.html, no-cache)
 *   GET /app/{page}              a view of the app (index.html) or a top-level file;
 *                                /app/config.json is the run-time configuration
 *   GET /app/assets/{file}       hashed bundles: Cache-Control immutable, a year
 *   GET /app/public/             the public medborgarlöfte page (ESTD_PUBLIC_PAGE=on)
 *   GET /app/public/{page}
 *
 * Files come from the table est_web_load reads from ESTD_WEB_DIR at the
 * first request (a lookup by exact name: a URL can only name a file in the
 * table). Every response carries a strict Content-Security-Policy: only
 * this origin's scripts and styles (nothing inline), connections to this
 * origin, images from it and, when ESTD_UI_BASEMAP_URL is set, from the
 * basemap's origin. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/http.h"
#include "estd/log.h"
#include "estd/situation_cache.h"
#include "estd/util.h"
#include "estd/web.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static est_web_assets g_assets;
static const est_config *g_cfg;
static char g_csp[1280]; /* the policy with two origins of up to 511 bytes each */

static void assets_init(void) {
  est_result rc = est_web_load(g_cfg->web_dir, &g_assets);
  if (rc != EST_OK)
    est_log_kv(EST_LOG_WARN, "web app assets not found; /app/ answers 404", "web_dir",
               g_cfg->web_dir ? g_cfg->web_dir : "(unset)", NULL);
  char origin[512] = "";
  if (g_cfg->ui_basemap_url) {
    char o[480];
    if (est_url_origin(g_cfg->ui_basemap_url, o, sizeof o) == EST_OK) snprintf(origin, sizeof origin, " %s", o);
  }
  snprintf(g_csp, sizeof g_csp,
           "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'%s; connect-src 'self'%s; "
           "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
           origin, origin);
}

static const est_web_assets *assets(http_ctx *ctx) {
  g_cfg = ctx->app->cfg; /* read by the one assets_init call */
  pthread_once(&g_once, assets_init);
  return &g_assets;
}

static void common_headers(http_ctx *ctx) {
  assets(ctx); /* builds g_csp on the first request */
  http_set_header(ctx, "Content-Security-Policy", g_csp);
  http_set_header(ctx, "X-Content-Type-Options", "nosniff");
  http_set_header(ctx, "Referrer-Policy", "no-referrer");
  http_set_header(ctx, "Cross-Origin-Opener-Policy", "same-origin");
}

static est_result not_found(http_ctx *ctx) {
  return http_fail(ctx, EST_ENOTFOUND, "no such file in the web app: %s", ctx->req->url_path);
}

/* Replies with a small generated or non-hashed body: no-cache + ETag. */
static void reply_revalidated(http_ctx *ctx, const char *type, const char *body, size_t len, const char *encoding) {
  char etag[24];
  est_scache_etag(body, len, etag);
  http_set_header(ctx, "Cache-Control", "no-cache");
  http_set_header(ctx, "ETag", etag);
  if (est_scache_etag_match(http_header(ctx, "If-None-Match"), etag)) {
    http_reply_empty(ctx, 304);
    return;
  }
  if (encoding) http_set_header(ctx, "Content-Encoding", encoding);
  http_reply_raw(ctx, 200, type, body, len);
}

/* A decoded NUL would cut the name short ("index.html%00.js"): refuse it. */
static bool raw_url_has_nul(http_ctx *ctx) {
  const char *u = ctx->req->http_url;
  return u && strcasestr(u, "%00") != NULL;
}

static est_result serve_file(http_ctx *ctx, const char *name) {
  common_headers(ctx);
  if (raw_url_has_nul(ctx)) return not_found(ctx);
  const est_web_assets *a = assets(ctx);
  const est_web_file *f = est_web_find(a, name);
  if (!f) return not_found(ctx);
  int enc = est_web_pick_encoding(f, http_header(ctx, "Accept-Encoding"));
  static const char *const names[3] = {NULL, "br", "gzip"};
  if (f->data[EST_WEB_BR] || f->data[EST_WEB_GZIP]) http_set_header(ctx, "Vary", "Accept-Encoding");
  if (!f->immutable) {
    reply_revalidated(ctx, f->type, f->data[enc], f->len[enc], names[enc]);
    return EST_OK;
  }
  http_set_header(ctx, "Cache-Control", "public, max-age=31536000, immutable");
  if (names[enc]) http_set_header(ctx, "Content-Encoding", names[enc]);
  http_reply_raw(ctx, 200, f->type, f->data[enc], f->len[enc]);
  return EST_OK;
}

/* /app/ (and /app, which Ulfius routes here too: redirected to /app/). */
static est_result app_index(http_ctx *ctx) {
  const char *p = ctx->req->url_path;
  if (p[strlen(p) - 1] != '/') {
    common_headers(ctx);
    http_set_header(ctx, "Location", "/app/");
    http_reply_empty(ctx, 308);
    return EST_OK;
  }
  return serve_file(ctx, "index.html");
}

/* The run-time settings the page needs before its first API call. */
static est_result app_config(http_ctx *ctx) {
  const est_config *cfg = ctx->app->cfg;
  common_headers(ctx);
  json_t *j = json_pack("{s:s?, s:b, s:s}", "basemap_url", cfg->ui_basemap_url, "public_page", cfg->public_page, "auth",
                        cfg->auth_required ? "required" : "off");
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!s) return EST_ENOMEM;
  reply_revalidated(ctx, "application/json", s, strlen(s), NULL);
  free(s);
  return EST_OK;
}

/* The public page; agreement is the {page} segment of /app/public/{page}
 * (NULL for /app/public). */
static est_result public_page(http_ctx *ctx, const char *agreement) {
  if (!ctx->app->cfg->public_page) {
    common_headers(ctx);
    return http_fail(ctx, EST_ENOTFOUND, "the public page is not enabled (ESTD_PUBLIC_PAGE)");
  }
  /* /app/public/{agreement id}: digits only (the page reads the id). */
  long long id;
  if (agreement && *agreement && est_parse_id(agreement, &id) != EST_OK) {
    common_headers(ctx);
    return not_found(ctx);
  }
  return serve_file(ctx, "public.html");
}

static est_result app_public(http_ctx *ctx) { return public_page(ctx, NULL); }
static est_result app_public_of(http_ctx *ctx) { return public_page(ctx, http_param(ctx, "page")); }

static est_result app_page(http_ctx *ctx) {
  const char *page = http_param(ctx, "page");
  if (!page || !*page) return not_found(ctx);
  if (strcmp(page, "config.json") == 0) return app_config(ctx);
  /* Ulfius routes /app/public and /app/public/ here (it ignores a trailing slash). */
  if (strcmp(page, "public") == 0) return public_page(ctx, NULL);
  /* A view of the app (web/src/state.js) is the app itself, which routes on the client. */
  static const char *const views[] = {"weekly", "commitments", NULL};
  for (int i = 0; views[i]; i++)
    if (strcmp(page, views[i]) == 0) return serve_file(ctx, "index.html");
  if (strcmp(page, "public.html") == 0) return not_found(ctx); /* only under /app/public/ */
  return serve_file(ctx, page);
}

static est_result app_asset(http_ctx *ctx) {
  const char *file = http_param(ctx, "file");
  char name[300];
  if (!file || strchr(file, '/') || (size_t)snprintf(name, sizeof name, "assets/%s", file) >= sizeof name)
    return not_found(ctx);
  return serve_file(ctx, name);
}

const http_route http_routes_web[] = {
    {"GET", "/app", app_index, 0, HTTP_ROUTE_PUBLIC, HTTP_QUERY_PAGE}, /* and /app/ */
    {"GET", "/app/{page}", app_page, 0, HTTP_ROUTE_PUBLIC, HTTP_QUERY_PAGE},
    {"GET", "/app/assets/{file}", app_asset, 0, HTTP_ROUTE_PUBLIC, NULL},
    {"GET", "/app/public", app_public, 0, HTTP_ROUTE_PUBLIC, HTTP_QUERY_PAGE}, /* and /app/public/ */
    {"GET", "/app/public/{page}", app_public_of, 0, HTTP_ROUTE_PUBLIC, HTTP_QUERY_PAGE},
    {NULL, NULL, NULL, 0, 0, NULL},
};
