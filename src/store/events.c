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

/* ---- the batch insert: binary COPY into a staging table, one INSERT ------ */

/* Every event write (Kafka batch, HTTP request, resubmission) copies its
 * rows with binary COPY into the session's temporary staging table and
 * then runs two statements. The first: the keys (event_keys, ON CONFLICT
 * (source, source_event_id) DO NOTHING), then the events whose key was new
 * with their areas (one spatial join against the GiST index of areas) and
 * their event_areas rows, and a copy of what the rollups need of them into
 * a second temporary table. The second (ev_rollup): the rollups and bucket
 * versions of those rows. estd.intake_statement = 'on' marks the first
 * statement for the statement triggers: those of 0120 skip what it does
 * itself (the keys; the area rows' event check, as it derives them from the
 * events it inserts), those of 0070/0090 (0140) leave the rollups and
 * versions of its inserts to ev_rollup, which ends the mark. The tables
 * live as long as the session; ON COMMIT DELETE ROWS empties them at every
 * commit (and a rollback drops their rows), the DELETEs cover the
 * savepoint-per-event retry, where several inserts share one transaction. */
#define STAGE "pg_temp.estd_intake_stage"
#define NEW_ROWS "pg_temp.estd_intake_new"
static const char stage_open[] =
    "SET LOCAL estd.intake_statement = 'on'; "
    "CREATE TEMP TABLE IF NOT EXISTS estd_intake_stage (i int4, source text, sid text, party_id int8, kind text, "
    "activity_type text, category text, occurred_at text, duration_s int4, srid int4, px float8, py float8, "
    "track text, place text, description text, attributes text, flags text, prec text, published_at text) "
    "ON COMMIT DELETE ROWS; CREATE TEMP TABLE IF NOT EXISTS estd_intake_new (area_ids int8[], occurred_at "
    "timestamptz, kind text, category text, party_id int8, record_key int4, duration_s int4, id int8, "
    "received_at timestamptz) ON COMMIT DELETE ROWS; "
    "DELETE FROM " STAGE "; DELETE FROM " NEW_ROWS;
static const char stage_copy[] = "COPY " STAGE " FROM STDIN (FORMAT binary)";
#define STAGE_COLS 19

/* s: the staged rows, one per key (the first in batch order); k: the keys
 * that were new, their ids drawn in batch order but inserted in key order,
 * so that two writers whose batches share keys wait for each other in one
 * order and cannot deadlock on event_keys' unique index; n: their rows with the new event id; ins: the events with
 * their areas (est_event_area_set, the rule of migration 0116 as a set the
 * planner inlines, 0141: per row one probe of the GiST index of areas, by
 * the position's precision: only districts for district precision, none for
 * a municipality or county centroid); ea: their area rows, with the event's
 * columns they repeat (0090); nw: the inserted rows, for ev_rollup. */
