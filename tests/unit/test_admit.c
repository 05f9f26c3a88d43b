/* test_admit.c - the intake admission policy (domain/admit.c): each rule
 * in order, with injected registry look-ups and clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/admit.h"

/* Registry: parties polisen-boras (1), boras-stad (2); sources
 * (1, "urn:p") and (2, "urn:s"). fail_lookups simulates a store outage. */
static bool fail_lookups;

static est_result party(void *arg, const char *code, long long *id) {
  (void)arg;
  if (fail_lookups) return EST_EUNAVAILABLE;
  if (strcmp(code, "polisen-boras") == 0) *id = 1;
  else if (strcmp(code, "boras-stad") == 0) *id = 2;
  else return EST_ENOTFOUND;
  return EST_OK;
}

static est_result source(void *arg, long long party_id, const char *src) {
  (void)arg;
  if (fail_lookups) return EST_EUNAVAILABLE;
  return (party_id == 1 && strcmp(src, "urn:p") == 0) || (party_id == 2 && strcmp(src, "urn:s") == 0) ? EST_OK
                                                                                                      : EST_ENOTFOUND;
}

static const est_admit_lookup LK = {party, source, NULL, NULL};
#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

static void mk(est_event *ev, const char *party_code, const char *src, const char *when) {
  memset(ev, 0, sizeof *ev);
  ev->id = strdup("e1");
  ev->source = strdup(src);
  ev->party = party_code ? strdup(party_code) : NULL;
  ev->occurred_at = strdup(when);
  ev->attributes = strdup("{}");
  ev->kind = "incident";
}

static est_event_reason run(est_event *ev, const est_admit_policy *p, const char **field) {
  json_t *errors = NULL;
  est_result rc;
  est_event_reason r = est_event_admit(ev, p, &LK, &errors, &rc);
  assert_int_equal(rc, EST_OK);
  static char f[128];
  f[0] = '\0';
  if (errors && json_array_size(errors))
    snprintf(f, sizeof f, "%s", json_string_value(json_object_get(json_array_get(errors, 0), "field")));
  if (field) *field = f;
  assert_true(r == EST_REASON_NONE ? !errors : json_array_size(errors) >= 1); /* one message per refusal */
  json_decref(errors);
  return r;
}

static est_admit_policy kafka(const char *bound) {
  est_admit_policy p = {.bound_code = bound,
                        .bound_enforced = bound != NULL,
                        .channel = "topic t",
                        .redact = true,
                        .now_s = NOW,
                        .max_future_s = 300};
  return p;
}

static void test_topic_binding(void **state) {
  (void)state;
  est_event ev;
  const char *f;
  est_admit_policy p = kafka("polisen-boras");
  mk(&ev, "boras-stad", "urn:s", "2025-12-31T12:00:00+01:00");
  assert_int_equal(run(&ev, &p, &f), EST_REASON_PARTY_MISMATCH);
  assert_string_equal(f, "/party");
  est_event_free(&ev);
  mk(&ev, NULL, "urn:p", "2025-12-31T12:00:00+01:00"); /* missing party: the topic's */
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_NONE);
  assert_string_equal(ev.party, "polisen-boras");
  assert_int_equal(ev.party_id, 1);
  est_event_free(&ev);
  p = kafka(NULL);
  mk(&ev, NULL, "urn:p", "2025-12-31T12:00:00+01:00");
  assert_int_equal(run(&ev, &p, &f), EST_REASON_SCHEMA);
  assert_string_equal(f, "/party");
  est_event_free(&ev);
}

static void test_key_binding(void **state) {
  (void)state;
  est_event ev;
  est_admit_policy p = {
      .bound_id = 2, .bound_enforced = true, .channel = "an API key", .now_s = NOW, .max_future_s = 300};
  mk(&ev, "polisen-boras", "urn:p", "2025-12-31T12:00:00Z");
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_PARTY_MISMATCH);
  est_event_free(&ev);
  mk(&ev, NULL, "urn:s", "2025-12-31T12:00:00Z");
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_NONE);
  assert_int_equal(ev.party_id, 2);
  est_event_free(&ev);
  p.bound_enforced = false; /* admin key of a party: any party */
  mk(&ev, "polisen-boras", "urn:p", "2025-12-31T12:00:00Z");
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_NONE);
  assert_int_equal(ev.party_id, 1);
  est_event_free(&ev);
}

