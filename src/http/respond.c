/* respond.c - writing the response: raw, JSON, empty, page and document
 * replies with their ETag and Location headers (see http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/buf.h"
#include "estd/http.h"

void http_set_header(http_ctx *ctx, const char *name, const char *value) {
  ulfius_add_header_to_response(ctx->res, name, value);
}

void http_reply_raw(http_ctx *ctx, int status, const char *content_type, const char *body, size_t len) {
  ctx->status = status;
  if (content_type) ulfius_add_header_to_response(ctx->res, "Content-Type", content_type);
  ulfius_set_binary_body_response(ctx->res, (unsigned)status, body, len);
}

void http_reply_json_steal(http_ctx *ctx, int status, json_t *body) {
  char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!s) {
    http_reply_internal_error(ctx);
    return;
  }
  http_reply_raw(ctx, status, "application/json", s, strlen(s));
  free(s);
}

void http_reply_empty(http_ctx *ctx, int status) {
  ctx->status = status;
  ulfius_set_empty_body_response(ctx->res, (unsigned)status);
}

/* next link: the request path with its query (minus cursor) plus cursor. */
static char *next_link(http_ctx *ctx, const char *cursor) {
  est_buf b = EST_BUF_INIT;
  est_buf_puts(&b, ctx->req->url_path);
  /* map_url also holds path parameters; only repeat real query keys. */
  const char **keys = u_map_enum_keys(ctx->req->map_url);
  char sep = '?';
  for (int i = 0; keys && keys[i]; i++) {
    if (strcmp(keys[i], "cursor") == 0) continue;
    if (strstr(ctx->route->path, "{") && strcmp(keys[i], "id") == 0) continue;
    const char *v = u_map_get(ctx->req->map_url, keys[i]);
    est_buf_append(&b, &sep, 1);
    est_buf_urlencode(&b, keys[i]);
    est_buf_puts(&b, "=");
    est_buf_urlencode(&b, v ? v : "");
    sep = '&';
  }
  est_buf_append(&b, &sep, 1);
  est_buf_puts(&b, "cursor=");
  est_buf_urlencode(&b, cursor);
  return est_buf_steal(&b);
}

void http_reply_internal_error(http_ctx *ctx) {
  static const char body[] =
      "{\"type\":\"/problems/internal-error\",\"title\":\"Internal server error\",\"status\":500}";
  http_reply_raw(ctx, 500, "application/problem+json", body, sizeof body - 1);
}

void http_reply_page(http_ctx *ctx, est_page *page) {
  char *link = page->next_cursor ? next_link(ctx, page->next_cursor) : NULL;
  json_t *nc = page->next_cursor ? json_string(page->next_cursor) : json_null();
  json_t *nl = link ? json_string(link) : json_null();
  char *ncs = json_dumps(nc, JSON_ENCODE_ANY);
  char *nls = json_dumps(nl, JSON_ENCODE_ANY);
  json_decref(nc);
  json_decref(nl);
  size_t n = strlen(page->items) + (ncs ? strlen(ncs) : 4) + (nls ? strlen(nls) : 4) + 48;
  char *body = malloc(n);
  if (body && ncs && nls) {
    int len = snprintf(body, n, "{\"items\":%s,\"next_cursor\":%s,\"next\":%s}", page->items, ncs, nls);
    http_reply_raw(ctx, 200, "application/json", body, (size_t)len);
  } else {
    http_reply_internal_error(ctx);
  }
  free(body);
  free(ncs);
  free(nls);
  free(link);
  est_page_free(page);
}

void http_reply_doc(http_ctx *ctx, int status, est_doc *doc) {
  char etag[40];
  snprintf(etag, sizeof etag, "\"%lld\"", doc->version);
  ulfius_add_header_to_response(ctx->res, "ETag", etag);
  const char *inm = http_header(ctx, "If-None-Match");
  if (status == 200 && inm && strcmp(ctx->req->http_verb, "GET") == 0 && strstr(inm, etag)) {
    http_reply_empty(ctx, 304);
  } else {
    http_reply_raw(ctx, status, "application/json", doc->json, strlen(doc->json));
  }
  est_doc_free(doc);
}

void http_reply_created(http_ctx *ctx, const char *collection, long long id, est_doc *doc) {
  char loc[160];
  snprintf(loc, sizeof loc, "%s/%lld", collection, id);
  http_set_header(ctx, "Location", loc);
  http_reply_doc(ctx, 201, doc);
}

est_result http_report_format(http_ctx *ctx, bool csv_route, bool *csv) {
  *csv = true;
  if (csv_route) return EST_OK;
  static const char *const formats[] = {"json", "csv", NULL};
  const char *format = NULL;
  est_result rc = http_param_enum(ctx, "format", formats, &format);
  *csv = format ? strcmp(format, "csv") == 0 : http_accepts(ctx, "text/csv");
  return rc;
}

est_result http_reply_report(http_ctx *ctx, json_t *doc, bool csv, est_result (*to_csv)(const json_t *, est_buf *),
                             const char *name, long long id) {
  if (!csv) {
    http_reply_json_steal(ctx, 200, doc);
    return EST_OK;
  }
  est_buf b = EST_BUF_INIT;
  est_result rc = to_csv(doc, &b);
  json_decref(doc);
  if (rc == EST_OK && b.oom) rc = EST_ENOMEM;
  if (rc != EST_OK) {
    est_buf_free(&b);
    return rc;
  }
  char disp[112];
  snprintf(disp, sizeof disp, "attachment; filename=\"agreement-%lld-%s.csv\"", id, name);
  http_set_header(ctx, "Content-Disposition", disp);
  http_reply_raw(ctx, 200, "text/csv; charset=utf-8; header=present", b.data ? b.data : "", b.len);
  est_buf_free(&b);
  return EST_OK;
}
