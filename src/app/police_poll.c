/* police_poll.c - `estd police-feed poll|types` (see police_poll.h).
 *
 * poll: GET ESTD_POLICE_FEED_URL with a User-Agent naming estd and
 * ESTD_POLICE_FEED_CONTACT, paced by est_pacer (at least
 * ESTD_POLICE_FEED_MIN_INTERVAL_MS apart, 60 an hour, Retry-After, backoff)
 * with the call log in the database, so restarts keep the rules. Each
 * record becomes a se.polisen.event.v1 CloudEvent (id = the feed's id,
 * source ESTD_POLICE_FEED_SOURCE, party ESTD_POLICE_FEED_PARTY) and goes
 * the way of every intake: est_event_from_json and est_event_admit (with
 * the optional geocoder, as on HTTP and Kafka); store_police_feed_save keeps the history and stores the
 * event or the dead letter. */
#include "estd/police_poll.h"

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/admit.h"
#include "estd/buf.h"
#include "estd/cli.h"
#include "estd/event.h"
#include "estd/log.h"
#include "estd/pacer.h"
#include "estd/personnummer.h"
#include "estd/store_events.h"
#include "estd/store_police_feed.h"
#include "estd/version.h"

#define POLL_MAX_BYTES (16u * 1024u * 1024u) /* 500 records are ~300 KiB */
#define POLL_MAX_RECORDS 5000
#define POLL_MAX_PER_HOUR 60
#define POLL_TIMEOUT_MS 30000
#define TYPE_POLICE "se.polisen.event.v1"

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static long long wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps until the wall clock reaches t (or a signal asks to stop). */
static void sleep_until(long long t) {
  while (!g_stop) {
    long long left = t - wall_ms();
    if (left <= 0) return;
    if (left > 200) left = 200;
    struct timespec ts = {0, (long)left * 1000000L};
    nanosleep(&ts, NULL);
  }
}

/* ---- one call ------------------------------------------------------------ */

typedef struct answer {
  int status;              /* 0 = no answer */
  long long retry_after_s; /* -1 = none */
  est_buf body;
  bool too_big;
  char err[256];
} answer;

static size_t take_body(char *data, size_t size, size_t count, void *arg) {
  answer *a = arg;
  size_t n = size * count;
  a->too_big = a->too_big || a->body.len + n > POLL_MAX_BYTES;
  if (!a->too_big) est_buf_append(&a->body, data, n);
  return a->too_big || a->body.oom ? 0 : n; /* 0 aborts the transfer */
}

/* Retry-After: delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
static long long retry_after(CURL *c) {
  struct curl_header *h = NULL;
  if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h || !h->value) return -1;
  char *end;
  long long s = strtoll(h->value, &end, 10);
  if (end != h->value && *end == '\0' && s >= 0) return s;
  time_t at = curl_getdate(h->value, NULL);
  if (at < 0) return -1;
  long long d = (long long)at - (long long)time(NULL);
  return d > 0 ? d : 0;
}

static void call(const char *url, const char *user_agent, answer *a) {
  memset(a, 0, sizeof *a);
  a->body = (est_buf)EST_BUF_INIT;
  a->retry_after_s = -1;
  CURL *c = curl_easy_init();
  if (!c) {
    snprintf(a->err, sizeof a->err, "out of memory");
    return;
  }
  struct curl_slist *accept = curl_slist_append(NULL, "Accept: application/json");
  const struct {
    CURLoption opt;
    long v;
  } longs[] = {{CURLOPT_FOLLOWLOCATION, 0L},
               {CURLOPT_NOSIGNAL, 1L},
               {CURLOPT_TIMEOUT_MS, POLL_TIMEOUT_MS},
               {CURLOPT_CONNECTTIMEOUT_MS, POLL_TIMEOUT_MS}};
  for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) curl_easy_setopt(c, longs[i].opt, longs[i].v);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, accept);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if offered */
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
  CURLcode cc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (cc == CURLE_OK) {
    a->status = (int)code;
    if (code == 429) a->retry_after_s = retry_after(c);
  } else {
    snprintf(a->err, sizeof a->err, "%s", a->too_big ? "answer too large" : curl_easy_strerror(cc));
  }
  curl_slist_free_all(accept);
  curl_easy_cleanup(c);
}

/* ---- one answer's records -------------------------------------------------- */

typedef struct poll_ctx {
  const est_config *cfg;
  est_pool *pool;
  est_admit_lookup lookup; /* with the geocoder (store_admit_lookup) */
} poll_ctx;

typedef struct rec_buf {
  store_police_record r;
  char feed_id[64];
  char *type; /* the record's type, identity numbers redacted (history, type counts) */
  char *record, *payload, *detail;
  est_event ev;
  bool has_ev;
} rec_buf;