static void test_registry(void **state) {
  (void)state;
  est_event ev;
  const char *f;
  est_admit_policy p = kafka(NULL);
  mk(&ev, "okand-part", "urn:p", "2025-12-31T12:00:00Z");
  assert_int_equal(run(&ev, &p, &f), EST_REASON_UNKNOWN_PARTY);
  assert_string_equal(f, "/party");
  est_event_free(&ev);
  mk(&ev, "boras-stad", "urn:p", "2025-12-31T12:00:00Z"); /* another party's source */
  assert_int_equal(run(&ev, &p, &f), EST_REASON_UNKNOWN_SOURCE);
  assert_string_equal(f, "/source");
  est_event_free(&ev);
  fail_lookups = true;
  mk(&ev, "boras-stad", "urn:s", "2025-12-31T12:00:00Z");
  json_t *errors = NULL;
  est_result rc;
  assert_int_equal(est_event_admit(&ev, &p, &LK, &errors, &rc), EST_REASON_NONE);
  assert_int_equal(rc, EST_EUNAVAILABLE);
  fail_lookups = false;
  json_decref(errors);
  est_event_free(&ev);
}

static void test_screening(void **state) {
  (void)state;
  est_event ev;
  const char *f;
  est_admit_policy http = {.bound_id = 2, .bound_enforced = true, .now_s = NOW, .max_future_s = 300};
  mk(&ev, NULL, "urn:s", "2025-12-31T12:00:00Z");
  free(ev.attributes);
  ev.attributes = strdup("{\"a\":[{\"b\":\"ring 19850709 9805\"}]}");
  assert_int_equal(run(&ev, &http, &f), EST_REASON_PERSONNUMMER);
  assert_string_equal(f, "/data/attributes/a/0/b");
  est_event_free(&ev);
  est_admit_policy k = kafka("boras-stad");
  mk(&ev, NULL, "urn:s", "2025-12-31T12:00:00Z");
  free(ev.attributes);
  ev.attributes = strdup("{\"pnr\":8507099805}");
  ev.description = strdup("se 701063-2391");
  assert_int_equal(run(&ev, &k, NULL), EST_REASON_NONE);
  assert_string_equal(ev.attributes, "{\"pnr\":\"XXXXXXXXXX\"}");
  assert_string_equal(ev.description, "se XXXXXX-XXXX");
  assert_true(ev.flags & EST_EVENT_FLAG_PNR_REDACTED);
  est_event_free(&ev);
  mk(&ev, NULL, "urn:s", "2025-12-31T12:00:00Z");
  free(ev.id);
  ev.id = strdup("850709-9805"); /* an identifier is refused even on Kafka */
  assert_int_equal(run(&ev, &k, &f), EST_REASON_PERSONNUMMER);
  assert_string_equal(f, "/id");
  est_event_free(&ev);
}

static void test_plausible_time(void **state) {
  (void)state;
  est_event ev;
  const char *f;
  est_admit_policy p = kafka("boras-stad");
  mk(&ev, NULL, "urn:s", "2999-01-01T00:00:00Z");
  assert_int_equal(run(&ev, &p, &f), EST_REASON_IMPLAUSIBLE_TIME);
  assert_string_equal(f, "/data/occurred_at");
  est_event_free(&ev);
  mk(&ev, NULL, "urn:s", "2026-01-01T00:05:00Z"); /* exactly max_future_s ahead */
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_NONE);
  est_event_free(&ev);
  mk(&ev, NULL, "urn:s", "2026-01-01T01:05:01+01:00"); /* one second more, other offset */
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_IMPLAUSIBLE_TIME);
  est_event_free(&ev);
  mk(&ev, NULL, "urn:s", "1999-12-31T23:59:59Z");
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_IMPLAUSIBLE_TIME);
  est_event_free(&ev);
  mk(&ev, NULL, "urn:s", "2000-01-01T01:00:00+01:00"); /* the floor itself */
  assert_int_equal(run(&ev, &p, NULL), EST_REASON_NONE);
  est_event_free(&ev);
}

