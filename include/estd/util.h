/* util.h - small pure helpers shared by every module. */
#ifndef ESTD_UTIL_H
#define ESTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include "estd/result.h"

/* Parses a positive decimal int64 id (1..2^63-1, no sign, no spaces). */
est_result est_parse_id(const char *s, long long *out);
/* True if s is valid UTF-8 (no overlongs, no surrogates). */
bool est_utf8_valid(const char *s, size_t len);
/* An incoming X-Request-Id is kept if 1..64 chars of [A-Za-z0-9._:-]. */
bool est_request_id_valid(const char *s);
/* Writes a new random 32-hex-digit request id (needs n >= 33). */
void est_request_id_generate(char *out, size_t n);
/* base64url without padding. est_b64url_encode returns a malloc'd string;
 * est_b64url_decode returns malloc'd bytes (NUL-terminated) and *len, or
 * NULL if the input is not base64url. */
char *est_b64url_encode(const unsigned char *data, size_t len);
unsigned char *est_b64url_decode(const char *s, size_t *len);

#endif
