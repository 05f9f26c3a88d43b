/* events.c - events: batch intake, HTTP ingest, list and get (see
 * store_events.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/buf.h"
#include "estd/log.h"
#include "estd/store_events.h"
#include "estd/store_places.h"
#include "estd/store_sources.h"
#include "estd/store_util.h"
#include "internal.h"

/* ---- the multi-row insert ------------------------------------------------- */

/* $1..$19: one PostgreSQL array per column (see batch_arrays), $20 the
 * channel. Arrays rather than a JSON document: array_in is several times
 * cheaper than json(b)_to_recordset for a 2000-row batch. Areas: by the
 * position's precision, est_event_area_ids (migration 0116: every area the
 * point lies in or the track crosses; only districts for district
 * precision; none for a municipality/county centroid). */
#define EV_ROWS                                                                                                 \
  "WITH r AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], "   \
  "$7::text[], $8::timestamptz[], $9::int[], $10::int[], $11::float8[], $12::float8[], $13::text[], "           \
  "$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::timestamptz[]) AS x(i, source, sid, "  \
  "party_id, kind, activity_type, category, occurred_at, duration_s, srid, px, py, track, place, description, " \
  "attributes, flags, prec, published_at)), "
#define EV_GEOMS                                                                                      \
  "CASE WHEN px IS NULL THEN NULL WHEN srid = 4326 THEN ST_SetSRID(ST_MakePoint(px, py), 4326) ELSE " \
  "ST_Transform(ST_SetSRID(ST_MakePoint(px, py), srid), 4326) END AS g, "                             \
  "ST_SetSRID(ST_GeomFromGeoJSON(track), 4326) AS t"
/* INSERT of the rows of d (in batch order) and of their event_areas rows
 * (with the event's columns they repeat, sql/migrations/0090). */
#define EV_INSERT                                                                                               \
  "ins AS (INSERT INTO events (source, source_event_id, party_id, kind, activity_type, category, occurred_at, " \
  "duration_s, geom, track, place_name, area_ids, description, attributes, flags, channel, "                    \
  "location_precision, published_at) "                                                                          \
  "SELECT source, sid, party_id, kind, activity_type, category, occurred_at, duration_s, g, t, place, "         \
  "est_event_area_ids(COALESCE(g, t), prec), "                                                                  \
  "description, attributes::jsonb, COALESCE(string_to_array(NULLIF(flags, ''), ','), '{}'), $20, "              \
  "prec, published_at "                                                                                         \
  "FROM d ORDER BY i ON CONFLICT (source, source_event_id) DO NOTHING "                                         \
  "RETURNING id, source, source_event_id, area_ids, occurred_at, kind, category, party_id, record_key, "        \
  "duration_s, hs_pt), "                                                                                        \
  "ea AS (INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key, "      \
  "duration_s, hs_pt) "                                                                                         \
  "SELECT ins.id, u.a, ins.occurred_at, ins.kind, ins.category, ins.party_id, ins.record_key, ins.duration_s, " \
  "ins.hs_pt FROM ins, unnest(ins.area_ids) AS u(a)) "

/* Kafka: the keys that were inserted, in batch order. A key that occurs
 * twice in the batch is inserted once (the first row; ON CONFLICT DO NOTHING
 * also skips a conflict with a row inserted earlier by the same statement),
 * so no DISTINCT ON pass and no join back to the input are needed: the
 * caller matches the returned keys to its messages. */
static const est_stmt ev_insert_k = {
    "events_insert_k4",
    EV_ROWS "d AS (SELECT r.*, " EV_GEOMS " FROM r), " EV_INSERT "SELECT source, source_event_id FROM ins", 20};

/* HTTP: per input row its event id and whether this row inserted it. Rows
 * with the same key in one request collapse to the first (DISTINCT ON ...
 * ORDER BY i), so the answer can name the row that inserted. */