#define EV_WITH                                                                                                                                                                                                               \
  "WITH s AS (SELECT DISTINCT ON (source COLLATE \"C\", sid COLLATE \"C\") i, source, sid, party_id, kind, activity_type, category, "                                                                                         \
  "occurred_at::timestamptz AS occurred_at, duration_s, CASE WHEN px IS NULL THEN NULL WHEN srid = 4326 THEN "                                                                                                                \
  "ST_SetSRID(ST_MakePoint(px, py), 4326) ELSE ST_Transform(ST_SetSRID(ST_MakePoint(px, py), srid), 4326) "                                                                                                                   \
  "END AS g, ST_SetSRID(ST_GeomFromGeoJSON(track), 4326) AS t, place, description, attributes::jsonb AS "                                                                                                                     \
  "attributes, COALESCE(string_to_array(NULLIF(flags, ''), ','), '{}') AS flags, prec, "                                                                                                                                      \
  "published_at::timestamptz AS published_at FROM " STAGE                                                                                                                                                                     \
  " ORDER BY source COLLATE \"C\", sid COLLATE \"C\", i), "                                                                                                                                                                   \
  "k AS (INSERT INTO event_keys (source, source_event_id, event_id) SELECT source, sid, id FROM (SELECT source, sid, "                                                                                                        \
  "nextval('events_id_seq') AS id FROM s ORDER BY i) o ORDER BY source COLLATE \"C\", sid COLLATE \"C\" "                                                                                                                     \
  "ON CONFLICT (source, source_event_id) DO NOTHING RETURNING event_id, source, source_event_id), "                                                                                                                           \
  "n AS (SELECT k.event_id, s.* FROM k JOIN s ON s.source = k.source AND s.sid = k.source_event_id), "                                                                                                                        \
  "ins AS (INSERT INTO events (id, source, source_event_id, party_id, kind, activity_type, category, "                                                                                                                        \
  "occurred_at, duration_s, geom, track, place_name, area_ids, description, attributes, flags, channel, "                                                                                                                     \
  "location_precision, published_at) SELECT n.event_id, n.source, n.sid, n.party_id, n.kind, "                                                                                                                                \
  "n.activity_type, n.category, n.occurred_at, n.duration_s, n.g, n.t, n.place, COALESCE(ai.ids, '{}'::bigint[]), "                                                                                                           \
  "n.description, n.attributes, n.flags, $1, n.prec, n.published_at FROM n CROSS JOIN LATERAL (SELECT array_agg(x.area_id ORDER BY x.area_id) AS ids FROM est_event_area_set(COALESCE(n.g, n.t), n.prec) x) ai ORDER BY n.i " \
  "RETURNING id, area_ids, occurred_at, kind, category, party_id, record_key, duration_s, hs_pt, received_at), "                                                                                                              \
  "ea AS (INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key, "                                                                                                                    \
  "duration_s, hs_pt) SELECT ins.id, u.a, ins.occurred_at, ins.kind, ins.category, ins.party_id, "                                                                                                                            \
  "ins.record_key, ins.duration_s, ins.hs_pt FROM ins, unnest(ins.area_ids) AS u(a)), "                                                                                                                                       \
  "nw AS (INSERT INTO " NEW_ROWS                                                                                                                                                                                              \
  " SELECT area_ids, occurred_at, kind, category, party_id, record_key, duration_s, id, received_at "                                                                                                                         \
  "FROM ins) "

/* The second statement of every intake: the rollups and bucket versions of
 * exactly the rows the first one inserted (NEW_ROWS, its RETURNING: a
 * duplicate that hit ON CONFLICT is not in it), instead of the statement
 * triggers of 0070/0090 (which do not fire for the marked first
 * statement, migration 0140). g groups them at the full grain (area, UTC
 * hour, kind, category, party), area 0 = every event, the other areas those
 * of its event_areas rows; rh/rd add g to situation_hourly / situation_daily,
 * vb bumps every (area, Stockholm day) bucket the events fall in (also 0,
 * and -1 for presence), fr raises the newest values of situation_freshness
 * (0145: its area rows and area 0 with the newest event). Every upsert is sorted by its key, so two intake
 * writers lock the rollup rows in the same order; and it runs after the
 * events, their area rows and their foreign-key checks, right before the
 * commit, so that the rows both writers update stay locked as briefly as
 * the triggers held them. It also ends the mark of the first statement. */
static const est_stmt ev_rollup = {
    "events_rollup2",
    "WITH g AS (SELECT u.a, date_trunc('hour', e.occurred_at, 'UTC') AS h, e.kind AS k, COALESCE(e.category, '') AS c, "
    "e.party_id AS p, count(*) AS n, sum(e.record_key) AS rk, COALESCE(sum(e.duration_s), 0) AS dur "
    "FROM " NEW_ROWS
    " e, unnest(e.area_ids || 0::bigint) AS u(a) GROUP BY 1, 2, 3, 4, 5), "
    "rh AS (INSERT INTO situation_hourly AS r (area_id, hour, kind, n, rk, dur) SELECT a, h, k, sum(n)::int8, sum(rk)::int8, "
    "sum(dur)::int8 FROM g GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (area_id, hour, kind) DO UPDATE "
    "SET n = r.n + excluded.n, rk = r.rk + excluded.rk, dur = r.dur + excluded.dur), "
    "rd AS (INSERT INTO situation_daily AS r (area_id, day, kind, category, party_id, n, rk, dur) "
    "SELECT a, (h AT TIME ZONE 'Europe/Stockholm')::date, k, c, p, sum(n)::int8, sum(rk)::int8, sum(dur)::int8 FROM g GROUP BY 1, 2, 3, 4, 5 "
    "ORDER BY 1, 2, 3, 4, 5 ON CONFLICT (area_id, day, kind, category, party_id) DO UPDATE "
    "SET n = r.n + excluded.n, rk = r.rk + excluded.rk, dur = r.dur + excluded.dur), "
    "vb AS (INSERT INTO situation_versions AS v (area_id, day, version) SELECT DISTINCT x.a, "
    "(e.occurred_at AT TIME ZONE 'Europe/Stockholm')::date, 1::bigint FROM " NEW_ROWS
    " e, unnest(e.area_ids || 0::bigint || "
    "CASE WHEN e.kind <> 'incident' THEN ARRAY[-1::bigint] ELSE '{}'::bigint[] END) AS x(a) ORDER BY 1, 2 "
    "ON CONFLICT (area_id, day) DO UPDATE SET version = v.version + 1), "
    "fr AS (INSERT INTO situation_freshness AS f (area_id, newest_occurred_at, newest_event_id, newest_received_at) "
    "SELECT * FROM (SELECT u.a, max(e.occurred_at), NULL::int8, NULL::timestamptz FROM " NEW_ROWS
    " e, unnest(e.area_ids) AS u(a) GROUP BY 1 UNION ALL SELECT 0, (SELECT max(occurred_at) FROM " NEW_ROWS
    "), l.id, l.received_at FROM (SELECT id, received_at FROM " NEW_ROWS
    " ORDER BY id DESC LIMIT 1) l) x ORDER BY 1 "
    "ON CONFLICT (area_id) DO UPDATE SET newest_occurred_at = GREATEST(f.newest_occurred_at, excluded.newest_occurred_at), "
    "newest_event_id = CASE WHEN f.area_id = 0 THEN GREATEST(f.newest_event_id, excluded.newest_event_id) END, "
    "newest_received_at = CASE WHEN f.area_id = 0 AND excluded.newest_event_id > f.newest_event_id "
    "THEN excluded.newest_received_at ELSE f.newest_received_at END) "
    "SELECT set_config('estd.intake_statement', 'off', true)",
    0};

