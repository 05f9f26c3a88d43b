/* test_event.c - unit tests for CloudEvents parsing and validation
 * (domain/event.c): structured and binary mode, every reason code, the
 * location forms, patrol tracks, RFC 3339, personnummer screening, topic
 * bindings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/event.h"

#define INCIDENT                                                                                                     \
  "{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"urn:est:test\",\"type\":\"se.est.incident.v1\","             \
  "\"party\":\"polisen-boras\",\"time\":\"2024-05-01T21:30:00+02:00\",\"datacontenttype\":\"application/json\","     \
  "\"data\":{\"category\":\"skadegorelse\",\"location\":{\"lat\":57.738,\"lon\":12.975,\"name\":\"Hässleholmen\"}," \
  "\"description\":\"Krossad ruta\",\"attributes\":{\"n\":1}}}"

/* Parses a structured JSON text; returns the reason, leaves ev/errors for checks. */
static est_event_reason parse(const char *text, est_event *ev, json_t **errors) {
  memset(ev, 0, sizeof *ev);
  *errors = NULL;
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  assert_non_null(j);
  est_event_reason r = est_event_from_json(j, ev, errors);
  json_decref(j);
  return r;
}

/* First error field, or "". */
static const char *first_field(json_t *errors) {
  const char *f = json_string_value(json_object_get(json_array_get(errors, 0), "field"));
  return f ? f : "";
}

/* Replaces the first occurrence of from with to in INCIDENT. */
static char *variant(const char *from, const char *to) {
  const char *base = INCIDENT;
  const char *p = strstr(base, from);
  assert_non_null(p);
  size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
  return out;
}

static void expect_reason(const char *from, const char *to, est_event_reason want, const char *field) {
  char *t = variant(from, to);
  est_event ev;
  json_t *errors;
  est_event_reason r = parse(t, &ev, &errors);
  if (r != want) fail_msg("%s -> %s: got %s want %s", from, to, est_event_reason_name(r), est_event_reason_name(want));
  if (field) assert_string_equal(first_field(errors), field);
  json_decref(errors);
  est_event_free(&ev);
  free(t);
}

static void test_structured_incident(void **state) {
  (void)state;
  est_event ev;
  json_t *errors;
  assert_int_equal(parse(INCIDENT, &ev, &errors), EST_REASON_NONE);
  assert_null(errors);
  assert_string_equal(ev.id, "e-1");
  assert_string_equal(ev.source, "urn:est:test");
  assert_string_equal(ev.kind, "incident");
  assert_string_equal(ev.category, "skadegorelse");
  assert_string_equal(ev.party, "polisen-boras");
  assert_string_equal(ev.occurred_at, "2024-05-01T21:30:00+02:00"); /* CloudEvents time as fallback */
  assert_int_equal(ev.srid, 4326);
  assert_true(ev.x == 12.975 && ev.y == 57.738);
  assert_string_equal(ev.place_name, "Hässleholmen");
  assert_string_equal(ev.description, "Krossad ruta");
  assert_string_equal(ev.attributes, "{\"n\":1}");
  assert_int_equal(ev.duration_s, -1);
  est_event_free(&ev);
}