static const est_stmt ev_insert_h = {
    "events_insert_h3",
    EV_ROWS "d AS (SELECT DISTINCT ON (source, sid) r.*, " EV_GEOMS " FROM r ORDER BY source, sid, i), " EV_INSERT
            "SELECT r.i, COALESCE(ins.id, e.id), (ins.id IS NOT NULL AND d.i = r.i) FROM r "
            "LEFT JOIN d ON d.source = r.source AND d.sid = r.sid "
            "LEFT JOIN ins ON ins.source = r.source AND ins.source_event_id = r.sid "
            "LEFT JOIN events e ON e.source = r.source AND e.source_event_id = r.sid ORDER BY r.i",
    20};

/* ---- batch parameters: one array literal per column ----------------------- */

#define NCOLS 19

/* Appends one array element: NULL, or s double-quoted with \ and " escaped. */
static void array_elem(est_buf *b, const char *s) {
  if (b->len > 1) est_buf_append(b, ",", 1);
  if (!s) {
    est_buf_append(b, "NULL", 4);
    return;
  }
  size_t n = strlen(s);
  est_buf_reserve(b, n * 2 + 2);
  if (b->oom) return;
  char *o = b->data + b->len;
  *o++ = '"';
  for (const char *c = s; *c; c++) {
    if (*c == '"' || *c == '\\') *o++ = '\\';
    *o++ = *c;
  }
  *o++ = '"';
  b->len = (size_t)(o - b->data);
  b->data[b->len] = '\0';
}

typedef struct batch_arrays {
  est_buf col[NCOLS];
} batch_arrays;

static void arrays_init(batch_arrays *a) {
  for (int k = 0; k < NCOLS; k++) {
    a->col[k] = (est_buf)EST_BUF_INIT;
    est_buf_reserve(&a->col[k], 1023); /* the batch's columns grow to kilobytes at once */
    est_buf_append(&a->col[k], "{", 1);
  }
}

static void arrays_free(batch_arrays *a) {
  for (int k = 0; k < NCOLS; k++) est_buf_free(&a->col[k]);
}

/* Adds one event as row i. */
static void arrays_add(batch_arrays *a, const est_event *ev, size_t i) {
  char n1[32], n2[32], n3[32], n4[32], n5[32], n6[40], n7[40];
  snprintf(n1, sizeof n1, "%zu", i);
  snprintf(n2, sizeof n2, "%lld", ev->party_id);
  snprintf(n3, sizeof n3, "%ld", ev->duration_s);
  snprintf(n4, sizeof n4, "%d", ev->srid);
  snprintf(n6, sizeof n6, "%.17g", ev->x);
  snprintf(n7, sizeof n7, "%.17g", ev->y);
  const char *fl[4];
  est_event_flag_names(ev->flags, fl);
  n5[0] = '\0';
  for (int k = 0; fl[k]; k++) {
    size_t l = strlen(n5);
    snprintf(n5 + l, sizeof n5 - l, "%s%s", k ? "," : "", fl[k]);
  }
  const char *v[NCOLS] = {n1,
                          ev->source,
                          ev->id,
                          n2,
                          ev->kind,
                          ev->activity_type,
                          ev->category,
                          ev->occurred_at,
                          ev->duration_s >= 0 ? n3 : NULL,
                          ev->srid ? n4 : NULL,
                          ev->srid ? n6 : NULL,
                          ev->srid ? n7 : NULL,
                          ev->track,
                          ev->place_name,
                          ev->description,
                          ev->attributes ? ev->attributes : "{}",
                          n5,
                          ev->srid ? ev->precision : NULL,
                          ev->published_at};
  for (int k = 0; k < NCOLS; k++) array_elem(&a->col[k], v[k]);
}

/* Closes the arrays; fills params[0..19] (the last is the channel). */
static est_result arrays_params(batch_arrays *a, const char *channel, const char *params[NCOLS + 1]) {
  for (int k = 0; k < NCOLS; k++) {
    est_buf_append(&a->col[k], "}", 1);
    if (a->col[k].oom) return EST_ENOMEM;
    params[k] = a->col[k].data;
  }
  params[NCOLS] = channel;
  return EST_OK;
}

