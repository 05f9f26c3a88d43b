/* commitment.h - commitments (åtaganden): validation and mapping of request
 * JSON to a C struct, JSON merge patch (RFC 7396) and the party/field rule
 * for PATCH. Pure: no I/O, no libpq.
 *
 * Field errors are collected, never only the first: every function that
 * takes `json_t **errors` appends {field, detail} objects to *errors
 * (creating the array) for every failing field, where field is a JSON
 * pointer into the request ("/target/value", "/responsible_party_ids/2",
 * "" for the document itself). The caller owns *errors. */
#ifndef ESTD_COMMITMENT_H
#define ESTD_COMMITMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/result.h"

#define EST_COMMITMENT_TEXT_MAX 4000  /* characters (code points) */
#define EST_COMMITMENT_NOTE_MAX 4000  /* characters (code points) */
#define EST_COMMITMENT_CODE_MAX 100   /* bytes of a slug */
#define EST_COMMITMENT_UNIT_MAX 64    /* bytes of a lower_snake_case unit */
#define EST_COMMITMENT_TARGET_MAX 1e9 /* largest target value (openapi.yaml CommitmentTarget) */
#define EST_COMMITMENT_MAX_PARTIES 20
#define EST_COMMITMENT_MAX_AREAS 50

/* Closed sets, NULL-terminated (the first status is the default). */
extern const char *const est_commitment_statuses[];    /* planned, ongoing, ... */
extern const char *const est_commitment_comparisons[]; /* at_least, at_most, exactly */
extern const char *const est_commitment_pers[];        /* period, year, quarter, month, week */

typedef struct est_commitment_target {
  char value[48];         /* decimal text of a number > 0, e.g. "9" or "2.5" */
  const char *unit;       /* lower_snake_case, e.g. "network_group" */
  const char *comparison; /* one of est_commitment_comparisons (static) */
  const char *per;        /* one of est_commitment_pers (static) */
  const char *from;       /* YYYY-MM-DD, a real date */
  const char *to;         /* YYYY-MM-DD, >= from */
} est_commitment_target;

/* A complete, validated commitment as written to the store. String
 * pointers borrow from the json_t passed to est_commitment_parse and are
 * valid only while that value lives; enum pointers are static. */
typedef struct est_commitment_input {
  long long agreement_id;
  long long cooperation_area_id; /* 0 = none */
  const char *code;              /* NULL = none */
  const char *text;
  long long party_ids[EST_COMMITMENT_MAX_PARTIES];
  int nparties; /* 1..EST_COMMITMENT_MAX_PARTIES */
  long long area_ids[EST_COMMITMENT_MAX_AREAS];
  int nareas; /* 0..EST_COMMITMENT_MAX_AREAS */
  bool has_target;
  est_commitment_target target; /* valid when has_target */
  const char *status;           /* one of est_commitment_statuses */
  const char *follow_up_note;   /* NULL = none */
} est_commitment_input;

typedef enum est_commitment_mode {
  /* A POST body: only writable fields; status defaults to "planned",
   * area_ids to [], code/cooperation_area_id/target/follow_up_note to null. */
  EST_COMMITMENT_CREATE = 0,
  /* A stored representation with a merge patch applied: the read-only
   * fields (id, created_at, updated_at, version) are ignored, status is
   * required. */
  EST_COMMITMENT_MERGED = 1,
} est_commitment_mode;

/* Validates doc into *out. Returns EST_OK, or EST_EINVAL after appending
 * every failing field to *errors. */
est_result est_commitment_parse(const json_t *doc, est_commitment_mode mode, est_commitment_input *out,
                                json_t **errors);

/* Checks the shape of a merge patch before it is applied: it must be an
 * object whose members are writable fields; read-only fields (id,
 * created_at, updated_at, version) and unknown fields are rejected, and
 * so is null for a field that cannot be removed (agreement_id, text,
 * responsible_party_ids, status). Value types are checked later, on the
 * merged document. EST_OK or EST_EINVAL (errors appended). */
est_result est_commitment_patch_check(const json_t *patch, json_t **errors);

/* RFC 7396: returns a new value, target with patch applied (target is
 * not modified; NULL target counts as absent). NULL on allocation failure. */
json_t *est_json_merge_patch(const json_t *target, const json_t *patch);

/* The party/field rule for PATCH: an admin may change anything; anyone
 * else only the members status and follow_up_note, and only of a
 * commitment (current, its stored representation) whose
 * responsible_party_ids contain caller_party_id. A non-admin without a
 * party (caller_party_id 0) is refused. Returns EST_OK or EST_EFORBIDDEN
 * with a one-line reason in detail. */
est_result est_commitment_patch_allowed(const json_t *patch, const json_t *current, bool admin,
                                        long long caller_party_id, char *detail, size_t detail_len);

#endif