static void test_reasons(void **state) {
  (void)state;
  expect_reason("\"specversion\":\"1.0\"", "\"specversion\":\"0.3\"", EST_REASON_NOT_CLOUDEVENT, "/specversion");
  expect_reason("\"specversion\":\"1.0\",", "", EST_REASON_NOT_CLOUDEVENT, "/specversion");
  expect_reason("\"id\":\"e-1\"", "\"id\":\"\"", EST_REASON_SCHEMA, "/id");
  expect_reason("\"id\":\"e-1\"", "\"id\":7", EST_REASON_SCHEMA, "/id");
  expect_reason("\"source\":\"urn:est:test\"", "\"source\":\"has space\"", EST_REASON_SCHEMA, "/source");
  expect_reason("se.est.incident.v1", "se.est.weather.v1", EST_REASON_UNSUPPORTED_TYPE, "/type");
  expect_reason("\"time\":\"2024-05-01T21:30:00+02:00\"", "\"time\":\"2024-05-01 21:30\"", EST_REASON_SCHEMA, "/time");
  expect_reason("application/json", "text/xml", EST_REASON_SCHEMA, "/datacontenttype");
  expect_reason("\"party\":\"polisen-boras\"", "\"party\":\"Polisen Borås\"", EST_REASON_SCHEMA, "/party");
  expect_reason("skadegorelse", "spoken", EST_REASON_UNKNOWN_CATEGORY, "/data/category");
  expect_reason("\"category\":\"skadegorelse\",", "", EST_REASON_SCHEMA, "/data/category");
  expect_reason("\"lat\":57.738", "\"lat\":97.1", EST_REASON_BAD_COORDINATES, "/data/location/lat");
  expect_reason("\"lon\":12.975", "\"lon\":-181", EST_REASON_BAD_COORDINATES, "/data/location/lon");
  expect_reason("\"lat\":57.738,", "", EST_REASON_BAD_COORDINATES, "/data/location");
  expect_reason("\"lat\":57.738", "\"lat\":\"57.7\"", EST_REASON_BAD_COORDINATES, "/data/location");
  expect_reason("\"lat\":57.738,\"lon\":12.975", "\"crs\":\"EPSG:3006\",\"easting\":12.9,\"northing\":57.7",
                EST_REASON_BAD_COORDINATES, "/data/location/easting");
  expect_reason("\"lat\":57.738,\"lon\":12.975", "\"crs\":\"EPSG:2400\",\"easting\":1,\"northing\":2",
                EST_REASON_BAD_COORDINATES, "/data/location/crs");
  expect_reason("\"description\":\"Krossad ruta\"", "\"description\":5", EST_REASON_SCHEMA, "/data/description");
  expect_reason("\"attributes\":{\"n\":1}", "\"attributes\":[1]", EST_REASON_SCHEMA, "/data/attributes");
  expect_reason("\"attributes\"", "\"colour\"", EST_REASON_SCHEMA, "/data/colour");
  expect_reason("\"category\":\"skadegorelse\",", "\"duration_s\":5,\"category\":\"skadegorelse\",", EST_REASON_SCHEMA,
                "/data/duration_s");
  /* no time and no occurred_at */
  expect_reason("\"time\":\"2024-05-01T21:30:00+02:00\",", "", EST_REASON_SCHEMA, "/data/occurred_at");
  /* data must be an object */
  est_event ev;
  json_t *errors;
  assert_int_equal(parse("{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"s\",\"type\":\"se.est.incident.v1\","
                         "\"data\":[1]}",
                         &ev, &errors),
                   EST_REASON_SCHEMA);
  assert_string_equal(first_field(errors), "/data");
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(parse("[1,2]", &ev, &errors), EST_REASON_NOT_CLOUDEVENT);
  json_decref(errors);
  est_event_free(&ev);
}

static void test_long_description(void **state) {
  (void)state;
  /* 4000 characters of 'å' (2 bytes each) is fine, 4001 is not. */
  for (int n = 4000; n <= 4001; n++) {
    size_t len = (size_t)n * 2;
    char *d = malloc(len + 3);
    d[0] = '"';
    for (int i = 0; i < n; i++) memcpy(d + 1 + 2 * i, "\xc3\xa5", 2);
    d[len + 1] = '"';
    d[len + 2] = '\0';
    char *t = variant("\"Krossad ruta\"", d);
    est_event ev;
    json_t *errors;
    assert_int_equal(parse(t, &ev, &errors), n == 4000 ? EST_REASON_NONE : EST_REASON_SCHEMA);
    json_decref(errors);
    est_event_free(&ev);
    free(t);
    free(d);
  }
}