/* ---- parties (code -> id, cached) ----------------------------------------- */

#define PARTY_CACHE 64
static pthread_mutex_t g_party_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char code[72];
  long long id;
} g_party[PARTY_CACHE];
static int g_nparty;

static const est_stmt party_by_code = {"events_party_by_code", "SELECT id FROM parties WHERE code = $1", 1};

static bool party_cached(const char *code, long long *id) {
  bool hit = false;
  pthread_mutex_lock(&g_party_mu);
  for (int i = 0; i < g_nparty && !hit; i++)
    if (strcmp(g_party[i].code, code) == 0) {
      *id = g_party[i].id;
      hit = true;
    }
  pthread_mutex_unlock(&g_party_mu);
  return hit;
}

static void party_remember(const char *code, long long id) {
  pthread_mutex_lock(&g_party_mu);
  if (g_nparty < PARTY_CACHE && strlen(code) < sizeof g_party[0].code) {
    snprintf(g_party[g_nparty].code, sizeof g_party[0].code, "%s", code);
    g_party[g_nparty].id = id;
    g_nparty++;
  }
  pthread_mutex_unlock(&g_party_mu);
}

/* Parties are never deleted (events reference them), so a cached id stays valid. */
static est_result party_lookup(est_conn *c, const char *code, long long *id) {
  if (party_cached(code, id)) return EST_OK;
  const char *params[1] = {code};
  PGresult *r;
  est_result rc = est_db_exec(c, &party_by_code, params, &r, NULL);
  if (rc != EST_OK) return rc;
  if (PQntuples(r) == 0) {
    PQclear(r);
    return EST_ENOTFOUND;
  }
  *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  party_remember(code, *id);
  return EST_OK;
}

est_result store_party_resolve(est_pool *pool, const char *code, long long *id) {
  if (party_cached(code, id)) return EST_OK;
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  rc = party_lookup(c, code, id);
  est_pool_release(pool, c);
  return rc;
}

static est_result admit_party(void *arg, const char *code, long long *id) { return store_party_resolve(arg, code, id); }

static est_result admit_source(void *arg, long long party_id, const char *source) {
  return store_source_registered(arg, party_id, source);
}

est_admit_lookup store_admit_lookup(est_pool *pool) {
  est_admit_lookup lk = {admit_party, admit_source, pool, store_places_geocode};
  return lk;
}

/* ---- Kafka batch ---------------------------------------------------------- */

static bool retriable(est_result rc, const char *sqlstate) {
  return rc == EST_EUNAVAILABLE || rc == EST_ETIMEOUT || strncmp(sqlstate, "40", 2) == 0 ||
         strcmp(sqlstate, "55P03") == 0 || strncmp(sqlstate, "53", 2) == 0 || strncmp(sqlstate, "57", 2) == 0;
}

static void set_detail(store_msg *m, const char *detail) {
  free(m->detail);
  m->detail = detail ? strdup(detail) : NULL;
}

/* Marks the message of idx[0..k) with key (source, sid) stored. *from is
 * where the search starts: the keys come back in batch order, so the
 * match is normally the next message. */
static void mark_stored(store_msg *msgs, const size_t *idx, size_t k, size_t *from, const char *source,
                        const char *sid) {
  for (size_t n = 0; n < k; n++) {
    size_t j = (*from + n) % k;
    est_event *ev = msgs[idx[j]].ev;
    if (!msgs[idx[j]].stored && strcmp(ev->id, sid) == 0 && strcmp(ev->source, source) == 0) {
      msgs[idx[j]].stored = true;
      *from = (j + 1) % k;
      return;
    }
  }
}

