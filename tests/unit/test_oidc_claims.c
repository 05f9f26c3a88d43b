/* test_oidc_claims.c - JWT shape/header/claim checks and the claims ->
 * party/scopes mapping (domain/oidc_claims.c). Signatures are covered by
 * tests/integration/test_oidc.py against a real provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/oidc_claims.h"
#include "estd/scope.h"
#include "estd/util.h"

static json_t *J(const char *s) {
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  assert_non_null(j);
  return j;
}

/* "<b64url(header)>.e30.sig" */
static char *with_header(const char *hdr) {
  char *h = est_b64url_encode((const unsigned char *)hdr, strlen(hdr));
  size_t n = strlen(h) + 16;
  char *t = malloc(n);
  snprintf(t, n, "%s.e30.c2ln", h);
  free(h);
  return t;
}

static void test_shape(void **state) {
  (void)state;
  const char *yes[] = {"a.b.c", "eyJ.eyJ.", "A-_.b.c", NULL};
  const char *no[] = {"",        "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.c=", "a.b.c ", "estd_0123456789ab_AAAA",
                      "a+b.c.d", NULL};
  for (int i = 0; yes[i]; i++) assert_true(est_jwt_looks_like(yes[i], strlen(yes[i])));
  for (int i = 0; no[i]; i++) assert_false(est_jwt_looks_like(no[i], strlen(no[i])));
  assert_false(est_jwt_looks_like(NULL, 0));
}

static void test_header(void **state) {
  (void)state;
  est_jwt_header h;
  char why[200];
  char *t = with_header("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}");
  assert_int_equal(est_jwt_header_parse(t, strlen(t), &h, why, sizeof why), EST_OK);
  assert_string_equal(h.alg, "RS256");
  assert_string_equal(h.kid, "k1");
  free(t);
  struct {
    const char *hdr, *word;
  } bad[] = {
      {"[1]", "JSON object"},
      {"{\"kid\":\"k\"}", "alg"},
      {"{\"alg\":\"\"}", "alg"},
      {"{\"alg\":\"RS256\",\"alg\":\"none\"}", "JSON object"}, /* duplicate keys */
      {"{\"alg\":\"RS256\",\"kid\":7}", "kid"},
      {"{\"alg\":\"RS256\",\"crit\":[\"b64\"]}", "crit"},
      {"{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}", "JWE"},
      {"{\"alg\":\"RS256\",\"jku\":\"https://evil\"}", "keys come only"},
      {"{\"alg\":\"RS256\",\"x5u\":\"https://evil\"}", "keys come only"},
      {"{\"alg\":\"RS256\",\"jwk\":{}}", "keys come only"},
      {"{\"alg\":\"AAAAAAAAAAAAAAAAAAAAAAA\"}", "alg"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    t = with_header(bad[i].hdr);
    assert_int_equal(est_jwt_header_parse(t, strlen(t), &h, why, sizeof why), EST_EUNAUTHORIZED);
    assert_non_null(strstr(why, bad[i].word));
    free(t);
  }
  char kid[200] = "{\"alg\":\"RS256\",\"kid\":\"";
  memset(kid + strlen(kid), 'k', 129);
  strcat(kid, "\"}");
  t = with_header(kid);
  assert_int_equal(est_jwt_header_parse(t, strlen(t), &h, why, sizeof why), EST_EUNAUTHORIZED);
  free(t);
  assert_int_equal(est_jwt_header_parse("!!.e30.x", 8, &h, why, sizeof why), EST_EUNAUTHORIZED);
  assert_int_equal(est_jwt_header_parse("Zm9v.e30.x", 10, &h, why, sizeof why), EST_EUNAUTHORIZED);
}

static void test_algs(void **state) {
  (void)state;
  char bad[40];
  assert_int_equal(est_jwt_algs_check("RS256,ES256", bad, sizeof bad), EST_OK);
  assert_int_equal(est_jwt_algs_check("RS256,PS512,ES384", bad, sizeof bad), EST_OK);
  assert_int_equal(est_jwt_algs_check("RS256,HS256", bad, sizeof bad), EST_EINVAL);
  assert_string_equal(bad, "HS256");
  assert_int_equal(est_jwt_algs_check("none", bad, sizeof bad), EST_EINVAL);
  assert_int_equal(est_jwt_algs_check("", bad, sizeof bad), EST_EINVAL);
  assert_int_equal(est_jwt_algs_check("RS256,", bad, sizeof bad), EST_EINVAL);
  assert_true(est_jwt_alg_allowed("RS256,ES256", "ES256"));
  assert_false(est_jwt_alg_allowed("RS256,ES256", "es256"));
  assert_false(est_jwt_alg_allowed("RS256,ES256", "none"));
  assert_false(est_jwt_alg_allowed("RS256,ES256", "RS25"));
  assert_false(est_jwt_alg_allowed("RS256,ES256", ""));
}

static void test_claims(void **state) {
  (void)state;
  est_jwt_expect e = {"https://idp/x", "api", 1000000, 60};
  char why[200];
  long long exp = 0;
  json_t *c =
      J("{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100,\"nbf\":1000000,"
        "\"iat\":1000000}");
  assert_int_equal(est_jwt_claims_check(c, &e, &exp, why, sizeof why), EST_OK);
  assert_int_equal(exp, 1000100);
  json_decref(c);
  struct {
    const char *claims, *word;
    int ok;
  } cases[] = {
      {"{\"iss\":\"https://idp/x\",\"aud\":[\"other\",\"api\"],\"sub\":\"s\",\"exp\":1000001}", "", 1},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":999950}", "", 1}, /* within skew */
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":999940}", "expired", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100.5}", "", 1},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\"}", "expiry", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":\"1000100\"}", "expiry", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100,\"nbf\":1000061}", "not valid yet", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100,\"nbf\":1000060}", "", 1},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100,\"iat\":1000100}", "future", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100,\"nbf\":true}", "nbf", 0},
      {"{\"iss\":\"https://idp/x/\",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100}", "issuer", 0},
      {"{\"aud\":\"api\",\"sub\":\"s\",\"exp\":1000100}", "issuer", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"apix\",\"sub\":\"s\",\"exp\":1000100}", "audience", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":[],\"sub\":\"s\",\"exp\":1000100}", "audience", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"exp\":1000100}", "subject", 0},
      {"{\"iss\":\"https://idp/x\",\"aud\":\"api\",\"sub\":\"\",\"exp\":1000100}", "subject", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    c = J(cases[i].claims);
    est_result rc = est_jwt_claims_check(c, &e, &exp, why, sizeof why);
    if (cases[i].ok) {
      assert_int_equal(rc, EST_OK);
    } else {
      assert_int_equal(rc, EST_EUNAUTHORIZED);
      assert_non_null(strstr(why, cases[i].word));
    }
    json_decref(c);
  }
}

