/* police_feed.c - the Police-feed poller's storage (see store_police_feed.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_police_feed.h"
#include "estd/store_util.h"
#include "internal.h"

/* The record's history row: inserted (true) or seen before (false), and its key. */
static const est_stmt pf_seen = {
    "police_feed_seen",
    "INSERT INTO police_feed_records AS r (source, feed_id, record, police_type, outcome) "
    "VALUES ($1, COALESCE($2, 'md5:' || md5($3::jsonb::text)), $3::jsonb, $4, 'dead_letter') "
    "ON CONFLICT (source, feed_id) DO UPDATE SET last_seen_at = now(), times_seen = r.times_seen + 1 "
    "RETURNING r.feed_id, (r.xmax = 0)",
    4};

static const est_stmt pf_outcome = {"police_feed_outcome",
                                    "UPDATE police_feed_records SET outcome = $3, reason = $4, event_id = $5::bigint "
                                    "WHERE source = $1 AND feed_id = $2",
                                    5};

/* A bad record: one dead letter per (source, source_event_id). */
static const est_stmt pf_dead_letter = {
    "police_feed_dead_letter",
    "INSERT INTO dead_letters (channel, payload, reason, detail, source, source_event_id, party_id) "
    "VALUES ('poll', convert_to($1, 'UTF8'), $2, $3, $4, $5, (SELECT id FROM parties WHERE code = $6)) "
    "ON CONFLICT (source, source_event_id) WHERE channel = 'poll' DO NOTHING",
    6};

/* One more new record of its type (the list's spelling when listed). */
static const est_stmt pf_type_count = {
    "police_feed_type_count",
    "INSERT INTO police_feed_type_counts AS t (police_type, mapping, records) VALUES (left($1, 200), $2, 1) "
    "ON CONFLICT (police_type) DO UPDATE SET records = t.records + 1, mapping = EXCLUDED.mapping, last_seen_at = now()",
    2};

static est_result count_type(est_conn *c, const char *police_type) {
  const char *cat, *listed = est_police_type_listed(police_type);
  const char *p[2] = {listed ? listed : police_type,
                      est_police_disposition_name(est_police_classify(police_type, &cat))};
  PGresult *res = NULL;
  est_result rc = est_db_exec(c, &pf_type_count, p, &res, NULL);
  if (rc == EST_OK) PQclear(res);
  return rc;
}

static est_result save_one(est_conn *c, const char *source, store_police_record *r, store_police_counts *k) {
  const char *p[6] = {source, r->feed_id, r->record, r->police_type};
  PGresult *res = NULL;
  est_result rc = est_db_exec(c, &pf_seen, p, &res, NULL);
  if (rc != EST_OK) return rc;
  char key[600];
  snprintf(key, sizeof key, "%s", PQgetvalue(res, 0, 0));
  r->seen_before = PQgetvalue(res, 0, 1)[0] != 't';
  PQclear(res);
  if (r->seen_before) return EST_OK;
  k->new_records++;
  if (r->police_type && r->police_type[0] && (rc = count_type(c, r->police_type)) != EST_OK) return rc;
  char eid[24] = "", dberr[512];
  if (!r->reason && r->ev) {
    /* A row the database refuses (should not happen: the domain validates
     * every constraint) becomes a dead letter instead of blocking every
     * later poll: the insert runs behind a savepoint. */
    bool inserted = false;
    if ((rc = est_db_command(c, "SAVEPOINT pf")) != EST_OK) return rc;
    rc = store_event_insert_one(c, r->ev, "poll", &r->event_id, &inserted);
    if (rc == EST_OK) {
      if ((rc = est_db_command(c, "RELEASE SAVEPOINT pf")) != EST_OK) return rc;
      r->outcome = inserted ? "stored" : "duplicate";
      if (inserted) k->stored++;
      else k->duplicates++;
      if (r->event_id) snprintf(eid, sizeof eid, "%lld", r->event_id);
    } else if (rc == EST_EINVAL) { /* a data error (SQLSTATE class 22/23) */
      snprintf(dberr, sizeof dberr, "%s", est_conn_error(c));
      r->reason = est_event_reason_name(EST_REASON_DATABASE);
      r->detail = dberr;
      if ((rc = est_db_command(c, "ROLLBACK TO SAVEPOINT pf")) != EST_OK) return rc;
    } else {
      return rc;
    }
  }
  if (r->outcome) {
    /* stored or duplicate */
  } else if (r->reason && strcmp(r->reason, est_event_reason_name(EST_REASON_SKIPPED_SUMMARY)) == 0) {
    r->outcome = "skipped_summary";
    k->summaries++;
  } else {
    const char *reason = r->reason ? r->reason : est_event_reason_name(EST_REASON_SCHEMA);
    const char *d[6] = {r->payload ? r->payload : r->record, reason, r->detail, source, key, r->party};
    if ((rc = est_db_exec(c, &pf_dead_letter, d, &res, NULL)) != EST_OK) return rc;
    PQclear(res);
    r->outcome = "dead_letter";
    k->dead_letters++;
  }
  if (r->detail == dberr) r->detail = NULL; /* not beyond this call */
  const char *u[5] = {source, key, r->outcome, r->reason, eid[0] ? eid : NULL};
  rc = est_db_exec(c, &pf_outcome, u, &res, NULL);
  if (rc == EST_OK) PQclear(res);
  return rc;
}

