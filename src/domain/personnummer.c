/* personnummer.c - screening text for Swedish personal identity and
 * coordination numbers (see personnummer.h for the exact rules). */
#include "estd/personnummer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int num(const char *p, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
  return v;
}

static int days_in_month(int month, bool leap) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && leap) return 29;
  return dim[month - 1];
}

/* Month and day (day 61..91 for coordination numbers) of a real date. */
static bool date_ok(int month, int day, bool leap) {
  if (month < 1 || month > 12) return false;
  if (day > 60) day -= 60;
  return day >= 1 && day <= days_in_month(month, leap);
}

/* Luhn over ten digits YYMMDDNNNC: weights 2,1,2,... on the first nine. */
static bool luhn_ok(const char d[10]) {
  int sum = 0;
  for (int i = 0; i < 9; i++) {
    int v = (d[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += v > 9 ? v - 9 : v;
  }
  return (10 - sum % 10) % 10 == d[9] - '0';
}

/* Checks a candidate: date digits (6 or 8) and the 4 trailing digits. */
static bool candidate_ok(const char *date, size_t date_len, const char *tail) {
  char ten[10];
  bool leap;
  if (date_len == 8) {
    int year = num(date, 4);
    /* Only plausible birth centuries: keeps order numbers from matching. */
    if (year < 1800 || year > 2099) return false;
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    date += 2;
  } else {
    /* Century unknown: Feb 29 is a real date if some century makes it one. */
    leap = num(date, 2) % 4 == 0;
  }
  if (!date_ok(num(date + 2, 2), num(date + 4, 2), leap)) return false;
  memcpy(ten, date, 6);
  memcpy(ten + 6, tail, 4);
  return luhn_ok(ten);
}

static size_t digit_run(const char *text, size_t len, size_t i) {
  size_t n = 0;
  while (i + n < len && is_digit(text[i + n])) n++;
  return n;
}

/* Length of a separator between the date and the last four digits at
 * text[j]: '-' or '+' (optionally with one space on either side), an en
 * dash (U+2013), or one space or no-break space (U+00A0) alone; 0 if none.
 * A space may also be percent-encoded (%20, as in a logged URL path), a
 * dash too (%2D). */
static size_t space_at(const char *text, size_t len, size_t k) {
  if (k < len && text[k] == ' ') return 1;
  if (k + 1 < len && (unsigned char)text[k] == 0xC2 && (unsigned char)text[k + 1] == 0xA0) return 2;
  if (k + 2 < len && text[k] == '%' && text[k + 1] == '2' && text[k + 2] == '0') return 3;
  return 0;
}

static size_t dash_at(const char *text, size_t len, size_t k) {
  if (k < len && (text[k] == '-' || text[k] == '+')) return 1;
  if (k + 2 < len && (unsigned char)text[k] == 0xE2 && (unsigned char)text[k + 1] == 0x80 &&
      (unsigned char)text[k + 2] == 0x93)
    return 3;
  if (k + 2 < len && text[k] == '%' && text[k + 1] == '2' && (text[k + 2] == 'D' || text[k + 2] == 'd')) return 3;
  if (k + 2 < len && text[k] == '%' && text[k + 1] == '2' && (text[k + 2] == 'B' || text[k + 2] == 'b')) return 3;
  return 0;
}

static size_t separator(const char *text, size_t len, size_t j) {
  size_t k = j + space_at(text, len, j);
  size_t d = dash_at(text, len, k);
  if (!d) return k - j; /* a space alone, or nothing */
  k += d;
  return k + space_at(text, len, k) - j;
}

bool est_pnr_find(const char *text, size_t len, size_t from, size_t *start, size_t *mlen) {
  if (!text) return false;
  size_t i = from;
  /* A position inside a digit run is never the start of a match. */
  while (i > 0 && i < len && is_digit(text[i - 1]) && is_digit(text[i])) i++;
  while (i < len) {
    if (!is_digit(text[i])) {
      i++;
      continue;
    }
    size_t run = digit_run(text, len, i);
    size_t end = i + run; /* first byte after the run */
    size_t m = 0;
    if (run == 10 || run == 12) {
      if (candidate_ok(text + i, run - 4, text + end - 4)) m = run;
    } else if (run == 6 || run == 8) {
      size_t sep = separator(text, len, end);
      if (sep && digit_run(text, len, end + sep) == 4 && candidate_ok(text + i, run, text + end + sep))
        m = run + sep + 4;
    }
    if (m) {
      *start = i;
      *mlen = m;
      return true;
    }
    i = end;
  }
  return false;
}

bool est_pnr_contains(const char *text) {
  size_t s, n;
  return text && est_pnr_find(text, strlen(text), 0, &s, &n);
}

int est_pnr_redact(char *text) { return text ? est_pnr_redact_bytes(text, strlen(text)) : 0; }

int est_pnr_redact_bytes(void *buf, size_t len) {
  char *text = buf;
  if (!text) return 0;
  size_t pos = 0, s, n;
  int count = 0;
  while (est_pnr_find(text, len, pos, &s, &n)) {
    for (size_t k = s; k < s + n; k++)
      if (is_digit(text[k])) text[k] = 'X';
    pos = s + n;
    count++;
  }
  return count;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int est_pnr_redact_raw(void *buf, size_t len) {
  unsigned char *b = buf;
  int count = est_pnr_redact_bytes(buf, len);
  if (!b || len < 6 || !memmem(b, len, "\\u00", 3)) return count;
  /* JSON escapes: decode every \u00XX escape of an ASCII character into a
   * view that remembers where each byte came from, screen the view, and
   * write each redacted digit back as 'X' or as the escape \u0058. */
  char *view = malloc(len);
  size_t *from = malloc(len * sizeof *from);
  if (!view || !from) {
    free(view);
    free(from);
    return count;
  }
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    int h1, h2;
    if (b[i] == '\\' && i + 5 < len && b[i + 1] == 'u' && b[i + 2] == '0' && b[i + 3] == '0' &&
        (h1 = hexval((char)b[i + 4])) >= 0 && h1 < 8 && (h2 = hexval((char)b[i + 5])) >= 0) {
      view[n] = (char)(h1 * 16 + h2);
      from[n++] = i;
      i += 6;
    } else {
      view[n] = (char)b[i];
      from[n++] = i++;
    }
  }
  size_t pos = 0, st, ml;
  while (est_pnr_find(view, n, pos, &st, &ml)) {
    for (size_t k = st; k < st + ml; k++) {
      if (!is_digit(view[k])) continue;
      if (b[from[k]] == '\\') memcpy(b + from[k], "\\u0058", 6);
      else b[from[k]] = 'X';
      view[k] = 'X';
    }
    pos = st + ml;
    count++;
  }
  free(view);
  free(from);
  return count;
}

/* ---- JSON documents ------------------------------------------------------- */

/* Appends "/" + key (JSON-pointer escaped) to path[0..*len). */
static void ptr_push(char *path, size_t cap, size_t *len, const char *key) {
  if (*len + 2 >= cap) return;
  path[(*len)++] = '/';
  for (const char *k = key; *k && *len + 3 < cap; k++) {
    if (*k == '~' || *k == '/') {
      path[(*len)++] = '~';
      path[(*len)++] = *k == '~' ? '0' : '1';
    } else {
      path[(*len)++] = *k;
    }
  }
  path[*len] = '\0';
}

/* A JSON number that is a whole number below 10^13 (8507099805, also
 * written 8507099805.0 or 8.507099805e9), as an integer; else -1. */
static json_int_t whole(const json_t *v) {
  if (json_is_integer(v)) return json_integer_value(v);
  if (!json_is_real(v)) return -1;
  double d = json_real_value(v);
  if (!(d >= 0 && d < 1e13) || d != (double)(json_int_t)d) return -1;
  return (json_int_t)d;
}

/* An integer whose decimal digits form a whole number (e.g. 8507099805). */
static bool int_is_pnr(json_int_t v) {
  char d[32];
  int n = snprintf(d, sizeof d, "%lld", (long long)v);
  size_t st, ml;
  return n > 0 && est_pnr_find(d, (size_t)n, 0, &st, &ml) && st == 0 && ml == (size_t)n;
}

static int screen_json(json_t *v, bool redact, est_pnr_report_fn report, void *arg, char *path, size_t cap,
                       size_t len) {
  int found = 0;
  if (json_is_object(v)) {
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(v, tmp, key, val) {
      size_t l = len;
      ptr_push(path, cap, &l, key);
      if (est_pnr_contains(key)) {
        found++;
        if (report) report(arg, path);
        if (redact) {
          char *nk = strdup(key);
          if (nk) {
            est_pnr_redact(nk);
            json_incref(val);
            json_object_del(v, key);
            json_object_set_new(v, nk, val);
            free(nk);
          }
        }
      }
      found += screen_json(val, redact, report, arg, path, cap, l);
      path[len] = '\0';
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *val;
    json_array_foreach(v, i, val) {
      char idx[24];
      snprintf(idx, sizeof idx, "%zu", i);
      size_t l = len;
      ptr_push(path, cap, &l, idx);
      found += screen_json(val, redact, report, arg, path, cap, l);
      path[len] = '\0';
    }
  } else if (json_is_string(v)) {
    size_t n = json_string_length(v);
    const char *sv = json_string_value(v);
    size_t st, ml;
    if (est_pnr_find(sv, n, 0, &st, &ml)) {
      found++;
      if (report) report(arg, len ? path : "");
      if (redact) {
        char *copy = malloc(n + 1);
        if (copy) {
          memcpy(copy, sv, n + 1);
          est_pnr_redact_bytes(copy, n);
          json_string_setn(v, copy, n);
          free(copy);
        }
      }
    }
  } else if (whole(v) >= 0 && int_is_pnr(whole(v))) {
    found++;
    if (report) report(arg, len ? path : "");
    /* A number cannot hold an X: the parent replaces it (see est_pnr_screen_json). */
  }
  return found;
}

/* The redacted string ("XXXXXXXXXX") for an integer that is a number,
 * else NULL. */
static json_t *redacted_int(const json_t *v) {
  if (whole(v) < 0 || !int_is_pnr(whole(v))) return NULL;
  char d[32];
  snprintf(d, sizeof d, "%lld", (long long)whole(v));
  est_pnr_redact(d);
  return json_string(d);
}

/* Replaces integers that are numbers by "XXXXXXXXXX" strings (depth first). */
static void redact_ints(json_t *v) {
  json_t *r;
  if (json_is_object(v)) {
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
      if ((r = redacted_int(val))) json_object_set_new(v, key, r);
      else redact_ints(val);
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *val;
    json_array_foreach(v, i, val) {
      if ((r = redacted_int(val))) json_array_set_new(v, i, r);
      else redact_ints(val);
    }
  }
}

int est_pnr_screen_json(json_t *v, bool redact, est_pnr_report_fn report, void *arg) {
  char path[512];
  path[0] = '\0';
  int n = screen_json(v, redact, report, arg, path, sizeof path, 0);
  if (n && redact) redact_ints(v);
  return n;
}

char *est_pnr_redact_json_text(const char *text) {
  if (!text) return NULL;
  json_t *doc = json_loads(text, JSON_DECODE_ANY, NULL);
  if (!doc) return NULL;
  char *out = NULL;
  if (est_pnr_screen_json(doc, false, NULL, NULL) > 0) {
    est_pnr_screen_json(doc, true, NULL, NULL);
    out = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
  }
  json_decref(doc);
  return out;
}
