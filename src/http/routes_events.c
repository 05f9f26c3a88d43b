/* routes_events.c - event intake over HTTP, event reads, dead letters:
 *   POST /v1/events                          one CloudEvent or a batch
 *   GET  /v1/events, /v1/events/{id}
 *   GET  /v1/dead-letters, /v1/dead-letters/{id}
 *   POST /v1/dead-letters/{id}/resubmit
 * See docs/EVENTS.md for the wire format and the result document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "estd/admit.h"
#include "estd/event.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/metrics.h"
#include "estd/personnummer.h"
#include "estd/problem.h"
#include "estd/store_deadletters.h"
#include "estd/store_events.h"
#include "estd/util.h"

static const char *const kinds[] = {"incident", "patrol", "activity", NULL};

/* May this caller submit events for any party? */
static bool party_restricted(const http_ctx *ctx) {
  return ctx->who.party_id != 0 && !(ctx->who.scopes & HTTP_SCOPE_ADMIN);
}

/* The admission policy of an HTTP request: bound to the key's party (a
 * party's key may submit only its own party's events unless it is admin),
 * free text refused. */
static est_admit_policy http_admit_policy(const http_ctx *ctx) {
  est_admit_policy p = {0};
  p.bound_id = ctx->who.party_id;
  p.bound_enforced = party_restricted(ctx);
  p.channel = "an API key";
  p.redact = false;
  p.now_s = (long long)time(NULL);
  p.max_future_s = ctx->app->cfg->event_max_future_s;
  p.geocode = ctx->app->cfg->police_geocode_municipality;
  return p;
}

/* ---- POST /v1/events ---------------------------------------------------- */

typedef struct {
  est_event ev;
  json_t *errors;
  est_event_reason reason;
} item;

/* The text as a JSON string with personal identity numbers redacted (an
 * id or source that carries one is refused, and never echoed). */
static json_t *json_redacted(const char *s) {
  if (!s) return json_null();
  char *copy = strdup(s);
  if (!copy) return json_null();
  est_pnr_redact(copy);
  json_t *j = json_string(copy);
  free(copy);
  return j ? j : json_null();
}

static json_t *result_entry(size_t index, const item *it, const store_event_outcome *o) {
  json_t *r = json_object();
  json_object_set_new(r, "index", json_integer((json_int_t)index));
  json_object_set_new(r, "id", json_redacted(it->ev.id));
  json_object_set_new(r, "source", json_redacted(it->ev.source));
  if (it->reason == EST_REASON_SKIPPED_SUMMARY) {
    json_object_set_new(r, "status", json_string("skipped"));
    json_object_set_new(r, "reason", json_string(est_event_reason_name(EST_REASON_SKIPPED_SUMMARY)));
  } else if (it->reason != EST_REASON_NONE) {
    json_object_set_new(r, "status", json_string("rejected"));
    json_object_set_new(r, "reason", json_string(est_event_reason_name(it->reason)));
    json_object_set_new(r, "errors", it->errors ? json_incref(it->errors) : json_array());
  } else {
    json_object_set_new(r, "status", json_string(o->inserted ? "stored" : "duplicate"));
    json_object_set_new(r, "event_id", o->event_id ? json_integer(o->event_id) : json_null());
  }
  return r;
}

#define MAX_CE_HEADERS 64

/* The request's ce-* headers and Content-Type, for binary mode. */
static size_t binary_headers(http_ctx *ctx, est_event_header *h, size_t max) {
  const char **keys = u_map_enum_keys(ctx->req->map_header);
  size_t n = 0;
  for (int i = 0; keys && keys[i] && n < max; i++) {
    if (strncasecmp(keys[i], "ce-", 3) != 0 && strcasecmp(keys[i], "Content-Type") != 0) continue;
    const char *v = u_map_get(ctx->req->map_header, keys[i]);
    h[n].name = keys[i];
    h[n].value = v;
    h[n].len = v ? strlen(v) : 0;
    n++;
  }
  return n;
}