static void test_reason_table(void **state) {
  (void)state;
  size_t n = 0, dl = 0;
  for (const char *const *r = est_event_reasons; *r; r++) n++;
  for (const char *const *r = est_event_dead_letter_reasons; *r; r++) dl++;
  assert_int_equal(n, EST_REASON_DATABASE); /* every enum value but NONE, in enum order */
  for (size_t i = 0; i < n; i++)
    assert_string_equal(est_event_reason_name((est_event_reason)(i + 1)), est_event_reasons[i]);
  assert_int_equal(dl, n - 1); /* all but skipped_summary */
  assert_string_equal(est_event_reason_name(EST_REASON_UNKNOWN_SOURCE), "unknown_source");
  assert_string_equal(est_event_reason_name(EST_REASON_IMPLAUSIBLE_TIME), "implausible_time");
  long long t;
  assert_true(est_rfc3339_epoch("1970-01-01T00:00:00Z", &t) && t == 0);
  assert_true(est_rfc3339_epoch("2026-01-01T01:00:00.123+01:00", &t) && t == NOW);
  assert_true(est_rfc3339_epoch("2000-03-01T00:00:00-00:30", &t) && t == 951868800LL + 1800);
  assert_false(est_rfc3339_epoch("2026-02-30T00:00:00Z", &t));
}

/* The geocoder runs only when the policy turns it on, only for Police-feed
 * events, after the registry; its failure leaves the decision open (rc). */
static int g_geocoded;
static est_result geocode(void *arg, est_event *ev, const char *municipality) {
  (void)arg;
  if (fail_lookups) return EST_EUNAVAILABLE;
  assert_string_equal(municipality, "Borås");
  g_geocoded++;
  ev->precision = "district";
  return EST_OK;
}

static est_result geocode_down(void *arg, est_event *ev, const char *municipality) {
  (void)arg;
  (void)ev;
  (void)municipality;
  return EST_EUNAVAILABLE;
}

static void test_geocoder(void **state) {
  (void)state;
  est_admit_lookup lk = {party, source, NULL, geocode};
  est_admit_policy p = kafka("polisen-boras");
  est_event ev;
  json_t *errors = NULL;
  est_result rc;
  g_geocoded = 0;
  /* off: no call */
  mk(&ev, NULL, "urn:p", "2025-12-31T10:00:00Z");
  ev.flags = EST_EVENT_FLAG_POLICE_FEED;
  ev.precision = "municipality";
  assert_int_equal(est_event_admit(&ev, &p, &lk, &errors, &rc), EST_REASON_NONE);
  assert_int_equal(g_geocoded, 0);
  assert_string_equal(ev.precision, "municipality");
  est_event_free(&ev);
  /* on: Police-feed events only */
  p.geocode = "Borås";
  mk(&ev, NULL, "urn:p", "2025-12-31T10:00:00Z");
  ev.precision = "point";
  assert_int_equal(est_event_admit(&ev, &p, &lk, &errors, &rc), EST_REASON_NONE);
  assert_int_equal(g_geocoded, 0);
  est_event_free(&ev);
  mk(&ev, NULL, "urn:p", "2025-12-31T10:00:00Z");
  ev.flags = EST_EVENT_FLAG_POLICE_FEED;
  ev.precision = "municipality";
  assert_int_equal(est_event_admit(&ev, &p, &lk, &errors, &rc), EST_REASON_NONE);
  assert_int_equal(rc, EST_OK);
  assert_int_equal(g_geocoded, 1);
  assert_string_equal(ev.precision, "district");
  est_event_free(&ev);
  /* not for an event the registry refuses */
  mk(&ev, NULL, "urn:other", "2025-12-31T10:00:00Z");
  ev.flags = EST_EVENT_FLAG_POLICE_FEED;
  assert_int_equal(est_event_admit(&ev, &p, &lk, &errors, &rc), EST_REASON_UNKNOWN_SOURCE);
  assert_int_equal(g_geocoded, 1);
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
  /* the names unavailable: no decision, the caller retries */
  lk.geocode = geocode_down;
  mk(&ev, NULL, "urn:p", "2025-12-31T10:00:00Z");
  ev.flags = EST_EVENT_FLAG_POLICE_FEED;
  assert_int_equal(est_event_admit(&ev, &p, &lk, &errors, &rc), EST_REASON_NONE);
  assert_int_equal(rc, EST_EUNAVAILABLE);
  assert_null(errors);
  est_event_free(&ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_topic_binding), cmocka_unit_test(test_key_binding),    cmocka_unit_test(test_registry),
      cmocka_unit_test(test_screening),     cmocka_unit_test(test_plausible_time), cmocka_unit_test(test_reason_table),
      cmocka_unit_test(test_geocoder),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