/* Inserts msgs[idx[0..k)] as one statement; marks stored. */
static est_result insert_some(est_conn *c, store_msg *msgs, const size_t *idx, size_t k, char sqlstate[6]) {
  batch_arrays a;
  arrays_init(&a);
  for (size_t j = 0; j < k; j++) arrays_add(&a, msgs[idx[j]].ev, idx[j]);
  const char *params[NCOLS + 1];
  est_result rc = arrays_params(&a, "kafka", params);
  PGresult *r = NULL;
  if (rc == EST_OK) rc = est_db_exec(c, &ev_insert_k, params, &r, sqlstate);
  arrays_free(&a);
  if (rc != EST_OK) return rc;
  size_t from = 0;
  for (int row = 0; row < PQntuples(r); row++)
    mark_stored(msgs, idx, k, &from, PQgetvalue(r, row, 0), PQgetvalue(r, row, 1));
  PQclear(r);
  return EST_OK;
}

/* One attempt at the batch in one transaction on c. On failure the
 * transaction is rolled back; the message of the failure is kept in err. */
static est_result batch_attempt(est_conn *c, store_msg *msgs, size_t n, bool isolate, char *err, size_t errlen) {
  char sqlstate[6] = "";
  for (size_t i = 0; i < n; i++) msgs[i].stored = msgs[i].deadlettered = false;
  /* No JIT: from ~3500 rows on the planner's cost estimate of the insert
   * crosses jit_above_cost and compiling it takes longer (0.4 s for 5000
   * rows) than running it. */
  est_result rc = store_tx_open(c, "BEGIN; SET LOCAL jit = off");
  if (rc != EST_OK) return rc;
  size_t *idx = malloc((n ? n : 1) * sizeof *idx);
  if (!idx) return store_tx_close(c, EST_ENOMEM);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    store_msg *m = &msgs[i];
    if (m->reason || !m->ev) continue;
    idx[k++] = i; /* admitted: party_id resolved by est_event_admit */
  }
  if (k > 0 && !isolate) {
    rc = insert_some(c, msgs, idx, k, sqlstate);
  } else if (k > 0) {
    for (size_t j = 0; j < k && rc == EST_OK; j++) {
      if ((rc = est_db_command(c, "SAVEPOINT ev")) != EST_OK) break;
      rc = insert_some(c, msgs, &idx[j], 1, sqlstate);
      if (rc == EST_OK) {
        rc = est_db_command(c, "RELEASE SAVEPOINT ev");
      } else if (!retriable(rc, sqlstate)) {
        store_msg *m = &msgs[idx[j]];
        m->reason = est_event_reason_name(EST_REASON_DATABASE);
        set_detail(m, est_conn_error(c));
        sqlstate[0] = '\0';
        rc = est_db_command(c, "ROLLBACK TO SAVEPOINT ev");
      }
    }
  }
  if (rc == EST_OK) rc = store_deadletters_insert(c, msgs, n);
  if (rc != EST_OK) snprintf(err, errlen, "%s", est_conn_error(c)); /* before the ROLLBACK */
  bool failed = rc != EST_OK;
  rc = store_tx_close(c, rc);
  if (rc != EST_OK && !failed) snprintf(err, errlen, "%s", est_conn_error(c)); /* the COMMIT failed */
  free(idx);
  if (rc != EST_OK) {
    for (size_t i = 0; i < n; i++) msgs[i].stored = msgs[i].deadlettered = false;
    if (rc == EST_EUNAVAILABLE || rc == EST_ENOMEM) {
      /* as is: the caller retries */
    } else if (rc == EST_ETIMEOUT || (sqlstate[0] && retriable(rc, sqlstate))) {
      rc = EST_ECONFLICT; /* transient (deadlock, serialization, timeout): retry */
    } else {
      rc = EST_EINVAL; /* the data: isolate */
    }
  }
  return rc;
}

est_result store_intake_batch(est_pool *pool, store_msg *msgs, size_t n) {
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  est_conn_set_class(c, EST_DB_INTAKE);
  char err[512] = "";
  rc = batch_attempt(c, msgs, n, false, err, sizeof err);
  if (rc == EST_EINVAL) {
    /* One row the database refuses would block the partition forever:
     * isolate each event behind a savepoint and dead-letter the culprits. */
    est_log_kv(EST_LOG_WARN, "batch insert refused, retrying event by event", "error", err, NULL);
    rc = batch_attempt(c, msgs, n, true, err, sizeof err);
  }
  est_pool_release(pool, c);
  return rc;
}

