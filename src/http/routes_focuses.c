/* routes_focuses.c - /v1/area-focuses: area focuses (fokusområden). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"
#include "estd/http.h"
#include "estd/problem.h"
#include "estd/store_areas.h"

static est_result store_failed(http_ctx *ctx, est_result rc, const store_area_fail *f, long long id) {
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "area focus %lld does not exist", id);
  if (f->field[0]) http_fail_field(ctx, f->field, f->detail);
  if (f->detail[0]) return http_fail(ctx, rc, "%s", f->detail);
  return rc;
}

static est_result focuses_list(http_ctx *ctx) {
  static const char *const priorities[] = {"1", "2", "3", "4", "5", NULL};
  est_list_query q;
  store_focus_filter f;
  memset(&f, 0, sizeof f);
  const char *prio = NULL;
  est_result rc = http_list_params(ctx, store_focuses_sorts, &q);
  if (rc == EST_OK) rc = http_param_id(ctx, "area_id", &f.area_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "agreement_id", &f.agreement_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = http_param_enum(ctx, "priority", priorities, &prio);
  if (rc == EST_OK) rc = http_param_date(ctx, "active_on", &f.active_on);
  if (rc != EST_OK) return rc;
  if (prio) f.priority = prio[0] - '0';
  est_page page;
  if ((rc = store_focuses_list(ctx->app->pool, &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static est_result focuses_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  est_doc doc;
  rc = store_focus_get(ctx->app->pool, id, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "area focus %lld does not exist", id);
  if (rc != EST_OK) return rc;
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

static est_result read_body(http_ctx *ctx, bool patch, char **norm) {
  json_t *body;
  est_result rc = http_body_json(ctx, &body);
  if (rc != EST_OK) return rc;
  json_t *errors = NULL;
  rc = est_focus_validate(body, patch, norm, &errors);
  json_decref(body);
  if (rc == EST_EINVAL) {
    http_fail_errors(ctx, errors);
    return http_fail(ctx, EST_EINVAL, "the area focus failed validation; see errors");
  }
  json_decref(errors);
  return rc;
}

static est_result focuses_create(http_ctx *ctx) {
  char *norm;
  est_result rc = read_body(ctx, false, &norm);
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  long long id = 0;
  store_area_fail fail = {"", ""};
  rc = store_focus_create(ctx->app->pool, &who, norm, &doc, &id, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, rc, &fail, id);
  http_reply_created(ctx, "/v1/area-focuses", id, &doc);
  return EST_OK;
}

static est_result focuses_patch(http_ctx *ctx) {
  long long id, version;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &version);
  if (rc != EST_OK) return rc;
  char *norm;
  if ((rc = read_body(ctx, true, &norm)) != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  store_area_fail fail = {"", ""};
  rc = store_focus_update(ctx->app->pool, &who, id, version, norm, &doc, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, rc, &fail, id);
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

static est_result focuses_delete(http_ctx *ctx) {
  long long id, version;
  bool present;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match(ctx, &version, &present); /* optional on DELETE */
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  store_area_fail fail = {"", ""};
  rc = store_focus_delete(ctx->app->pool, &who, id, version, &fail);
  if (rc != EST_OK) return store_failed(ctx, rc, &fail, id);
  http_reply_empty(ctx, 204);
  return EST_OK;
}

const http_route http_routes_focuses[] = {
    {"GET", "/v1/area-focuses", focuses_list, HTTP_SCOPE_READ, 0},
    {"POST", "/v1/area-focuses", focuses_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY},
    {"GET", "/v1/area-focuses/{id}", focuses_get, HTTP_SCOPE_READ, 0},
    {"PATCH", "/v1/area-focuses/{id}", focuses_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY},
    {"DELETE", "/v1/area-focuses/{id}", focuses_delete, HTTP_SCOPE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
