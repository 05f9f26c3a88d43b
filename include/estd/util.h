/* util.h - small pure helpers shared by every module. */
#ifndef ESTD_UTIL_H
#define ESTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "estd/result.h"

/* The CLOCK_REALTIME time ms milliseconds from now (ms >= 0), for
 * pthread_cond_timedwait / pthread_mutex_timedlock. */
struct timespec est_realtime_after_ms(int ms);
/* Parses a positive decimal int64 id (1..2^63-1, no sign, no spaces). */
est_result est_parse_id(const char *s, long long *out);
/* True if s is valid UTF-8 (no overlongs, no surrogates). */
bool est_utf8_valid(const char *s, size_t len);
/* Number of code points in a valid, NUL-terminated UTF-8 string. */
size_t est_utf8_length(const char *s);
/* An incoming X-Request-Id is kept if 1..64 chars of [A-Za-z0-9._:-]. */
bool est_request_id_valid(const char *s);
/* Writes a new random 32-hex-digit request id (needs n >= 33). */
void est_request_id_generate(char *out, size_t n);
/* Gregorian calendar helpers. */
bool est_is_leap_year(int y);
int est_days_in_month(int y, int m); /* 0 for an invalid month */
/* True for a strict calendar date "YYYY-MM-DD" (year 0001-9999); NULL is false. */
bool est_date_valid(const char *s);
/* True for an RFC 3339 date-time with an explicit offset:
 * YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), at most 40 characters. */
bool est_rfc3339_valid(const char *s);
/* Seconds since 1970-01-01T00:00:00Z of a valid RFC 3339 date-time (the
 * fraction is dropped); false if est_rfc3339_valid(s) is false. */
bool est_rfc3339_epoch(const char *s, long long *out);
/* ms (milliseconds since 1970, >= 0) as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void est_rfc3339_from_ms(long long ms, char out[32]);
/* Media types (RFC 9110 8.3.1): v is a Content-Type value of len bytes
 * (need not be NUL-terminated; NULL never matches). Its type/subtype is
 * the part before any ';' parameters, trailing spaces and tabs dropped,
 * compared without regard to case. est_media_type_is: equal to want;
 * est_media_type_is_json: application/json or application/<x>+json
 * (cloudevents+json, merge-patch+json, ...). est_media_type_len: the
 * length of the type/subtype part. */
size_t est_media_type_len(const char *v, size_t len);
bool est_media_type_is(const char *v, size_t len, const char *want);
bool est_media_type_is_json(const char *v, size_t len);
/* The monotonic clock (CLOCK_MONOTONIC) in milliseconds. */
long long est_mono_ms(void);
/* The CLOCK_MONOTONIC time ms milliseconds from now: the deadline for
 * pthread_cond_timedwait on a condition variable set to that clock. */
struct timespec est_mono_deadline(long long ms);
/* base64url without padding. est_b64url_encode returns a malloc'd string;
 * est_b64url_decode returns malloc'd bytes (NUL-terminated) and *len, or
 * NULL if the input is not base64url. */
char *est_b64url_encode(const unsigned char *data, size_t len);
unsigned char *est_b64url_decode(const char *s, size_t *len);

/* The scheme://host[:port] origin of an http(s) URL into out (n bytes);
 * EST_EINVAL when the URL is not http(s) or holds characters that could
 * break a header such as a CSP (whitespace, quotes, ';', ',').
 * A Leaflet template's "{s}." subdomain becomes "*." (a CSP host wildcard). */
est_result est_url_origin(const char *url, char *out, size_t n);

#endif
