/* test_core.c - unit tests for the pure core modules: config parsing,
 * ids, UTF-8, request ids, base64url, cursors, sort parameters, problems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/config.h"
#include "estd/cursor.h"
#include "estd/problem.h"
#include "estd/util.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *const *g_env;
static const char *fake_env(const char *name) {
  for (int i = 0; g_env && g_env[i]; i += 2)
    if (strcmp(g_env[i], name) == 0) return g_env[i + 1];
  return NULL;
}

static void test_config_defaults(void **state) {
  (void)state;
  static const char *const env[] = {NULL};
  g_env = env;
  est_config cfg;
  char err[256];
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_OK);
  assert_int_equal(cfg.port, 8080);
  assert_string_equal(cfg.listen_address, "127.0.0.1");
  assert_int_equal(cfg.page_default, 50);
  assert_int_equal(cfg.page_max, 500);
  assert_int_equal((int)cfg.max_body_bytes, 1024 * 1024);
  assert_true(cfg.migrate_on_start);
  assert_null(cfg.kafka_brokers);
  /* availability defaults (docs/OPERATIONS.md "Connections and deadlines") */
  assert_int_equal(cfg.http_max_connections_per_ip, 64);
  assert_int_equal(cfg.http_header_timeout_s, 10);
  assert_int_equal(cfg.http_body_timeout_s, 30);
  assert_int_equal(cfg.http_timeout_s, 30);
  assert_false(cfg.http_reuse_port);
  assert_int_equal(cfg.db_query_timeout_ms, 2000);
  assert_int_equal(cfg.db_intake_timeout_ms, 30000);
  assert_int_equal(cfg.db_tcp_user_timeout_ms, 10000);
  assert_int_equal(cfg.ready_timeout_ms, 1000);
  assert_int_equal(cfg.rate_limit_anon_rps, 5);
  assert_int_equal(cfg.event_max_future_s, 300);
  assert_int_equal(cfg.event_retention_days, 0);
  assert_false(cfg.event_retention_delete);
  assert_int_equal(cfg.dead_letter_retention_days, 90);
  assert_int_equal(cfg.retention_interval_s, 3600);
  est_config_free(&cfg);
}

static void test_config_retention(void **state) {
  (void)state;
  static const char *const env[] = {"ESTD_EVENT_RETENTION_DAYS",
                                    "365",
                                    "ESTD_EVENT_RETENTION_MODE",
                                    "delete",
                                    "ESTD_DEAD_LETTER_RETENTION_DAYS",
                                    "0",
                                    "ESTD_EVENT_MAX_FUTURE_S",
                                    "60",
                                    NULL};
  g_env = env;
  est_config cfg;
  char err[256];
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_OK);
  assert_int_equal(cfg.event_retention_days, 365);
  assert_true(cfg.event_retention_delete);
  assert_int_equal(cfg.dead_letter_retention_days, 0);
  assert_int_equal(cfg.event_max_future_s, 60);
  est_config_free(&cfg);
  static const char *const bad[] = {"ESTD_EVENT_RETENTION_MODE", "burn", NULL};
  g_env = bad;
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_ECONFIG);
  assert_non_null(strstr(err, "ESTD_EVENT_RETENTION_MODE"));
}

/* The Police-feed poller's settings: the minimum interval has a floor of
 * 10 s that only a loopback URL (the tests' recorded server) may go under. */
