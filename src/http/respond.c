/* respond.c - list paging, ETags and parameter validation for handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/buf.h"
#include "estd/http.h"
#include "estd/util.h"

est_result http_list_params(http_ctx *ctx, const char *const *sorts, est_list_query *q) {
  memset(q, 0, sizeof *q);
  const char *cursor = NULL;
  est_result rc = http_page_params(ctx, &q->limit, &cursor);
  if (rc != EST_OK) return rc;
  const char *sort = http_param(ctx, "sort");
  if (est_sort_parse(sort, sorts, &q->sort_index, &q->desc) != EST_OK) {
    char allowed[256] = "";
    for (int i = 0; sorts[i]; i++) {
      if (i) strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
      strncat(allowed, sorts[i], sizeof allowed - strlen(allowed) - 1);
    }
    http_fail_field(ctx, "sort", "unknown sort field");
    return http_fail(ctx, EST_EPARSE, "sort must be one of %s, optionally prefixed with '-'", allowed);
  }
  if (cursor) {
    char sortname[40];
    snprintf(sortname, sizeof sortname, "%s%s", q->desc ? "-" : "", sorts[q->sort_index]);
    if (est_cursor_decode(cursor, sortname, &q->after) != EST_OK) {
      http_fail_field(ctx, "cursor", "not a cursor issued for this list and sort");
      return http_fail(ctx, EST_EPARSE, "invalid cursor");
    }
    q->has_after = true;
  }
  /* The store binds cursors to the sort name; encode direction in it too. */
  return EST_OK;
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

est_result http_if_match(http_ctx *ctx, long long *version, bool *present) {
  const char *v = http_header(ctx, "If-Match");
  *present = v != NULL;
  *version = 0;
  if (!v) return EST_OK;
  while (*v == ' ') v++;
  if (strcmp(v, "*") == 0) return EST_OK;
  if (strncmp(v, "W/", 2) == 0) v += 2;
  size_t n = strlen(v);
  char num[24];
  if (n < 3 || n - 2 >= sizeof num || v[0] != '"' || v[n - 1] != '"') goto bad;
  memcpy(num, v + 1, n - 2);
  num[n - 2] = '\0';
  if (est_parse_id(num, version) != EST_OK) goto bad;
  return EST_OK;
bad:
  return http_fail(ctx, EST_EPARSE, "If-Match must be an entity tag previously returned in ETag");
}

est_result http_if_match_required(http_ctx *ctx, long long *version) {
  bool present;
  est_result rc = http_if_match(ctx, version, &present);
  if (rc == EST_OK && !present)
    rc = http_fail(ctx, EST_ENOPRECOND, "If-Match is required: send the ETag of the version you are changing");
  return rc;
}

void http_reply_created(http_ctx *ctx, const char *collection, long long id, est_doc *doc) {
  char loc[160];
  snprintf(loc, sizeof loc, "%s/%lld", collection, id);
  http_set_header(ctx, "Location", loc);
  http_reply_doc(ctx, 201, doc);
}

est_result http_param_enum(http_ctx *ctx, const char *name, const char *const *allowed, const char **out) {
  *out = NULL;
  const char *v = http_param(ctx, name);
  if (!v) return EST_OK;
  for (int i = 0; allowed[i]; i++)
    if (strcmp(allowed[i], v) == 0) {
      *out = allowed[i];
      return EST_OK;
    }
  http_fail_field(ctx, name, "not one of the allowed values");
  return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", name);
}

est_result http_param_date(http_ctx *ctx, const char *name, const char **out) {
  *out = http_param(ctx, name);
  if (!*out || est_date_valid(*out)) return EST_OK;
  http_fail_field(ctx, name, "must be a date YYYY-MM-DD");
  return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", name);
}

est_result http_path_id(http_ctx *ctx, long long *id) {
  const char *v = http_param(ctx, "id");
  if (!v || est_parse_id(v, id) != EST_OK) return http_fail(ctx, EST_ENOTFOUND, "no such resource");
  return EST_OK;
}
