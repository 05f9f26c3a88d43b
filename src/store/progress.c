/* progress.c - the rows of commitment progress and of the agreement
 * follow-up report (see store_progress.h).
 *
 * The SQL measures (matching events per bucket of the target period, in
 * Europe/Stockholm dates); the evaluation (current bucket, percentage,
 * on_track) is the domain's (progress.h), called by the route. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/store_progress.h"
#include "internal.h"
#include "estd/store_util.h"

#define TZ "'Europe/Stockholm'"
#define PER_INTERVAL(x)                                                         \
  "(CASE " x                                                                    \
  " WHEN 'year' THEN interval '1 year' WHEN 'quarter' THEN interval '3 months'" \
  " WHEN 'month' THEN interval '1 month' WHEN 'week' THEN interval '1 week' ELSE interval '1 day' END)"

/* The cell key (estd/disclosure.h) of a count measure over the rows of m
 * matching cond; null for other measures (sums of hours are published as
 * they are, see docs/SECURITY.md). */
#define CK(cond)                                                                                       \
  "CASE WHEN c.ind_id IS NOT NULL AND u.mu = 'count' THEN (SELECT COALESCE(sum(m.rk), 0) % 2147483648" \
  " FROM m WHERE " cond ") END"

/* $1 bigint[] commitment ids, $2/$3 an optional window (inclusive dates) for
 * period_value. One row (JSON text) per existing commitment.
 * Target period: target_from..target_to (inclusive), else the agreement's
 * validity. Buckets: the whole period (per = period or no target), or the
 * calendar years/quarters/months/ISO weeks clipped to the period. */