/* ---- HTTP ingest ---------------------------------------------------------- */

est_result store_events_ingest(est_pool *pool, est_event *const *evs, size_t n, size_t rejected, const est_actor *who,
                               store_event_outcome *out) {
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  PGresult *r = NULL;
  size_t stored = 0, dups = 0;
  json_t *ids = json_array();
  if (n > 0) {
    batch_arrays a;
    arrays_init(&a);
    for (size_t i = 0; i < n; i++) arrays_add(&a, evs[i], i);
    const char *params[NCOLS + 1];
    rc = arrays_params(&a, "http", params);
    if (rc == EST_OK) rc = est_db_exec(c, &ev_insert_h, params, &r, NULL);
    arrays_free(&a);
    if (rc != EST_OK) goto done;
    for (int row = 0; row < PQntuples(r); row++) {
      long long i = strtoll(PQgetvalue(r, row, 0), NULL, 10);
      if (i < 0 || (size_t)i >= n) continue;
      out[i].event_id = PQgetisnull(r, row, 1) ? 0 : strtoll(PQgetvalue(r, row, 1), NULL, 10);
      out[i].inserted = PQgetvalue(r, row, 2)[0] == 't';
      if (out[i].inserted) {
        stored++;
        json_array_append_new(ids, json_integer(out[i].event_id));
      } else {
        dups++;
      }
    }
  }
  json_t *summary = json_pack("{s:I,s:I,s:I,s:o}", "stored", (json_int_t)stored, "duplicates", (json_int_t)dups,
                              "rejected", (json_int_t)rejected, "event_ids", json_incref(ids));
  char *after = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
  json_decref(summary);
  rc = store_audit_write(c, who, "ingest", "event", stored == 1 && n == 1 ? out[0].event_id : 0, NULL, after);
  free(after);
done:
  rc = store_tx_end(pool, c, rc);
  json_decref(ids);
  PQclear(r);
  return rc;
}

/* Used by deadletters.c for resubmission (same statement, same transaction). */
est_result store_event_insert_one(est_conn *c, est_event *ev, const char *channel, long long *event_id,
                                  bool *inserted) {
  est_result rc = EST_OK;
  batch_arrays a;
  arrays_init(&a);
  arrays_add(&a, ev, 0);
  const char *params[NCOLS + 1];
  PGresult *r = NULL;
  rc = arrays_params(&a, channel, params);
  if (rc == EST_OK) rc = est_db_exec(c, &ev_insert_h, params, &r, NULL);
  arrays_free(&a);
  if (rc != EST_OK) return rc;
  *event_id = PQntuples(r) && !PQgetisnull(r, 0, 1) ? strtoll(PQgetvalue(r, 0, 1), NULL, 10) : 0;
  *inserted = PQntuples(r) && PQgetvalue(r, 0, 2)[0] == 't';
  PQclear(r);
  return EST_OK;
}

/* ---- reading -------------------------------------------------------------- */

const char *const store_events_sorts[] = {"occurred_at", "id", NULL};

/* Rows are whole or absent (estd/disclosure.h): $8 = the only party whose
 * events may be read (NULL = every party; 0 = none). */
#define EVENT_JSON                                                                                            \
  "json_build_object('id', e.id, 'source', e.source, 'source_event_id', e.source_event_id, 'party_id', "      \
  "e.party_id, 'kind', e.kind, 'activity_type', e.activity_type, 'category', e.category, 'occurred_at', "     \
  "e.occurred_at, 'received_at', e.received_at, 'duration_s', e.duration_s, 'location', CASE WHEN e.geom "    \
  "IS NULL THEN NULL ELSE json_build_object('lat', ST_Y(e.geom), 'lon', ST_X(e.geom)) END, 'place_name', "    \
  "e.place_name, 'track', ST_AsGeoJSON(e.track)::json, 'area_ids', e.area_ids, 'description', "               \
  "e.description, 'attributes', e.attributes, 'flags', e.flags, 'channel', e.channel, 'location_precision', " \
  "e.location_precision, 'published_at', e.published_at)::text"

