/* place.h - Swedish place names in free text (domain/place.c): case
 * folding of å/ä/ö (and the rest of Latin-1) and the police-feed
 * geocoder's matching of district names. Pure. */
#ifndef ESTD_PLACE_H
#define ESTD_PLACE_H

#include <stdbool.h>
#include <stddef.h>

/* Case folding for comparison: ASCII A-Z and the Latin-1 capitals in UTF-8
 * (Å Ä Ö É Ü ..., U+00C0-U+00DE except ×) become lower case; every other
 * byte stays. Folding keeps the byte length, so offsets carry over. */
void est_fold(const char *s, size_t n, char *out); /* out: n + 1 bytes, NUL-terminated */
bool est_fold_equal(const char *a, size_t an, const char *b, size_t bn);
bool est_fold_prefix(const char *s, const char *prefix); /* s starts with prefix, folded */

/* One name (or alias) of a place; several entries may share an id. */
typedef struct est_place {
  long long id;
  const char *name;
  double lon, lat; /* a point inside the place (WGS84) */
} est_place;

/* The place that text names as where something happened: a name of places
 * [0..n) as a whole word (not part of a longer word: "Norrbyvägen" does not
 * name Norrby), directly after a place preposition ("på", "i", "vid",
 * "utanför", "nära", "kring"), compared case-folded. A match inside a
 * longer match at the same spot ("Norrby" in "Norrby centrum") yields to
 * it. Returns the id, or 0 when no place is named or when text names more
 * than one (then *ambiguous is set, if given). */
long long est_place_find(const char *text, const est_place *places, size_t n, bool *ambiguous);

#endif
