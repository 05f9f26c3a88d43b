/* deadletters.c - dead letters: batch insert (with the events of a Kafka
 * batch), list, get, resubmission (see store_deadletters.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_deadletters.h"
#include "estd/store_events.h"
#include "estd/store_util.h"
#include "estd/util.h"
#include "internal.h"

static const est_stmt dl_insert = {
    "dead_letters_insert",
    "INSERT INTO dead_letters (channel, topic, kafka_partition, kafka_offset, msg_key, payload, headers, reason, "
    "detail, source, source_event_id, party_id) SELECT 'kafka', x.topic, x.p, x.o, decode(x.k, 'hex'), "
    "decode(x.v, 'hex'), COALESCE(x.h, '[]'), x.reason, x.detail, x.source, x.sid, "
    "(SELECT id FROM parties WHERE code = x.party) FROM jsonb_to_recordset($1::jsonb) AS x(topic text, "
    "p int, o bigint, k text, v text, h jsonb, reason text, detail text, source text, sid text, party text) "
    "ON CONFLICT (topic, kafka_partition, kafka_offset) WHERE channel = 'kafka' DO NOTHING",
    1};

static char *hex(const void *data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  char *out = malloc(len * 2 + 1);
  if (!out) return NULL;
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[len * 2] = '\0';
  return out;
}

static json_t *json_str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* [{"name": ..., "value": text|null, "value_base64url": ...}] in header order. */
static json_t *headers_json(const est_event_header *h, size_t nh) {
  json_t *arr = json_array();
  for (size_t i = 0; i < nh; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(h[i].name ? h[i].name : ""));
    if (!h[i].value) {
      json_object_set_new(o, "value", json_null());
    } else if (!memchr(h[i].value, 0, h[i].len) && est_utf8_valid(h[i].value, h[i].len)) {
      json_object_set_new(o, "value", json_stringn(h[i].value, h[i].len));
    } else {
      char *b = est_b64url_encode(h[i].value, h[i].len);
      json_object_set_new(o, "value", json_null());
      json_object_set_new(o, "value_base64url", json_str_or_null(b));
      free(b);
    }
    json_array_append_new(arr, o);
  }
  return arr;
}

est_result store_deadletters_insert(est_conn *c, store_msg *msgs, size_t n) {
  json_t *arr = json_array();
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    store_msg *m = &msgs[i];
    if (!m->reason || strcmp(m->reason, est_event_reason_name(EST_REASON_SKIPPED_SUMMARY)) == 0) continue;
    char *v = hex(m->payload ? m->payload : "", m->payload ? m->len : 0);
    char *key = m->key ? hex(m->key, m->key_len) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(m->topic));
    json_object_set_new(o, "p", json_integer(m->partition));
    json_object_set_new(o, "o", json_integer(m->offset));
    json_object_set_new(o, "k", json_str_or_null(key));
    json_object_set_new(o, "v", json_str_or_null(v));
    json_object_set_new(o, "h", headers_json(m->headers, m->nheaders));
    json_object_set_new(o, "reason", json_string(m->reason));
    json_object_set_new(o, "detail", json_str_or_null(m->detail));
    json_object_set_new(o, "source", json_str_or_null(m->ev ? m->ev->source : NULL));
    json_object_set_new(o, "sid", json_str_or_null(m->ev ? m->ev->id : NULL));
    json_object_set_new(o, "party", json_str_or_null(m->party[0] ? m->party : m->ev ? m->ev->party : NULL));
    free(v);
    free(key);
    json_array_append_new(arr, o);
    k++;
  }
  if (k == 0) {
    json_decref(arr);
    return EST_OK;
  }
  char *body = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  if (!body) return EST_ENOMEM;
  const char *params[1] = {body};
  PGresult *r;
  est_result rc = est_db_exec(c, &dl_insert, params, &r, NULL);
  free(body);
  if (rc != EST_OK) return rc;
  PQclear(r);
  for (size_t i = 0; i < n; i++)
    if (msgs[i].reason && strcmp(msgs[i].reason, est_event_reason_name(EST_REASON_SKIPPED_SUMMARY)) != 0)
      msgs[i].deadlettered = true;
  return EST_OK;
}

/* ---- reading -------------------------------------------------------------- */

const char *const store_dead_letters_sorts[] = {"id", NULL};

/* Payloads up to maxlen bytes are included (as text if UTF-8, else base64). */
#define DL_JSON(maxlen)                                                                                                               \
  "json_build_object('id', d.id, 'channel', d.channel, 'topic', d.topic, 'partition', d.kafka_partition, "                            \
  "'offset', d.kafka_offset, 'party_id', d.party_id, 'reason', d.reason, 'detail', d.detail, 'source', d.source, 'source_event_id', " \
  "d.source_event_id, 'headers', d.headers, 'key', est_try_utf8(d.msg_key), 'payload_bytes', "                                        \
  "length(d.payload), 'payload_text', CASE WHEN length(d.payload) <= " maxlen                                                         \
  " THEN est_try_utf8(d.payload) "                                                                                                    \
  "END, 'payload_base64', CASE WHEN length(d.payload) <= " maxlen                                                                     \
  " AND est_try_utf8(d.payload) IS NULL THEN "                                                                                        \
  "translate(encode(d.payload, 'base64'), E'\\n', '') END, 'received_at', d.received_at, 'resolved_at', "                             \
  "d.resolved_at, 'resolved_event_id', d.resolved_event_id)::text"