static const est_stmt progress_stmt = {
    "progress_raw",
    "WITH c AS ("
    " SELECT c.id, c.code, c.status, c.target_value, c.target_unit, c.target_comparison, c.target_per,"
    "   c.target_from, c.target_to, COALESCE(c.target_from, a.valid_from) AS pf,"
    "   COALESCE(c.target_to, a.valid_to) AS pt, COALESCE(c.target_per, 'period') AS per,"
    "   ci.id AS ind_id, ci.code AS ind_code, ci.description AS ind_desc, ci.event_kinds, ci.activity_types,"
    "   ci.categories, ci.measure,"
    "   CASE WHEN cardinality(ci.party_ids) > 0 THEN ci.party_ids ELSE ARRAY(SELECT cp.party_id"
    "     FROM commitment_parties cp WHERE cp.commitment_id = c.id ORDER BY 1) END AS pids,"
    "   CASE WHEN cardinality(ci.area_ids) > 0 THEN ci.area_ids ELSE ARRAY(SELECT x.area_id"
    "     FROM commitment_areas x WHERE x.commitment_id = c.id ORDER BY 1) END AS aids"
    " FROM commitments c JOIN agreements a ON a.id = c.agreement_id"
    " LEFT JOIN commitment_indicators ci ON ci.commitment_id = c.id"
    " WHERE c.id = ANY ($1::bigint[])),"
    " m AS MATERIALIZED (SELECT c.id AS cid, e.id AS eid, e.occurred_at, e.kind, e.party_id, e.record_key AS rk,"
    "   (e.occurred_at AT TIME ZONE " TZ ")::date AS d,"
    "   COALESCE(e.duration_s, 0) / 3600.0 AS hours, e.duration_s IS NOT NULL AS timed"
    "  FROM c JOIN events e ON c.ind_id IS NOT NULL"
    "   AND e.occurred_at >= (c.pf::timestamp AT TIME ZONE " TZ ")"
    "   AND e.occurred_at < ((c.pt + 1)::timestamp AT TIME ZONE " TZ ")"
    "   AND (cardinality(c.pids) = 0 OR e.party_id = ANY (c.pids))"
    "   AND (cardinality(c.event_kinds) = 0 OR e.kind = ANY (c.event_kinds))"
    "   AND (cardinality(c.activity_types) = 0 OR e.activity_type = ANY (c.activity_types))"
    "   AND (cardinality(c.categories) = 0 OR e.category = ANY (c.categories))"
    "   AND (cardinality(c.aids) = 0 OR EXISTS (SELECT 1 FROM event_areas ea WHERE ea.event_id = e.id"
    "        AND ea.occurred_at = e.occurred_at"
    "        AND ea.area_id = ANY (c.aids)))),"
    /* Fallback: duration_hours with no matching event carrying a duration
     * measures by count (a patrol reported without duration is still
     * presence); such counts carry cell keys like any count. */
    /* One pass over m per commitment for what the buckets do not need. */
    " g AS (SELECT m.cid, bool_or(m.timed) AS timed, count(*) AS n, COALESCE(sum(m.hours), 0) AS h,"
    "   count(*) FILTER (WHERE NOT m.timed) AS untimed, COALESCE(sum(m.rk) FILTER (WHERE NOT m.timed), 0) AS untimed_ck,"
    "   count(*) FILTER (WHERE m.d BETWEEN $2::date AND $3::date) AS pn,"
    "   COALESCE(sum(m.hours) FILTER (WHERE m.d BETWEEN $2::date AND $3::date), 0) AS ph,"
    "   COALESCE(sum(m.rk) FILTER (WHERE m.d BETWEEN $2::date AND $3::date), 0) AS pck FROM m GROUP BY m.cid),"
    " u AS (SELECT c.id AS cid, CASE WHEN c.measure = 'duration_hours' AND COALESCE(g.timed, false)"
    "   THEN 'duration_hours' WHEN c.measure IS NULL THEN NULL ELSE 'count' END AS mu, COALESCE(g.n, 0) AS n,"
    "   g.h, COALESCE(g.untimed, 0) AS untimed, COALESCE(g.untimed_ck, 0) AS untimed_ck, COALESCE(g.pn, 0) AS pn,"
    "   COALESCE(g.ph, 0) AS ph, COALESCE(g.pck, 0) AS pck FROM c LEFT JOIN g ON g.cid = c.id),"
    " b AS (SELECT c.id AS cid, GREATEST(s::date, c.pf) AS bf,"
    "   LEAST((s + " PER_INTERVAL("c.per") ")::date - 1, c.pt) AS bt"
    "  FROM c, generate_series(date_trunc(CASE WHEN c.per = 'period' THEN 'day' ELSE c.per END, c.pf::timestamp),"
    "    c.pt::timestamp, " PER_INTERVAL("c.per") ") s WHERE c.per <> 'period'"
    "  UNION ALL SELECT c.id, c.pf, c.pt FROM c WHERE c.per = 'period')"
    " SELECT json_build_object('commitment_id', c.id, 'code', c.code, 'status', c.status,"
    "  'indicator', CASE WHEN c.ind_id IS NULL THEN NULL ELSE json_build_object('id', c.ind_id, 'code', c.ind_code,"
    "     'description', c.ind_desc, 'event_kinds', c.event_kinds, 'activity_types', c.activity_types,"
    "     'categories', c.categories, 'party_ids', c.pids, 'area_ids', c.aids, 'measure', c.measure) END,"
    "  'target', CASE WHEN c.target_value IS NULL THEN NULL ELSE json_build_object('value', c.target_value,"
    "     'unit', c.target_unit, 'comparison', c.target_comparison, 'per', c.target_per,"
    "     'from', c.target_from, 'to', c.target_to) END,"
    "  'period', json_build_object('from', c.pf, 'to', c.pt),"
    "  'per', c.per,"
    "  'total', CASE WHEN c.ind_id IS NULL THEN NULL WHEN u.mu = 'count' THEN u.n::numeric"
    "     ELSE round(COALESCE(u.h, 0), 2) END,"
    "  'measure_used', u.mu,"
    "  'events_without_duration', CASE WHEN c.measure = 'duration_hours' THEN u.untimed END,"
    "  'ck_events_without_duration', CASE WHEN c.measure = 'duration_hours' THEN u.untimed_ck % 2147483648 END,"
    "  'period_value', CASE WHEN c.ind_id IS NULL OR $2::date IS NULL THEN NULL WHEN u.mu = 'count'"
    "     THEN u.pn::numeric ELSE round(u.ph, 2) END,"
    "  'ck_period_value', CASE WHEN c.ind_id IS NULL OR $2::date IS NULL OR u.mu <> 'count' THEN NULL"
    "     ELSE u.pck % 2147483648 END,"
    "  'ck_total', " CK("m.cid = c.id") ","
    "  'buckets', (SELECT json_agg(json_build_object('from', b.bf, 'to', b.bt,"
    "     'value', CASE WHEN c.ind_id IS NULL THEN NULL ELSE (SELECT CASE WHEN u.mu = 'count'"
    "       THEN count(*)::numeric ELSE round(COALESCE(sum(m.hours), 0), 2) END FROM m WHERE m.cid = c.id"
    "       AND m.d BETWEEN b.bf AND b.bt) END,"
    "     'ck_value', " CK("m.cid = c.id AND m.d BETWEEN b.bf AND b.bt") ") ORDER BY b.bf) FROM b WHERE b.cid = c.id),"
    /* The open actions (planned or ongoing) serving the commitment, per area. */
    "  'open_actions', (SELECT json_build_object('count', count(*), 'href', '/v1/actions?commitment_id=' || c.id"
    "     || '&open=true', 'by_area', COALESCE((SELECT json_agg(json_build_object('area_id', q.aid, 'count', q.n)"
    "     ORDER BY q.aid) FROM (SELECT COALESCE(y.area_id, f.area_id) AS aid, count(*) AS n FROM actions y LEFT JOIN"
    "     area_focuses f ON f.id = y.area_focus_id WHERE y.commitment_id = c.id AND y.archived_at IS NULL AND"
    "     y.status IN ('planned', 'ongoing') GROUP BY 1) q), '[]')) FROM actions x WHERE x.commitment_id = c.id"
    "     AND x.archived_at IS NULL AND x.status IN ('planned', 'ongoing')),"
    "  'last_event', (SELECT json_build_object('id', m.eid, 'occurred_at', m.occurred_at, 'kind', m.kind,"
    "     'party_id', m.party_id)"
    "     FROM m WHERE m.cid = c.id ORDER BY m.occurred_at DESC, m.eid DESC LIMIT 1)"
    " )::text, c.id FROM c JOIN u ON u.cid = c.id ORDER BY c.id",
    3};

