/* http_resource.h - get/create/patch/delete handlers shared by resources
 * whose body is validated into normalized JSON and written by the store in
 * one audited transaction (areas, area focuses).
 *
 * Contract: POST validates the whole body (201 + Location + ETag); PATCH
 * needs If-Match (428 without, 412 when stale) and a JSON merge patch;
 * DELETE honours an optional If-Match (204). Store failures become problem
 * documents with the store's field error. */
#ifndef ESTD_HTTP_RESOURCE_H
#define ESTD_HTTP_RESOURCE_H

#include "estd/http.h"
#include "estd/store_areas.h"

typedef struct http_resource {
  const char *noun;       /* for messages: "area", "area focus" */
  const char *collection; /* "/v1/areas": Location is collection/id */
  est_result (*validate)(const json_t *body, bool patch, char **normalized, json_t **errors);
  est_result (*get)(est_pool *pool, long long id, est_doc *out);
  est_result (*create)(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                       store_area_fail *fail);
  est_result (*update)(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                       est_doc *out, store_area_fail *fail);
  est_result (*remove)(est_pool *pool, const est_actor *who, long long id, long long version,
                       store_area_fail *fail);
} http_resource;

est_result http_resource_get(http_ctx *ctx, const http_resource *res);
est_result http_resource_create(http_ctx *ctx, const http_resource *res);
est_result http_resource_patch(http_ctx *ctx, const http_resource *res);
est_result http_resource_delete(http_ctx *ctx, const http_resource *res);

#endif