#define DL_LIST(name, after, order)                                                                              \
  {                                                                                                              \
    name,                                                                                                      \
   "SELECT " DL_JSON("65536") ", '', d.id FROM dead_letters d WHERE ($1::text IS NULL OR d.reason = $1) AND " \
   "($2::text IS NULL OR d.topic = $2) AND ($3::timestamptz IS NULL OR d.received_at >= $3) AND "              \
   "($4::timestamptz IS NULL OR d.received_at < $4) AND ($5::bool IS NULL OR (d.resolved_at IS NOT NULL) = $5) " \
   "AND ($9::bigint IS NULL OR d.party_id = $9) AND ($7::bigint IS NULL OR " after ") ORDER BY " order      \
   " LIMIT $8",                                                                                              \
   9 \
  }

static const est_stmt dl_list[2] = {
    DL_LIST("dead_letters_list", "($6::text = '' AND d.id > $7)", "d.id"),
    DL_LIST("dead_letters_list_d", "($6::text = '' AND d.id < $7)", "d.id DESC"),
};

/* $2: the only party whose dead letters may be read (NULL = all, 0 = none). */
static const est_stmt dl_get = {
    "dead_letters_get",
    "SELECT " DL_JSON("1073741824") ", 1 FROM dead_letters d WHERE d.id = $1 AND ($2::bigint IS NULL OR "
    "d.party_id = $2)",
    2};

est_result store_dead_letters_list(est_pool *pool, const store_dead_letter_filter *f, const est_list_query *q,
                                   est_page *out) {
  char vb[24];
  const char *params[9] = {f->reason,
                           f->topic,
                           f->from,
                           f->to,
                           f->resolved < 0 ? NULL
                           : f->resolved   ? "true"
                                           : "false",
                           STORE_LIST_SLOTS,
                           store_rows_param(f->rows, f->rows_party, vb)};
  return store_list_run(pool, &dl_list[q->desc], params, 5, q, store_dead_letters_sorts[q->sort_index], out);
}

est_result store_dead_letter_get(est_pool *pool, long long id, est_rows rows, long long rows_party, est_doc *out) {
  char idb[24], vb[24];
  const char *params[2] = {store_lld(idb, id), store_rows_param(rows, rows_party, vb)};
  return store_doc_exec(pool, &dl_get, params, out);
}

/* ---- resubmission --------------------------------------------------------- */

static const est_stmt dl_raw = {
    "dead_letters_raw",
    "SELECT topic, payload, headers::text, COALESCE(resolved_event_id, 0), resolved_at IS NOT NULL "
    "FROM dead_letters WHERE id = $1",
    1};

void store_dead_letter_raw_free(store_dead_letter_raw *r) {
  free(r->topic);
  free(r->payload);
  free(r->headers_json);
  memset(r, 0, sizeof *r);
}

est_result store_dead_letter_raw_get(est_pool *pool, long long id, store_dead_letter_raw *out) {
  memset(out, 0, sizeof *out);
  PGresult *r;
  est_result rc = store_row_by_id(pool, &dl_raw, id, &r);
  if (rc != EST_OK) return rc;
  out->id = id;
  out->topic = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
  size_t len = 0;
  unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &len);
  if (bytes) {
    out->payload = malloc(len + 1);
    if (out->payload) {
      memcpy(out->payload, bytes, len);
      out->payload[len] = '\0';
      out->len = len;
    }
    PQfreemem(bytes);
  }
  out->headers_json = strdup(PQgetvalue(r, 0, 2));
  out->resolved_event_id = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
  if (PQgetvalue(r, 0, 4)[0] == 't' && out->resolved_event_id == 0) out->resolved_event_id = -1;
  PQclear(r);
  if (!out->payload || !out->headers_json) {
    store_dead_letter_raw_free(out);
    return EST_ENOMEM;
  }
  return EST_OK;
}

/* The event of a resubmitted dead letter keeps the channel it came by
 * (kafka, http or poll). */
static const est_stmt dl_lock = {
    "dead_letters_lock2",
    "SELECT COALESCE(resolved_event_id, 0), resolved_at IS NOT NULL, channel FROM dead_letters WHERE id = $1 FOR UPDATE",
    1};
static const est_stmt dl_mark = {
    "dead_letters_mark",
    "UPDATE dead_letters SET resolved_at = now(), resolved_event_id = NULLIF($2::bigint, 0) WHERE id = $1", 2};

est_result store_dead_letter_resolve(est_pool *pool, long long id, est_event *ev, const est_actor *who,
                                     long long *event_id, bool *inserted, bool *already) {
  *event_id = 0;
  *inserted = *already = false;
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  char idb[24], eb[24];
  const char *params[2] = {store_lld(idb, id), NULL};
  PGresult *r = NULL;
  if ((rc = est_db_exec(c, &dl_lock, params, &r, NULL)) != EST_OK) goto done;
  if (PQntuples(r) == 0) {
    rc = EST_ENOTFOUND;
    goto done;
  }
  if (PQgetvalue(r, 0, 1)[0] == 't') {
    *already = true;
    *event_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    goto done;
  }
  char channel[8]; /* the CHECK of dead_letters.channel: kafka, http, poll */
  snprintf(channel, sizeof channel, "%s", PQgetvalue(r, 0, 2));
  PQclear(r);
  r = NULL;
  if ((rc = store_event_insert_one(c, ev, channel, event_id, inserted)) != EST_OK) goto done;
  params[1] = store_lld(eb, *event_id);
  if ((rc = est_db_exec(c, &dl_mark, params, &r, NULL)) != EST_OK) goto done;
  char after[160];
  snprintf(after, sizeof after, "{\"event_id\": %lld, \"status\": \"%s\"}", *event_id,
           *inserted ? "stored" : "duplicate");
  rc = store_audit_write(c, who, "resubmit", "dead_letter", id, NULL, after);
done:
  PQclear(r);
  return store_tx_end(pool, c, rc);
}