est_result store_police_feed_save(est_pool *pool, const char *source, store_police_record *recs, size_t n,
                                  const est_actor *who, store_police_counts *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    recs[i].seen_before = false;
    recs[i].outcome = NULL;
    recs[i].event_id = 0;
  }
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  for (size_t i = 0; i < n && rc == EST_OK; i++) rc = save_one(c, source, &recs[i], out);
  if (rc == EST_OK && out->new_records > 0) {
    char after[200];
    snprintf(after, sizeof after,
             "{\"channel\":\"poll\",\"new_records\":%d,\"stored\":%d,\"duplicates\":%d,\"skipped_summary\":%d,"
             "\"dead_lettered\":%d}",
             out->new_records, out->stored, out->duplicates, out->summaries, out->dead_letters);
    rc = store_audit_write(c, who, "ingest", "event", 0, NULL, after);
  }
  rc = store_tx_end(pool, c, rc);
  if (rc != EST_OK) memset(out, 0, sizeof *out);
  return rc;
}

static const est_stmt pf_poll_log = {
    "police_feed_poll_log",
    "INSERT INTO police_feed_polls (url, at, status, retry_after_s, fetched, new_records, detail) "
    "VALUES ($1, to_timestamp($2::bigint / 1000.0), $3::int, $4::int, $5::int, $6::int, $7)",
    7};

est_result store_police_feed_poll_log(est_pool *pool, const char *url, long long at_ms, int status,
                                      long long retry_after_s, int fetched, int new_records, const char *detail) {
  char at[24], st[16], ra[24], fe[16], ne[16];
  snprintf(at, sizeof at, "%lld", at_ms);
  snprintf(st, sizeof st, "%d", status);
  snprintf(ra, sizeof ra, "%lld", retry_after_s);
  snprintf(fe, sizeof fe, "%d", fetched);
  snprintf(ne, sizeof ne, "%d", new_records);
  const char *p[7] = {url, at, st, retry_after_s >= 0 ? ra : NULL, fe, ne, detail};
  PGresult *r = NULL;
  est_result rc = store_exec1(pool, &pf_poll_log, p, &r, NULL);
  PQclear(r);
  return rc;
}

static const est_stmt pf_recent = {
    "police_feed_recent_polls",
    "SELECT (extract(epoch FROM at) * 1000)::bigint, status, COALESCE(retry_after_s, -1) FROM police_feed_polls "
    "WHERE url = $1 AND at > now() - interval '1 hour' ORDER BY at, id",
    1};
static const est_stmt pf_last = {
    "police_feed_last_poll",
    "SELECT status, at::text FROM police_feed_polls WHERE url = $1 ORDER BY at DESC, id DESC LIMIT 1", 1};