static void test_config_police_feed(void **state) {
  (void)state;
  est_config cfg;
  char err[512];
  static const char *const none[] = {NULL};
  g_env = none;
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_OK);
  assert_string_equal(cfg.police_feed_url, "https://polisen.se/api/events");
  assert_int_equal(cfg.police_feed_min_interval_ms, EST_POLICE_FEED_MIN_INTERVAL_FLOOR_MS);
  assert_int_equal(cfg.police_feed_interval_s, 300);
  assert_null(cfg.police_feed_contact);
  assert_null(cfg.police_geocode_municipality);
  est_config_free(&cfg);
  static const char *const test[] = {"ESTD_POLICE_FEED_URL", "http://127.0.0.1:5000/api/events",
                                     "ESTD_POLICE_FEED_MIN_INTERVAL_MS", "50", NULL};
  g_env = test;
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_OK);
  assert_int_equal(cfg.police_feed_min_interval_ms, 50);
  est_config_free(&cfg);
  static const char *const remote[] = {"ESTD_POLICE_FEED_MIN_INTERVAL_MS", "9999", NULL};
  g_env = remote;
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_ECONFIG);
  assert_non_null(strstr(err, "ESTD_POLICE_FEED_MIN_INTERVAL_MS"));
  static const char *const plain[] = {"ESTD_POLICE_FEED_URL", "http://polisen.se/api/events", NULL};
  g_env = plain;
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_ECONFIG);
  assert_non_null(strstr(err, "ESTD_POLICE_FEED_URL"));

  static const char *const loop[] = {"http://127.0.0.1/x", "http://127.5.6.7:80/",  "https://localhost:8443/api",
                                     "http://localhost",   "http://[::1]:9000/api", "http://[::1]"};
  for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++)
    if (!est_url_is_loopback(loop[i])) fail_msg("%s is loopback", loop[i]);
  static const char *const notloop[] = {"https://polisen.se/api/events",
                                        "http://127.0.0.1.example.org/",
                                        "http://localhost.example.org/",
                                        "http://user@127.0.0.1@example.org/",
                                        "http://127.0.0.1@example.org/",
                                        "ftp://127.0.0.1/",
                                        "http://[::2]/",
                                        "http://[::1",
                                        "http://128.0.0.1/",
                                        "127.0.0.1",
                                        NULL};
  for (size_t i = 0; notloop[i]; i++)
    if (est_url_is_loopback(notloop[i])) fail_msg("%s is not loopback", notloop[i]);
  assert_false(est_url_is_loopback(NULL));
}

static void test_config_overrides(void **state) {
  (void)state;
  static const char *const env[] = {"ESTD_PORT",
                                    "9999",
                                    "ESTD_MIGRATE_ON_START",
                                    "no",
                                    "ESTD_LOG_LEVEL",
                                    "debug",
                                    "ESTD_KAFKA_BROKERS",
                                    "127.0.0.1:19092",
                                    "ESTD_MAX_BODY_KIB",
                                    "4",
                                    NULL};
  g_env = env;
  est_config cfg;
  char err[256];
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_OK);
  assert_int_equal(cfg.port, 9999);
  assert_false(cfg.migrate_on_start);
  assert_int_equal(cfg.log_level, 0);
  assert_string_equal(cfg.kafka_brokers, "127.0.0.1:19092");
  assert_int_equal((int)cfg.max_body_bytes, 4096);
  est_config_free(&cfg);
}

static void expect_config_error(const char *name, const char *value) {
  const char *env[] = {name, value, NULL};
  g_env = env;
  est_config cfg;
  char err[256];
  assert_int_equal(est_config_load(&cfg, fake_env, err, sizeof err), EST_ECONFIG);
  assert_non_null(strstr(err, name)); /* the one line names the variable */
  assert_null(strchr(err, '\n'));
}

static void test_config_errors(void **state) {
  (void)state;
  expect_config_error("ESTD_PORT", "abc");
  expect_config_error("ESTD_PORT", "70000");
  expect_config_error("ESTD_PORT", "80x");
  expect_config_error("ESTD_DB_POOL_SIZE", "0");
  expect_config_error("ESTD_LOG_LEVEL", "loud");
  expect_config_error("ESTD_MIGRATE_ON_START", "maybe");
  expect_config_error("ESTD_LISTEN_ADDRESS", "localhost:80");
  expect_config_error("ESTD_HTTP_REUSE_PORT", "sometimes");
  expect_config_error("ESTD_HTTP_MAX_CONNECTIONS_PER_IP", "-1");
  expect_config_error("ESTD_HTTP_HEADER_TIMEOUT_S", "0");
  expect_config_error("ESTD_DB_QUERY_TIMEOUT_MS", "50");
  expect_config_error("ESTD_READY_TIMEOUT_MS", "1x");
}

