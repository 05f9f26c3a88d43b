/* routes_public.c - the public follow-up of the medborgarlöfte (citizen
 * pledges), for residents, without sign-in. Off unless ESTD_PUBLIC_PAGE=on
 * (404 otherwise).
 *
 *   GET /v1/public/agreements        the agreements of kind medborgarlofte
 *   GET /v1/public/agreements/{id}   their commitments with aggregate progress
 *
 * Only aggregates leave here, under the same disclosure control as every
 * other aggregate (estd/privacy.h, cell-key rounding to multiples of the
 * base k; a count below k is null with its flag): the report is published
 * for an anonymous caller (no party, no detail scope) whatever ESTD_AUTH
 * says, then trimmed to what residents need (no last_event, no party or
 * area lists of the indicator). */
#include <string.h>

#include "estd/http.h"
#include "estd/disclosure.h"
#include "estd/store_progress.h"

static est_result public_enabled(http_ctx *ctx) {
  if (ctx->app->cfg->public_page) return EST_OK;
  return http_fail(ctx, EST_ENOTFOUND, "the public page is not enabled (ESTD_PUBLIC_PAGE)");
}

/* Keeps only the listed members of obj (in place). */
static void keep_only(json_t *obj, const char *const *keep) {
  const char *key;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(obj, tmp, key, v) {
    bool found = false;
    for (int i = 0; keep[i] && !found; i++) found = strcmp(keep[i], key) == 0;
    if (!found) json_object_del(obj, key);
  }
}

/* Leaves only what a resident needs of a commitment's progress: the
 * counts as the policy published them for an anonymous caller, no
 * last_event, and of the indicator only what it measures. */
static void progress_trim(json_t *p) {
  if (!json_is_object(p)) return;
  json_object_del(p, "last_event");
  json_t *ind = json_object_get(p, "indicator");
  static const char *const ind_keep[] = {"code",           "description", "measure", "event_kinds",
                                         "activity_types", "categories",  NULL};
  if (json_is_object(ind)) keep_only(ind, ind_keep);
}

static est_result public_agreements(http_ctx *ctx) {
  est_result rc = public_enabled(ctx);
  if (rc != EST_OK) return rc;
  json_t *list;
  rc = store_public_agreements(ctx->app->pool, &list);
  if (rc != EST_OK) return rc;
  http_set_header(ctx, "Cache-Control", "public, max-age=60");
  http_reply_json_steal(ctx, 200, json_pack("{s:o}", "items", list));
  return EST_OK;
}

static est_result public_agreement(http_ctx *ctx) {
  est_result rc = public_enabled(ctx);
  if (rc != EST_OK) return rc;
  long long id;
  if ((rc = http_path_id(ctx, &id)) != EST_OK) return rc;
  json_t *doc;
  /* Published for a caller with no party and no detail scope, whatever
   * ESTD_AUTH says: the public sees what an anonymous reader may. */
  const est_caller anonymous = {0, false, false};
  rc = http_agreement_report(ctx, id, &anonymous, &doc);
  const char *kind =
      rc == EST_OK ? json_string_value(json_object_get(json_object_get(doc, "agreement"), "kind")) : NULL;
  if (rc == EST_OK && (!kind || strcmp(kind, "medborgarlofte") != 0)) {
    json_decref(doc);
    rc = EST_ENOTFOUND; /* only citizen pledges are public */
  }
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "no public agreement %lld", id);
  if (rc != EST_OK) return rc;
  int k = est_disclosure_base(&anonymous, ctx->app->cfg->privacy_min_count, 0);
  size_t i;
  json_t *c;
  static const char *const keep[] = {"id",     "code",     "text", "status", "follow_up_note", "responsible_parties",
                                     "target", "progress", NULL};
  json_array_foreach(json_object_get(doc, "commitments"), i, c) {
    keep_only(c, keep);
    progress_trim(json_object_get(c, "progress"));
  }
  json_object_set_new(doc, "privacy", json_pack("{s:i, s:b}", "min_count", k, "suppression_applied", k > 1));
  http_set_header(ctx, "Cache-Control", "public, max-age=60");
  http_reply_json_steal(ctx, 200, doc);
  return EST_OK;
}

const http_route http_routes_public[] = {
    {"GET", "/v1/public/agreements", public_agreements, 0, HTTP_ROUTE_PUBLIC, NULL},
    {"GET", "/v1/public/agreements/{id}", public_agreement, 0, HTTP_ROUTE_PUBLIC, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