static est_result events_post(http_ctx *ctx) {
  json_t *body = NULL;
  est_result rc = EST_OK;
  const char *ct = http_header(ctx, "Content-Type");
  est_http_ce_mode mode = est_event_http_mode(ct, http_header(ctx, "ce-specversion") != NULL);
  if (mode == EST_HTTP_CE_UNSUPPORTED)
    return http_fail(ctx, EST_EUNSUPPORTED, "Content-Type must be " EST_EVENT_HTTP_MEDIA_TYPES);
  bool binary = mode == EST_HTTP_CE_BINARY;
  if (!binary && (rc = http_body_json(ctx, &body)) != EST_OK) return rc;
  bool is_array = !binary && json_is_array(body);
  if (mode == EST_HTTP_CE_BATCH && !is_array) {
    json_decref(body);
    return http_fail(ctx, EST_EPARSE, "application/cloudevents-batch+json must be a JSON array of CloudEvents");
  }
  if (mode == EST_HTTP_CE_STRUCTURED && is_array) {
    json_decref(body);
    return http_fail(
        ctx, EST_EPARSE,
        "application/cloudevents+json is one CloudEvent; send a batch as application/cloudevents-batch+json");
  }
  size_t n = is_array ? json_array_size(body) : 1;
  if (n == 0) {
    json_decref(body);
    return http_fail(ctx, EST_EPARSE, "the batch is empty");
  }
  if (n > (size_t)ctx->app->cfg->events_batch_max) {
    json_decref(body);
    return http_fail(ctx, EST_ETOOLARGE, "a batch may hold at most %d events (ESTD_EVENTS_BATCH_MAX); got %zu",
                     ctx->app->cfg->events_batch_max, n);
  }
  item *items = calloc(n, sizeof *items);
  est_event **valid = calloc(n, sizeof *valid);
  size_t *valid_idx = calloc(n, sizeof *valid_idx);
  store_event_outcome *out = calloc(n, sizeof *out);
  if (!items || !valid || !valid_idx || !out) {
    rc = EST_ENOMEM;
    goto done;
  }
  size_t nvalid = 0, rejected = 0, skipped = 0;
  est_admit_policy pol = http_admit_policy(ctx);
  est_admit_lookup lk = store_admit_lookup(ctx->app->pool);
  for (size_t i = 0; i < n && rc == EST_OK; i++) {
    item *it = &items[i];
    const json_t *ce = is_array ? json_array_get(body, i) : body;
    size_t size = binary ? 0 : json_dumpb(ce, NULL, 0, JSON_COMPACT);
    if (binary) {
      est_event_header hdrs[MAX_CE_HEADERS];
      size_t nh = binary_headers(ctx, hdrs, MAX_CE_HEADERS);
      it->reason = est_event_from_http_binary(ctx->req->binary_body, ctx->req->binary_body_length, hdrs, nh, &it->ev,
                                              &it->errors);
    } else if (size > EST_EVENT_MAX_BYTES) {
      est_problem_add_error(&it->errors, "/", "event exceeds 262144 bytes");
      it->reason = EST_REASON_OVERSIZED;
    } else {
      it->reason = est_event_from_json(ce, &it->ev, &it->errors);
    }
    if (it->reason == EST_REASON_NONE) it->reason = est_event_admit(&it->ev, &pol, &lk, &it->errors, &rc);
    if (rc != EST_OK) break;
    if (it->reason == EST_REASON_NONE) {
      valid_idx[nvalid] = i;
      valid[nvalid++] = &it->ev;
    } else if (it->reason == EST_REASON_SKIPPED_SUMMARY) {
      skipped++;
      est_metrics_event_rejected(est_event_reason_name(EST_REASON_SKIPPED_SUMMARY));
    } else {
      rejected++;
      est_metrics_event_rejected(est_event_reason_name(it->reason));
    }
  }
  if (rc != EST_OK) goto done;
  store_event_outcome *vout = calloc(nvalid ? nvalid : 1, sizeof *vout);
  if (!vout) {
    rc = EST_ENOMEM;
    goto done;
  }
  est_actor who = http_actor(ctx);
  rc = store_events_ingest(ctx->app->pool, valid, nvalid, rejected, &who, vout);
  for (size_t k = 0; k < nvalid && rc == EST_OK; k++) {
    out[valid_idx[k]] = vout[k];
    if (vout[k].inserted) est_metrics_event_ingested("http", valid[k]->kind);
  }
  free(vout);
  if (rc != EST_OK) goto done;
  json_t *results = json_array();
  size_t stored = 0, dups = 0;
  for (size_t i = 0; i < n; i++) {
    json_array_append_new(results, result_entry(i, &items[i], &out[i]));
    if (items[i].reason == EST_REASON_NONE) {
      if (out[i].inserted) stored++;
      else dups++;
    }
  }
  json_t *doc = json_pack("{s:o,s:I,s:I,s:I,s:I}", "results", results, "stored", (json_int_t)stored, "duplicates",
                          (json_int_t)dups, "rejected", (json_int_t)rejected, "skipped", (json_int_t)skipped);
  if (rejected == n) {
    /* Nothing usable: a problem document, with the per-event results. */
    ctx->problem_extra = doc;
    if (n == 1) {
      json_object_set_new(doc, "reason", json_string(est_event_reason_name(items[0].reason)));
      http_fail_errors(ctx, json_incref(items[0].errors));
      rc = items[0].reason == EST_REASON_PARTY_MISMATCH
               ? http_fail(ctx, EST_EFORBIDDEN, "the event was rejected: %s", est_event_reason_name(items[0].reason))
               : http_fail(ctx, EST_EINVAL, "the event was rejected: %s", est_event_reason_name(items[0].reason));
    } else {
      rc = http_fail(ctx, EST_EINVAL, "all %zu events were rejected; see results", n);
    }
    goto done;
  }
  http_reply_json_steal(ctx, 200, doc);
done:
  if (items)
    for (size_t i = 0; i < n; i++) {
      est_event_free(&items[i].ev);
      json_decref(items[i].errors);
    }
  free(items);
  free(valid);
  free(valid_idx);
  free(out);
  json_decref(body);
  return rc;
}