static void rec_free(rec_buf *b) {
  free(b->type);
  free(b->record);
  free(b->payload);
  free(b->detail);
  if (b->has_ev) est_event_free(&b->ev);
}

/* Parses, geocodes and admits one record into b. EST_OK, or a look-up
 * failure (the store is unavailable: the poll is given up and repeated). */
static est_result prepare(poll_ctx *x, json_t *rec, rec_buf *b) {
  const est_config *cfg = x->cfg;
  json_t *id = json_object_get(rec, "id"), *type = json_object_get(rec, "type");
  if (json_is_integer(id)) snprintf(b->feed_id, sizeof b->feed_id, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
  else if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) < sizeof b->feed_id)
    snprintf(b->feed_id, sizeof b->feed_id, "%s", json_string_value(id));
  est_pnr_redact(b->feed_id); /* deterministic: a redacted id still dedupes */
  b->r.feed_id = b->feed_id[0] ? b->feed_id : NULL;
  if (json_is_string(type) && (b->type = strdup(json_string_value(type))) == NULL) return EST_ENOMEM;
  if (b->type) est_pnr_redact(b->type);
  b->r.police_type = b->type;
  b->r.party = cfg->police_feed_party;
  /* what is kept raw (history, dead letter) has its identity numbers redacted */
  json_t *kept = json_deep_copy(rec);
  est_pnr_screen_json(kept, true, NULL, NULL);
  b->record = json_dumps(kept, JSON_COMPACT | JSON_ENCODE_ANY);
  json_t *ce = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:O}", "specversion", "1.0", "id", b->r.feed_id, "source",
                         cfg->police_feed_source, "type", TYPE_POLICE, "party", cfg->police_feed_party, "data", kept);
  json_decref(kept);
  if (!b->record || !ce) {
    json_decref(ce);
    return EST_ENOMEM;
  }
  b->r.record = b->record;
  b->payload = json_dumps(ce, JSON_COMPACT);
  b->r.payload = b->payload;
  memset(&b->ev, 0, sizeof b->ev);
  b->has_ev = true;
  json_t *errors = NULL;
  est_result rc = EST_OK;
  /* the original record (not the redacted copy) is what admission screens */
  json_object_set(ce, "data", rec);
  est_event_reason why = est_event_from_json(ce, &b->ev, &errors);
  json_decref(ce);
  if (why == EST_REASON_NONE) {
    est_admit_policy pol = {.bound_code = cfg->police_feed_party,
                            .bound_enforced = true,
                            .channel = "the Police-feed poller",
                            .redact = true,
                            .now_s = (long long)time(NULL),
                            .max_future_s = cfg->event_max_future_s,
                            .geocode = cfg->police_geocode_municipality};
    why = est_event_admit(&b->ev, &pol, &x->lookup, &errors, &rc);
  }
  if (why == EST_REASON_NONE && rc == EST_OK) b->r.ev = &b->ev;
  else if (why != EST_REASON_NONE) b->r.reason = est_event_reason_name(why);
  if (errors) {
    b->detail = json_dumps(errors, JSON_COMPACT);
    b->r.detail = b->detail;
    json_decref(errors);
  }
  return rc;
}

/* The poll's result: one log line (stdout, JSON) with its counts and the
 * unmapped/unknown types among the new records (JSON text {"type": count}). */
static void report(size_t fetched, const store_police_counts *k, json_t *unmapped, json_t *unknown) {
  char v[6][24];
  long long nums[6] = {(long long)fetched, k->new_records, k->stored, k->duplicates, k->summaries, k->dead_letters};
  for (int i = 0; i < 6; i++) snprintf(v[i], sizeof v[i], "%lld", nums[i]);
  char *um = json_dumps(unmapped, JSON_COMPACT), *uk = json_dumps(unknown, JSON_COMPACT);
  est_log_kv(EST_LOG_INFO, "police feed polled", "#fetched", v[0], "#new", v[1], "#stored", v[2], "#duplicates", v[3],
             "#skipped_summary", v[4], "#dead_lettered", v[5], "unmapped_types", um ? um : "{}", "unknown_types",
             uk ? uk : "{}", NULL);
  free(um);
  free(uk);
}

/* Handles a 200 answer; returns how many records were new (-1: the answer
 * was not a JSON array, or the store failed: nothing was kept). */
