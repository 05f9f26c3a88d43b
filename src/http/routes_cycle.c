/* routes_cycle.c - the EST work cycle as records:
 *
 *   POST/PATCH/DELETE /v1/parties[/{id}]           writable, versioned parties (admin)
 *   POST/PATCH/DELETE /v1/agreements[/{id}]        agreements (admin)
 *   POST /v1/agreements/{id}/revisions             a new version (revision rule, carry-over)
 *   POST /v1/agreements/{id}/signing               signing parties, date, role titles (If-Match)
 *   GET  /v1/agreements/{id}/follow-up             report per week/quarter/year/period (JSON, CSV)
 *   GET  /v1/agreements/{id}/statutory-report      lägesbild per lag 2023:196 § 4 (JSON, CSV)
 *   GET  /v1/agreements/{id}/follow-up.csv,        the same two reports, always CSV
 *        /v1/agreements/{id}/statutory-report.csv
 *   /v1/cooperation-areas[/{id}]                   samverkansområden
 *   /v1/meetings[/{id}], /lagesbild, /diff         meetings with their frozen lägesbild
 *   /v1/actions[/{id}], /evidence, /findings       insatser/åtgärder
 *   /v1/indicator-values[/{id}]                    survey results
 *   /v1/commitments/{id}/outcome-target            an outcome goal judged against a baseline
 *
 * DELETE archives (the row stays readable, lists leave it out unless
 * archived=true). Updates need If-Match (428 without, 412 stale).
 * Only the responsible party or an admin may change an action. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "estd/area.h"
#include "estd/util.h"
#include "estd/cycle.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/problem.h"
#include "estd/progress.h"
#include "estd/calendar.h"
#include "estd/situation.h"
#include "estd/store_actions.h"
#include "estd/store_followup.h"
#include "estd/store_indicators.h"
#include "estd/store_meetings.h"
#include "estd/store_parties.h"
#include "estd/store_progress.h"

static const char *const bools[] = {"true", "false", NULL};

static bool is_admin(const http_ctx *ctx) { return (ctx->who.scopes & HTTP_SCOPE_ADMIN) != 0; }

/* Lists share the cursor problem. */
static est_result reply_list(http_ctx *ctx, est_result rc, est_page *page) {
  if (rc == EST_EPARSE) {
    http_fail_field(ctx, "cursor", "not a cursor issued for this list and sort");
    return http_fail(ctx, rc, "invalid cursor");
  }
  if (rc != EST_OK) return rc;
  http_reply_page(ctx, page);
  return EST_OK;
}

/* The first failing of several parameter checks (all are run, so the
 * problem names every bad one). */
static est_result first_fail(const est_result *rcs, int n) {
  for (int i = 0; i < n; i++)
    if (rcs[i] != EST_OK) return rcs[i];
  return EST_OK;
}

/* A store failure as a problem (http_resource_failed), except a 404 that
 * the store explained (e.g. an evidence link that does not exist). */
static est_result store_failed(http_ctx *ctx, const char *noun, est_result rc, const store_write_error *f,
                               long long id) {
  if (rc == EST_ENOTFOUND && f->detail[0]) return http_fail(ctx, rc, "%s", f->detail);
  const http_resource named = {noun, NULL, NULL, NULL, NULL, NULL, NULL};
  return http_resource_failed(ctx, &named, rc, f, id);
}

/* POST {collection}/{id}/<sub>: a record made from the body (what names
 * it) under parent (a revision, a finding), answered 201 at
 * collection/new id. */
typedef est_result (*child_create_fn)(est_pool *pool, const est_actor *who, long long parent, const char *body,
                                      est_doc *out, long long *id, store_write_error *fail);
static est_result create_child(http_ctx *ctx, long long parent, const char *what, http_validate_fn validate,
                               const char *noun, const char *collection, child_create_fn create) {
  char *norm;
  est_result rc = http_body_validated(ctx, what, validate, false, &norm, NULL);
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  long long id = 0;
  store_write_error fail = {"", ""};
  rc = create(ctx->app->pool, &who, parent, norm, &doc, &id, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, noun, rc, &fail, parent);
  http_reply_created(ctx, collection, id, &doc);
  return EST_OK;
}

/* ---- parties ------------------------------------------------------------------ */

static const http_resource party_res = {"party",
                                        "/v1/parties",
                                        est_party_validate,
                                        store_party_get,
                                        store_party_create,
                                        store_party_update,
                                        &store_parties_archivable};
static est_result party_create(http_ctx *ctx) { return http_resource_create(ctx, &party_res); }
static est_result party_patch(http_ctx *ctx) { return http_resource_patch(ctx, &party_res); }
static est_result party_delete(http_ctx *ctx) { return http_resource_delete(ctx, &party_res); }
static est_result party_restore(http_ctx *ctx) { return http_resource_restore(ctx, &party_res); }