/* ---- GET /v1/events ------------------------------------------------------ */

static est_result param_time(http_ctx *ctx, const char *name, const char **out) {
  *out = http_param(ctx, name);
  if (!*out || est_rfc3339_valid(*out)) return EST_OK;
  http_fail_field(ctx, name, "must be an RFC 3339 date-time with offset, e.g. 2024-05-01T00:00:00+02:00");
  return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", name);
}

/* GET {collection}/{id} of a row that the caller's disclosure (rows_of)
 * limits: a row the caller may not see does not exist for it. */
static est_result get_disclosed(http_ctx *ctx, const char *noun, est_rows (*rows_of)(const est_caller *, long long *),
                                est_result (*get)(est_pool *, long long, est_rows, long long, est_doc *)) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  est_doc doc;
  est_caller who = http_caller(ctx);
  long long party;
  est_rows rows = rows_of(&who, &party);
  if (rc == EST_OK) rc = get(ctx->app->pool, id, rows, party, &doc);
  return http_reply_got(ctx, rc, noun, &doc);
}

static est_result events_list(http_ctx *ctx) {
  est_list_query q;
  store_event_filter f = {0};
  est_result rc = http_list_params(ctx, store_events_sorts, &q);
  if (rc == EST_OK) rc = http_param_id(ctx, "area_id", &f.area_id, NULL);
  if (rc == EST_OK) rc = http_param_enum(ctx, "category", est_event_categories, &f.category);
  if (rc == EST_OK) rc = http_param_enum(ctx, "kind", kinds, &f.kind);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = param_time(ctx, "from", &f.from);
  if (rc == EST_OK) rc = param_time(ctx, "to", &f.to);
  if (rc != EST_OK) return rc;
  if ((rc = http_param_source(ctx, &f.source)) != EST_OK) return rc;
  est_caller who = http_caller(ctx);
  f.rows = est_disclosure_rows(&who, &f.rows_party);
  est_page page;
  if ((rc = store_events_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static est_result events_get(http_ctx *ctx) {
  return get_disclosed(ctx, "event", est_disclosure_rows, store_event_get);
}

/* ---- dead letters ------------------------------------------------------- */

static est_result dead_letters_list(http_ctx *ctx) {
  est_list_query q;
  store_dead_letter_filter f = {0};
  f.resolved = -1;
  est_caller who = http_caller(ctx);
  f.rows = est_disclosure_dead_letters(&who, &f.rows_party);
  est_result rc = http_list_params(ctx, store_dead_letters_sorts, &q);
  if (rc == EST_OK) rc = http_param_enum(ctx, "reason", est_event_dead_letter_reasons, &f.reason);
  if (rc == EST_OK) rc = param_time(ctx, "from", &f.from);
  if (rc == EST_OK) rc = param_time(ctx, "to", &f.to);
  if (rc != EST_OK) return rc;
  f.topic = http_param(ctx, "topic");
  if (f.topic && (!*f.topic || strlen(f.topic) > 249 || strspn(f.topic, EST_KAFKA_TOPIC_CHARS) != strlen(f.topic))) {
    http_fail_field(ctx, "topic", "must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter 'topic'");
  }
  const char *res = http_param(ctx, "resolved");
  if (res) {
    bool b;
    if (est_parse_bool(res, &b) != EST_OK) {
      http_fail_field(ctx, "resolved", "must be true or false");
      return http_fail(ctx, EST_EPARSE, "invalid query parameter 'resolved'");
    }
    f.resolved = b;
  }
  est_page page;
  if ((rc = store_dead_letters_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static est_result dead_letters_get(http_ctx *ctx) {
  return get_disclosed(ctx, "dead letter", est_disclosure_dead_letters, store_dead_letter_get);
}

/* Rebuilds the Kafka headers from the stored JSON. bufs keeps decoded
 * binary values alive (freed by the caller). */
static size_t headers_from_json(json_t *arr, est_event_header *h, size_t max, void **bufs) {
  size_t n = 0, i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    if (n >= max) break;
    json_t *name = json_object_get(e, "name"), *val = json_object_get(e, "value");
    json_t *b64 = json_object_get(e, "value_base64url");
    if (!json_is_string(name)) continue;
    h[n].name = json_string_value(name);
    bufs[n] = NULL;
    if (json_is_string(val)) {
      h[n].value = json_string_value(val);
      h[n].len = json_string_length(val);
    } else if (json_is_string(b64)) {
      size_t len = 0;
      bufs[n] = est_b64url_decode(json_string_value(b64), &len);
      h[n].value = bufs[n];
      h[n].len = bufs[n] ? len : 0;
    } else {
      h[n].value = NULL;
      h[n].len = 0;
    }
    n++;
  }
  return n;
}

static est_result resubmit_reply(http_ctx *ctx, long long dl_id, const char *status, long long event_id) {
  json_t *doc = json_pack("{s:I,s:s,s:o}", "dead_letter_id", (json_int_t)dl_id, "status", status, "event_id",
                          event_id > 0 ? json_integer(event_id) : json_null());
  http_reply_json_steal(ctx, 200, doc);
  return EST_OK;
}

#define MAX_HEADERS 64

static est_result dead_letters_resubmit(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  store_dead_letter_raw raw;
  rc = store_dead_letter_raw_get(ctx->app->pool, id, &raw);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "dead letter %lld does not exist", id);
  if (rc != EST_OK) return rc;
  if (raw.resolved_event_id != 0) {
    long long done_id = raw.resolved_event_id;
    store_dead_letter_raw_free(&raw);
    return resubmit_reply(ctx, id, "already_resolved", done_id);
  }
  est_event ev;
  memset(&ev, 0, sizeof ev);
  json_t *errors = NULL, *body = NULL, *harr = NULL;
  est_event_reason reason;
  void *bufs[MAX_HEADERS] = {0};
  size_t nh = 0;
  if (ctx->req->binary_body_length > 0) {
    /* A corrected CloudEvent (structured JSON) replaces the stored bytes. */
    if ((rc = http_body_json(ctx, &body)) != EST_OK) goto done;
    reason = est_event_from_json(body, &ev, &errors);
  } else {
    est_event_header hdrs[MAX_HEADERS];
    harr = json_loads(raw.headers_json, 0, NULL);
    nh = harr ? headers_from_json(harr, hdrs, MAX_HEADERS, bufs) : 0;
    reason = est_event_from_message(raw.payload, raw.len, hdrs, nh, &ev, &errors);
  }
  if (reason == EST_REASON_NONE) {
    /* The Kafka policy: the stored topic's binding, free text redacted. */
    char bound[128], chan[300];
    est_admit_policy pol = {0};
    if (raw.topic && est_topic_bound_party(ctx->app->cfg->kafka_topic_parties, raw.topic, bound, sizeof bound)) {
      pol.bound_code = bound;
      pol.bound_enforced = true;
    }
    snprintf(chan, sizeof chan, "topic %.249s", raw.topic ? raw.topic : "(none)");
    pol.channel = chan;
    pol.redact = true;
    pol.now_s = (long long)time(NULL);
    pol.max_future_s = ctx->app->cfg->event_max_future_s;
    pol.geocode = ctx->app->cfg->police_geocode_municipality;
    est_admit_lookup lk = store_admit_lookup(ctx->app->pool);
    reason = est_event_admit(&ev, &pol, &lk, &errors, &rc);
    if (rc != EST_OK) goto done;
  }
  if (reason != EST_REASON_NONE) {
    ctx->problem_extra = json_pack("{s:s}", "reason", est_event_reason_name(reason));
    http_fail_errors(ctx, errors);
    errors = NULL;
    rc = http_fail(ctx, EST_EINVAL, "dead letter %lld still does not parse: %s", id, est_event_reason_name(reason));
    goto done;
  }
  long long event_id = 0;
  bool inserted = false, already = false;
  est_actor who = http_actor(ctx);
  rc = store_dead_letter_resolve(ctx->app->pool, id, &ev, &who, &event_id, &inserted, &already);
  if (rc == EST_ENOTFOUND) rc = http_fail(ctx, rc, "dead letter %lld does not exist", id);
  if (rc == EST_OK) {
    if (inserted) est_metrics_event_ingested("kafka", ev.kind);
    resubmit_reply(ctx, id, already ? "already_resolved" : inserted ? "stored" : "duplicate", event_id);
  }
done:
  for (size_t i = 0; i < nh; i++) free(bufs[i]);
  json_decref(harr);
  json_decref(body);
  json_decref(errors);
  est_event_free(&ev);
  store_dead_letter_raw_free(&raw);
  return rc;
}

const http_route http_routes_events[] = {
    {"POST", "/v1/events", events_post, HTTP_SCOPE_WRITE_EVENTS, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/events", events_list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST " area_id category kind party_id from to source"},
    {"GET", "/v1/events/{id}", events_get, HTTP_SCOPE_READ, 0, NULL},
    /* A write-events key sees its own party's dead letters (estd/disclosure.h); admin all. */
    {"GET", "/v1/dead-letters", dead_letters_list, HTTP_SCOPE_WRITE_EVENTS, 0,
     HTTP_QUERY_LIST " reason topic from to resolved"},
    {"GET", "/v1/dead-letters/{id}", dead_letters_get, HTTP_SCOPE_WRITE_EVENTS, 0, NULL},
    {"POST", "/v1/dead-letters/{id}/resubmit", dead_letters_resubmit, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
