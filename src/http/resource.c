/* resource.c - shared get/create/patch/delete handlers (see http_resource.h). */
#include "estd/http_resource.h"

#include <stdlib.h>

#include "estd/config.h"
#include "estd/store_archive.h"

est_result http_resource_failed(http_ctx *ctx, const http_resource *res, est_result rc, const store_write_error *e,
                                long long id) {
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "%s %lld does not exist", res->noun, id);
  if (!e) return rc;
  if (e->field[0]) http_fail_field(ctx, e->field, e->detail);
  if (e->detail[0]) return http_fail(ctx, rc, "%s", e->detail);
  return rc;
}

est_result http_body_validated(http_ctx *ctx, const char *noun, http_validate_fn validate, bool patch, char **norm,
                               json_t **raw) {
  json_t *body;
  est_result rc = http_body_json(ctx, &body);
  if (rc != EST_OK) return rc;
  json_t *errors = NULL;
  rc = validate(body, patch, norm, &errors);
  if (rc == EST_OK && raw) *raw = body;
  else json_decref(body);
  if (rc == EST_EINVAL || rc == EST_ECONFLICT) { /* conflict: a member that may never change */
    http_fail_errors(ctx, errors);
    return http_fail(
        ctx, rc,
        rc == EST_EINVAL ? "the %s failed validation; see errors" : "the %s cannot be changed that way; see errors",
        noun);
  }
  json_decref(errors);
  return rc;
}

est_result http_get_doc(http_ctx *ctx, est_result (*get)(est_pool *, long long, est_doc *), const char *noun,
                        const char *missing) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  est_doc doc;
  rc = get(ctx->app->pool, id, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "%s %lld %s", noun, id, missing);
  if (rc != EST_OK) return rc;
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

est_result http_reply_got(http_ctx *ctx, est_result rc, const char *noun, est_doc *doc) {
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "%s %s does not exist", noun, http_param(ctx, "id"));
  if (rc != EST_OK) return rc;
  http_reply_doc(ctx, 200, doc);
  return EST_OK;
}

est_result http_resource_get(http_ctx *ctx, const http_resource *res) {
  return http_get_doc(ctx, res->get, res->noun, "does not exist");
}

est_result http_resource_create(http_ctx *ctx, const http_resource *res) {
  char *norm;
  est_result rc = http_body_validated(ctx, res->noun, res->validate, false, &norm, NULL);
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  long long id = 0;
  store_write_error fail = {"", ""};
  rc = res->create(ctx->app->pool, &who, norm, &doc, &id, &fail);
  free(norm);
  if (rc != EST_OK) return http_resource_failed(ctx, res, rc, &fail, id);
  http_reply_created(ctx, res->collection, id, &doc);
  return EST_OK;
}

est_result http_resource_patch(http_ctx *ctx, const http_resource *res) {
  long long id, version;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &version);
  if (rc != EST_OK) return rc;
  char *norm;
  if ((rc = http_body_validated(ctx, res->noun, res->validate, true, &norm, NULL)) != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  store_write_error fail = {"", ""};
  rc = res->update(ctx->app->pool, &who, id, version, norm, &doc, &fail);
  free(norm);
  if (rc != EST_OK) return http_resource_failed(ctx, res, rc, &fail, id);
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

/* DELETE (archive) and POST .../restore: If-Match required. */
static est_result archive_set(http_ctx *ctx, const http_resource *res, bool archive) {
  long long id, version;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &version);
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  rc = store_archive_set(ctx->app->pool, res->archivable, &who, id, version, archive, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "%s %lld does not exist", res->noun, id);
  if (rc == EST_EPRECONDITION)
    return http_fail(ctx, rc, "the %s was changed since version %lld was read; fetch it again", res->noun, version);
  if (rc != EST_OK) return rc;
  if (archive) {
    est_doc_free(&doc);
    http_reply_empty(ctx, 204);
  } else {
    http_reply_doc(ctx, 200, &doc);
  }
  return EST_OK;
}

est_result http_resource_delete(http_ctx *ctx, const http_resource *res) { return archive_set(ctx, res, true); }

est_result http_resource_restore(http_ctx *ctx, const http_resource *res) { return archive_set(ctx, res, false); }

est_result http_param_archived(http_ctx *ctx, bool *out) {
  *out = false;
  const char *v = http_param(ctx, "archived");
  if (v && est_parse_bool(v, out) != EST_OK) {
    http_fail_field(ctx, "archived", "must be true or false");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter 'archived'");
  }
  return EST_OK;
}