/* ---- agreements ----------------------------------------------------------------- */

static est_result agreement_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  return est_agreement_validate(body, patch, false, normalized, errors);
}
/* The validators of bodies that are never merge patches. */
static est_result revision_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  (void)patch;
  return est_agreement_validate(body, false, true, normalized, errors);
}
static est_result signing_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  (void)patch;
  return est_signing_validate(body, normalized, errors);
}

static const http_resource agreement_res = {"agreement",
                                            "/v1/agreements",
                                            agreement_validate,
                                            store_agreement_get,
                                            store_agreement_create,
                                            store_agreement_update,
                                            &store_agreements_archivable};
static est_result agreement_create(http_ctx *ctx) { return http_resource_create(ctx, &agreement_res); }
static est_result agreement_patch(http_ctx *ctx) { return http_resource_patch(ctx, &agreement_res); }
static est_result agreement_delete(http_ctx *ctx) { return http_resource_delete(ctx, &agreement_res); }
static est_result agreement_restore(http_ctx *ctx) { return http_resource_restore(ctx, &agreement_res); }

static est_result agreement_revise(http_ctx *ctx) {
  long long prev;
  est_result rc = http_path_id(ctx, &prev);
  if (rc != EST_OK) return rc;
  return create_child(ctx, prev, "revision", revision_validate, "agreement", "/v1/agreements", store_agreement_revise);
}

