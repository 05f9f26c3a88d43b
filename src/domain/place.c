/* place.c - case folding and district-name matching (see place.h). */
#include "estd/place.h"

#include <stdlib.h>
#include <string.h>

void est_fold(const char *s, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') {
      c = (unsigned char)(c + 32);
    } else if (i > 0 && (unsigned char)s[i - 1] == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97) {
      c = (unsigned char)(c + 0x20); /* U+00C0..U+00DE -> U+00E0..U+00FE */
    }
    out[i] = (char)c;
  }
  out[n] = '\0';
}

/* The folded byte at i of s (folding needs the byte before). */
static unsigned char folded_at(const char *s, size_t i) {
  unsigned char c = (unsigned char)s[i];
  if (c >= 'A' && c <= 'Z') return (unsigned char)(c + 32);
  if (i > 0 && (unsigned char)s[i - 1] == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97) return (unsigned char)(c + 0x20);
  return c;
}

bool est_fold_equal(const char *a, size_t an, const char *b, size_t bn) {
  if (an != bn) return false;
  for (size_t i = 0; i < an; i++)
    if (folded_at(a, i) != folded_at(b, i)) return false;
  return true;
}

bool est_fold_prefix(const char *s, const char *prefix) {
  size_t n = strlen(prefix);
  return strlen(s) >= n && est_fold_equal(s, n, prefix, n);
}

/* Letters and digits, and every byte of a multi-byte UTF-8 character
 * (å, ä, ö, é ... are letters): a word goes on across them. */
static bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* True if the word that ends right before f[at] (after blanks) is a place
 * preposition. f is folded. */
static bool after_preposition(const char *f, size_t at) {
  static const char *const preps[] = {"på", "i", "vid", "utanför", "nära", "kring", NULL};
  size_t e = at;
  if (e == 0 || f[e - 1] != ' ') return false;
  while (e > 0 && f[e - 1] == ' ') e--;
  size_t b = e;
  while (b > 0 && word_byte((unsigned char)f[b - 1])) b--;
  for (const char *const *p = preps; *p; p++)
    if (strlen(*p) == e - b && memcmp(f + b, *p, e - b) == 0) return true;
  return false;
}

typedef struct {
  size_t start, end;
  long long id;
} hit;

long long est_place_find(const char *text, const est_place *places, size_t n, bool *ambiguous) {
  if (ambiguous) *ambiguous = false;
  if (!text || !*text || n == 0) return 0;
  size_t tl = strlen(text);
  char *f = malloc(tl + 1);
  if (!f) return 0;
  est_fold(text, tl, f);
  hit *hits = NULL;
  size_t nh = 0, cap = 0;
  for (size_t k = 0; k < n; k++) {
    const char *name = places[k].name;
    size_t nl = name ? strlen(name) : 0;
    if (nl == 0 || nl > tl) continue;
    char *fn = malloc(nl + 1);
    if (!fn) break;
    est_fold(name, nl, fn);
    for (const char *p = f; (p = strstr(p, fn)) != NULL; p++) {
      size_t s = (size_t)(p - f), e = s + nl;
      if ((s > 0 && word_byte((unsigned char)f[s - 1])) || (e < tl && word_byte((unsigned char)f[e]))) continue;
      if (!after_preposition(f, s)) continue;
      if (nh == cap) {
        size_t nc = cap ? cap * 2 : 8;
        hit *nhits = realloc(hits, nc * sizeof *hits);
        if (!nhits) break;
        hits = nhits;
        cap = nc;
      }
      hits[nh++] = (hit){s, e, places[k].id};
    }
    free(fn);
  }
  free(f);
  long long found = 0;
  for (size_t i = 0; i < nh; i++) {
    bool inside = false; /* within a longer hit of another name */
    for (size_t j = 0; j < nh && !inside; j++)
      inside = j != i && hits[j].start <= hits[i].start && hits[j].end >= hits[i].end &&
               hits[j].end - hits[j].start > hits[i].end - hits[i].start;
    if (inside) continue;
    if (found && found != hits[i].id) {
      if (ambiguous) *ambiguous = true;
      found = 0;
      break;
    }
    found = hits[i].id;
  }
  free(hits);
  return found;
}