static const est_stmt report_stmt = {
    "progress_agreement_report",
    "SELECT json_build_object('agreement', json_build_object('id', a.id, 'code', a.code, 'kind', a.kind,"
    "   'title', a.title, 'valid_from', a.valid_from, 'valid_to', a.valid_to),"
    " 'commitments', COALESCE((SELECT json_agg(json_build_object('id', c.id, 'code', c.code, 'text', c.text,"
    "   'status', c.status, 'follow_up_note', c.follow_up_note,"
    "   'cooperation_area', (SELECT json_build_object('id', ca.id, 'code', ca.code, 'title', ca.title)"
    "      FROM cooperation_areas ca WHERE ca.id = c.cooperation_area_id),"
    "   'responsible_parties', COALESCE((SELECT json_agg(json_build_object('id', p.id, 'code', p.code,"
    "      'name', p.name) ORDER BY p.id) FROM commitment_parties cp JOIN parties p ON p.id = cp.party_id"
    "      WHERE cp.commitment_id = c.id), '[]'),"
    "   'target', CASE WHEN c.target_value IS NULL THEN NULL ELSE json_build_object('value', c.target_value,"
    "      'unit', c.target_unit, 'comparison', c.target_comparison, 'per', c.target_per,"
    "      'from', c.target_from, 'to', c.target_to) END) ORDER BY c.id)"
    "   FROM commitments c WHERE c.agreement_id = a.id), '[]'))::text"
    " FROM agreements a WHERE a.id = $1",
    1};

est_result store_progress_rows(est_pool *pool, const long long *ids, size_t n, json_t **out) {
  return store_progress_rows_window(pool, ids, n, NULL, NULL, out);
}

est_result store_progress_rows_window(est_pool *pool, const long long *ids, size_t n, const char *from, const char *to,
                                      json_t **out) {
  *out = NULL;
  /* "{1,2,3}" array literal */
  size_t cap = 3 + n * 21;
  char *arr = malloc(cap);
  if (!arr) return EST_ENOMEM;
  size_t len = 0;
  arr[len++] = '{';
  for (size_t i = 0; i < n; i++) len += (size_t)snprintf(arr + len, cap - len, "%s%lld", i ? "," : "", ids[i]);
  arr[len++] = '}';
  arr[len] = '\0';
  const char *params[3] = {arr, from, to};
  PGresult *r = NULL;
  /* JIT off: the estimate of this statement crosses jit_above_cost, and
   * compiling it took ten times longer (0.15-0.6 s) than running it. */
  est_conn *c;
  est_result rc = store_tx_begin_mode(pool, &c, "BEGIN READ ONLY; SET LOCAL jit = off");
  if (rc == EST_OK) {
    rc = est_db_exec(c, &progress_stmt, params, &r, NULL);
    rc = store_tx_end(pool, c, rc);
  }
  if (rc != EST_OK) {
    PQclear(r);
    free(arr);
    return rc;
  }
  json_t *obj = json_object();
  for (int i = 0; obj && i < PQntuples(r); i++) {
    json_t *p = json_loads(PQgetvalue(r, i, 0), JSON_DECODE_ANY, NULL);
    if (!p) {
      rc = EST_EINTERNAL;
      break;
    }
    json_object_set_new(obj, PQgetvalue(r, i, 1), p);
  }
  PQclear(r);
  if (!obj) {
    free(arr);
    return EST_ENOMEM;
  }
  if (rc == EST_OK) rc = store_outcome_attach(pool, arr, obj);
  free(arr);
  if (rc != EST_OK) {
    json_decref(obj);
    return rc;
  }
  *out = obj;
  return EST_OK;
}

est_result store_agreement_report(est_pool *pool, long long agreement_id, json_t **out) {
  *out = NULL;
  char ab[24];
  const char *params[1] = {store_lld(ab, agreement_id)};
  return store_json_row(pool, &report_stmt, params, out);
}

/* The public agreements (citizen pledges): only what residents may see. */
static const est_stmt public_agreements_stmt = {
    "public_agreements",
    "SELECT COALESCE(json_agg(json_build_object('id', id, 'code', code, 'kind', kind, 'title', title,"
    " 'title_en', title_en, 'valid_from', valid_from, 'valid_to', valid_to, 'goals', goals) ORDER BY id), '[]')::text"
    " FROM agreements WHERE kind = 'medborgarlofte'",
    0};

est_result store_public_agreements(est_pool *pool, json_t **out) {
  est_result rc = store_json_row(pool, &public_agreements_stmt, NULL, out);
  return rc == EST_ENOTFOUND ? EST_EINTERNAL : rc; /* an aggregate: always one row */
}