static est_result agreement_sign(http_ctx *ctx) {
  long long id, version;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &version);
  if (rc != EST_OK) return rc;
  if (version == 0) { /* signing is deliberate: the version signed must be named */
    est_doc cur;
    if ((rc = store_agreement_get(ctx->app->pool, id, &cur)) != EST_OK)
      return rc == EST_ENOTFOUND ? http_fail(ctx, rc, "agreement %lld does not exist", id) : rc;
    version = cur.version;
    est_doc_free(&cur);
  }
  char *norm;
  if ((rc = http_body_validated(ctx, "signing", signing_validate, false, &norm, NULL)) != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  store_write_error fail = {"", ""};
  rc = store_agreement_sign(ctx->app->pool, &who, id, version, norm, &doc, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, "agreement", rc, &fail, id);
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

/* ---- cooperation areas ----------------------------------------------------------- */

static const http_resource coop_res = {"cooperation area",          "/v1/cooperation-areas", est_coop_area_validate,
                                       store_coop_area_get,         store_coop_area_create,  store_coop_area_update,
                                       &store_coop_areas_archivable};

static est_result coop_list(http_ctx *ctx) {
  est_list_query q;
  store_coop_area_filter f = {0, false};
  est_result rcs[3] = {http_list_params(ctx, store_coop_areas_sorts, &q),
                       http_param_id(ctx, "agreement_id", &f.agreement_id, NULL),
                       http_param_archived(ctx, &f.include_archived)};
  est_result rc = first_fail(rcs, 3);
  if (rc != EST_OK) return rc;
  est_page page;
  return reply_list(ctx, store_coop_areas_list(http_read_pool(ctx), &f, &q, &page), &page);
}
static est_result coop_get(http_ctx *ctx) { return http_resource_get(ctx, &coop_res); }
static est_result coop_create(http_ctx *ctx) { return http_resource_create(ctx, &coop_res); }
static est_result coop_patch(http_ctx *ctx) { return http_resource_patch(ctx, &coop_res); }
static est_result coop_delete(http_ctx *ctx) { return http_resource_delete(ctx, &coop_res); }
static est_result coop_restore(http_ctx *ctx) { return http_resource_restore(ctx, &coop_res); }

/* ---- meetings --------------------------------------------------------------------- */

/* No create: a meeting is recorded by meeting_create (it needs the lägesbild). */
static const http_resource meeting_res = {"meeting", "/v1/meetings",       est_meeting_validate,      store_meeting_get,
                                          NULL,      store_meeting_update, &store_meetings_archivable};

static est_result meetings_list(http_ctx *ctx) {
  est_list_query q;
  store_meeting_filter f;
  memset(&f, 0, sizeof f);
  est_result rcs[7] = {
      http_list_params(ctx, store_meetings_sorts, &q), http_param_id(ctx, "agreement_id", &f.agreement_id, NULL),
      http_param_id(ctx, "area_id", &f.area_id, NULL), http_param_id(ctx, "party_id", &f.party_id, NULL),
      http_param_date(ctx, "from", &f.from),           http_param_date(ctx, "to", &f.to),
      http_param_archived(ctx, &f.include_archived)};
  est_result rc = first_fail(rcs, 7);
  if (rc != EST_OK) return rc;
  est_page page;
  return reply_list(ctx, store_meetings_list(http_read_pool(ctx), &f, &q, &page), &page);
}

/* POST: the lägesbild of the meeting's week and area is rendered exactly
 * as GET /v1/situation serves it to this caller and frozen with the
 * meeting, in the same transaction as its chosen hot spots' focuses. */
static est_result meeting_create(http_ctx *ctx) {
  char *norm = NULL;
  est_result rc = http_body_validated(ctx, "meeting", est_meeting_validate, false, &norm, NULL);
  if (rc != EST_OK) return rc;
  json_t *n = json_loads(norm, 0, NULL);
  if (!n) {
    free(norm);
    return EST_ENOMEM;
  }
  long long area_id = json_integer_value(json_object_get(n, "area_id"));
  const char *week = json_string_value(json_object_get(n, "week"));
  char *snap = NULL;
  size_t len = 0;
  est_caller as;
  int k = 0;
  rc = http_situation_render(ctx, area_id, week, NULL, -1, &snap, &len, &as, &k);
  if (rc == EST_OK && strlen(snap) != len) rc = EST_EINTERNAL; /* a text column holds no NUL */
  char *query = NULL;
  if (rc == EST_OK) {
    /* The disclosure it was made with: who may read it later, and the recount's. */
    json_t *qj = json_pack("{s:s, s:O, s:O, s:b, s:i, s:{s:I, s:b, s:b}, s:f, s:i, s:s}", "week", week, "area_id",
                           json_object_get(n, "area_id") ? json_object_get(n, "area_id") : json_null(), "period",
                           json_object_get(n, "period"), "detail", as.detail, "min_count", k, "caller", "party_id",
                           (json_int_t)as.party_id, "detail", as.detail, "admin", as.admin, "eps_m", 150.0,
                           "min_points", 5, "path", "/v1/situation");
    query = qj ? json_dumps(qj, JSON_COMPACT) : NULL;
    json_decref(qj);
    if (!query) rc = EST_ENOMEM;
  }
  json_decref(n);
  est_doc doc;
  long long id = 0;
  store_write_error fail = {"", ""};
  if (rc == EST_OK) {
    est_actor who = http_actor(ctx);
    rc = store_meeting_create(ctx->app->pool, &who, norm, snap, query, &doc, &id, &fail);
    if (rc != EST_OK) rc = store_failed(ctx, "meeting", rc, &fail, id);
  }
  free(norm);
  free(snap);
  free(query);
  if (rc != EST_OK) return rc;
  http_reply_created(ctx, "/v1/meetings", id, &doc);
  return EST_OK;
}

static est_result meeting_get(http_ctx *ctx) { return http_resource_get(ctx, &meeting_res); }
static est_result meeting_patch(http_ctx *ctx) { return http_resource_patch(ctx, &meeting_res); }
static est_result meeting_delete(http_ctx *ctx) { return http_resource_delete(ctx, &meeting_res); }
static est_result meeting_restore(http_ctx *ctx) { return http_resource_restore(ctx, &meeting_res); }

/* The caller a snapshot was frozen for (its query's "caller"). */
static est_caller snapshot_caller(const json_t *query) {
  const json_t *c = json_object_get(query, "caller");
  est_caller who = {json_integer_value(json_object_get(c, "party_id")), json_is_true(json_object_get(c, "detail")),
                    json_is_true(json_object_get(c, "admin"))};
  return who;
}

/* Loads the snapshot of the path's meeting and checks the caller may see
 * what it discloses: a snapshot taken with read-detail needs read-detail,
 * one taken with threshold k needs a caller whose own threshold is <= k. */
static est_result snapshot_load(http_ctx *ctx, store_snapshot *s, json_t **query) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  rc = store_meeting_snapshot(ctx->app->pool, id, s);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "meeting %lld does not exist", id);
  if (rc != EST_OK) return rc;
  *query = json_loads(s->query, 0, NULL);
  est_caller taken = snapshot_caller(*query), reader = http_caller(ctx);
  int taken_k = (int)json_integer_value(json_object_get(*query, "min_count"));
  if (!est_snapshot_visible(&taken, taken_k, &reader,
                            est_disclosure_base(&reader, ctx->app->cfg->privacy_min_count, 0))) {
    store_snapshot_free(s);
    json_decref(*query);
    *query = NULL;
    return http_fail(ctx, EST_EFORBIDDEN,
                     "this lägesbild was frozen for a caller who may see more (%s); it is shown only to callers "
                     "who may see as much",
                     taken.detail   ? "read-detail"
                     : taken_k <= 1 ? "exact counts"
                                    : "own events");
  }
  return EST_OK;
}

