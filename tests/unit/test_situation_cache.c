/* test_situation_cache.c - the situational-picture response cache
 * (estd/situation_cache.h): validity by data version and ticket, keys never
 * mixed, LRU and byte bounds, ETags, single flight across threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "estd/situation_cache.h"

static void fill(est_scache *c, const char *key, uint64_t flight, const char *ver, const char *body) {
  char etag[24];
  est_scache_etag(body, strlen(body), etag);
  est_scache_fill(c, key, flight, ver, body, strlen(body), etag, 0, NULL);
}

#define expect_hit(c, k, v, b) expect_hit_at(c, k, v, b, __LINE__)
static void expect_hit_at(est_scache *c, const char *key, const char *ver, const char *body, int line) {
  est_scache_body b;
  uint64_t f;
  if (est_scache_begin(c, key, ver, est_scache_ticket(c), 0, &b, &f) != EST_SCACHE_HIT)
    fail_msg("no hit for %s at line %d", key, line);
  assert_int_equal(b.len, strlen(body));
  assert_memory_equal(b.body, body, b.len);
  char etag[24];
  est_scache_etag(body, strlen(body), etag);
  assert_string_equal(b.etag, etag);
  free(b.body);
}

static uint64_t expect_miss(est_scache *c, const char *key, const char *ver) {
  est_scache_body b;
  uint64_t f;
  assert_int_equal(est_scache_begin(c, key, ver, est_scache_ticket(c), 0, &b, &f), EST_SCACHE_MISS);
  assert_null(b.body);
  return f;
}

static void test_off(void **state) {
  (void)state;
  assert_null(est_scache_create(0, 1 << 20));
  est_scache_body b;
  uint64_t f = 99;
  assert_int_equal(est_scache_begin(NULL, "k", "v", 0, 0, &b, &f), EST_SCACHE_MISS);
  assert_int_equal(f, 0);
  est_scache_fill(NULL, "k", f, "v", "x", 1, "\"0\"", 0, NULL);
  est_scache_abandon(NULL, "k", f);
}

static void test_version_and_keys(void **state) {
  (void)state;
  est_scache *c = est_scache_create(8, 1 << 20);
  uint64_t f = expect_miss(c, "json|area=1|detail=1|k=0", "v1");
  assert_true(f > 0);
  fill(c, "json|area=1|detail=1|k=0", f, "v1", "{\"detail\":1}");
  expect_hit(c, "json|area=1|detail=1|k=0", "v1", "{\"detail\":1}");
  /* Another privacy class or area never gets that body. */
  f = expect_miss(c, "json|area=1|detail=0|k=3", "v1");
  fill(c, "json|area=1|detail=0|k=3", f, "v1", "{\"detail\":0}");
  expect_hit(c, "json|area=1|detail=0|k=3", "v1", "{\"detail\":0}");
  expect_hit(c, "json|area=1|detail=1|k=0", "v1", "{\"detail\":1}");
  f = expect_miss(c, "json|area=10|detail=1|k=0", "v1"); /* prefix of nothing, not a hit */
  est_scache_abandon(c, "json|area=10|detail=1|k=0", f);
  /* A new data version invalidates; the recomputed body replaces the old. */
  f = expect_miss(c, "json|area=1|detail=1|k=0", "v2");
  fill(c, "json|area=1|detail=1|k=0", f, "v2", "{\"detail\":2}");
  expect_hit(c, "json|area=1|detail=1|k=0", "v2", "{\"detail\":2}");
  /* An older reader (ticket taken before the flight began) with an old version recomputes... */
  uint64_t old_ticket = est_scache_ticket(c);
  f = expect_miss(c, "json|area=1|detail=1|k=0", "v3");
  fill(c, "json|area=1|detail=1|k=0", f, "v3", "{\"detail\":3}");
  /* ...but a result computed after its ticket serves it, whatever version it read. */
  est_scache_body b;
  uint64_t f2;
  assert_int_equal(est_scache_begin(c, "json|area=1|detail=1|k=0", "v2", old_ticket, 0, &b, &f2), EST_SCACHE_HIT);
  assert_memory_equal(b.body, "{\"detail\":3}", b.len);
  free(b.body);
  /* A result computed before the ticket with another version does not. */
  f2 = expect_miss(c, "json|area=1|detail=1|k=0", "v4");
  est_scache_abandon(c, "json|area=1|detail=1|k=0", f2);
  expect_hit(c, "json|area=1|detail=1|k=0", "v3", "{\"detail\":3}"); /* abandon keeps the last body */
  est_scache_destroy(c);
}

