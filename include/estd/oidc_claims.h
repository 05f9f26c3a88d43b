/* oidc_claims.h - the pure half of OpenID Connect sign-in: the shape of a
 * JWT, its header, the registered-claim checks and the mapping of claims
 * onto estd's party and scopes (docs/SECURITY.md, "OpenID Connect").
 * No I/O, no crypto: the signature is checked elsewhere (http/oidc.c,
 * with librhonabwy) before any claim is trusted. */
#ifndef ESTD_OIDC_CLAIMS_H
#define ESTD_OIDC_CLAIMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "estd/result.h"

#define EST_JWT_KID_MAX 128
#define EST_JWT_SUB_MAX 255
#define EST_PARTY_CODE_MAX 64

/* True if token has the compact JWS shape: exactly three '.'-separated
 * segments of base64url characters, the first two non-empty. This is how a
 * bearer token is told from an API key (estd_<hex>_<base64url>, no '.'). */
bool est_jwt_looks_like(const char *token, size_t len);

typedef struct est_jwt_header {
  char alg[16];
  char kid[EST_JWT_KID_MAX + 1]; /* "" = none */
} est_jwt_header;

/* Decodes and checks the protected header of a token that looks like a JWT:
 * a JSON object with a string "alg", an optional string "kid" (at most
 * EST_JWT_KID_MAX bytes), no "crit", no "enc" (encrypted tokens are not
 * accepted), no embedded keys ("jwk", "jku", "x5u", "x5c": keys come only
 * from the issuer's JWKS). EST_EUNAUTHORIZED with a reason otherwise. */
est_result est_jwt_header_parse(const char *token, size_t len, est_jwt_header *h, char *reason, size_t n);

/* Is alg in the comma-separated allow-list (exact, case-sensitive)? */
bool est_jwt_alg_allowed(const char *allow_csv, const char *alg);
/* Checks an allow-list from configuration: every name one of RS256 RS384
 * RS512 PS256 PS384 PS512 ES256 ES384 ES512; never "none" nor HS*.
 * EST_EINVAL and the offending name in bad otherwise. */
est_result est_jwt_algs_check(const char *allow_csv, char *bad, size_t badlen);

typedef struct est_jwt_expect {
  const char *issuer;   /* iss must equal it exactly */
  const char *audience; /* aud (string or array) must contain it */
  long long now;        /* seconds since the epoch */
  int skew_s;           /* clock skew allowed on exp, nbf and iat */
} est_jwt_expect;

/* Checks iss, aud, exp (required), nbf and iat (if present), sub (required,
 * 1..EST_JWT_SUB_MAX bytes). On success *exp receives exp. On failure
 * EST_EUNAUTHORIZED and a reason naming the claim. */
est_result est_jwt_claims_check(const json_t *claims, const est_jwt_expect *e, long long *exp, char *reason, size_t n);

/* ---- claims -> party and scopes ---------------------------------------- */

typedef struct est_oidc_map est_oidc_map;

typedef struct est_oidc_map_config {
  const char *party_claim;  /* claim holding a party code; NULL/"" = none */
  const char *group_claims; /* comma-separated claims holding group names */
  const char *party_groups; /* "group=party-code,..." */
  const char *scope_claim;  /* claim holding scopes (space-separated string or array) */
  const char *scope_prefix; /* only values with this prefix count, prefix removed */
  const char *scope_groups; /* "group=scope scope,..." */
} est_oidc_map_config;

/* Parses the mapping; EST_ECONFIG and one line in err naming the problem. */
est_result est_oidc_map_new(const est_oidc_map_config *c, est_oidc_map **out, char *err, size_t errlen);
void est_oidc_map_free(est_oidc_map *m);

typedef struct est_oidc_identity {
  char party[EST_PARTY_CODE_MAX + 1]; /* party code */
  unsigned scopes;                    /* EST_SCOPE_* mask */
} est_oidc_identity;

/* Maps verified claims to a party code and scopes. The party comes from the
 * party claim when present, else from the groups through the party table;
 * groups naming two different parties are ambiguous. Scopes are the union of
 * the scope claim's estd scope names (after the prefix) and the scope table.
 * EST_EFORBIDDEN with a reason when there is no party, an ambiguous party,
 * or no scope. Group values may be a JSON array of strings or a string of
 * names separated by commas or spaces. */
est_result est_oidc_map_claims(const est_oidc_map *m, const json_t *claims, est_oidc_identity *out, char *reason,
                               size_t n);

#endif
