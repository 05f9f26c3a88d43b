/* util.c - small pure helpers (see util.h). */
#include "estd/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

long long est_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec est_mono_deadline(long long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

est_result est_parse_id(const char *s, long long *out) {
  if (!s || !*s || strlen(s) > 19) return EST_EINVAL;
  unsigned long long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return EST_EINVAL;
    v = v * 10u + (unsigned)(*p - '0');
  }
  if (v == 0 || v > (unsigned long long)INT64_MAX) return EST_EINVAL;
  *out = (long long)v;
  return EST_OK;
}

bool est_utf8_valid(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else return false;
    for (size_t k = 1; k <= n; k++) {
      if (i + k >= len || (s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

size_t est_utf8_length(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

bool est_request_id_valid(const char *s) {
  size_t n = 0;
  for (; s[n]; n++) {
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok || n >= 64) return false;
  }
  return n > 0;
}

void est_request_id_generate(char *out, size_t n) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) memset(b, 0, sizeof b);
  static const char hex[] = "0123456789abcdef";
  size_t j = 0;
  for (size_t i = 0; i < sizeof b && j + 2 < n; i++) {
    out[j++] = hex[b[i] >> 4];
    out[j++] = hex[b[i] & 15];
  }
  out[j] = '\0';
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *est_b64url_encode(const unsigned char *d, size_t len) {
  char *out = malloc(len / 3 * 4 + 5);
  if (!out) return NULL;
  size_t j = 0, i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
    out[j++] = b64[v >> 18];
    out[j++] = b64[(v >> 12) & 63];
    out[j++] = b64[(v >> 6) & 63];
    out[j++] = b64[v & 63];
  }
  if (len - i == 1) {
    uint32_t v = (uint32_t)d[i] << 16;
    out[j++] = b64[v >> 18];
    out[j++] = b64[(v >> 12) & 63];
  } else if (len - i == 2) {
    uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
    out[j++] = b64[v >> 18];
    out[j++] = b64[(v >> 12) & 63];
    out[j++] = b64[(v >> 6) & 63];
  }
  out[j] = '\0';
  return out;
}

static int b64_val(char c) {
  const char *p = c ? strchr(b64, c) : NULL;
  return p ? (int)(p - b64) : -1;
}

unsigned char *est_b64url_decode(const char *s, size_t *len) {
  size_t n = strlen(s);
  if (n % 4 == 1) return NULL;
  unsigned char *out = malloc(n / 4 * 3 + 3);
  if (!out) return NULL;
  size_t j = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_val(s[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (unsigned char)((acc >> bits) & 0xFF);
    }
  }
  out[j] = '\0';
  *len = j;
  return out;
}

bool est_is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int est_days_in_month(int y, int m) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && est_is_leap_year(y) ? 29 : mdays[m - 1];
}

bool est_date_valid(const char *s) {
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
  return y >= 1 && d >= 1 && d <= est_days_in_month(y, m);
}

static bool digits(const char *s, int n) {
  for (int i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

bool est_rfc3339_valid(const char *s) {
  char date[11];
  if (!s || strlen(s) < 20 || strlen(s) > 40) return false;
  memcpy(date, s, 10);
  date[10] = '\0';
  if (!est_date_valid(date)) return false;
  const char *t = s + 10;
  if (*t != 'T' && *t != 't') return false;
  t++;
  if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2)) return false;
  if (two(t) > 23 || two(t + 3) > 59 || two(t + 6) > 59) return false;
  t += 8;
  if (*t == '.') {
    int n = 0;
    for (t++; *t >= '0' && *t <= '9'; t++) n++;
    if (n < 1 || n > 9) return false;
  }
  if ((*t == 'Z' || *t == 'z') && t[1] == '\0') return true;
  if ((*t != '+' && *t != '-') || !digits(t + 1, 2) || t[3] != ':' || !digits(t + 4, 2) || t[6] != '\0') return false;
  return two(t + 1) <= 14 && two(t + 4) <= 59;
}

est_result est_url_origin(const char *url, char *out, size_t n) {
  if (!url) return EST_EINVAL;
  size_t skip;
  if (strncmp(url, "https://", 8) == 0) skip = 8;
  else if (strncmp(url, "http://", 7) == 0) skip = 7;
  else return EST_EINVAL;
  for (const char *p = url; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\'' || *p == ';' || *p == ',') return EST_EINVAL;
  size_t host = strcspn(url + skip, "/?#");
  if (host == 0 || skip + host + 1 > n) return EST_EINVAL;
  /* No userinfo in the origin (and none wanted in a tile URL). */
  if (memchr(url + skip, '@', host)) return EST_EINVAL;
  const char *h = url + skip;
  size_t hl = host;
  /* A Leaflet template's subdomain placeholder "{s}." becomes the CSP wildcard "*.". */
  bool wildcard = hl > 4 && strncmp(h, "{s}.", 4) == 0;
  if (wildcard) {
    h += 4;
    hl -= 4;
  }
  if (memchr(h, '{', hl) || memchr(h, '}', hl) || skip + hl + 3 > n) return EST_EINVAL;
  snprintf(out, n, "%.*s%s%.*s", (int)skip, url, wildcard ? "*." : "", (int)hl, h);
  return EST_OK;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool est_rfc3339_epoch(const char *s, long long *out) {
  if (!est_rfc3339_valid(s)) return false;
  int y = two(s) * 100 + two(s + 2), m = two(s + 5), d = two(s + 8);
  long long secs = days_from_civil(y, m, d) * 86400 + two(s + 11) * 3600 + two(s + 14) * 60 + two(s + 17);
  const char *t = s + 19;
  if (*t == '.')
    for (t++; *t >= '0' && *t <= '9'; t++) {
    }
  if (*t == '+' || *t == '-') {
    long long off = two(t + 1) * 3600 + two(t + 4) * 60;
    secs += *t == '+' ? -off : off;
  }
  *out = secs;
  return true;
}

void est_rfc3339_from_ms(long long ms, char out[32]) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

size_t est_media_type_len(const char *v, size_t len) {
  if (!v) return 0;
  size_t n = 0;
  while (n < len && v[n] != ';') n++;
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  return n;
}

bool est_media_type_is(const char *v, size_t len, const char *want) {
  size_t n = est_media_type_len(v, len);
  return v && n == strlen(want) && strncasecmp(v, want, n) == 0;
}

bool est_media_type_is_json(const char *v, size_t len) {
  size_t n = est_media_type_len(v, len);
  if (!v) return false;
  if (est_media_type_is(v, n, "application/json")) return true;
  return n > 17 && strncasecmp(v, "application/", 12) == 0 && strncasecmp(v + n - 5, "+json", 5) == 0;
}

struct timespec est_realtime_after_ms(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}
