/* routes_audit.c - GET /v1/audit: the audit trail (admin scope only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/http.h"
#include "estd/store_audit.h"

static const char *const audit_actions[] = {"create", "update", "delete", "ingest", "resubmit", NULL};

static bool digits(const char *s, int n) {
  for (int i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static bool valid_date(const char *s) {
  if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2)) return false;
  int y = atoi(s), m = two(s + 5), d = two(s + 8);
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
  return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static bool valid_timestamp(const char *s) {
  if (strlen(s) < 20 || !valid_date(s)) return false;
  const char *t = s + 10;
  if (*t != 'T' && *t != 't' && *t != ' ') return false;
  t++;
  if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2)) return false;
  if (two(t) > 23 || two(t + 3) > 59 || two(t + 6) > 59) return false;
  t += 8;
  if (*t == '.') {
    int n = 0;
    for (t++; *t >= '0' && *t <= '9'; t++) n++;
    if (n < 1 || n > 9) return false;
  }
  if ((*t == 'Z' || *t == 'z') && t[1] == '\0') return true;
  if ((*t != '+' && *t != '-') || !digits(t + 1, 2) || t[3] != ':' || !digits(t + 4, 2) || t[6] != '\0')
    return false;
  return two(t + 1) <= 14 && two(t + 4) <= 59;
}

/* from/to: a date (whole day, Europe/Stockholm) or an RFC 3339 date-time. */
static est_result time_param(http_ctx *ctx, const char *name, const char **ts, const char **date) {
  const char *v = http_param(ctx, name);
  *ts = *date = NULL;
  if (!v) return EST_OK;
  if (strlen(v) == 10 && valid_date(v)) *date = v;
  else if (valid_timestamp(v)) *ts = v;
  else {
    http_fail_field(ctx, name, "must be a date YYYY-MM-DD or an RFC 3339 date-time with offset");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", name);
  }
  return EST_OK;
}

static est_result entity_param(http_ctx *ctx, const char **out) {
  const char *v = http_param(ctx, "entity");
  *out = v;
  if (!v) return EST_OK;
  size_t n = strlen(v);
  bool ok = n > 0 && n <= 64 && strspn(v, "abcdefghijklmnopqrstuvwxyz_") == n;
  if (ok) return EST_OK;
  http_fail_field(ctx, "entity", "must be an entity name of lowercase letters and '_' (e.g. commitment)");
  return http_fail(ctx, EST_EPARSE, "invalid query parameter 'entity'");
}

static est_result audit_list(http_ctx *ctx) {
  est_list_query q;
  memset(&q, 0, sizeof q);
  q.desc = true;
  const char *cursor = NULL;
  est_result rc = http_page_params(ctx, &q.limit, &cursor);
  if (rc != EST_OK) return rc;
  const char *sort = http_param(ctx, "sort");
  if (sort && strcmp(sort, "-id") != 0) {
    http_fail_field(ctx, "sort", "the audit trail is always newest first (-id)");
    return http_fail(ctx, EST_EPARSE, "sort must be -id");
  }
  if (cursor) {
    if (est_cursor_decode(cursor, "-id", &q.after) != EST_OK) {
      http_fail_field(ctx, "cursor", "not a cursor issued for this list and sort");
      return http_fail(ctx, EST_EPARSE, "invalid cursor");
    }
    q.has_after = true;
  }
  store_audit_filter f;
  memset(&f, 0, sizeof f);
  rc = entity_param(ctx, &f.entity);
  if (rc == EST_OK) rc = http_param_id(ctx, "entity_id", &f.entity_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "key_id", &f.key_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = http_param_enum(ctx, "action", audit_actions, &f.action);
  if (rc == EST_OK) rc = time_param(ctx, "from", &f.from_ts, &f.from_date);
  if (rc == EST_OK) rc = time_param(ctx, "to", &f.to_ts, &f.to_date);
  if (rc != EST_OK) return rc;
  est_page page;
  if ((rc = store_audit_list(ctx->app->pool, &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

const http_route http_routes_security[] = {
    {"GET", "/v1/audit", audit_list, HTTP_SCOPE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