static void test_sweref_and_place_only(void **state) {
  (void)state;
  est_event ev;
  json_t *errors;
  char *t =
      variant("\"lat\":57.738,\"lon\":12.975", "\"crs\":\"EPSG:3006\",\"easting\":377297.4,\"northing\":6399402.8");
  assert_int_equal(parse(t, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(ev.srid, 3006);
  assert_true(ev.x == 377297.4 && ev.y == 6399402.8);
  est_event_free(&ev);
  free(t);
  t = variant("\"lat\":57.738,\"lon\":12.975", "\"crs\":\"EPSG:3008\",\"easting\":116627.7,\"northing\":6400235.5");
  assert_int_equal(parse(t, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(ev.srid, 3008);
  est_event_free(&ev);
  free(t);
  t = variant("\"lat\":57.738,\"lon\":12.975,", "");
  assert_int_equal(parse(t, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(ev.srid, 0);
  assert_string_equal(ev.place_name, "Hässleholmen");
  est_event_free(&ev);
  free(t);
  t = variant("\"lat\":57.738,\"lon\":12.975,\"name\":\"Hässleholmen\"", "");
  assert_int_equal(parse(t, &ev, &errors), EST_REASON_SCHEMA);
  json_decref(errors);
  est_event_free(&ev);
  free(t);
}

static void test_patrol_and_activity(void **state) {
  (void)state;
  est_event ev;
  json_t *errors;
  assert_int_equal(parse("{\"specversion\":\"1.0\",\"id\":\"p\",\"source\":\"s\",\"type\":\"se.est.patrol.v1\","
                         "\"data\":{\"occurred_at\":\"2024-05-01T22:00:00Z\",\"duration_s\":3600,"
                         "\"track\":{\"type\":\"LineString\",\"coordinates\":[[12.97,57.73],[12.98,57.735,3]]}}}",
                         &ev, &errors),
                   EST_REASON_NONE);
  assert_string_equal(ev.kind, "patrol");
  assert_null(ev.category);
  assert_int_equal(ev.duration_s, 3600);
  assert_non_null(strstr(ev.track, "\"LineString\""));
  assert_null(ev.party);
  est_event_free(&ev);
  assert_int_equal(parse("{\"specversion\":\"1.0\",\"id\":\"p\",\"source\":\"s\",\"type\":\"se.est.patrol.v1\","
                         "\"data\":{\"occurred_at\":\"2024-05-01T22:00:00Z\","
                         "\"track\":{\"type\":\"LineString\",\"coordinates\":[[12.97,57.73],[182,57.735]]}}}",
                         &ev, &errors),
                   EST_REASON_BAD_COORDINATES);
  assert_string_equal(first_field(errors), "/data/track/coordinates/1");
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(parse("{\"specversion\":\"1.0\",\"id\":\"p\",\"source\":\"s\",\"type\":\"se.est.patrol.v1\","
                         "\"data\":{\"occurred_at\":\"2024-05-01T22:00:00Z\",\"duration_s\":700000}}",
                         &ev, &errors),
                   EST_REASON_SCHEMA);
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(
      parse("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"se.est.activity.v1\","
            "\"data\":{\"occurred_at\":\"2024-05-01T18:00:00+02:00\",\"activity_type\":\"natverksgrupp\"}}",
            &ev, &errors),
      EST_REASON_NONE);
  assert_string_equal(ev.activity_type, "natverksgrupp");
  est_event_free(&ev);
  assert_int_equal(parse("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"se.est.activity.v1\","
                         "\"data\":{\"occurred_at\":\"2024-05-01T18:00:00+02:00\",\"activity_type\":\"fika\"}}",
                         &ev, &errors),
                   EST_REASON_SCHEMA);
  assert_string_equal(first_field(errors), "/data/activity_type");
  json_decref(errors);
  est_event_free(&ev);
}

static void test_rfc3339(void **state) {
  (void)state;
  assert_true(est_rfc3339_valid("2024-05-01T21:30:00+02:00"));
  assert_true(est_rfc3339_valid("2024-05-01T21:30:00Z"));
  assert_true(est_rfc3339_valid("2024-05-01t21:30:00.123456789z"));
  assert_true(est_rfc3339_valid("2024-02-29T00:00:00-05:00"));
  assert_false(est_rfc3339_valid("2023-02-29T00:00:00Z"));
  assert_false(est_rfc3339_valid("2024-05-01T21:30:00"));  /* no offset */
  assert_false(est_rfc3339_valid("2024-05-01 21:30:00Z")); /* space */
  assert_false(est_rfc3339_valid("2024-13-01T21:30:00Z"));
  assert_false(est_rfc3339_valid("2024-05-01T24:00:00Z"));
  assert_false(est_rfc3339_valid("2024-05-01T23:59:60Z"));
  assert_false(est_rfc3339_valid("0000-05-01T21:30:00Z"));
  assert_false(est_rfc3339_valid("2024-05-01T21:30:00+2:00"));
  assert_false(est_rfc3339_valid("2024-05-01T21:30:00.Z"));
  assert_false(est_rfc3339_valid(NULL));
}

static void test_binary_mode(void **state) {
  (void)state;
  const char *data = "{\"category\":\"brand\",\"occurred_at\":\"2024-05-01T21:30:00Z\"}";
  est_event_header h[] = {{"ce_specversion", "1.0", 3},   {"ce_id", "b-1", 3},
                          {"ce_source", "urn:bin", 7},    {"ce_type", "se.est.incident.v1", 18},
                          {"ce_party", "boras-stad", 10}, {"content-type", "application/json", 16},
                          {"traceparent", "00-abc", 6}};
  est_event ev;
  memset(&ev, 0, sizeof ev);
  json_t *errors = NULL;
  assert_int_equal(est_event_from_message(data, strlen(data), h, 7, &ev, &errors), EST_REASON_NONE);
  assert_string_equal(ev.id, "b-1");
  assert_string_equal(ev.source, "urn:bin");
  assert_string_equal(ev.party, "boras-stad");
  assert_string_equal(ev.category, "brand");
  est_event_free(&ev);
  /* data is not JSON: id and source are still reported */
  assert_int_equal(est_event_from_message("<x/>", 4, h, 7, &ev, &errors), EST_REASON_NOT_JSON);
  assert_string_equal(ev.id, "b-1");
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
  /* non-UTF-8 header value */
  est_event_header bad[] = {{"ce_specversion", "1.0", 3}, {"ce_id", "\xff\xfe", 2}};
  assert_int_equal(est_event_from_message(data, strlen(data), bad, 2, &ev, &errors), EST_REASON_SCHEMA);
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
}

/* HTTP binding binary mode: ce-* headers (percent-decoded), the body is
 * data; and how POST /v1/events picks the mode from the media type. */
static void test_http_binary_mode(void **state) {
  (void)state;
  const char *data = "{\"category\":\"brand\",\"occurred_at\":\"2024-05-01T21:30:00Z\"}";
  est_event_header h[] = {{"Ce-Specversion", "1.0", 3},
                          {"ce-id", "b%C3%A5-1", 9},
                          {"ce-source", "urn:bin", 7},
                          {"ce-type", "se.est.incident.v1", 18},
                          {"ce-party", "boras-stad", 10},
                          {"Content-Type", "application/json; charset=utf-8", 31},
                          {"ce_id", "kafka-spelling-ignored", 22}};
  est_event ev;
  memset(&ev, 0, sizeof ev);
  json_t *errors = NULL;
  assert_int_equal(est_event_from_http_binary(data, strlen(data), h, 7, &ev, &errors), EST_REASON_NONE);
  assert_string_equal(ev.id, "b\xc3\xa5-1"); /* "bå-1" */
  assert_string_equal(ev.source, "urn:bin");
  assert_string_equal(ev.party, "boras-stad");
  assert_string_equal(ev.category, "brand");
  assert_null(errors);
  est_event_free(&ev);
  /* a malformed escape names the attribute */
  est_event_header badpct[] = {{"ce-specversion", "1.0", 3}, {"ce-id", "x%4", 3}};
  assert_int_equal(est_event_from_http_binary(data, strlen(data), badpct, 2, &ev, &errors), EST_REASON_SCHEMA);
  assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "/id");
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
  /* a decoded NUL is not text */
  est_event_header nul[] = {{"ce-specversion", "1.0", 3}, {"ce-id", "a%00", 4}};
  assert_int_equal(est_event_from_http_binary(data, strlen(data), nul, 2, &ev, &errors), EST_REASON_SCHEMA);
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
  /* data must be JSON, declared as application/json */
  est_event_header xml[] = {{"ce-specversion", "1.0", 3}, {"ce-id", "x", 1}, {"content-type", "text/xml", 8}};
  assert_int_equal(est_event_from_http_binary("<x/>", 4, xml, 3, &ev, &errors), EST_REASON_SCHEMA);
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
  assert_int_equal(est_event_from_http_binary("<x/>", 4, h, 6, &ev, &errors), EST_REASON_NOT_JSON);
  assert_string_equal(ev.id, "b\xc3\xa5-1");
  json_decref(errors);
  errors = NULL;
  est_event_free(&ev);
  /* the Kafka binding does not percent-decode */
  est_event_header k[] = {{"ce_specversion", "1.0", 3},
                          {"ce_id", "a%41", 4},
                          {"ce_source", "urn:bin", 7},
                          {"ce_type", "se.est.incident.v1", 18}};
  assert_int_equal(est_event_from_message(data, strlen(data), k, 4, &ev, &errors), EST_REASON_NONE);
  assert_string_equal(ev.id, "a%41");
  est_event_free(&ev);

  assert_int_equal(est_event_http_mode(NULL, false), EST_HTTP_CE_UNSUPPORTED);
  assert_int_equal(est_event_http_mode(NULL, true), EST_HTTP_CE_BINARY); /* the SDK without datacontenttype */
  assert_int_equal(est_event_http_mode("text/plain", false), EST_HTTP_CE_UNSUPPORTED);
  assert_int_equal(est_event_http_mode("application/cloudevents+json; charset=UTF-8", true), EST_HTTP_CE_STRUCTURED);
  assert_int_equal(est_event_http_mode("Application/CloudEvents-Batch+JSON", false), EST_HTTP_CE_BATCH);
  assert_int_equal(est_event_http_mode("application/json", true), EST_HTTP_CE_BINARY);
  assert_int_equal(est_event_http_mode("text/plain", true), EST_HTTP_CE_BINARY); /* refused by the parser */
  assert_int_equal(est_event_http_mode("application/json", false), EST_HTTP_CE_JSON);
}

static void test_structured_messages(void **state) {
  (void)state;
  est_event ev;
  memset(&ev, 0, sizeof ev);
  json_t *errors = NULL;
  est_event_header ct[] = {{"content-type", "application/cloudevents+json; charset=utf-8", 43}};
  assert_int_equal(est_event_from_message(INCIDENT, strlen(INCIDENT), ct, 1, &ev, &errors), EST_REASON_NONE);
  est_event_free(&ev);
  /* no content-type: recognised by specversion */
  assert_int_equal(est_event_from_message(INCIDENT, strlen(INCIDENT), NULL, 0, &ev, &errors), EST_REASON_NONE);
  est_event_free(&ev);
  assert_int_equal(est_event_from_message("{\"a\":1}", 7, NULL, 0, &ev, &errors), EST_REASON_NOT_CLOUDEVENT);
  json_decref(errors);
  errors = NULL;
  assert_int_equal(est_event_from_message("\xff{", 2, NULL, 0, &ev, &errors), EST_REASON_NOT_JSON);
  json_decref(errors);
  errors = NULL;
  assert_int_equal(est_event_from_message("", 0, NULL, 0, &ev, &errors), EST_REASON_NOT_JSON);
  json_decref(errors);
  errors = NULL;
  est_event_header xml[] = {{"content-type", "text/xml", 8}};
  assert_int_equal(est_event_from_message(INCIDENT, strlen(INCIDENT), xml, 1, &ev, &errors), EST_REASON_NOT_CLOUDEVENT);
  json_decref(errors);
  errors = NULL;
  /* duplicate keys are rejected */
  assert_int_equal(
      est_event_from_message("{\"specversion\":\"1.0\",\"specversion\":\"1.0\"}", 42, NULL, 0, &ev, &errors),
      EST_REASON_NOT_JSON);
  json_decref(errors);
  errors = NULL;
  size_t big = EST_EVENT_MAX_BYTES + 1;
  char *b = malloc(big);
  memset(b, ' ', big);
  assert_int_equal(est_event_from_message(b, big, NULL, 0, &ev, &errors), EST_REASON_OVERSIZED);
  free(b);
  json_decref(errors);
  est_event_free(&ev);
}

static void test_personnummer_screen(void **state) {
  (void)state;
  est_event ev;
  json_t *errors;
  char *t = variant("Krossad ruta", "Vittne 811218-9876 ringde");
  assert_int_equal(parse(t, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(est_event_screen(&ev, false, &errors), EST_REASON_PERSONNUMMER);
  assert_string_equal(first_field(errors), "/data/description");
  json_decref(errors);
  errors = NULL;
  assert_int_equal(est_event_screen(&ev, true, &errors), EST_REASON_NONE);
  assert_string_equal(ev.description, "Vittne XXXXXX-XXXX ringde");
  assert_true(ev.flags & EST_EVENT_FLAG_PNR_REDACTED);
  const char *names[4];
  assert_int_equal(est_event_flag_names(ev.flags, names), 1);
  assert_string_equal(names[0], "pnr_redacted");
  est_event_free(&ev);
  free(t);
  t = variant("Krossad ruta", "Ordernummer 8112189876123");
  assert_int_equal(parse(t, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(est_event_screen(&ev, false, &errors), EST_REASON_NONE);
  est_event_free(&ev);
  free(t);
}

static void test_topic_bindings(void **state) {
  (void)state;
  char p[64];
  const char *spec = "est.polisen=polisen-boras, est.bostader = ab-bostader";
  assert_true(est_topic_parties_valid(spec));
  assert_true(est_topic_bound_party(spec, "est.polisen", p, sizeof p));
  assert_string_equal(p, "polisen-boras");
  assert_true(est_topic_bound_party(spec, "est.bostader", p, sizeof p));
  assert_string_equal(p, "ab-bostader");
  assert_false(est_topic_bound_party(spec, "est.events", p, sizeof p));
  assert_false(est_topic_bound_party(NULL, "est.events", p, sizeof p));
  assert_true(est_topic_parties_valid(NULL));
  assert_false(est_topic_parties_valid("est.polisen"));
  assert_false(est_topic_parties_valid("=x"));
  assert_false(est_topic_parties_valid("a=b,c="));
}

static void test_categories(void **state) {
  (void)state;
  assert_string_equal(est_event_category("klotter"), "klotter");
  assert_null(est_event_category("Klotter"));
  assert_null(est_event_category(NULL));
  int n = 0;
  while (est_event_categories[n]) n++;
  assert_int_equal(n, 14);
  assert_string_equal(est_event_reason_name(EST_REASON_PARTY_MISMATCH), "party_mismatch");
  assert_string_equal(est_event_reason_name(EST_REASON_DATABASE), "rejected_by_database");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_structured_incident), cmocka_unit_test(test_reasons),
      cmocka_unit_test(test_long_description),    cmocka_unit_test(test_sweref_and_place_only),
      cmocka_unit_test(test_patrol_and_activity), cmocka_unit_test(test_rfc3339),
      cmocka_unit_test(test_binary_mode),         cmocka_unit_test(test_http_binary_mode),
      cmocka_unit_test(test_structured_messages), cmocka_unit_test(test_personnummer_screen),
      cmocka_unit_test(test_topic_bindings),      cmocka_unit_test(test_categories),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
