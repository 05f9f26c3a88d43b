/* store_ogc.h - the rows of the OGC API - Features collections
 * (store/ogc.c): GeoJSON Features built by PostgreSQL, their geometry
 * transformed by PostGIS into the requested CRS (ST_Transform, axes
 * swapped with ST_FlipCoordinates where the CRS's authority order is not
 * x/y), filtered by a bbox in any supported CRS and by a datetime. One
 * statement per page, so numberMatched (first page) and the page come from
 * one snapshot. docs/OGC.md. */
#ifndef ESTD_STORE_OGC_H
#define ESTD_STORE_OGC_H

#include <stdbool.h>

#include "estd/disclosure.h"
#include "estd/ogc.h"
#include "estd/store.h"

/* What one request selects of a collection. */
typedef struct store_ogc_query {
  const est_ogc_crs *crs;      /* of the coordinates served */
  const est_ogc_crs *bbox_crs; /* of bbox */
  bool has_bbox;
  double bbox[4];      /* minx, miny, maxx, maxy in bbox_crs (PostGIS x/y order) */
  const char *t_start; /* datetime: RFC 3339 ends, NULL = open */
  const char *t_end;
  est_rows rows;        /* events: which rows the caller sees (est_disclosure_rows) */
  long long rows_party; /* with EST_ROWS_PARTY */
} store_ogc_query;

/* A page of collection c ("areas", "area-focuses", "events"), ordered by
 * id, after page->after (keyset, sort "id"), page->limit features:
 * out->items is a JSON array of Features; *matched the number of features
 * the filters select on all pages, on the first page only (-1 after a
 * cursor). EST_EINVAL for another collection. */
est_result store_ogc_items(est_pool *pool, const char *c, const store_ogc_query *q, const est_list_query *page,
                           est_page *out, long long *matched);

/* One feature (*out malloc'd) of collection c; EST_ENOTFOUND when there is
 * none with this id the caller may see. */
est_result store_ogc_item(est_pool *pool, const char *c, const store_ogc_query *q, long long id, char **out);

/* The same for Features the caller already has (a JSON array text of
 * Features in CRS84 whose ids are integers, e.g. the hot spots of a
 * period): transformed, filtered by bbox and paged like store_ogc_items. */
est_result store_ogc_features(est_pool *pool, const char *features, const store_ogc_query *q,
                              const est_list_query *page, est_page *out, long long *matched);

/* The extent of collection c as the caller sees it: *has_bbox and bbox
 * (CRS84 minlon, minlat, maxlon, maxlat), *t0 and *t1 the temporal ends
 * (malloc'd RFC 3339 texts or NULL when open or without time). */
est_result store_ogc_extent(est_pool *pool, const char *c, est_rows rows, long long rows_party, bool *has_bbox,
                            double bbox[4], char **t0, char **t1);

#endif