est_result store_police_feed_pacer_load(est_pool *pool, const char *url, est_pacer *p, bool *gone, char *gone_at,
                                        size_t gone_len) {
  *gone = false;
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  const char *params[1] = {url};
  PGresult *r = NULL;
  if ((rc = est_db_exec(c, &pf_recent, params, &r, NULL)) == EST_OK) {
    for (int i = 0; i < PQntuples(r); i++) {
      long long at = strtoll(PQgetvalue(r, i, 0), NULL, 10);
      est_pacer_called(p, at);
      est_pacer_answer(p, at, (int)strtol(PQgetvalue(r, i, 1), NULL, 10), strtoll(PQgetvalue(r, i, 2), NULL, 10));
    }
    PQclear(r);
    if ((rc = est_db_exec(c, &pf_last, params, &r, NULL)) == EST_OK) {
      if (PQntuples(r) == 1 && strtol(PQgetvalue(r, 0, 0), NULL, 10) == 404) {
        *gone = true;
        snprintf(gone_at, gone_len, "%s", PQgetvalue(r, 0, 1));
      }
      PQclear(r);
    }
  }
  est_pool_release(pool, c);
  return rc;
}

static const est_stmt pf_type_counts = {
    "police_feed_type_counts",
    "SELECT json_build_object("
    "'events', COALESCE((SELECT json_agg(json_build_object('type', t, 'mapping', m, 'count', n) ORDER BY m, n DESC, t) "
    "  FROM (SELECT e.attributes->>'police_type' AS t, COALESCE(e.attributes->>'police_mapping', 'unrecorded') AS m, "
    "  count(*) AS n FROM events e WHERE 'police_feed' = ANY (e.flags) AND e.occurred_at >= $1::timestamptz "
    "  GROUP BY 1, 2) x), '[]'), "
    "'history', COALESCE((SELECT json_agg(json_build_object('type', t, 'outcome', o, 'count', n) ORDER BY o, n DESC, t) "
    "  FROM (SELECT police_type AS t, outcome AS o, count(*) AS n FROM police_feed_records "
    "  WHERE first_seen_at >= $1::timestamptz GROUP BY 1, 2) y), '[]'))::text",
    1};

est_result store_police_feed_type_counts(est_pool *pool, const char *since, json_t **out) {
  *out = NULL;
  const char *params[1] = {since};
  PGresult *r = NULL;
  est_result rc = store_exec1(pool, &pf_type_counts, params, &r, NULL);
  if (rc != EST_OK) return rc;
  *out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
  PQclear(r);
  return *out ? EST_OK : EST_ENOMEM;
}

/* Per mapping: (mapping, NULL, records, types); then per listed unmapped type: ('type', name, records, 1). */
static const est_stmt pf_metrics = {
    "police_feed_metrics",
    "SELECT mapping, NULL, sum(records)::bigint, count(*) FROM police_feed_type_counts GROUP BY mapping "
    "UNION ALL (SELECT 'type', police_type, records, 1 FROM police_feed_type_counts WHERE mapping = 'unmapped' "
    "ORDER BY police_type LIMIT 64)",
    0};
_Static_assert(EST_METRICS_POLICE_UNMAPPED_MAX == 64, "the LIMIT of police_feed_metrics");

est_result store_police_feed_metrics(est_pool *pool, est_metrics_police_feed *out) {
  memset(out, 0, sizeof *out);
  PGresult *r = NULL;
  est_result rc = store_exec1(pool, &pf_metrics, NULL, &r, NULL);
  if (rc != EST_OK) return rc;
  for (int i = 0; i < PQntuples(r); i++) {
    const char *m = PQgetvalue(r, i, 0);
    uint64_t n = strtoull(PQgetvalue(r, i, 2), NULL, 10);
    if (strcmp(m, "type") == 0 && out->n_types < EST_METRICS_POLICE_UNMAPPED_MAX) {
      snprintf(out->types[out->n_types].type, sizeof out->types[0].type, "%s", PQgetvalue(r, i, 1));
      out->types[out->n_types++].records = n;
    } else if (strcmp(m, "mapped") == 0) {
      out->mapped = n;
    } else if (strcmp(m, "unmapped") == 0) {
      out->unmapped = n;
    } else if (strcmp(m, "summary") == 0) {
      out->summary = n;
    } else if (strcmp(m, "unknown") == 0) {
      out->unknown = n;
      out->unknown_types = strtoull(PQgetvalue(r, i, 3), NULL, 10);
    }
  }
  PQclear(r);
  return EST_OK;
}
