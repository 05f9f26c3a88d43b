/* routes_public.c - the public follow-up of the medborgarlöfte (citizen
 * pledges), for residents, without sign-in. Off unless ESTD_PUBLIC_PAGE=on
 * (404 otherwise).
 *
 *   GET /v1/public/agreements        the agreements of kind medborgarlofte
 *   GET /v1/public/agreements/{id}   their commitments with aggregate progress
 *
 * Only aggregates leave here, under the same disclosure control as the
 * situational picture for a caller without the detail scope
 * (ESTD_PRIVACY_MIN_COUNT, est_suppress: primary and secondary suppression
 * of each commitment's buckets against its total): no last_event, no
 * position, no time finer than a bucket. Presence measures (duration_hours
 * of patrols and activities) are published unsuppressed, as in the
 * situational picture. A percentage or on-track judgement computed from a
 * hidden count is hidden too. */
#include <string.h>

#include "estd/http.h"
#include "estd/privacy.h"
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

/* Protects one commitment's progress in place (see the file comment): the
 * buckets are one table ("public.progress", identified by their start date)
 * published through the same policy as the situational picture's counts. */
static void progress_protect(json_t *p, const est_publish_policy *pol) {
  if (!json_is_object(p)) return;
  json_object_del(p, "last_event");
  json_t *ind = json_object_get(p, "indicator");
  static const char *const ind_keep[] = {"code", "description", "measure", "event_kinds", "activity_types",
                                         "categories", NULL};
  if (json_is_object(ind)) keep_only(ind, ind_keep);
  const char *measure = json_string_value(json_object_get(ind, "measure"));
  if (!measure || strcmp(measure, "count") != 0) return;
  json_t *total = json_object_get(p, "total");
  json_t *buckets = json_object_get(p, "buckets");
  long long t = json_is_integer(total) ? json_integer_value(total) : -1;
  bool tsup = json_is_array(buckets) && est_publish_json(pol, "public.progress", buckets, "from", t, "value", "suppressed");
  json_t *value = json_object_get(p, "value");
  bool vsup = false;
  if (json_is_integer(value)) {
    long long v = json_integer_value(value);
    bool s = false, ts = false;
    est_suppress(&v, &s, 1, -1, &ts, pol->k);
    vsup = s || (tsup && json_equal(total, value));
  }
  if (tsup) json_object_set_new(p, "total", json_null());
  if (vsup) {
    json_object_set_new(p, "value", json_null());
    json_object_set_new(p, "percentage", json_null());
    json_object_set_new(p, "on_track", json_null());
  }
  json_object_set_new(p, "total_suppressed", json_boolean(tsup));
  json_object_set_new(p, "value_suppressed", json_boolean(vsup));
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
  rc = http_agreement_report(ctx, id, &doc);
  const char *kind = rc == EST_OK ? json_string_value(json_object_get(json_object_get(doc, "agreement"), "kind")) : NULL;
  if (rc == EST_OK && (!kind || strcmp(kind, "medborgarlofte") != 0)) {
    json_decref(doc);
    rc = EST_ENOTFOUND; /* only citizen pledges are public */
  }
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "no public agreement %lld", id);
  if (rc != EST_OK) return rc;
  int k = ctx->app->cfg->privacy_min_count;
  est_publish_policy pol = {k, false, NULL, NULL}; /* a caller without read-detail */
  size_t i;
  json_t *c;
  static const char *const keep[] = {"id", "code", "text", "status", "follow_up_note", "responsible_parties",
                                     "target", "progress", NULL};
  json_array_foreach(json_object_get(doc, "commitments"), i, c) {
    keep_only(c, keep);
    progress_protect(json_object_get(c, "progress"), &pol);
  }
  json_object_set_new(doc, "privacy", json_pack("{s:i, s:b}", "min_count", k, "suppression_applied", k > 1));
  http_set_header(ctx, "Cache-Control", "public, max-age=60");
  http_reply_json_steal(ctx, 200, doc);
  return EST_OK;
}

const http_route http_routes_public[] = {
    {"GET", "/v1/public/agreements", public_agreements, 0, HTTP_ROUTE_PUBLIC},
    {"GET", "/v1/public/agreements/{id}", public_agreement, 0, HTTP_ROUTE_PUBLIC},
    {NULL, NULL, NULL, 0, 0},
};