static est_oidc_map *mk(const char *party_claim, const char *groups, const char *party_groups, const char *scope_claim,
                        const char *prefix, const char *scope_groups) {
  est_oidc_map_config mc = {party_claim, groups, party_groups, scope_claim, prefix, scope_groups};
  est_oidc_map *m = NULL;
  char err[200];
  assert_int_equal(est_oidc_map_new(&mc, &m, err, sizeof err), EST_OK);
  return m;
}

static void test_map_config(void **state) {
  (void)state;
  char err[200];
  est_oidc_map *m = NULL;
  struct {
    est_oidc_map_config c;
    const char *word;
  } bad[] = {
      {{"party", "groups", "G", "scope", NULL, NULL}, "not group=party-code"},
      {{"party", "groups", "G=Not A Code", "scope", NULL, NULL}, "not a party code"},
      {{"party", "groups", "=x", "scope", NULL, NULL}, "not group"},
      {{"party", "groups", NULL, "scope", NULL, "G=read root"}, "root"},
      {{"party", "groups", NULL, "scope", NULL, "G="}, "not group"},
      {{NULL, "groups", NULL, "scope", NULL, NULL}, "no token could name a party"},
      {{NULL, NULL, "G=boras-stad", "scope", NULL, NULL}, "ESTD_OIDC_GROUPS_CLAIM"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(est_oidc_map_new(&bad[i].c, &m, err, sizeof err), EST_ECONFIG);
    assert_null(m);
    assert_non_null(strstr(err, bad[i].word));
  }
}

static void test_map_claims(void **state) {
  (void)state;
  char why[200];
  est_oidc_identity id;
  est_oidc_map *m = mk("party", "groups,client_id",
                       "EST-Polisen=polisen-boras,EST-ABBostader=ab-bostader,polisen-system=polisen-boras", "scope",
                       NULL, "EST-Lagesbild=read read-detail,EST-Admins=admin");
  /* Groups as a comma-joined string (Glewlwyd), scopes from the scope claim. */
  json_t *c = J("{\"groups\":\"Personal,EST-Polisen\",\"scope\":\"openid read write-events bogus\"}");
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  assert_string_equal(id.party, "polisen-boras");
  assert_int_equal(id.scopes, EST_SCOPE_READ | EST_SCOPE_WRITE_EVENTS);
  json_decref(c);
  /* Groups as an array (Entra ID, Keycloak); scopes from the group table too. */
  c = J("{\"groups\":[\"EST-ABBostader\",\"EST-Lagesbild\"],\"scope\":[\"write-commitments\"]}");
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  assert_string_equal(id.party, "ab-bostader");
  assert_int_equal(id.scopes, EST_SCOPE_READ | EST_SCOPE_READ_DETAIL | EST_SCOPE_WRITE_COMMITMENTS);
  json_decref(c);
  /* A system: party through client_id. */
  c = J("{\"client_id\":\"polisen-system\",\"scope\":\"read\"}");
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  assert_string_equal(id.party, "polisen-boras");
  json_decref(c);
  /* The party claim wins over groups. */
  c = J("{\"party\":\"boras-stad\",\"groups\":[\"EST-Polisen\"],\"groups2\":1,\"scope\":\"admin\"}");
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  assert_string_equal(id.party, "boras-stad");
  assert_int_equal(id.scopes, EST_SCOPE_ADMIN);
  json_decref(c);
  /* Same party twice is fine; two parties are ambiguous. */
  c = J("{\"groups\":[\"EST-Polisen\",\"EST-Polisen\"],\"client_id\":\"polisen-system\",\"scope\":\"read\"}");
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  json_decref(c);
  struct {
    const char *claims, *word;
  } refused[] = {
      {"{\"groups\":\"EST-Polisen EST-ABBostader\",\"scope\":\"read\"}", "more than one party"},
      {"{\"groups\":[\"Personal\"],\"scope\":\"read\"}", "no party"},
      {"{\"scope\":\"read\"}", "no party"},
      {"{\"groups\":[\"est-polisen\"],\"scope\":\"read\"}", "no party"}, /* case-sensitive */
      {"{\"party\":\"Not A Code\",\"scope\":\"read\"}", "not a party code"},
      {"{\"party\":42,\"scope\":\"read\"}", "not a party code"},
      {"{\"groups\":[\"EST-Polisen\"],\"scope\":\"openid profile READ read-details\"}", "no estd scope"},
      {"{\"groups\":[\"EST-Polisen\"]}", "no estd scope"},
      {"{\"groups\":[\"EST-Polisen\",7,null],\"scope\":7}", "no estd scope"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    c = J(refused[i].claims);
    assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_EFORBIDDEN);
    assert_non_null(strstr(why, refused[i].word));
    json_decref(c);
  }
  est_oidc_map_free(m);

  /* A scope prefix: only "estd:..." values count. */
  m = mk(NULL, "roles", "Polis=polisen-boras", "scp", "estd:", NULL);
  c = J("{\"roles\":[\"Polis\"],\"scp\":\"read estd:read-detail estd: estd:admin2\"}");
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  assert_int_equal(id.scopes, EST_SCOPE_READ_DETAIL);
  json_decref(c);
  c = J("{\"roles\":[\"Polis\"],\"party\":\"boras-stad\",\"scp\":\"estd:read\"}"); /* no party claim configured */
  assert_int_equal(est_oidc_map_claims(m, c, &id, why, sizeof why), EST_OK);
  assert_string_equal(id.party, "polisen-boras");
  json_decref(c);
  est_oidc_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape),  cmocka_unit_test(test_header),     cmocka_unit_test(test_algs),
      cmocka_unit_test(test_claims), cmocka_unit_test(test_map_config), cmocka_unit_test(test_map_claims),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
