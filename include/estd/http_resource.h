/* http_resource.h - get/create/patch/delete/restore handlers shared by
 * resources whose body is validated into normalized JSON and written by the
 * store in one audited transaction (areas, area focuses; commitments use
 * the archive handlers).
 *
 * Contract: POST validates the whole body (201 + Location + ETag); PATCH
 * needs If-Match (428 without, 412 when stale) and a JSON merge patch.
 * A system of record loses nothing to one request: DELETE archives the row
 * (archived_at; 204), POST {collection}/{id}/restore undoes it (200 with
 * the row); both need If-Match (428 without, 412 when stale), are audited
 * ('archive', 'restore') and are idempotent. Lists leave archived rows out
 * unless ?archived=true (http_param_archived). Store failures become
 * problem documents with the store's field error.
 *
 * A new archivable entity: add archived_at/version to its table, define a
 * `const store_archivable` with STORE_ARCHIVE_STMTS in its store module,
 * point http_resource.archivable at it, route DELETE to
 * http_resource_delete and POST .../{id}/restore to http_resource_restore,
 * and filter its list with http_param_archived. */
#ifndef ESTD_HTTP_RESOURCE_H
#define ESTD_HTTP_RESOURCE_H

#include "estd/http.h"
#include "estd/store.h"
#include "estd/store_archive.h"

/* Validates a parsed body (patch: a JSON merge patch) into normalized JSON
 * text (*normalized, caller frees); EST_EINVAL with *errors (RFC 9457
 * errors members), or EST_ECONFLICT for a member that may never change. */
typedef est_result (*http_validate_fn)(const json_t *body, bool patch, char **normalized, json_t **errors);

typedef struct http_resource {
  const char *noun;       /* for messages: "area", "area focus" */
  const char *collection; /* "/v1/areas": Location is collection/id */
  http_validate_fn validate;
  est_result (*get)(est_pool *pool, long long id, est_doc *out);
  est_result (*create)(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                       store_write_error *fail);
  est_result (*update)(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                       est_doc *out, store_write_error *fail);
  const store_archivable *archivable; /* DELETE archives, restore restores */
} http_resource;

/* The handlers. get needs only noun and get; the others every member. */
est_result http_resource_get(http_ctx *ctx, const http_resource *res);
est_result http_resource_create(http_ctx *ctx, const http_resource *res);
est_result http_resource_patch(http_ctx *ctx, const http_resource *res);
est_result http_resource_delete(http_ctx *ctx, const http_resource *res);
est_result http_resource_restore(http_ctx *ctx, const http_resource *res);
/* GET of the path's id with get: 200 with the document, or a 404 saying
 * "<noun> <id> <missing>" (e.g. "does not exist"). */
est_result http_get_doc(http_ctx *ctx, est_result (*get)(est_pool *, long long, est_doc *), const char *noun,
                        const char *missing);
/* The answer to a GET of the path's id that read rc (and *doc when
 * EST_OK): 200 with it, or a 404 naming noun and the id as given. */
est_result http_reply_got(http_ctx *ctx, est_result rc, const char *noun, est_doc *doc);
/* Reads the JSON body and validates it: a failure becomes 400 (EST_EINVAL)
 * or 409 (EST_ECONFLICT) with the validator's errors, naming noun. On
 * EST_OK *norm is the normalized text (caller frees) and, when raw is not
 * NULL, *raw the parsed body (caller decrefs). */
est_result http_body_validated(http_ctx *ctx, const char *noun, http_validate_fn validate, bool patch, char **norm,
                               json_t **raw);
/* ?archived=true|false (default false) into *out; 400 naming it otherwise. */
est_result http_param_archived(http_ctx *ctx, bool *out);

/* Turns a failed store write (rc, with its field error e; id of the
 * resource written, 0 on create) into the problem: 404 naming the noun and
 * id, else e's field error and detail. Returns rc. For handlers of their
 * own (commitments) as for the shared ones. */
est_result http_resource_failed(http_ctx *ctx, const http_resource *res, est_result rc, const store_write_error *e,
                                long long id);

#endif
