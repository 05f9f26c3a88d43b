/* store_areas.h - areas (områden, PostGIS) (store/areas.c).
 *
 * Documents are built by PostgreSQL (json_build_object) and passed through.
 * Area: {id, code, name, kind, approximate, description, geometry (GeoJSON
 * MultiPolygon, from ST_AsGeoJSON; lists only with include_geometry),
 * centroid {lat, lon}, area_m2 (on the WGS84 spheroid), created_at,
 * updated_at, version}.
 *
 * Writes take the normalized JSON text produced by est_area_validate
 * (area.h) and run in one transaction on one pooled connection together
 * with their audit_log row (entity "area", before and after images); any
 * failure rolls back all of it.
 * Uniqueness and references are enforced by the table's constraints (the
 * failed constraint's name picks the field), never by a prior read. */
#ifndef ESTD_STORE_AREAS_H
#define ESTD_STORE_AREAS_H

#include <stdbool.h>
#include "estd/actor.h"
#include "estd/store.h"
#include "estd/store_archive.h"

extern const char *const store_areas_sorts[]; /* {"id","name","created_at",NULL} */

typedef struct store_area_filter {
  const char *kind; /* NULL = any */
  bool has_point;   /* only areas covering (lat, lon) */
  double lat, lon;
  bool has_bbox; /* only areas intersecting bbox = minLon,minLat,maxLon,maxLat */
  double bbox[4];
  bool include_geometry; /* items carry "geometry" */
  bool archived;         /* include archived areas (?archived=true) */
} store_area_filter;

est_result store_areas_list(est_pool *pool, const store_area_filter *f, const est_list_query *q, est_page *out);
/* The area with its geometry; EST_ENOTFOUND. */
est_result store_area_get(est_pool *pool, long long id, est_doc *out);

/* Inserts an area from a validated POST body. *id gets the new id.
 * EST_EINVAL with fail->field "/geometry" and PostGIS' ST_IsValidReason when
 * the geometry's topology is invalid; EST_ECONFLICT for a duplicate code. */
est_result store_area_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                             store_write_error *fail);
/* Applies a validated merge patch to area id if its version is `version`
 * (0 = any; checked in the UPDATE's WHERE), bumping version and updated_at.
 * EST_ENOTFOUND, EST_EPRECONDITION on a stale version, otherwise as create. */
est_result store_area_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                             est_doc *out, store_write_error *fail);
/* Areas are archived, never deleted (store_archive_set). */
extern const store_archivable store_areas_archivable;

#endif