#define EVENT_LIST(name, sortval, after, order)                                                               \
  {                                                                                                           \
    name,                                                                                                     \
        "SELECT " EVENT_JSON ", " sortval                                                                     \
        ", e.id FROM events e WHERE ($1::bigint IS NULL OR $1 = ANY (e.area_ids))"                            \
        " AND ($2::text IS NULL OR e.category = $2) AND ($3::text IS NULL OR e.kind = $3)"                    \
        " AND ($4::bigint IS NULL OR e.party_id = $4) AND ($5::timestamptz IS NULL OR e.occurred_at >= $5)"   \
        " AND ($6::timestamptz IS NULL OR e.occurred_at < $6) AND ($7::text IS NULL OR e.source = $7)"        \
        " AND ($8::bigint IS NULL OR e.party_id = $8) AND ($10::bigint IS NULL OR " after ") ORDER BY " order \
        " LIMIT $11",                                                                                         \
        11                                                                                                    \
  }

static const est_stmt event_list[2][2] = {
    {EVENT_LIST("events_list_occ", "e.occurred_at::text", "(e.occurred_at, e.id) > ($9::timestamptz, $10)",
                "e.occurred_at, e.id"),
     EVENT_LIST("events_list_occ_d", "e.occurred_at::text", "(e.occurred_at, e.id) < ($9::timestamptz, $10)",
                "e.occurred_at DESC, e.id DESC")},
    {EVENT_LIST("events_list_id", "''", "($9::text = '' AND e.id > $10)", "e.id"),
     EVENT_LIST("events_list_id_d", "''", "($9::text = '' AND e.id < $10)", "e.id DESC")},
};

/* $1 id; $2..$7 unused placeholders keep $8 the visible party. */
static const est_stmt event_get = {
    "events_get",
    "SELECT " EVENT_JSON
    ", 1 FROM events e WHERE e.id = $1 AND ($2::text IS NULL) AND ($3::text IS NULL) AND "
    "($4::text IS NULL) AND ($5::text IS NULL) AND ($6::text IS NULL) AND ($7::text IS NULL) AND "
    "($8::bigint IS NULL OR e.party_id = $8)",
    8};

/* $8 for a row policy: NULL (all), the party, or 0 (no party has id 0). */
const char *store_rows_param(est_rows rows, long long party, char buf[24]) {
  if (rows == EST_ROWS_ALL) return NULL;
  return store_lld(buf, rows == EST_ROWS_PARTY ? party : 0);
}

est_result store_events_list(est_pool *pool, const store_event_filter *f, const est_list_query *q, est_page *out) {
  char idb[24], lim[24], ab[24], pb[24], vb[24];
  const char *av, *aid;
  store_after_params(q, idb, &av, &aid);
  const char *params[11] = {f->area_id ? store_lld(ab, f->area_id) : NULL,
                            f->category,
                            f->kind,
                            f->party_id ? store_lld(pb, f->party_id) : NULL,
                            f->from,
                            f->to,
                            f->source,
                            store_rows_param(f->rows, f->rows_party, vb),
                            av,
                            aid,
                            store_lld(lim, q->limit + 1)};
  return store_list_page(pool, &event_list[q->sort_index][q->desc], params, q, store_events_sorts[q->sort_index], out);
}

est_result store_event_get(est_pool *pool, long long id, est_rows rows, long long rows_party, est_doc *out) {
  char idb[24], vb[24];
  const char *params[8] = {
      store_lld(idb, id), NULL, NULL, NULL, NULL, NULL, NULL, store_rows_param(rows, rows_party, vb)};
  return store_doc_exec(pool, &event_get, params, out);
}