/* Kafka: the batch index of every message whose event was inserted. */
static const est_stmt ev_insert_k = {"events_insert_k5", EV_WITH "SELECT n.i FROM n", 1};

/* HTTP and resubmission: per staged row its event id (inserted or already
 * stored; event_keys is read as of before the statement) and whether this
 * row inserted it. */
static const est_stmt ev_insert_h = {
    "events_insert_h4",
    EV_WITH "SELECT r.i, COALESCE(n.event_id, ek.event_id), COALESCE(n.i = r.i, false) FROM " STAGE
            " r "
            "LEFT JOIN n ON n.source = r.source AND n.sid = r.sid "
            "LEFT JOIN event_keys ek ON ek.source = r.source AND ek.source_event_id = r.sid ORDER BY r.i",
    1};

/* ---- PostgreSQL's binary COPY format ------------------------------------- */

/* The file header (signature, flags, header extension length), and the
 * trailer. Every field is a 32-bit length (-1 = NULL) and the value's
 * binary send format (big-endian integers and float8; text as its UTF-8
 * bytes, no escaping). */
static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

static void put_be(est_buf *b, unsigned long long v, int bytes) {
  char o[8];
  for (int k = 0; k < bytes; k++) o[k] = (char)(v >> (8 * (bytes - 1 - k)));
  est_buf_append(b, o, (size_t)bytes);
}

static void put_null(est_buf *b) { put_be(b, 0xffffffffu, 4); }

static void put_text(est_buf *b, const char *s) {
  if (!s) {
    put_null(b);
    return;
  }
  size_t n = strlen(s);
  put_be(b, n, 4);
  est_buf_append(b, s, n);
}

static void put_int4(est_buf *b, long v) {
  put_be(b, 4, 4);
  put_be(b, (unsigned long long)(unsigned int)(int)v, 4);
}

static void put_int8(est_buf *b, long long v) {
  put_be(b, 8, 4);
  put_be(b, (unsigned long long)v, 8);
}

static void put_float8(est_buf *b, double v) {
  unsigned long long u;
  memcpy(&u, &v, sizeof u);
  put_be(b, 8, 4);
  put_be(b, u, 8);
}

/* Appends event ev as the staged row with batch index i. */
static void stage_add(est_buf *b, const est_event *ev, size_t i) {
  char flags[40] = "";
  const char *fl[4];
  est_event_flag_names(ev->flags, fl);
  for (int k = 0; fl[k]; k++) {
    size_t l = strlen(flags);
    snprintf(flags + l, sizeof flags - l, "%s%s", k ? "," : "", fl[k]);
  }
  put_be(b, STAGE_COLS, 2);
  put_int4(b, (long)i);
  put_text(b, ev->source);
  put_text(b, ev->id);
  put_int8(b, ev->party_id);
  put_text(b, ev->kind);
  put_text(b, ev->activity_type);
  put_text(b, ev->category);
  put_text(b, ev->occurred_at);
  if (ev->duration_s >= 0) put_int4(b, ev->duration_s);
  else put_null(b);
  if (ev->srid) {
    put_int4(b, ev->srid);
    put_float8(b, ev->x);
    put_float8(b, ev->y);
  } else {
    put_null(b);
    put_null(b);
    put_null(b);
  }
  put_text(b, ev->track);
  put_text(b, ev->place_name);
  put_text(b, ev->description);
  put_text(b, ev->attributes ? ev->attributes : "{}");
  put_text(b, flags);
  put_text(b, ev->srid ? ev->precision : NULL);
  put_text(b, ev->published_at);
}

