/* request.c - reading the request for handlers: parameters, headers, the
 * JSON body, conditional headers, and recording failures for the problem
 * document (see http.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/buf.h"
#include "estd/event.h"
#include "estd/http.h"
#include "estd/problem.h"
#include "estd/util.h"
#include "estd/validate.h"

const char *http_param(http_ctx *ctx, const char *name) { return u_map_get(ctx->req->map_url, name); }

const char *http_header(http_ctx *ctx, const char *name) { return u_map_get_case(ctx->req->map_header, name); }

bool http_accepts(http_ctx *ctx, const char *type) {
  const char *a = http_header(ctx, "Accept");
  return a && strstr(a, type) != NULL;
}

est_result http_body_json(http_ctx *ctx, json_t **out) {
  *out = NULL;
  const char *ct = http_header(ctx, "Content-Type");
  if (!est_media_type_is_json(ct, ct ? strlen(ct) : 0))
    return http_fail(ctx, EST_EUNSUPPORTED, "Content-Type must be application/json or another +json media type");
  if (ctx->req->binary_body_length == 0 || !ctx->req->binary_body)
    return http_fail(ctx, EST_EPARSE, "request body is empty");
  json_error_t err;
  json_t *j = json_loadb(ctx->req->binary_body, ctx->req->binary_body_length, JSON_REJECT_DUPLICATES, &err);
  if (!j) return http_fail(ctx, EST_EPARSE, "invalid JSON at line %d column %d: %s", err.line, err.column, err.text);
  est_json_integral_reals(j);
  *out = j;
  return EST_OK;
}

est_result http_fail(http_ctx *ctx, est_result rc, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(ctx->problem_detail);
  ctx->problem_detail = strdup(buf);
  return rc;
}

est_result http_fail_field(http_ctx *ctx, const char *field, const char *detail) {
  return est_problem_add_error(&ctx->problem_errors, field, detail);
}

est_result http_fail_errors(http_ctx *ctx, json_t *errors) {
  if (!errors) return EST_EINVAL;
  if (!ctx->problem_errors) {
    ctx->problem_errors = errors;
  } else {
    json_array_extend(ctx->problem_errors, errors);
    json_decref(errors);
  }
  return EST_EINVAL;
}

est_result http_page_params(http_ctx *ctx, int *limit, const char **cursor) {
  const est_config *cfg = ctx->app->cfg;
  *limit = cfg->page_default;
  const char *l = http_param(ctx, "limit");
  if (l) {
    long v;
    if (est_parse_int(l, 1, cfg->page_max, &v) != EST_OK) {
      char msg[96];
      snprintf(msg, sizeof msg, "must be an integer from 1 to %d", cfg->page_max);
      http_fail_field(ctx, "limit", msg);
      return http_fail(ctx, EST_EPARSE, "invalid query parameter 'limit'");
    }
    *limit = (int)v;
  }
  *cursor = http_param(ctx, "cursor");
  return EST_OK;
}

est_result http_param_id(http_ctx *ctx, const char *name, long long *out, bool *present) {
  const char *v = http_param(ctx, name);
  if (present) *present = v != NULL;
  if (!v) return EST_OK;
  long long x;
  if (est_parse_id(v, &x) != EST_OK) {
    http_fail_field(ctx, name, "must be a positive integer id");
    return http_fail(ctx, EST_EPARSE, "invalid parameter '%s'", name);
  }
  *out = x;
  return EST_OK;
}

est_result http_param_source(http_ctx *ctx, const char **out) {
  *out = http_param(ctx, "source");
  if (!*out || est_event_source_valid(*out)) return EST_OK;
  http_fail_field(ctx, "source", "must be 1 to 512 printable ASCII characters without space, '\"', '<', '>' or '\\'");
  return http_fail(ctx, EST_EPARSE, "invalid query parameter 'source'");
}

est_result http_list_params(http_ctx *ctx, const char *const *sorts, est_list_query *q) {
  memset(q, 0, sizeof *q);
  const char *cursor = NULL;
  est_result rc = http_page_params(ctx, &q->limit, &cursor);
  if (rc != EST_OK) return rc;
  const char *sort = http_param(ctx, "sort");
  if (est_sort_parse(sort, sorts, &q->sort_index, &q->desc) != EST_OK) {
    est_buf allowed = EST_BUF_INIT;
    bool fixed = false; /* an entry with one direction ("-id") */
    for (int i = 0; sorts[i]; i++) {
      est_buf_printf(&allowed, "%s%s", i ? ", " : "", sorts[i]);
      fixed = fixed || sorts[i][0] == '-';
    }
    http_fail_field(ctx, "sort", fixed ? "not an order this list has" : "unknown sort field");
    rc = http_fail(ctx, EST_EPARSE, fixed ? "sort must be %s" : "sort must be one of %s, optionally prefixed with '-'",
                   allowed.oom || !allowed.data ? "" : allowed.data);
    est_buf_free(&allowed);
    return rc;
  }
  if (cursor) {
    /* The store binds cursors to the sort name with its direction. */
    const char *s = sorts[q->sort_index];
    char sortname[40];
    snprintf(sortname, sizeof sortname, "%s%s", q->desc && s[0] != '-' ? "-" : "", s);
    if (est_cursor_decode(cursor, sortname, &q->after) != EST_OK) {
      http_fail_field(ctx, "cursor", "not a cursor issued for this list and sort");
      return http_fail(ctx, EST_EPARSE, "invalid cursor");
    }
    q->has_after = true;
  }
  return EST_OK;
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
  /* Exactly what ETag headers carry (openapi.yaml IfMatch: `"` 1-18 digits without a leading zero `"`). */
  if (n < 3 || n - 2 > 18 || v[0] != '"' || v[n - 1] != '"' || v[1] == '0') goto bad;
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

est_pool *http_read_pool(http_ctx *ctx) {
  if (!ctx->app->read_pool) return ctx->app->pool;
  const char *tok = http_header(ctx, HTTP_CONSISTENCY_HEADER);
  uint64_t lsn = 0;
  if (tok && !est_lsn_parse(tok, &lsn)) lsn = UINT64_MAX;
  return est_pool_for_read(ctx->app->pool, lsn);
}
