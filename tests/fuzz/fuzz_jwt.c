/* fuzz_jwt.c - libFuzzer target: arbitrary bearer tokens through the JWT
 * shape check, the header parser and the claim checks and mapping (the
 * parts of token handling that run before and after the signature check).
 * Input: "<token>\n<claims JSON>". Invariants: a parsed header has a
 * non-empty alg and a kid of at most EST_JWT_KID_MAX bytes; nothing crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "estd/oidc_claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t tl = nl ? (size_t)(nl - data) : size;
  char *t = malloc(tl + 1);
  if (!t) return 0;
  memcpy(t, data, tl);
  t[tl] = '\0';
  est_jwt_header h;
  char why[256];
  bool shaped = est_jwt_looks_like(t, tl);
  if (est_jwt_header_parse(t, tl, &h, why, sizeof why) == EST_OK) {
    if (!shaped || !h.alg[0] || strlen(h.kid) > EST_JWT_KID_MAX) abort();
  }
  if (nl) {
    json_error_t e;
    json_t *c = json_loadb((const char *)nl + 1, size - tl - 1, 0, &e);
    if (c) {
      est_jwt_expect x = {"https://idp.example/oidc", "https://estd.example/api", 1800000000, 60};
      long long exp;
      est_jwt_claims_check(c, &x, &exp, why, sizeof why);
      static est_oidc_map *m;
      if (!m) {
        est_oidc_map_config mc = {"party",
                                  "groups,client_id",
                                  "EST-Polisen=polisen-boras,sys=ab-bostader",
                                  "scope",
                                  NULL,
                                  "EST-Admins=admin,EST-L=read read-detail"};
        if (est_oidc_map_new(&mc, &m, why, sizeof why) != EST_OK) abort();
      }
      est_oidc_identity id;
      if (est_oidc_map_claims(m, c, &id, why, sizeof why) == EST_OK && (!id.party[0] || !id.scopes)) abort();
      json_decref(c);
    }
  }
  free(t);
  return 0;
}