/* Stages evs[idx[j]] (or evs[j] without idx) for j < k with their indexes
 * and runs stmt with the channel; *out is its result. In the caller's
 * transaction. */
static est_result stage_insert(est_conn *c, est_event *const *evs, const size_t *idx, size_t k, const est_stmt *stmt,
                               const char *channel, PGresult **out, char sqlstate[6]) {
  *out = NULL;
  est_result rc = est_db_command(c, stage_open);
  if (rc != EST_OK) return rc;
  est_buf b = EST_BUF_INIT;
  est_buf_reserve(&b, 512 * k + 64); /* a typical event is ~300 bytes staged */
  est_buf_append(&b, copy_header, sizeof copy_header);
  for (size_t j = 0; j < k; j++) {
    size_t i = idx ? idx[j] : j;
    stage_add(&b, evs[i], i);
  }
  put_be(&b, 0xffffu, 2); /* trailer: -1 */
  rc = b.oom ? EST_ENOMEM : est_db_copy_in(c, stage_copy, b.data, b.len, sqlstate);
  est_buf_free(&b);
  const char *params[1] = {channel};
  if (rc == EST_OK) rc = est_db_exec(c, stmt, params, out, sqlstate);
  /* The rollups; this also ends the mark, so that a later statement of the
   * same transaction (a plain insert, a re-assignment) gets the triggers. */
  PGresult *rr = NULL;
  if (rc == EST_OK) rc = est_db_exec(c, &ev_rollup, NULL, &rr, sqlstate);
  PQclear(rr);
  if (rc != EST_OK) {
    PQclear(*out);
    *out = NULL;
  }
  return rc;
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

/* Inserts msgs[idx[0..k)] as one statement; marks stored. */
static est_result insert_some(est_conn *c, store_msg *msgs, const size_t *idx, size_t k, est_event **evs,
                              char sqlstate[6]) {
  PGresult *r = NULL;
  est_result rc = stage_insert(c, evs, idx, k, &ev_insert_k, "kafka", &r, sqlstate);
  if (rc != EST_OK) return rc;
  for (int row = 0; row < PQntuples(r); row++) {
    long long i = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    if (i >= 0 && evs[i]) msgs[i].stored = true;
  }
  PQclear(r);
  return EST_OK;
}

/* One attempt at the batch in one transaction on c. On failure the
 * transaction is rolled back; the message of the failure is kept in err. */
static est_result batch_attempt(est_conn *c, store_msg *msgs, size_t n, bool isolate, char *err, size_t errlen) {
  char sqlstate[6] = "";
  for (size_t i = 0; i < n; i++) msgs[i].stored = msgs[i].deadlettered = false;
  est_result rc = store_tx_open(c, NULL);
  if (rc != EST_OK) return rc;
  size_t *idx = malloc((n ? n : 1) * sizeof *idx);
  est_event **evs = calloc(n ? n : 1, sizeof *evs);
  if (!idx || !evs) {
    free(idx);
    free(evs);
    return store_tx_close(c, EST_ENOMEM);
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    store_msg *m = &msgs[i];
    if (m->reason || !m->ev) continue;
    evs[i] = m->ev;
    idx[k++] = i; /* admitted: party_id resolved by est_event_admit */
  }
  if (k > 0 && !isolate) {
    rc = insert_some(c, msgs, idx, k, evs, sqlstate);
  } else if (k > 0) {
    for (size_t j = 0; j < k && rc == EST_OK; j++) {
      if ((rc = est_db_command(c, "SAVEPOINT ev")) != EST_OK) break;
      rc = insert_some(c, msgs, &idx[j], 1, evs, sqlstate);
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
  free(evs);
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
    rc = stage_insert(c, evs, NULL, n, &ev_insert_h, "http", &r, NULL);
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
  PGresult *r = NULL;
  est_result rc = stage_insert(c, &ev, NULL, 1, &ev_insert_h, channel, &r, NULL);
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
