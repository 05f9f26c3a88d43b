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
/* An import of official boundaries (store_areas_import). */
typedef struct store_area_import {
  int srid;                /* EPSG code of the coordinates (0 = 4326) */
  const char *code_field;  /* property with the code (NULL: code, then kod) */
  const char *name_field;  /* property with the name (NULL: name, then namn; none: the code) */
  const char *code_prefix; /* prefixed to each code with '-' (NULL = none) */
  const char *kind;        /* kind of the areas (NULL: district for new ones, existing ones keep theirs) */
  bool approximate;        /* the areas' approximate flag (official boundaries: false) */
  bool skip_invalid;       /* import the others when some features have a geometry problem */
  bool dry_run;            /* check and report, store nothing */
} store_area_import;

/* Upserts the features of GeoJSON FeatureCollection fc (text) as areas, by
 * code, in one transaction with their audit rows ("create"/"update", entity
 * "area") and the re-assignment of the events of the areas whose geometry
 * changed (store_areas_reassign, one "area_assignment" audit row). The code
 * is the slug of the code property's value (with the prefix); the geometry
 * must be a Polygon or MultiPolygon; an invalid one is repaired with
 * ST_MakeValid when the result is a valid (Multi)Polygon whose area differs
 * by at most 1 %, else refused. An area whose name, kind, flag and exact
 * geometry are unchanged is not written (a re-import changes nothing).
 * Refused features (no code or name value, a code twice, no or a
 * non-polygon geometry, coordinates outside WGS84, an unrepairable
 * geometry, under 1 m²) fail the whole import with EST_EINVAL and nothing
 * stored, unless skip_invalid and every problem is a geometry one.
 * *report (caller frees; also on EST_EINVAL after the check ran) is JSON:
 * {code_field, name_field, features, properties, problems [{feature, code,
 * name, problem, skippable}], repaired [{feature, code, name, reason,
 * area_change_pct}], stored, dry_run, created, updated, unchanged, refused,
 * events_moved, areas [{id, code, name, status, geometry_changed}]}. */
est_result store_areas_import(est_pool *pool, const est_actor *who, const char *fc, const store_area_import *in,
                              char **report, store_write_error *fail);

/* Areas are archived, never deleted (store_archive_set). */
extern const store_archivable store_areas_archivable;

#endif