/* The frozen lägesbild, byte for byte; ETag = its SHA-256. */
static est_result meeting_lagesbild(http_ctx *ctx) {
  store_snapshot s;
  json_t *query = NULL;
  est_result rc = snapshot_load(ctx, &s, &query);
  if (rc != EST_OK) return rc;
  json_decref(query);
  char etag[72];
  snprintf(etag, sizeof etag, "\"%s\"", s.sha256);
  http_set_header(ctx, "ETag", etag);
  http_set_header(ctx, "Cache-Control", "private, max-age=31536000, immutable");
  const char *inm = http_header(ctx, "If-None-Match");
  if (inm && strstr(inm, s.sha256)) http_reply_empty(ctx, 304);
  else http_reply_raw(ctx, 200, s.media_type, s.body, s.len);
  store_snapshot_free(&s);
  return EST_OK;
}

/* What changed since: today's recount of the same query, with the
 * snapshot's disclosure, against the frozen one. */
static est_result meeting_diff(http_ctx *ctx) {
  store_snapshot s;
  json_t *query = NULL;
  est_result rc = snapshot_load(ctx, &s, &query);
  if (rc != EST_OK) return rc;
  char *now = NULL;
  size_t len = 0;
  est_caller taken = snapshot_caller(query), used;
  int k;
  rc = http_situation_render(ctx, json_integer_value(json_object_get(query, "area_id")),
                             json_string_value(json_object_get(query, "week")), &taken,
                             (int)json_integer_value(json_object_get(query, "min_count")), &now, &len, &used, &k);
  json_t *then = rc == EST_OK ? json_loadb(s.body, s.len, 0, NULL) : NULL;
  json_t *cur = rc == EST_OK ? json_loadb(now, len, 0, NULL) : NULL;
  if (rc == EST_OK && (!then || !cur)) rc = EST_EINTERNAL;
  if (rc == EST_OK) {
    json_t *d = est_situation_diff(then, cur);
    json_object_set_new(d, "snapshot_sha256", json_string(s.sha256));
    json_object_set(d, "week", json_object_get(query, "week"));
    json_object_set(d, "area_id", json_object_get(query, "area_id"));
    char td[16];
    est_date_format(est_stockholm_date(time(NULL)), td, sizeof td);
    json_object_set_new(d, "recounted_on", json_string(td));
    http_reply_json_steal(ctx, 200, d);
  }
  json_decref(then);
  json_decref(cur);
  json_decref(query);
  free(now);
  store_snapshot_free(&s);
  return rc;
}

/* ---- actions ------------------------------------------------------------------------ */

static const http_resource action_res = {"action",
                                         "/v1/actions",
                                         est_action_validate,
                                         store_action_get,
                                         store_action_create,
                                         store_action_update,
                                         &store_actions_archivable};

static est_result actions_list(http_ctx *ctx) {
  est_list_query q;
  store_action_filter f;
  memset(&f, 0, sizeof f);
  const char *open = NULL;
  est_result rcs[11] = {http_list_params(ctx, store_actions_sorts, &q),
                        http_param_id(ctx, "agreement_id", &f.agreement_id, NULL),
                        http_param_id(ctx, "commitment_id", &f.commitment_id, NULL),
                        http_param_id(ctx, "meeting_id", &f.meeting_id, NULL),
                        http_param_id(ctx, "responsible_party_id", &f.party_id, NULL),
                        http_param_id(ctx, "area_id", &f.area_id, NULL),
                        http_param_id(ctx, "found_in_action_id", &f.found_in_action_id, NULL),
                        http_param_enum(ctx, "status", est_action_statuses, &f.status),
                        http_param_enum(ctx, "open", bools, &open),
                        http_param_archived(ctx, &f.include_archived),
                        EST_OK};
  est_result rc = first_fail(rcs, 11);
  if (rc != EST_OK) return rc;
  f.open = open ? strcmp(open, "true") == 0 : -1;
  est_page page;
  return reply_list(ctx, store_actions_list(http_read_pool(ctx), &f, &q, &page), &page);
}

static est_result action_get(http_ctx *ctx) { return http_resource_get(ctx, &action_res); }

/* A party enters actions it is responsible for; an admin any. */
static est_result action_create(http_ctx *ctx) {
  char *norm = NULL;
  json_t *body = NULL;
  est_result rc = http_body_validated(ctx, "action", est_action_validate, false, &norm, &body);
  if (rc != EST_OK) return rc;
  long long owner = json_integer_value(json_object_get(body, "responsible_party_id"));
  json_decref(body);
  if (!is_admin(ctx) && (ctx->who.party_id == 0 || owner != ctx->who.party_id)) {
    free(norm);
    http_fail_field(ctx, "/responsible_party_id", "must be the caller's own party (or the caller an admin)");
    return http_fail(ctx, EST_EFORBIDDEN, "a party may only enter actions it is responsible for");
  }
  est_actor who = http_actor(ctx);
  est_doc doc;
  long long id = 0;
  store_write_error fail = {"", ""};
  rc = store_action_create(ctx->app->pool, &who, norm, &doc, &id, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, "action", rc, &fail, id);
  http_reply_created(ctx, "/v1/actions", id, &doc);
  return EST_OK;
}

