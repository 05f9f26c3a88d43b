/* routes_commitments.c - /v1/commitments: list, get, create, merge-patch,
 * archive (DELETE) and restore.
 *
 * PATCH is a JSON merge patch (RFC 7396) applied to the stored document
 * and validated as a whole; it needs If-Match (428 without it, 412 when
 * stale). Non-admin callers may change only status and follow_up_note of
 * commitments their party is responsible for (403 otherwise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "estd/commitment.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/problem.h"
#include "estd/progress.h"
#include "estd/store_commitments.h"
#include "estd/store_progress.h"

/* include=progress: each item of the page gets its progress (the store's
 * rows, evaluated today by progress.h); replaces *items. */
static est_result attach_progress(http_ctx *ctx, char **items) {
  json_t *arr = json_loads(*items, 0, NULL), *rows = NULL;
  long long *ids = NULL;
  size_t n = 0;
  est_result rc = est_progress_ids(arr, &ids, &n);
  if (rc == EST_OK) rc = store_progress_rows(ctx->app->pool, ids, n, &rows);
  free(ids);
  char *text = NULL;
  if (rc == EST_OK) {
    est_caller who = http_caller(ctx);
    est_publish_policy pol = {est_disclosure_base(&who, ctx->app->cfg->privacy_min_count, 0), who.detail, NULL, NULL};
    est_progress_attach(arr, rows, est_stockholm_date(time(NULL)), &pol, &who);
    if (!(text = json_dumps(arr, JSON_COMPACT))) rc = EST_ENOMEM;
  }
  if (rc == EST_OK) {
    free(*items);
    *items = text;
  }
  json_decref(rows);
  json_decref(arr);
  return rc;
}