static void test_lru_and_bytes(void **state) {
  (void)state;
  est_scache *c = est_scache_create(2, 400);
  fill(c, "a", expect_miss(c, "a", "v"), "v", "AAAA");
  fill(c, "b", expect_miss(c, "b", "v"), "v", "BBBB");
  expect_hit(c, "a", "v", "AAAA");                     /* a is now more recent than b */
  fill(c, "c", expect_miss(c, "c", "v"), "v", "CCCC"); /* evicts b */
  expect_hit(c, "a", "v", "AAAA");
  expect_hit(c, "c", "v", "CCCC");
  uint64_t f = expect_miss(c, "b", "v");
  /* A body over a quarter of the byte budget is served but not kept. */
  char big[200];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  fill(c, "b", f, "v", big);
  f = expect_miss(c, "b", "v");
  est_scache_abandon(c, "b", f);
  /* Byte budget: 5 x 90 bytes > 400 evicts the least recently used. */
  est_scache *d = est_scache_create(8, 400);
  char body[91];
  memset(body, 'y', 90);
  body[90] = '\0';
  const char *keys[] = {"1", "2", "3", "4", "5"};
  for (int i = 0; i < 5; i++) fill(d, keys[i], expect_miss(d, keys[i], "v"), "v", body);
  for (int i = 4; i >= 1; i--) expect_hit(d, keys[i], "v", body);
  est_scache_abandon(d, "1", expect_miss(d, "1", "v"));
  est_scache_destroy(d);
  est_scache_destroy(c);
}

static void test_etag(void **state) {
  (void)state;
  char a[24], b[24];
  est_scache_etag("hello", 5, a);
  est_scache_etag("hellp", 5, b);
  assert_int_equal(strlen(a), 18);
  assert_true(a[0] == '"' && a[17] == '"');
  assert_string_not_equal(a, b);
  char inm[80];
  assert_false(est_scache_etag_match(NULL, a));
  assert_true(est_scache_etag_match("*", a));
  assert_true(est_scache_etag_match(a, a));
  snprintf(inm, sizeof inm, "%s, W/%s", b, a);
  assert_true(est_scache_etag_match(inm, a));
  assert_false(est_scache_etag_match(b, a));
  /* A spliced body's tag: the same form, a function of both parts only. */
  char s1[24], s2[24], s3[24], s4[24];
  est_scache_etag_with(a, "{\"f\":1}", 7, s1);
  est_scache_etag_with(a, "{\"f\":1}", 7, s2);
  est_scache_etag_with(a, "{\"f\":2}", 7, s3);
  est_scache_etag_with(b, "{\"f\":1}", 7, s4);
  assert_int_equal(strlen(s1), 18);
  assert_true(s1[0] == '"' && s1[17] == '"');
  assert_string_equal(s1, s2);
  assert_string_not_equal(s1, s3);
  assert_string_not_equal(s1, s4);
  assert_string_not_equal(s1, a);
  assert_false(est_scache_etag_match("\"abc", a));
  assert_false(est_scache_etag_match("garbage", a));
}

/* Single flight: while one request computes, an identical one waits and is served its result. */
typedef struct waiter {
  est_scache *c;
  uint64_t ticket;
  int outcome;
  char body[32];
} waiter;