/* Reads the current action for a party check; *current owned by caller. */
static est_result action_current(http_ctx *ctx, long long id, json_t **current, long long *version) {
  est_doc cur;
  est_result rc = store_action_get(ctx->app->pool, id, &cur);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "action %lld does not exist", id);
  if (rc != EST_OK) return rc;
  *current = json_loads(cur.json, 0, NULL);
  *version = cur.version;
  est_doc_free(&cur);
  return *current ? EST_OK : EST_EINTERNAL;
}

/* Merge patch: the party rule, then the status transition, then the
 * store's UPDATE ... WHERE version (no lost update). */
static est_result action_patch(http_ctx *ctx) {
  long long id, want, version = 0;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &want);
  if (rc != EST_OK) return rc;
  json_t *body = NULL;
  char *norm = NULL;
  if ((rc = http_body_validated(ctx, "action", est_action_validate, true, &norm, &body)) != EST_OK) return rc;
  json_t *current = NULL;
  rc = action_current(ctx, id, &current, &version);
  char why[200];
  if (rc == EST_OK &&
      est_action_patch_allowed(body, current, is_admin(ctx), ctx->who.party_id, why, sizeof why) != EST_OK)
    rc = http_fail(ctx, EST_EFORBIDDEN, "%s", why);
  if (rc == EST_OK && want != 0 && want != version)
    rc = http_fail(ctx, EST_EPRECONDITION, "the action has changed since the version in If-Match; fetch it again");
  const char *to = json_string_value(json_object_get(body, "status"));
  const char *from = json_string_value(json_object_get(current, "status"));
  if (rc == EST_OK && to && !est_action_transition_allowed(from, to)) {
    char msg[120];
    snprintf(msg, sizeof msg, "cannot go from %s to %s", from, to);
    http_fail_field(ctx, "/status", msg);
    rc = http_fail(ctx, EST_EINVAL, "status %s cannot become %s", from, to);
  }
  json_decref(body);
  json_decref(current);
  if (rc == EST_OK) {
    est_actor who = http_actor(ctx);
    est_doc doc;
    store_write_error fail = {"", ""};
    rc = store_action_update(ctx->app->pool, &who, id, version, norm, &doc, &fail);
    if (rc == EST_OK) http_reply_doc(ctx, 200, &doc);
    else rc = store_failed(ctx, "action", rc, &fail, id);
  }
  free(norm);
  return rc;
}

/* The party rule for the action's sub-resources (evidence, findings). */
static est_result action_owner_check(http_ctx *ctx, long long id) {
  if (is_admin(ctx)) return EST_OK;
  json_t *current;
  long long version;
  est_result rc = action_current(ctx, id, &current, &version);
  if (rc != EST_OK) return rc;
  long long owner = json_integer_value(json_object_get(current, "responsible_party_id"));
  json_decref(current);
  if (ctx->who.party_id == 0 || ctx->who.party_id != owner)
    return http_fail(ctx, EST_EFORBIDDEN, "only the responsible party (party %lld) or an admin may change this action",
                     owner);
  return EST_OK;
}

/* DELETE archives, POST .../restore restores: the party rule, then the shared handler. */
static est_result action_archive(http_ctx *ctx, est_result (*handler)(http_ctx *, const http_resource *)) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = action_owner_check(ctx, id);
  if (rc != EST_OK) return rc;
  return handler(ctx, &action_res);
}
static est_result action_delete(http_ctx *ctx) { return action_archive(ctx, http_resource_delete); }
static est_result action_restore(http_ctx *ctx) { return action_archive(ctx, http_resource_restore); }

static est_result evidence_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  (void)patch;
  if (!json_is_object(body) || json_object_size(body) != 1 || !json_is_integer(json_object_get(body, "event_id")) ||
      json_integer_value(json_object_get(body, "event_id")) < 1) {
    est_problem_add_error(errors, "/event_id", "the body must be {\"event_id\": <positive integer id>}");
    return EST_EINVAL;
  }
  *normalized = json_dumps(body, JSON_COMPACT);
  return *normalized ? EST_OK : EST_ENOMEM;
}

