/* fuzz_ogc.c - libFuzzer target: arbitrary text as the OGC API - Features
 * bbox (in every supported CRS) and datetime parameters, and the period a
 * parsed datetime selects; parsed values must be consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "estd/ogc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = strndup((const char *)data, size); /* a parameter value: text up to the first NUL */
  if (!s) return 0;
  static const char *const crss[] = {EST_OGC_CRS84, EST_OGC_EPSG4326, EST_OGC_EPSG3006};
  const char *why;
  for (size_t i = 0; i < 3; i++) {
    double b[4];
    if (est_ogc_bbox_parse(s, est_ogc_crs_find(crss[i]), b, &why) == EST_OK && (b[0] > b[2] || b[1] > b[3])) abort();
  }
  est_ogc_interval iv;
  if (est_ogc_datetime_parse(s, &iv, &why) == EST_OK) {
    if (!iv.start[0] && !iv.end[0]) abort();
    if (iv.start[0] && iv.end[0] && iv.start_s > iv.end_s) abort();
    est_date today = {2026, 12, 1};
    est_period p;
    if (est_ogc_period(&iv, today, &p, &why) == EST_OK &&
        (est_date_to_days(p.to) <= est_date_to_days(p.from) ||
         est_date_to_days(p.to) - est_date_to_days(p.from) > EST_PERIOD_MAX_DAYS))
      abort();
  }
  free(s);
  return 0;
}