static void *wait_thread(void *arg) {
  waiter *w = arg;
  est_scache_body b;
  uint64_t f;
  w->outcome = est_scache_begin(w->c, "k", "v-old", w->ticket, 0, &b, &f);
  if (w->outcome == EST_SCACHE_HIT) {
    memcpy(w->body, b.body, b.len < 31 ? b.len : 31);
    free(b.body);
  } else {
    est_scache_abandon(w->c, "k", f);
  }
  return NULL;
}

static void test_single_flight(void **state) {
  (void)state;
  est_scache *c = est_scache_create(4, 1 << 20);
  uint64_t f = expect_miss(c, "k", "v-old");
  waiter w[3];
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].c = c;
    w[i].outcome = -1;
    w[i].ticket = 0; /* arrived before the flight began: served only with the same version */
    pthread_create(&t[i], NULL, wait_thread, &w[i]);
  }
  usleep(50 * 1000); /* let them block on the flight */
  uint64_t coalesced0;
  est_scache_counters(NULL, NULL, &coalesced0);
  fill(c, "k", f, "v-old", "RESULT");
  for (int i = 0; i < 3; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(w[i].outcome, EST_SCACHE_HIT);
    assert_string_equal(w[i].body, "RESULT");
  }
  uint64_t hits, misses, coalesced;
  est_scache_counters(&hits, &misses, &coalesced);
  assert_true(coalesced >= 3 && hits >= 3 && misses >= 1);
  /* A failed flight wakes the waiters; one of them computes next. */
  f = expect_miss(c, "k", "v-new");
  for (int i = 0; i < 3; i++) {
    w[i].outcome = -1;
    pthread_create(&t[i], NULL, wait_thread, &w[i]);
  }
  usleep(50 * 1000);
  est_scache_abandon(c, "k", f);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  /* The old body (v-old) still matches their version, so they are served it. */
  for (int i = 0; i < 3; i++) assert_int_equal(w[i].outcome, EST_SCACHE_HIT);
  est_scache_destroy(c);
}

/* Shared data version reads. */
static int g_reads;
static int read_counting(void *arg, char **version) {
  (void)arg;
  g_reads++;
  char buf[16];
  snprintf(buf, sizeof buf, "v%d", g_reads);
  *version = strdup(buf);
  return 0;
}
static int read_failing(void *arg, char **version) {
  (void)arg;
  *version = NULL;
  return -7;
}