static est_result evidence_change(http_ctx *ctx, bool link) {
  long long id, version = 0, event_id = 0;
  bool has = false;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match(ctx, &version, &has);
  if (rc == EST_OK) rc = action_owner_check(ctx, id);
  if (rc != EST_OK) return rc;
  if (link) {
    char *norm = NULL;
    json_t *raw = NULL;
    if ((rc = http_body_validated(ctx, "evidence link", evidence_validate, false, &norm, &raw)) != EST_OK) return rc;
    event_id = json_integer_value(json_object_get(raw, "event_id"));
    json_decref(raw);
    free(norm);
  } else {
    const char *v = http_param(ctx, "event_id");
    if (!v || est_parse_id(v, &event_id) != EST_OK) return http_fail(ctx, EST_ENOTFOUND, "no such evidence link");
  }
  est_actor who = http_actor(ctx);
  est_doc doc;
  store_write_error fail = {"", ""};
  rc = store_action_evidence(ctx->app->pool, &who, id, version, event_id, link, &doc, &fail);
  if (rc != EST_OK) return store_failed(ctx, "action", rc, &fail, id);
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}
static est_result evidence_link(http_ctx *ctx) { return evidence_change(ctx, true); }
static est_result evidence_unlink(http_ctx *ctx) { return evidence_change(ctx, false); }

static est_result finding_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  (void)patch;
  return est_finding_validate(body, normalized, errors);
}

static est_result action_finding(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = action_owner_check(ctx, id);
  if (rc != EST_OK) return rc;
  return create_child(ctx, id, "finding", finding_validate, "action", "/v1/actions", store_action_finding);
}

/* ---- indicator values ------------------------------------------------------------------ */

static const http_resource indicator_res = {"indicator value",           "/v1/indicator-values", est_indicator_validate,
                                            store_indicator_get,         store_indicator_create, store_indicator_update,
                                            &store_indicators_archivable};

static est_result indicators_list(http_ctx *ctx) {
  est_list_query q;
  store_indicator_filter f;
  memset(&f, 0, sizeof f);
  est_result rcs[7] = {http_list_params(ctx, store_indicators_sorts, &q),
                       http_param_id(ctx, "area_id", &f.area_id, NULL),
                       http_param_enum(ctx, "indicator", est_indicators, &f.indicator),
                       http_param_date(ctx, "from", &f.from),
                       http_param_date(ctx, "to", &f.to),
                       http_param_archived(ctx, &f.include_archived),
                       EST_OK};
  f.measure = http_param(ctx, "measure");
  if (f.measure && !est_slug_valid(f.measure)) {
    http_fail_field(ctx, "measure", "must be a slug");
    rcs[6] = http_fail(ctx, EST_EPARSE, "invalid query parameter 'measure'");
  }
  est_result rc = first_fail(rcs, 7);
  if (rc != EST_OK) return rc;
  est_page page;
  return reply_list(ctx, store_indicators_list(http_read_pool(ctx), &f, &q, &page), &page);
}
static est_result indicator_get(http_ctx *ctx) { return http_resource_get(ctx, &indicator_res); }
static est_result indicator_create(http_ctx *ctx) { return http_resource_create(ctx, &indicator_res); }
static est_result indicator_patch(http_ctx *ctx) { return http_resource_patch(ctx, &indicator_res); }
static est_result indicator_delete(http_ctx *ctx) { return http_resource_delete(ctx, &indicator_res); }
static est_result indicator_restore(http_ctx *ctx) { return http_resource_restore(ctx, &indicator_res); }

/* ---- outcome targets ------------------------------------------------------------------- */

static est_result target_get(http_ctx *ctx) {
  return http_get_doc(ctx, store_outcome_target_get, "commitment", "has no outcome target");
}

static est_result target_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  (void)patch;
  return est_outcome_target_validate(body, normalized, errors);
}

static est_result target_put(http_ctx *ctx) {
  long long id, version = 0;
  bool has = false;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match(ctx, &version, &has);
  if (rc != EST_OK) return rc;
  char *norm;
  if ((rc = http_body_validated(ctx, "outcome target", target_validate, false, &norm, NULL)) != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  bool created = false;
  store_write_error fail = {"", ""};
  rc = store_outcome_target_put(ctx->app->pool, &who, id, version, norm, &doc, &created, &fail);
  free(norm);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "commitment %lld does not exist", id);
  if (rc != EST_OK) return store_failed(ctx, "commitment", rc, &fail, id);
  http_reply_doc(ctx, created ? 201 : 200, &doc);
  return EST_OK;
}

static est_result target_delete(http_ctx *ctx) {
  long long id, version = 0;
  bool has = false;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match(ctx, &version, &has);
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  store_write_error fail = {"", ""};
  rc = store_outcome_target_delete(ctx->app->pool, &who, id, version, &fail);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "commitment %lld has no outcome target", id);
  if (rc != EST_OK) return store_failed(ctx, "commitment", rc, &fail, id);
  http_reply_empty(ctx, 204);
  return EST_OK;
}

/* ---- follow-up reports --------------------------------------------------------------------- */

