/* test_pacer.c - unit tests for the API call pacer (domain/pacer.c): the
 * polisen.se rules (10 s apart, 60 an hour, Retry-After, backoff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "estd/pacer.h"

#define S 1000LL

static void test_min_interval(void **state) {
  (void)state;
  est_pacer p;
  est_pacer_init(&p, 10 * S, 60);
  assert_int_equal(est_pacer_next(&p, 1000 * S), 1000 * S); /* nothing yet: now */
  est_pacer_called(&p, 1000 * S);
  assert_int_equal(est_pacer_next(&p, 1000 * S), 1010 * S);
  assert_int_equal(est_pacer_next(&p, 1005 * S), 1010 * S);
  assert_int_equal(est_pacer_next(&p, 1011 * S), 1011 * S);
  assert_int_equal(est_pacer_answer(&p, 1001 * S, 200, -1), 0);
}

/* 60 calls 10 s apart fill the hour in 10 minutes; the 61st waits until
 * the first is an hour old, and the window slides from there. */
static void test_sixty_an_hour(void **state) {
  (void)state;
  est_pacer p;
  est_pacer_init(&p, 10 * S, 60);
  long long t = 0;
  for (int i = 0; i < 60; i++) {
    t = est_pacer_next(&p, t);
    assert_int_equal(t, i * 10 * S);
    est_pacer_called(&p, t);
  }
  assert_int_equal(est_pacer_next(&p, t), EST_PACER_HOUR_MS); /* call 0 at 0 s */
  est_pacer_called(&p, EST_PACER_HOUR_MS);
  assert_int_equal(est_pacer_next(&p, EST_PACER_HOUR_MS), EST_PACER_HOUR_MS + 10 * S); /* call 1 at 10 s */
  /* at no instant more than 60 calls in the hour before it */
  est_pacer_init(&p, 10 * S, 60);
  long long at[200];
  t = 0;
  for (int i = 0; i < 200; i++) {
    t = est_pacer_next(&p, t + 1);
    at[i] = t;
    est_pacer_called(&p, t);
    int n = 0;
    for (int j = 0; j <= i; j++) n += at[j] > t - EST_PACER_HOUR_MS;
    assert_true(n <= 60);
    if (i) assert_true(at[i] - at[i - 1] >= 10 * S);
  }
  /* a smaller cap and the clamp */
  est_pacer_init(&p, 0, 1000);
  assert_int_equal(p.max_per_hour, EST_PACER_MAX_CALLS);
}

static void test_retry_after_and_backoff(void **state) {
  (void)state;
  est_pacer p;
  est_pacer_init(&p, 10 * S, 60);
  est_pacer_called(&p, 0);
  /* 429 with Retry-After: 120 -> not before 120 s after the answer */
  assert_int_equal(est_pacer_answer(&p, 1 * S, 429, 120), 120 * S);
  assert_int_equal(est_pacer_next(&p, 2 * S), 121 * S);
  /* a shorter Retry-After never undercuts the minimum interval */
  est_pacer_init(&p, 10 * S, 60);
  est_pacer_called(&p, 0);
  est_pacer_answer(&p, 0, 429, 1);
  assert_int_equal(est_pacer_next(&p, 0), 10 * S);
  /* 429 without Retry-After, 5xx, no answer: 60 s, 120 s, 240 s ... capped at an hour */
  est_pacer_init(&p, 10 * S, 60);
  assert_int_equal(est_pacer_answer(&p, 0, 429, -1), 60 * S);
  assert_int_equal(est_pacer_answer(&p, 0, 503, -1), 120 * S);
  assert_int_equal(est_pacer_answer(&p, 0, 0, -1), 240 * S);
  for (int i = 0; i < 20; i++) est_pacer_answer(&p, 0, 500, -1);
  assert_int_equal(est_pacer_answer(&p, 0, 500, -1), EST_PACER_HOUR_MS);
  /* success resets the backoff; 404 is not a failure to back off from (it is final: the caller stops) */
  assert_int_equal(est_pacer_answer(&p, 0, 200, -1), 0);
  assert_int_equal(est_pacer_answer(&p, 0, 500, -1), 60 * S);
  assert_int_equal(est_pacer_answer(&p, 0, 404, -1), 0);
  /* an absurd Retry-After is capped at a day */
  est_pacer_init(&p, 10 * S, 60);
  assert_int_equal(est_pacer_answer(&p, 0, 429, 10LL * 365 * 86400), 86400 * S);
}

/* Replaying a log after a restart: the same decisions. */
static void test_replay(void **state) {
  (void)state;
  est_pacer p;
  est_pacer_init(&p, 10 * S, 60);
  est_pacer_called(&p, 100 * S);
  est_pacer_answer(&p, 100 * S, 429, 300);
  assert_int_equal(est_pacer_next(&p, 150 * S), 400 * S);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_min_interval),
      cmocka_unit_test(test_sixty_an_hour),
      cmocka_unit_test(test_retry_after_and_backoff),
      cmocka_unit_test(test_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