static void test_version_reads(void **state) {
  (void)state;
  est_scache *c = est_scache_create(4, 1 << 20);
  g_reads = 0;
  uint64_t early = est_scache_ticket(c); /* arrived before any read */
  uint64_t t1 = est_scache_ticket(c);
  char *v;
  assert_int_equal(est_scache_version(c, "k", t1, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v1");
  free(v);
  /* A request that arrived before that read began shares it. */
  assert_int_equal(est_scache_version(c, "k", early, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v1");
  free(v);
  assert_int_equal(g_reads, 1);
  /* One that arrives after it began needs a read of its own. */
  uint64_t t2 = est_scache_ticket(c);
  assert_int_equal(est_scache_version(c, "k", t2, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v2");
  free(v);
  assert_int_equal(g_reads, 2);
  /* Failures are returned and not remembered. */
  uint64_t t3 = est_scache_ticket(c);
  assert_int_equal(est_scache_version(c, "k", t3, read_failing, NULL, &v), -7);
  assert_null(v);
  assert_int_equal(est_scache_version(c, "k", t3, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v3");
  free(v);
  /* Reads are shared per version key: another key (other buckets) reads its own. */
  uint64_t t4 = est_scache_ticket(c);
  assert_int_equal(est_scache_version(c, "k", t4, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v4");
  free(v);
  assert_int_equal(est_scache_version(c, "other", t3, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v5");
  free(v);
  assert_int_equal(est_scache_version(c, "k", t3, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v4"); /* "k"'s read began after t3 */
  free(v);
  /* More keys than slots: each still gets a read (the oldest slots are reused). */
  for (int i = 0; i < 40; i++) {
    char k[16];
    snprintf(k, sizeof k, "key%d", i);
    uint64_t ti = est_scache_ticket(c);
    assert_int_equal(est_scache_version(c, k, ti, read_counting, NULL, &v), 0);
    free(v);
  }
  assert_int_equal(g_reads, 45);
  g_reads = 3;
  /* Without a cache every call reads. */
  assert_int_equal(est_scache_version(NULL, "k", 0, read_counting, NULL, &v), 0);
  assert_string_equal(v, "v4");
  free(v);
  est_scache_destroy(c);
}

/* Concurrent: while one read is in progress, requests that arrived before it began wait for
 * it and share it (one read for all of them). */
static pthread_mutex_t g_gate_mu = PTHREAD_MUTEX_INITIALIZER;
static int read_slow(void *arg, char **version) {
  (void)arg;
  pthread_mutex_lock(&g_gate_mu);
  g_reads++;
  pthread_mutex_unlock(&g_gate_mu);
  usleep(100 * 1000);
  *version = strdup("slow");
  return 0;
}
typedef struct vreq {
  est_scache *c;
  uint64_t ticket;
  char *v;
} vreq;
static void *vreq_thread(void *arg) {
  vreq *r = arg;
  est_scache_version(r->c, "k", r->ticket, read_slow, NULL, &r->v);
  return NULL;
}

static void test_version_reads_shared(void **state) {
  (void)state;
  est_scache *c = est_scache_create(4, 1 << 20);
  g_reads = 0;
  vreq r[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    r[i].c = c;
    r[i].ticket = est_scache_ticket(c); /* all arrived before the read below begins */
    r[i].v = NULL;
  }
  pthread_create(&t[0], NULL, vreq_thread, &r[0]);
  usleep(30 * 1000); /* r[0] is reading */
  for (int i = 1; i < 4; i++) pthread_create(&t[i], NULL, vreq_thread, &r[i]);
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_string_equal(r[i].v, "slow");
    free(r[i].v);
  }
  /* r[1..3] took their tickets before r[0]'s read began, so they share it. */
  assert_int_equal(g_reads, 1);
  est_scache_destroy(c);
}

/* An entry filled with an expiry is served until then, not after (hot spots
 * allowed to lag their buckets only that long). */
static void test_expiry(void **state) {
  (void)state;
  est_scache *c = est_scache_create(4, 1 << 20);
  est_scache_body b;
  uint64_t f;
  assert_int_equal(est_scache_begin(c, "k", "v1", est_scache_ticket(c), 1000, &b, &f), EST_SCACHE_MISS);
  est_scache_fill(c, "k", f, "v1", "body", 4, "\"1\"", 5000, NULL);
  uint64_t t = est_scache_ticket(c);
  assert_int_equal(est_scache_begin(c, "k", "v1", t, 5000, &b, &f), EST_SCACHE_HIT);
  free(b.body);
  assert_int_equal(est_scache_begin(c, "k", "v1", t, 5001, &b, &f), EST_SCACHE_MISS);
  est_scache_abandon(c, "k", f);
  est_scache_destroy(c);
}

/* A fill's note comes back with every hit (and not from another fill);
 * confirm moves a memo's stamp forward only for an equal version, so a memo
 * proven current at t is served stale up to max_age after t. */
static void test_note_and_confirm(void **state) {
  (void)state;
  est_scache *c = est_scache_create(8, 1 << 20);
  est_scache_body b;
  uint64_t f;
  assert_int_equal(est_scache_begin(c, "pic", "v1", est_scache_ticket(c), 0, &b, &f), EST_SCACHE_MISS);
  est_scache_fill(c, "pic", f, "v1", "body", 4, "\"1\"", 0, "hot-7");
  assert_int_equal(est_scache_begin(c, "pic", "v1", est_scache_ticket(c), 0, &b, &f), EST_SCACHE_HIT);
  assert_string_equal(b.note, "hot-7");
  free(b.body);
  char longnote[EST_SCACHE_NOTE_MAX + 1];
  memset(longnote, 'x', sizeof longnote - 1);
  longnote[sizeof longnote - 1] = '\0';
  assert_int_equal(est_scache_begin(c, "pic", "v2", est_scache_ticket(c), 0, &b, &f), EST_SCACHE_MISS);
  est_scache_fill(c, "pic", f, "v2", "body2", 5, "\"2\"", 0, longnote); /* too long: no note */
  assert_int_equal(est_scache_begin(c, "pic", "v2", est_scache_ticket(c), 0, &b, &f), EST_SCACHE_HIT);
  assert_string_equal(b.note, "");
  free(b.body);

  est_scache_put(c, "memo", "hot-7", "spots", 5, 1000);
  int64_t stamp;
  bool stale;
  est_scache_confirm(c, "memo", "hot-6", 9000); /* another version: no proof */
  assert_false(est_scache_peek(c, "memo", "hot-8", 7000, 5000, &b, &stamp, &stale));
  est_scache_confirm(c, "memo", "hot-7", 4000);
  est_scache_confirm(c, "memo", "hot-7", 3000); /* never backwards */
  assert_true(est_scache_peek(c, "memo", "hot-8", 7000, 5000, &b, &stamp, &stale));
  assert_true(stale);
  assert_int_equal(stamp, 4000);
  free(b.body);
  assert_false(est_scache_peek(c, "memo", "hot-8", 9001, 5000, &b, &stamp, &stale));
  est_scache_confirm(c, "absent", "hot-7", 4000); /* no entry: nothing */
  est_scache_confirm(NULL, "memo", "hot-7", 4000);
  est_scache_destroy(c);
}

/* peek/put: an equal version is fresh, another one is served (stale) only
 * within max_age of its computation; an older put never replaces a newer one. */
static void test_peek_put(void **state) {
  (void)state;
  est_scache *c = est_scache_create(4, 1 << 20);
  est_scache_body b;
  int64_t stamp;
  bool stale;
  assert_false(est_scache_peek(c, "h", "v1", 100, 5000, &b, &stamp, &stale));
  est_scache_put(c, "h", "v1", "spots1", 6, 100);
  assert_true(est_scache_peek(c, "h", "v1", 99999, 5000, &b, &stamp, &stale));
  assert_false(stale);
  assert_int_equal(stamp, 100);
  assert_memory_equal(b.body, "spots1", 6);
  free(b.body);
  assert_true(est_scache_peek(c, "h", "v2", 5100, 5000, &b, &stamp, &stale));
  assert_true(stale);
  assert_int_equal(stamp, 100);
  free(b.body);
  assert_false(est_scache_peek(c, "h", "v2", 5101, 5000, &b, &stamp, &stale));
  assert_false(est_scache_peek(c, "h", "v2", 200, 0, &b, &stamp, &stale)); /* bound 0: never stale */
  est_scache_put(c, "h", "v3", "spots3", 6, 7000);
  est_scache_put(c, "h", "v2", "spots2", 6, 6000); /* older than what is stored: ignored */
  assert_true(est_scache_peek(c, "h", "v3", 7000, 0, &b, &stamp, &stale));
  assert_int_equal(stamp, 7000);
  assert_memory_equal(b.body, "spots3", 6);
  free(b.body);
  assert_false(est_scache_peek(NULL, "h", "v3", 0, 0, &b, &stamp, &stale));
  est_scache_put(NULL, "h", "v3", "x", 1, 0);
  est_scache_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_off),
      cmocka_unit_test(test_version_and_keys),
      cmocka_unit_test(test_lru_and_bytes),
      cmocka_unit_test(test_etag),
      cmocka_unit_test(test_single_flight),
      cmocka_unit_test(test_version_reads),
      cmocka_unit_test(test_version_reads_shared),
      cmocka_unit_test(test_expiry),
      cmocka_unit_test(test_peek_put),
      cmocka_unit_test(test_note_and_confirm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