/* The report data for [from, to] with progress measured over the window
 * and the privacy rule of the caller applied. */
static est_result report_data(http_ctx *ctx, long long id, const char *from, const char *to, const char *bucket,
                              json_t **out) {
  json_t *doc;
  est_result rc = store_followup_data(ctx->app->pool, id, from, to, bucket, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "agreement %lld does not exist", id);
  if (rc != EST_OK) return rc;
  json_t *cs = json_object_get(doc, "commitments");
  long long *ids;
  size_t n;
  json_t *rows = NULL;
  rc = est_progress_ids(cs, &ids, &n);
  if (rc == EST_OK) {
    rc = store_progress_rows_window(ctx->app->pool, ids, n, from, to, &rows);
    free(ids);
  }
  if (rc != EST_OK) {
    json_decref(doc);
    return rc;
  }
  est_caller who = http_caller(ctx);
  est_publish_policy policy = {est_disclosure_base(&who, ctx->app->cfg->privacy_min_count, 0), who.detail, NULL, NULL};
  est_progress_attach(cs, rows, est_stockholm_date(time(NULL)), &policy, &who);
  json_decref(rows);
  est_followup_protect(doc, &policy);
  char td[16];
  est_date_format(est_stockholm_date(time(NULL)), td, sizeof td);
  json_object_set_new(doc, "generated_on", json_string(td));
  *out = doc;
  return EST_OK;
}

/* GET .../follow-up (JSON or CSV) and .../follow-up.csv (csv_route): http_report_format. */
static est_result followup_serve(http_ctx *ctx, bool csv_route) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  const char *cadence = NULL;
  bool csv;
  est_result frc = http_report_format(ctx, csv_route, &csv);
  est_result rcs[2] = {frc, http_param_enum(ctx, "cadence", est_cadences, &cadence)};
  if ((rc = first_fail(rcs, 2)) != EST_OK) return rc;
  if (!cadence) cadence = "quarter";
  char af[11], at[11];
  rc = store_agreement_period(ctx->app->pool, id, af, at);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "agreement %lld does not exist", id);
  if (rc != EST_OK) return rc;
  est_date agr_from, agr_to, from, to;
  const char *field, *detail;
  if (!est_date_parse(af, &agr_from) || !est_date_parse(at, &agr_to)) return EST_EINTERNAL;
  if (est_followup_period(cadence, http_param(ctx, "period"), agr_from, agr_to, est_stockholm_date(time(NULL)), &from,
                          &to, &field, &detail) != EST_OK) {
    http_fail_field(ctx, field, detail);
    return http_fail(ctx, EST_EPARSE, "invalid %s: %s", field, detail);
  }
  char fs[11], ts[11];
  est_date_format(from, fs, sizeof fs);
  est_date_format(to, ts, sizeof ts);
  const char *bucket = strcmp(cadence, "week") == 0 ? "day" : strcmp(cadence, "quarter") == 0 ? "week" : "month";
  json_t *doc;
  if ((rc = report_data(ctx, id, fs, ts, bucket, &doc)) != EST_OK) return rc;
  json_object_set_new(doc, "cadence", json_string(cadence));
  json_object_set_new(doc, "bucket", json_string(bucket));
  return http_reply_report(ctx, doc, csv, est_followup_csv, "follow-up", id);
}

static est_result followup_get(http_ctx *ctx) { return followup_serve(ctx, false); }
static est_result followup_csv(http_ctx *ctx) { return followup_serve(ctx, true); }

/* GET .../statutory-report (JSON or CSV) and .../statutory-report.csv (csv_route). */
static est_result statutory_serve(http_ctx *ctx, bool csv_route) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  bool csv;
  est_result frc = http_report_format(ctx, csv_route, &csv);
  const char *from = NULL, *to = NULL;
  est_result rcs[3] = {frc, http_param_date(ctx, "from", &from), http_param_date(ctx, "to", &to)};
  if ((rc = first_fail(rcs, 3)) != EST_OK) return rc;
  char af[11], at[11];
  rc = store_agreement_period(ctx->app->pool, id, af, at);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "agreement %lld does not exist", id);
  if (rc != EST_OK) return rc;
  /* A bound not given is the agreement's, held within three years of the one given (or of
   * valid_from): the defaults alone always make a period the report takes. */
  char dfrom[11], dto[11];
  est_date f, t;
  if (!from && to && est_date_parse(to, &t) && est_date_parse(af, &f) &&
      est_date_to_days(t) - est_date_to_days(f) > 3 * 365) {
    est_date_format(est_date_from_days(est_date_to_days(t) - 3 * 365), dfrom, sizeof dfrom);
    from = dfrom;
  }
  if (!from) from = af;
  if (!to && est_date_parse(from, &f) && est_date_parse(at, &t) &&
      est_date_to_days(t) - est_date_to_days(f) > 3 * 365) {
    est_date_format(est_date_from_days(est_date_to_days(f) + 3 * 365), dto, sizeof dto);
    to = dto;
  }
  if (!to) to = at;
  if (!est_date_parse(from, &f) || !est_date_parse(to, &t) || est_date_to_days(t) < est_date_to_days(f) ||
      est_date_to_days(t) - est_date_to_days(f) > 3 * 366) {
    http_fail_field(ctx, "to", "must not be before from, and the period at most three years");
    return http_fail(ctx, EST_EPARSE, "invalid period");
  }
  json_t *data;
  if ((rc = report_data(ctx, id, from, to, "month", &data)) != EST_OK) return rc;
  json_t *doc = est_statutory_report(data);
  if (doc) json_object_set(doc, "privacy", json_object_get(data, "privacy"));
  json_decref(data);
  if (!doc) return EST_ENOMEM;
  return http_reply_report(ctx, doc, csv, est_statutory_csv, "statutory-lagesbild", id);
}