static int take_records(poll_ctx *x, const answer *a, size_t *fetched, char *detail, size_t dlen) {
  json_error_t je;
  json_t *arr = json_loadb(a->body.data ? a->body.data : "", a->body.len, 0, &je);
  *fetched = json_is_array(arr) ? json_array_size(arr) : 0;
  if (!json_is_array(arr) || *fetched > POLL_MAX_RECORDS) {
    snprintf(detail, dlen, "the answer is not a JSON array of at most %d records", POLL_MAX_RECORDS);
    json_decref(arr);
    return -1;
  }
  size_t n = *fetched;
  rec_buf *bufs = calloc(n ? n : 1, sizeof *bufs);
  store_police_record *recs = calloc(n ? n : 1, sizeof *recs);
  est_result rc = bufs && recs ? EST_OK : EST_ENOMEM;
  for (size_t i = 0; i < n && rc == EST_OK; i++) rc = prepare(x, json_array_get(arr, i), &bufs[i]);
  store_police_counts k = {0};
  if (rc == EST_OK) {
    for (size_t i = 0; i < n; i++) recs[i] = bufs[i].r;
    est_actor who = {.request_id = "police-feed-poll"};
    rc = store_police_feed_save(x->pool, x->cfg->police_feed_source, recs, n, &who, &k);
  }
  json_t *unmapped = json_object(), *unknown = json_object();
  for (size_t i = 0; i < n && rc == EST_OK; i++) {
    if (recs[i].seen_before || !recs[i].police_type) continue;
    const char *cat;
    est_police_disposition d = est_police_classify(recs[i].police_type, &cat);
    json_t *into = d == EST_POLICE_UNMAPPED ? unmapped : d == EST_POLICE_UNKNOWN ? unknown : NULL;
    if (!into) continue;
    json_t *c = json_object_get(into, recs[i].police_type);
    json_object_set_new(into, recs[i].police_type, json_integer(c ? json_integer_value(c) + 1 : 1));
    if (d == EST_POLICE_UNKNOWN && !c)
      est_log_kv(EST_LOG_WARN, "police feed type not in estd's list: stored as its base category or ovrigt", "type",
                 recs[i].police_type, NULL);
  }
  if (rc == EST_OK) report(n, &k, unmapped, unknown);
  else snprintf(detail, dlen, "storing the records failed: %s", est_result_str(rc));
  json_decref(unmapped);
  json_decref(unknown);
  for (size_t i = 0; bufs && i < n; i++) rec_free(&bufs[i]);
  free(bufs);
  free(recs);
  json_decref(arr);
  return rc == EST_OK ? k.new_records : -1;
}

/* ---- the loop -------------------------------------------------------------- */