static void test_parse_id(void **state) {
  (void)state;
  long long v;
  assert_int_equal(est_parse_id("1", &v), EST_OK);
  assert_int_equal(v, 1);
  assert_int_equal(est_parse_id("9223372036854775807", &v), EST_OK);
  assert_int_equal(est_parse_id("9223372036854775808", &v), EST_EINVAL);
  assert_int_equal(est_parse_id("0", &v), EST_EINVAL);
  assert_int_equal(est_parse_id("-1", &v), EST_EINVAL);
  assert_int_equal(est_parse_id("+1", &v), EST_EINVAL);
  assert_int_equal(est_parse_id(" 1", &v), EST_EINVAL);
  assert_int_equal(est_parse_id("1'", &v), EST_EINVAL);
  assert_int_equal(est_parse_id("", &v), EST_EINVAL);
}

static void test_utf8(void **state) {
  (void)state;
  assert_true(est_utf8_valid("Borås Hässleholmen", strlen("Borås Hässleholmen")));
  assert_true(est_utf8_valid("\xF0\x9F\x98\x80", 4));  /* U+1F600 */
  assert_false(est_utf8_valid("\xC3", 1));             /* truncated */
  assert_false(est_utf8_valid("\xC0\xAF", 2));         /* overlong */
  assert_false(est_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
  assert_false(est_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
  assert_false(est_utf8_valid("a\xFF", 2));
}

static void test_request_id(void **state) {
  (void)state;
  assert_true(est_request_id_valid("abc-123_X.y:z"));
  assert_false(est_request_id_valid(""));
  assert_false(est_request_id_valid("has space"));
  assert_false(est_request_id_valid("quote\"inject"));
  char long_id[80];
  memset(long_id, 'a', 65);
  long_id[65] = '\0';
  assert_false(est_request_id_valid(long_id));
  char a[40], b[40];
  est_request_id_generate(a, sizeof a);
  est_request_id_generate(b, sizeof b);
  assert_int_equal(strlen(a), 32);
  assert_true(est_request_id_valid(a));
  assert_string_not_equal(a, b);
}

static void test_b64url_roundtrip(void **state) {
  (void)state;
  const char *inputs[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd"};
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    char *enc = est_b64url_encode((const unsigned char *)inputs[i], strlen(inputs[i]));
    assert_non_null(enc);
    assert_null(strchr(enc, '='));
    assert_null(strchr(enc, '+'));
    assert_null(strchr(enc, '/'));
    size_t len;
    unsigned char *dec = est_b64url_decode(enc, &len);
    assert_non_null(dec);
    assert_int_equal(len, strlen(inputs[i]));
    assert_memory_equal(dec, inputs[i], len);
    free(enc);
    free(dec);
  }
  size_t len;
  assert_null(est_b64url_decode("ab$d", &len));
  assert_null(est_b64url_decode("a", &len));
}

static void test_cursor(void **state) {
  (void)state;
  char *c = est_cursor_encode("-created_at", "2026-01-01 10:00:00+00", 42);
  assert_non_null(c);
  est_cursor cur;
  assert_int_equal(est_cursor_decode(c, "-created_at", &cur), EST_OK);
  assert_string_equal(cur.value, "2026-01-01 10:00:00+00");
  assert_int_equal(cur.id, 42);
  /* bound to its sort, direction included */
  assert_int_equal(est_cursor_decode(c, "created_at", &cur), EST_EINVAL);
  free(c);
  assert_int_equal(est_cursor_decode("not a cursor", "id", &cur), EST_EINVAL);
  assert_int_equal(est_cursor_decode("e30", "id", &cur), EST_EINVAL); /* "{}" */
}

static void test_sort_parse(void **state) {
  (void)state;
  static const char *const sorts[] = {"id", "name", NULL};
  int idx;
  bool desc;
  assert_int_equal(est_sort_parse(NULL, sorts, &idx, &desc), EST_OK);
  assert_int_equal(idx, 0);
  assert_false(desc);
  assert_int_equal(est_sort_parse("-name", sorts, &idx, &desc), EST_OK);
  assert_int_equal(idx, 1);
  assert_true(desc);
  assert_int_equal(est_sort_parse("title", sorts, &idx, &desc), EST_EINVAL);
  assert_int_equal(est_sort_parse("--id", sorts, &idx, &desc), EST_EINVAL);
}

static void test_sort_parse_one_direction(void **state) {
  (void)state;
  static const char *const fixed[] = {"-id", NULL};
  int idx = 9;
  bool desc = false;
  assert_int_equal(est_sort_parse(NULL, fixed, &idx, &desc), EST_OK); /* the default is the one order */
  assert_int_equal(idx, 0);
  assert_true(desc);
  assert_int_equal(est_sort_parse("-id", fixed, &idx, &desc), EST_OK);
  assert_true(desc);
  assert_int_equal(est_sort_parse("id", fixed, &idx, &desc), EST_EINVAL);
  assert_int_equal(est_sort_parse("--id", fixed, &idx, &desc), EST_EINVAL);
  static const char *const mixed[] = {"name", "-created_at", NULL};
  assert_int_equal(est_sort_parse(NULL, mixed, &idx, &desc), EST_OK);
  assert_false(desc);
  assert_int_equal(est_sort_parse("-created_at", mixed, &idx, &desc), EST_OK);
  assert_int_equal(idx, 1);
  assert_int_equal(est_sort_parse("created_at", mixed, &idx, &desc), EST_EINVAL);
  assert_int_equal(est_sort_parse("-name", mixed, &idx, &desc), EST_OK);
  assert_int_equal(idx, 0);
  assert_true(desc);
}

static bool mt_is(const char *v, const char *want) { return est_media_type_is(v, v ? strlen(v) : 0, want); }
static bool mt_json(const char *v) { return est_media_type_is_json(v, v ? strlen(v) : 0); }

static void test_media_type(void **state) {
  (void)state;
  assert_true(mt_is("application/json", "application/json"));
  assert_true(mt_is("Application/JSON; charset=utf-8", "application/json"));
  assert_true(mt_is("application/json \t;charset=utf-8", "application/json"));
  assert_false(mt_is("application/jsonx", "application/json"));
  assert_false(mt_is("application/jso", "application/json"));
  assert_false(mt_is(" application/json", "application/json")); /* no leading white space */
  assert_false(mt_is(NULL, "application/json"));
  assert_false(mt_is("", "application/json"));
  /* not NUL-terminated: only len bytes count, a NUL inside does not end it */
  assert_true(est_media_type_is("application/jsonXYZ", 16, "application/json"));
  assert_false(est_media_type_is("application/json\0x", 18, "application/json"));
  assert_int_equal(est_media_type_len("text/csv ; q=1", 14), 8);
  assert_true(mt_json("application/json"));
  assert_true(mt_json("application/cloudevents+json; charset=utf-8"));
  assert_true(mt_json("APPLICATION/MERGE-PATCH+JSON"));
  assert_false(mt_json("application/+json")); /* no subtype before +json */
  assert_false(mt_json("text/json"));
  assert_false(mt_json("application/json-seq"));
  assert_false(mt_json(NULL));
}

static void test_problem(void **state) {
  (void)state;
  json_t *errors = NULL;
  assert_int_equal(est_problem_add_error(&errors, "/text", "must not be empty"), EST_EINVAL);
  json_t *p = est_problem_new(EST_EINVAL, 422, "validation failed", "/v1/x", errors);
  assert_non_null(p);
  assert_string_equal(json_string_value(json_object_get(p, "type")), "/problems/validation-error");
  assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "errors"), 0), "field")),
                      "/text");
  json_decref(p);
  assert_string_equal(est_problem_slug(EST_EUNAVAILABLE), "service-unavailable");
  assert_string_equal(est_problem_slug(EST_EINTERNAL), "internal-error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_defaults),
      cmocka_unit_test(test_config_retention),
      cmocka_unit_test(test_config_police_feed),
      cmocka_unit_test(test_config_overrides),
      cmocka_unit_test(test_config_errors),
      cmocka_unit_test(test_parse_id),
      cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_request_id),
      cmocka_unit_test(test_b64url_roundtrip),
      cmocka_unit_test(test_cursor),
      cmocka_unit_test(test_sort_parse),
      cmocka_unit_test(test_problem),
      cmocka_unit_test(test_media_type),
      cmocka_unit_test(test_sort_parse_one_direction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
