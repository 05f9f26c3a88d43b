/* fuzz_police.c - libFuzzer target: the Police-feed mapping over arbitrary
 * input, read three ways: as a feed record (est_police_feed_map and the
 * geocoder), as a record's name (est_police_occurred_at) and as a summary
 * (case folding, est_place_find). Checks the contracts, not just crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "estd/event.h"
#include "estd/place.h"
#include "estd/util.h"

static const est_place g_places[] = {{1, "Norrby", 12.95, 57.73},
                                     {2, "Hässleholmen", 12.90, 57.74},
                                     {3, "Hulta", 12.97, 57.75},
                                     {1, "Norrbyområdet", 12.95, 57.73},
                                     {4, "Norrby centrum", 12.94, 57.73}};
#define NPLACES (sizeof g_places / sizeof g_places[0])

static void check_record(const uint8_t *data, size_t size) {
  json_t *rec = json_loadb((const char *)data, size, 0, NULL);
  if (!rec) return;
  est_event ev;
  memset(&ev, 0, sizeof ev);
  ev.duration_s = -1;
  json_t *errors = NULL;
  est_event_reason r = est_police_feed_map(rec, &ev, &errors);
  if (r == EST_REASON_NONE) {
    if (!ev.occurred_at || !est_rfc3339_valid(ev.occurred_at)) abort();
    if (!ev.published_at || !est_rfc3339_valid(ev.published_at)) abort();
    if (!ev.category || !est_event_category(ev.category)) abort();
    if (ev.srid && ev.precision && strcmp(ev.precision, "municipality") != 0 && strcmp(ev.precision, "county") != 0)
      abort(); /* the feed's gps is never more precise than a municipality */
    json_t *a = ev.attributes ? json_loads(ev.attributes, 0, NULL) : NULL;
    if (!json_is_string(json_object_get(a, "police_mapping"))) abort();
    json_decref(a);
    long long id = est_police_geocode(&ev, "Borås", g_places, NPLACES);
    if (id && (strcmp(ev.precision, "district") != 0 || ev.srid != 4326)) abort();
    if (!id && ev.precision && strcmp(ev.precision, "district") == 0) abort();
  } else if (r != EST_REASON_SKIPPED_SUMMARY && json_array_size(errors) == 0) {
    abort(); /* every refusal names its field */
  }
  json_decref(errors);
  est_event_free(&ev);
  json_decref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_record(data, size);
  char *s = malloc(size + 1), *f = malloc(size + 1), *g = malloc(size + 1);
  if (!s || !f || !g) goto out;
  memcpy(s, data, size);
  s[size] = '\0';
  size_t n = strlen(s);
  /* the time in name: valid RFC 3339, not more than an hour after the publication, within a year before */
  static const char *const pubs[] = {"2019-01-01T00:20:00+01:00", "2024-03-31T06:00:00+02:00",
                                     "2024-10-27T06:00:00+01:00"};
  for (size_t i = 0; i < 3; i++) {
    char out[40];
    long long pub, at;
    if (!est_police_occurred_at(s, pubs[i], out, sizeof out)) continue;
    if (!est_rfc3339_valid(out) || !est_rfc3339_epoch(out, &at) || !est_rfc3339_epoch(pubs[i], &pub)) abort();
    if (at > pub + 3600 || at < pub - 367LL * 86400) abort();
  }
  /* folding keeps the length and is idempotent */
  est_fold(s, n, f);
  est_fold(f, n, g);
  if (strlen(f) != n || memcmp(f, g, n) != 0) abort();
  if (!est_fold_equal(s, n, f, n)) abort();
  /* a match is one of the places, and the same on the folded text */
  bool amb = false;
  long long id = est_place_find(s, g_places, NPLACES, &amb);
  if (id && amb) abort();
  if (id && (id < 1 || id > 4)) abort();
  if (est_place_find(f, g_places, NPLACES, NULL) != id) abort();
out:
  free(s);
  free(f);
  free(g);
  return 0;
}
