/* test_auth.c - key tokens, hashing, scopes and the rate limiter (pure
 * parts of the security module; the request path is covered by
 * tests/integration/test_security.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/auth.h"
#include "estd/http.h"
#include "estd/ratelimit.h"

static void test_generate_and_parse(void **state) {
  (void)state;
  char *a = NULL, *b = NULL, pa[EST_KEY_PREFIX_LEN + 1], pb[EST_KEY_PREFIX_LEN + 1], px[EST_KEY_PREFIX_LEN + 1];
  assert_int_equal(est_key_generate(&a, pa), EST_OK);
  assert_int_equal(est_key_generate(&b, pb), EST_OK);
  assert_int_equal(strlen(a), 5 + 12 + 1 + 43);
  assert_true(strncmp(a, "estd_", 5) == 0 && a[17] == '_');
  assert_memory_equal(a + 5, pa, 12);
  assert_string_not_equal(a, b);
  assert_int_equal(est_key_parse(a, px), EST_OK);
  assert_string_equal(px, pa);
  /* Malformed tokens. */
  const char *bad[] = {"",
                       "estd_",
                       "estd_0123456789ab",
                       "xstd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "estd_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "estd_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "estd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "estd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "estd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                       "estd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'A",
                       NULL};
  for (int i = 0; bad[i]; i++) assert_int_equal(est_key_parse(bad[i], px), EST_EINVAL);
  assert_int_equal(est_key_parse("estd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-", px), EST_OK);
  assert_int_equal(est_key_parse(NULL, px), EST_EINVAL);
  free(a);
  free(b);
}

static void test_hash(void **state) {
  (void)state;
  unsigned char h1[EST_KEY_HASH_LEN], h2[EST_KEY_HASH_LEN], h3[EST_KEY_HASH_LEN];
  const char *tok = "estd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  assert_int_equal(est_key_hash("server-secret-one-0123456789abcdef", tok, h1), EST_OK);
  assert_int_equal(est_key_hash("server-secret-one-0123456789abcdef", tok, h2), EST_OK);
  assert_int_equal(est_key_hash("server-secret-two-0123456789abcdef", tok, h3), EST_OK);
  assert_true(est_ct_equal(h1, h2, sizeof h1));
  assert_false(est_ct_equal(h1, h3, sizeof h1));
  /* RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?"). */
  static const unsigned char want[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
                                         0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
                                         0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  assert_int_equal(est_key_hash("Jefe", "what do ya want for nothing?", h1), EST_OK);
  assert_memory_equal(h1, want, 32);
  unsigned char x[4] = {1, 2, 3, 4}, y[4] = {1, 2, 3, 5};
  assert_false(est_ct_equal(x, y, 4));
  assert_true(est_ct_equal(x, y, 3));
}

static void test_secret_check(void **state) {
  (void)state;
  char err[256];
  assert_int_equal(est_key_secret_check(NULL, err, sizeof err), EST_ECONFIG);
  assert_non_null(strstr(err, "ESTD_KEY_SECRET"));
  assert_int_equal(est_key_secret_check("short-secret", err, sizeof err), EST_ECONFIG);
  assert_non_null(strstr(err, "ESTD_KEY_SECRET"));
  assert_null(strstr(err, "short-secret"));
  assert_int_equal(est_key_secret_check("0123456789abcdef0123456789abcdef", err, sizeof err), EST_OK);
  est_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.auth_required = false;
  assert_int_equal(est_auth_config_check(&cfg, err, sizeof err), EST_OK);
  cfg.auth_required = true;
  assert_int_equal(est_auth_config_check(&cfg, err, sizeof err), EST_ECONFIG);
}

static void test_scopes(void **state) {
  (void)state;
  unsigned m;
  char bad[32], buf[128];
  assert_int_equal(est_scopes_parse("read,write-events", &m, bad, sizeof bad), EST_OK);
  assert_int_equal(m, HTTP_SCOPE_READ | HTTP_SCOPE_WRITE_EVENTS);
  assert_int_equal(est_scopes_parse("admin", &m, bad, sizeof bad), EST_OK);
  assert_int_equal(m, HTTP_SCOPE_ADMIN);
  assert_int_equal(est_scopes_parse("read,,admin", &m, bad, sizeof bad), EST_EINVAL);
  assert_int_equal(est_scopes_parse("read,superuser", &m, bad, sizeof bad), EST_EINVAL);
  assert_string_equal(bad, "superuser");
  assert_int_equal(est_scopes_parse("Read", &m, bad, sizeof bad), EST_EINVAL);
  assert_int_equal(est_scopes_parse("", &m, bad, sizeof bad), EST_EINVAL);
  assert_int_equal(est_scopes_parse("read ", &m, bad, sizeof bad), EST_EINVAL);
  est_scopes_format(HTTP_SCOPE_ADMIN | HTTP_SCOPE_READ | HTTP_SCOPE_READ_DETAIL | HTTP_SCOPE_WRITE_COMMITMENTS, buf,
                    sizeof buf);
  assert_string_equal(buf, "read,read-detail,write-commitments,admin");
  est_scopes_format(0, buf, sizeof buf);
  assert_string_equal(buf, "");
  est_scopes_format(HTTP_SCOPE_READ | HTTP_SCOPE_READ_DETAIL, buf, 8); /* truncates at a name */
  assert_string_equal(buf, "read");
}

static void test_ratelimit(void **state) {
  (void)state;
  assert_null(est_ratelimit_create(0, 10, 16, NULL));
  int retry = 0;
  assert_true(est_ratelimit_take(NULL, 1, 0, &retry)); /* off */
  est_ratelimit *rl = est_ratelimit_create(2, 3, 64, NULL);
  assert_non_null(rl);
  int64_t t = 1000;
  for (int i = 0; i < 3; i++) assert_true(est_ratelimit_take(rl, 7, t, &retry));
  assert_false(est_ratelimit_take(rl, 7, t, &retry));
  assert_int_equal(retry, 1);                        /* one token needs 0.5 s -> 1 s */
  assert_true(est_ratelimit_take(rl, 8, t, &retry)); /* per key */
  assert_false(est_ratelimit_take(rl, 7, t + 400, &retry));
  assert_true(est_ratelimit_take(rl, 7, t + 500, &retry));
  assert_false(est_ratelimit_take(rl, 7, t + 500, &retry));
  /* Refill is capped at the burst. */
  for (int i = 0; i < 3; i++) assert_true(est_ratelimit_take(rl, 7, t + 100000, &retry));
  assert_false(est_ratelimit_take(rl, 7, t + 100000, &retry));
  est_ratelimit_destroy(rl);

  /* Slow rate: Retry-After rounds up to whole seconds. */
  rl = est_ratelimit_create(1, 1, 8, NULL);
  assert_true(est_ratelimit_take(rl, 1, 0, &retry));
  assert_false(est_ratelimit_take(rl, 1, 0, &retry));
  assert_int_equal(retry, 1);
  assert_false(est_ratelimit_take(rl, 1, 100, &retry));
  assert_int_equal(retry, 1);
  /* A full table recycles the least recently used bucket, never fails. */
  for (long long k = 1; k <= 100; k++) assert_true(est_ratelimit_take(rl, 1000 + k, 10 + k, &retry));
  est_ratelimit_destroy(rl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generate_and_parse), cmocka_unit_test(test_hash),
      cmocka_unit_test(test_secret_check),       cmocka_unit_test(test_scopes),
      cmocka_unit_test(test_ratelimit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