static int poll_cmd(int argc, char **argv, const est_config *cfg) {
  bool once = false, retry_gone = false;
  long max_calls = 0;
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    if (strcmp(argv[i], "--once") == 0) once = true;
    else if (strcmp(argv[i], "--retry-gone") == 0) retry_gone = true;
    else if (est_cli_opt(argc, argv, &i, "--calls", &v)) {
      if (!v || est_parse_int(v, 1, 1000000, &max_calls) != EST_OK) {
        fprintf(stderr, "estd: police-feed poll: --calls needs a positive integer\n");
        return 2;
      }
    } else {
      fprintf(stderr, "estd: police-feed poll: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!cfg->police_feed_party || !cfg->police_feed_contact) {
    fprintf(stderr,
            "estd: police-feed poll: set ESTD_POLICE_FEED_PARTY (the party code its events belong to) and "
            "ESTD_POLICE_FEED_CONTACT (an e-mail address or URL for the User-Agent; the API asks for one)\n");
    return 2;
  }
  char ua[400];
  snprintf(ua, sizeof ua, "estd/%s (EST lägesbild; contact: %.300s)", ESTD_VERSION, cfg->police_feed_contact);
  for (char *p = ua; *p; p++)
    if ((unsigned char)*p < 0x20) *p = ' '; /* no header injection */
  est_pool *pool;
  if (est_cli_pool(cfg, "police-feed", &pool)) return 1;
  est_pacer pacer;
  est_pacer_init(&pacer, cfg->police_feed_min_interval_ms, POLL_MAX_PER_HOUR);
  bool gone = false;
  char gone_at[64] = "";
  est_result rc = store_police_feed_pacer_load(pool, cfg->police_feed_url, &pacer, &gone, gone_at, sizeof gone_at);
  if (rc != EST_OK) {
    fprintf(stderr, "estd: police-feed poll: reading the call log failed: %s\n", est_result_str(rc));
    est_pool_destroy(pool);
    return 1;
  }
  if (gone && !retry_gone) {
    fprintf(stderr,
            "estd: police-feed poll: %s answered 404 at %s, which is final; run with --retry-gone to try "
            "again\n",
            cfg->police_feed_url, gone_at);
    est_pool_destroy(pool);
    return 3;
  }
  poll_ctx x = {cfg, pool, store_admit_lookup(pool)};
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  long long interval_ms = (long long)cfg->police_feed_interval_s * 1000, last_ok = -1;
  int code = 0;
  for (long calls = 0; !g_stop && (!max_calls || calls < max_calls); calls++) {
    long long t = est_pacer_next(&pacer, wall_ms());
    if (last_ok >= 0 && last_ok + interval_ms > t) t = last_ok + interval_ms;
    sleep_until(t);
    if (g_stop) break;
    long long at = wall_ms();
    est_pacer_called(&pacer, at);
    answer a;
    call(cfg->police_feed_url, ua, &a);
    char detail[300] = "";
    size_t fetched = 0;
    int fresh = 0;
    int status = a.status;
    if (status == 200) {
      fresh = take_records(&x, &a, &fetched, detail, sizeof detail);
      if (fresh < 0) status = 0; /* unusable: back off like a failure, and poll again */
    } else if (a.err[0]) {
      snprintf(detail, sizeof detail, "%s", a.err);
    }
    est_buf_free(&a.body);
    est_pacer_answer(&pacer, wall_ms(), status, a.retry_after_s);
    /* the call is logged with the status the API gave */
    store_police_feed_poll_log(pool, cfg->police_feed_url, at, a.status, a.retry_after_s, (int)fetched,
                               fresh > 0 ? fresh : 0, detail[0] ? detail : NULL);
    if (a.status == 200 && fresh >= 0) {
      last_ok = at;
      if (once) break;
      continue;
    }
    if (a.status == 404) {
      est_log_kv(EST_LOG_ERROR, "police feed answered 404: final, the poller stops", "url", cfg->police_feed_url, NULL);
      code = 3;
      break;
    }
    char st[16], ra[24];
    snprintf(st, sizeof st, "%d", a.status);
    snprintf(ra, sizeof ra, "%lld", a.retry_after_s);
    est_log_kv(EST_LOG_WARN, "police feed call failed; backing off", "#status", st, "retry_after_s", ra, "detail",
               detail, NULL);
    if (once) {
      code = 4;
      break;
    }
  }
  curl_global_cleanup();
  est_pool_destroy(pool);
  return code;
}

/* ---- types ---------------------------------------------------------------- */

static int types_cmd(int argc, char **argv, const est_config *cfg) {
  bool counts = false;
  const char *since = NULL;
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    if (strcmp(argv[i], "--counts") == 0) counts = true;
    else if (est_cli_opt(argc, argv, &i, "--since", &v) && v && est_rfc3339_valid(v)) since = v;
    else {
      fprintf(stderr, "estd: police-feed types: unknown argument '%s' (--counts [--since RFC3339])\n", argv[i]);
      return 2;
    }
  }
  json_t *list = json_array();
  for (const est_police_type *t = est_police_types; t->type; t++)
    json_array_append_new(list, json_pack("{s:s,s:s,s:s?}", "type", t->type, "mapping",
                                          est_police_disposition_name(t->disposition), "category", t->category));
  json_t *out = json_pack("{s:o}", "types", list);
  if (counts) {
    char dflt[40];
    time_t month_ago = time(NULL) - 30 * 86400;
    strftime(dflt, sizeof dflt, "%Y-%m-%dT%H:%M:%SZ", gmtime(&month_ago));
    est_pool *pool;
    if (est_cli_pool(cfg, "police-feed", &pool)) {
      json_decref(out);
      return 1;
    }
    json_t *c = NULL;
    est_result rc = store_police_feed_type_counts(pool, since ? since : dflt, &c);
    est_pool_destroy(pool);
    if (rc != EST_OK) {
      fprintf(stderr, "estd: police-feed types: %s\n", est_result_str(rc));
      json_decref(out);
      return 1;
    }
    json_object_set_new(out, "since", json_string(since ? since : dflt));
    json_object_update(out, c);
    json_decref(c);
  }
  char *s = json_dumps(out, JSON_INDENT(1));
  if (s) printf("%s\n", s);
  free(s);
  json_decref(out);
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: estd police-feed <command>\n"
          "\n"
          "  poll [--once] [--calls N] [--retry-gone]\n"
          "         polls ESTD_POLICE_FEED_URL (polisen.se/api/events) and stores new records as events\n"
          "         of ESTD_POLICE_FEED_PARTY; obeys the API's rules (docs/OPERATIONS.md)\n"
          "  types [--counts [--since RFC3339]]\n"
          "         the feed's event types and what estd maps each to; --counts: stored events per type\n"
          "         and mapping (unmapped/unknown visible) and the poller's history per outcome\n");
}

int est_police_cli_run(int argc, char **argv, const est_config *cfg) {
  if (argc < 1 || strcmp(argv[0], "--help") == 0) {
    usage(argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  if (strcmp(argv[0], "poll") == 0) return poll_cmd(argc - 1, argv + 1, cfg);
  if (strcmp(argv[0], "types") == 0) return types_cmd(argc - 1, argv + 1, cfg);
  usage(stderr);
  return 2;
}