static est_result list(http_ctx *ctx) {
  est_list_query q;
  store_commitment_filter f = {0};
  /* Check every parameter so the problem lists each bad one. */
  est_result rc = http_list_params(ctx, store_commitments_sorts, &q);
  est_result rcs[5] = {
      http_param_id(ctx, "agreement_id", &f.agreement_id, NULL),
      http_param_id(ctx, "party_id", &f.party_id, NULL),
      http_param_id(ctx, "cooperation_area_id", &f.cooperation_area_id, NULL),
      http_param_id(ctx, "area_id", &f.area_id, NULL),
      http_param_enum(ctx, "status", est_commitment_statuses, &f.status),
  };
  for (int i = 0; i < 5; i++)
    if (rc == EST_OK && rcs[i] != EST_OK) rc = rcs[i];
  /* include=progress: progress summary per item (attach_progress). */
  static const char *const list_includes[] = {"progress", NULL};
  const char *include = NULL;
  if (rc == EST_OK) rc = http_param_enum(ctx, "include", list_includes, &include);
  if (rc == EST_OK) rc = http_param_archived(ctx, &f.archived);
  if (rc != EST_OK) return rc;
  est_page page;
  rc = store_commitments_list(http_read_pool(ctx), &f, &q, &page);
  if (rc == EST_OK && include && (rc = attach_progress(ctx, &page.items)) != EST_OK) est_page_free(&page);
  if (rc == EST_EPARSE) {
    http_fail_field(ctx, "cursor", "not a cursor issued for this list and sort");
    return http_fail(ctx, rc, "invalid cursor");
  }
  if (rc != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

/* Commitments are parsed into an est_commitment_input (not normalized
 * JSON) and PATCH checks the caller's party, so only GET and the failure
 * mapping are the shared ones (http_resource.h). */
static const http_resource commitment_resource = {
    "commitment", "/v1/commitments", NULL, store_commitment_get, NULL, NULL, NULL};

static est_result get(http_ctx *ctx) { return http_resource_get(ctx, &commitment_resource); }

/* Turns a store failure into the problem detail. */
static est_result write_fail(http_ctx *ctx, est_result rc, const store_write_error *err, long long id) {
  if (rc == EST_EPRECONDITION)
    return http_fail(ctx, rc, "the commitment has changed since the version in If-Match; fetch it again");
  return http_resource_failed(ctx, &commitment_resource, rc, err, id);
}

static est_result invalid(http_ctx *ctx, json_t *errors) {
  http_fail(ctx, EST_EINVAL, "the commitment is not valid; see errors");
  return http_fail_errors(ctx, errors);
}

static est_result create(http_ctx *ctx) {
  json_t *body;
  est_result rc = http_body_json(ctx, &body);
  if (rc != EST_OK) return rc;
  est_commitment_input in;
  json_t *errors = NULL;
  if (est_commitment_parse(body, EST_COMMITMENT_CREATE, &in, &errors) != EST_OK) {
    json_decref(body);
    return invalid(ctx, errors);
  }
  est_actor who = http_actor(ctx);
  store_write_error err = {"", ""};
  est_doc doc;
  long long id = 0;
  rc = store_commitment_create(ctx->app->pool, &in, &who, &doc, &id, &err);
  json_decref(body); /* in borrows from body until here */
  if (rc != EST_OK) return write_fail(ctx, rc, &err, 0);
  http_reply_created(ctx, "/v1/commitments", id, &doc);
  return EST_OK;
}

static est_result patch(http_ctx *ctx) {
  long long id, want;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &want);
  if (rc != EST_OK) return rc;
  const char *ct = http_header(ctx, "Content-Type");
  if (ct && strncasecmp(ct, "application/json-patch+json", 27) == 0)
    return http_fail(ctx, EST_EUNSUPPORTED, "use application/merge-patch+json (RFC 7396), not JSON Patch");
  json_t *body;
  if ((rc = http_body_json(ctx, &body)) != EST_OK) return rc;
  json_t *errors = NULL;
  if (est_commitment_patch_check(body, &errors) != EST_OK) {
    json_decref(body);
    return invalid(ctx, errors);
  }
  est_doc cur;
  rc = store_commitment_get(ctx->app->pool, id, &cur);
  if (rc != EST_OK) {
    json_decref(body);
    return http_resource_failed(ctx, &commitment_resource, rc, NULL, id);
  }
  long long version = cur.version;
  json_t *current = json_loads(cur.json, 0, NULL);
  est_doc_free(&cur);
  if (!current) {
    json_decref(body);
    return EST_EINTERNAL;
  }
  char why[160];
  rc = est_commitment_patch_allowed(body, current, (ctx->who.scopes & HTTP_SCOPE_ADMIN) != 0, ctx->who.party_id, why,
                                    sizeof why);
  if (rc != EST_OK) {
    json_decref(body);
    json_decref(current);
    return http_fail(ctx, rc, "%s", why);
  }
  if (want != 0 && want != version) {
    json_decref(body);
    json_decref(current);
    return write_fail(ctx, EST_EPRECONDITION, NULL, id);
  }
  json_t *merged = est_json_merge_patch(current, body);
  json_decref(body);
  json_decref(current);
  if (!merged) return EST_ENOMEM;
  est_commitment_input in;
  if (est_commitment_parse(merged, EST_COMMITMENT_MERGED, &in, &errors) != EST_OK) {
    json_decref(merged);
    return invalid(ctx, errors);
  }
  est_actor who = http_actor(ctx);
  store_write_error err = {"", ""};
  est_doc doc;
  /* The version is checked again in the UPDATE itself (no lost update). */
  rc = store_commitment_update(ctx->app->pool, id, version, &in, &who, &doc, &err);
  json_decref(merged);
  if (rc != EST_OK) return write_fail(ctx, rc, &err, id);
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

/* DELETE archives, restore restores: the shared handlers (http_resource.h). */
static const http_resource archive_resource = {
    .noun = "commitment", .collection = "/v1/commitments", .archivable = &store_commitments_archivable};

static est_result delete_(http_ctx *ctx) { return http_resource_delete(ctx, &archive_resource); }
static est_result restore(http_ctx *ctx) { return http_resource_restore(ctx, &archive_resource); }

const http_route http_routes_commitments[] = {
    {"GET", "/v1/commitments", list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST " archived include agreement_id party_id cooperation_area_id area_id status"},
    {"POST", "/v1/commitments", create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/commitments/{id}", get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/commitments/{id}", patch, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/commitments/{id}", delete_, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/commitments/{id}/restore", restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