static est_result statutory_get(http_ctx *ctx) { return statutory_serve(ctx, false); }
static est_result statutory_csv(http_ctx *ctx) { return statutory_serve(ctx, true); }

const http_route http_routes_cycle[] = {
    {"POST", "/v1/parties", party_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"PATCH", "/v1/parties/{id}", party_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/parties/{id}", party_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/parties/{id}/restore", party_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/agreements", agreement_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"PATCH", "/v1/agreements/{id}", agreement_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/agreements/{id}", agreement_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/agreements/{id}/restore", agreement_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/agreements/{id}/revisions", agreement_revise, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"POST", "/v1/agreements/{id}/signing", agreement_sign, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/agreements/{id}/follow-up", followup_get, HTTP_SCOPE_READ, 0, "cadence period format"},
    {"GET", "/v1/agreements/{id}/statutory-report", statutory_get, HTTP_SCOPE_READ, 0, "from to format"},
    {"GET", "/v1/agreements/{id}/follow-up.csv", followup_csv, HTTP_SCOPE_READ, 0, "cadence period"},
    {"GET", "/v1/agreements/{id}/statutory-report.csv", statutory_csv, HTTP_SCOPE_READ, 0, "from to"},
    {"GET", "/v1/cooperation-areas", coop_list, HTTP_SCOPE_READ, 0, HTTP_QUERY_LIST " agreement_id archived"},
    {"POST", "/v1/cooperation-areas", coop_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/cooperation-areas/{id}", coop_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/cooperation-areas/{id}", coop_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/cooperation-areas/{id}", coop_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/cooperation-areas/{id}/restore", coop_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {"GET", "/v1/meetings", meetings_list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST " agreement_id area_id party_id from to archived"},
    {"POST", "/v1/meetings", meeting_create, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/meetings/{id}", meeting_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/meetings/{id}", meeting_patch, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/meetings/{id}", meeting_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/meetings/{id}/restore", meeting_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {"GET", "/v1/meetings/{id}/lagesbild", meeting_lagesbild, HTTP_SCOPE_READ, 0, NULL},
    {"GET", "/v1/meetings/{id}/diff", meeting_diff, HTTP_SCOPE_READ, 0, NULL},
    {"GET", "/v1/actions", actions_list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST
     " agreement_id commitment_id meeting_id responsible_party_id area_id found_in_action_id status open archived"},
    {"POST", "/v1/actions", action_create, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/actions/{id}", action_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/actions/{id}", action_patch, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/actions/{id}", action_delete, HTTP_SCOPE_WRITE_COMMITMENTS, 0, NULL},
    {"POST", "/v1/actions/{id}/restore", action_restore, HTTP_SCOPE_WRITE_COMMITMENTS, 0, NULL},
    {"POST", "/v1/actions/{id}/evidence", evidence_link, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/actions/{id}/evidence/{event_id}", evidence_unlink, HTTP_SCOPE_WRITE_COMMITMENTS, 0, NULL},
    {"POST", "/v1/actions/{id}/findings", action_finding, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/indicator-values", indicators_list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST " area_id indicator measure from to archived"},
    {"POST", "/v1/indicator-values", indicator_create, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/indicator-values/{id}", indicator_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/indicator-values/{id}", indicator_patch, HTTP_SCOPE_WRITE_COMMITMENTS, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/indicator-values/{id}", indicator_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/indicator-values/{id}/restore", indicator_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {"GET", "/v1/commitments/{id}/outcome-target", target_get, HTTP_SCOPE_READ, 0, NULL},
    {"PUT", "/v1/commitments/{id}/outcome-target", target_put, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/commitments/{id}/outcome-target", target_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
