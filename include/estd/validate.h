/* validate.h - the field checkers shared by the request-body validators of
 * domain/ (areas, focuses, parties, agreements, meetings, actions,
 * indicators). Pure.
 *
 * A validator starts with est_v_begin, runs one checker per field (each
 * appends at most one {field, detail} error, field a JSON pointer "/name"),
 * and ends with est_v_finish, which hands back a normalized JSON object text
 * holding only the known, validated members: a member present means "set
 * it" (null clears it), absent means "keep it" (RFC 7396 merge patch). */
#ifndef ESTD_VALIDATE_H
#define ESTD_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "estd/result.h"

#define EST_SLUG_MAX 100

/* A slug: 1..EST_SLUG_MAX chars of [a-z0-9] groups joined by single '-'. */
bool est_slug_valid(const char *s);

typedef struct est_vctx {
  json_t **errors;
  int nerrors;
  json_t *out; /* normalized object */
} est_vctx;

/* EST_EINVAL (error appended) unless body is an object. */
est_result est_v_begin(est_vctx *v, const json_t *body, char **normalized, json_t **errors);
/* est_v_begin, then an error for every member of body not in known
 * (NULL-terminated). */
est_result est_v_open(est_vctx *v, const json_t *body, const char *const *known, char **normalized, json_t **errors);
/* EST_EINVAL when any checker failed, else *normalized (caller frees). */
est_result est_v_finish(est_vctx *v, char **normalized);
void est_v_err(est_vctx *v, const char *field, const char *detail);
/* The member to check, or NULL when absent (error if required) or null
 * (error unless nullable; a nullable null is kept in the output). */
const json_t *est_v_field(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable);
/* A string of minc..maxc code points, no NUL, no personnummer. */
void est_v_string(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable, size_t minc,
                  size_t maxc);
void est_v_slug(est_vctx *v, const json_t *body, const char *key);
void est_v_enum(est_vctx *v, const json_t *body, const char *key, bool required, const char *const *allowed);
void est_v_bool(est_vctx *v, const json_t *body, const char *key);
/* Integer in [lo, hi]; true (and kept) when valid and present. */
bool est_v_int(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable, long long lo,
               long long hi, const char *what);
/* A finite number in [lo, hi]; true when valid and present (*out set). It is
 * kept as decimal text (15 significant digits) for the numeric column. */
bool est_v_number(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable, double lo, double hi,
                  double *out);
/* YYYY-MM-DD; returns the date text (borrowed from body) or NULL. */
const char *est_v_date(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable);
/* Array of 0..max distinct positive integer ids (min 1 when nonempty). */
void est_v_ids(est_vctx *v, const json_t *body, const char *key, bool required, size_t max, bool nonempty);
/* Array of 0..max strings of 1..maxc code points (no personnummer). */
void est_v_strings(est_vctx *v, const json_t *body, const char *key, bool required, size_t max, size_t maxc);
/* JSON Schema's integers include 5.0: every real in j (recursively) with an
 * integral value in the int64 range becomes an integer, so the checkers'
 * json_is_integer accepts what the contract calls an integer. In place. */
void est_json_integral_reals(json_t *j);
/* Every member not in known (NULL-terminated) is an error naming it. */
void est_v_unknown(est_vctx *v, const json_t *body, const char *const *known);

#endif
