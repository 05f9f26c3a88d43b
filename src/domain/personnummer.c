/* personnummer.c - screening text for Swedish personal identity and
 * coordination numbers (see personnummer.h for the exact rules). */
#include "estd/personnummer.h"

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
    } else if ((run == 6 || run == 8) && end < len && (text[end] == '-' || text[end] == '+')) {
      size_t tail = digit_run(text, len, end + 1);
      if (tail == 4 && candidate_ok(text + i, run, text + end + 1)) m = run + 5;
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

int est_pnr_redact(char *text) {
  if (!text) return 0;
  size_t len = strlen(text), pos = 0, s, n;
  int count = 0;
  while (est_pnr_find(text, len, pos, &s, &n)) {
    for (size_t k = s; k < s + n; k++)
      if (is_digit(text[k])) text[k] = 'X';
    pos = s + n;
    count++;
  }
  return count;
}
