/* geojson.h - pure validation of GeoJSON area geometries (RFC 7946).
 *
 * Accepts a Polygon or MultiPolygon in WGS84 (positions are [lon, lat] or
 * [lon, lat, altitude]). This is the structural check that runs before any
 * SQL; topology (self-intersections and the like) is checked by PostGIS. */
#ifndef ESTD_GEOJSON_H
#define ESTD_GEOJSON_H

#include <jansson.h>
#include <stddef.h>
#include "estd/result.h"

/* Maximum number of positions in one geometry (all rings together). */
#define EST_GEOJSON_MAX_POSITIONS 100000
/* At most this many field errors are reported for one geometry. */
#define EST_GEOJSON_MAX_ERRORS 10

/* Validates geom as a GeoJSON Polygon or MultiPolygon:
 *   - an object with "type" ("Polygon" | "MultiPolygon") and "coordinates"
 *     (only "bbox" may accompany them; "crs" and other members are refused);
 *   - Polygon: array of >= 1 linear rings; MultiPolygon: array of >= 1 polygons;
 *   - a ring is an array of >= 4 positions whose first and last are equal;
 *   - a position is an array of 2 or 3 numbers, lon in [-180, 180], lat in
 *     [-90, 90];
 *   - at most EST_GEOJSON_MAX_POSITIONS positions overall.
 * pointer is the JSON pointer of geom in the request (e.g. "/geometry"); each
 * error is appended to *errors (created if NULL) as {field, detail} with the
 * pointer of the offending member (e.g. "/geometry/coordinates/0/3/1").
 * Returns EST_OK, or EST_EINVAL when at least one error was added. */
est_result est_geojson_validate_area(const json_t *geom, const char *pointer, json_t **errors);

/* Returns a new object holding only "type" and "coordinates" of a geometry
 * that passed est_geojson_validate_area (what is handed to PostGIS), or NULL
 * on allocation failure. Caller owns the reference. */
json_t *est_geojson_normalize(const json_t *geom);

#endif
