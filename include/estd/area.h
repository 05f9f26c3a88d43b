/* area.h - pure validation of area and area-focus request bodies and of the
 * areas list's geographic query parameters.
 *
 * The validators check every field and collect all errors (JSON pointers,
 * e.g. "/name"), then hand back a normalized JSON text that holds only the
 * known, validated members. The store passes that text to PostgreSQL as one
 * jsonb parameter: a member present means "set it" (null clears it), a
 * member absent means "keep it" - exactly RFC 7396 JSON merge patch. */
#ifndef ESTD_AREA_H
#define ESTD_AREA_H

#include <jansson.h>
#include <stdbool.h>
#include "estd/result.h"
#include "estd/util.h"
#include "estd/validate.h" /* est_slug_valid */

#define EST_AREA_NAME_MAX 200
#define EST_AREA_DESCRIPTION_MAX 4000
#define EST_FOCUS_REASON_MAX 4000

/* Closed set of area kinds (NULL-terminated). */
extern const char *const est_area_kinds[];

/* Validates an area body. patch = false (POST): name, kind and geometry are
 * required; approximate defaults to false. patch = true (PATCH, merge patch):
 * every member is optional, null clears code/description and is refused for
 * name, kind, approximate and geometry.
 * Fields: name (string, 1..200 chars), kind (est_area_kinds), code (slug or
 * null), approximate (boolean), description (string <= 4000 chars or null),
 * geometry (GeoJSON Polygon/MultiPolygon, see geojson.h). Any other member is
 * an error naming it.
 * On EST_OK *normalized is a malloc'd JSON object text (caller frees) in
 * which geometry, when present, is reduced to {type, coordinates}. On
 * EST_EINVAL the errors were appended to *errors (created if NULL; caller
 * owns it) and *normalized is NULL. EST_ENOMEM on allocation failure. */
est_result est_area_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* Validates an area-focus body, same conventions as est_area_validate.
 * Fields: area_id (positive integer; required on POST, not null), agreement_id
 * and party_id (positive integer or null; on POST at least one non-null),
 * reason (string, 1..4000 chars; required), priority (integer 1..5; not null;
 * the store defaults it to 3), valid_from (YYYY-MM-DD; required, not null),
 * valid_to (YYYY-MM-DD or null; >= valid_from when both are given), code
 * (slug or null). Rules that span the stored row (valid_to against a stored
 * valid_from, clearing both owners) are left to the table's constraints. */
est_result est_focus_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* Parses "lat,lon" (decimal degrees, lat in [-90,90], lon in [-180,180]). */
est_result est_parse_latlon(const char *s, double *lat, double *lon);
/* Parses "minLon,minLat,maxLon,maxLat" with ranges as above and min <= max. */
est_result est_parse_bbox(const char *s, double bbox[4]);

#endif
