/* followup.c - the data of the follow-up and statutory reports of an
 * agreement (see store_followup.h). Every incident, patrol and activity
 * count carries its cell key ("ck_<member>"); the publication policy and
 * the report's shape are domain rules (estd/cycle.h, estd/privacy.h). */
#include <stdlib.h>

#include "estd/store_followup.h"
#include "estd/store_util.h"

#define TZ "'Europe/Stockholm'"
#define DAY_START(d) "((" d ")::date::timestamp AT TIME ZONE " TZ ")"
#define DAY_END(d) "((" d ")::date + 1)::timestamp AT TIME ZONE " TZ
/* The cell key of a set of event_areas rows ea (estd/disclosure.h). */
#define CK_SUM "COALESCE(sum(ea.record_key), 0) % 2147483648"

/* $1 agreement, $2 from, $3 to (inclusive), $4 bucket (day|week|month).
 * The agreement's areas: those of its commitments, focuses, actions and
 * meetings. Previous period: the equally long window ending at $2. */
static const est_stmt followup_stmt = {
    "followup_data",
    "WITH ag AS (SELECT * FROM agreements WHERE id = $1),"
    " ar AS (SELECT ca.area_id AS id FROM commitment_areas ca JOIN commitments c ON c.id = ca.commitment_id"
    "   WHERE c.agreement_id = $1 UNION SELECT area_id FROM area_focuses WHERE agreement_id = $1"
    "   UNION SELECT area_id FROM actions WHERE agreement_id = $1 AND area_id IS NOT NULL"
    "   UNION SELECT f.area_id FROM actions x JOIN area_focuses f ON f.id = x.area_focus_id WHERE x.agreement_id = $1"
    "   UNION SELECT area_id FROM meetings WHERE agreement_id = $1 AND area_id IS NOT NULL),"
    " w AS (SELECT " DAY_START("$2") " AS t0, " DAY_END("$3") " AS t1,"
    "   " DAY_START("$2::date - ($3::date - $2::date + 1)") " AS p0)"
    " SELECT json_build_object("
    "  'agreement', (SELECT json_build_object('id', ag.id, 'code', ag.code, 'kind', ag.kind, 'title', ag.title,"
    "     'valid_from', ag.valid_from, 'valid_to', ag.valid_to, 'previous_agreement_id', ag.previous_agreement_id,"
    "     'supersedes', ag.supersedes) FROM ag),"
    "  'period', json_build_object('from', $2::date, 'to', $3::date, 'time_zone', 'Europe/Stockholm'),"
    "  'commitments', COALESCE((SELECT json_agg(json_build_object('id', c.id, 'code', c.code, 'text', c.text,"
    "     'status', c.status, 'follow_up_note', c.follow_up_note, 'predecessor_commitment_id',"
    "     c.predecessor_commitment_id,"
    "     'cooperation_area', (SELECT json_build_object('id', ca.id, 'code', ca.code, 'title', ca.title)"
    "        FROM cooperation_areas ca WHERE ca.id = c.cooperation_area_id),"
    "     'responsible_parties', COALESCE((SELECT json_agg(json_build_object('id', p.id, 'code', p.code,"
    "        'name', p.name) ORDER BY p.id) FROM commitment_parties cp JOIN parties p ON p.id = cp.party_id"
    "        WHERE cp.commitment_id = c.id), '[]'),"
    "     'status_at_end', COALESCE((SELECT h.status FROM commitment_status_history h, w WHERE h.commitment_id ="
    "        c.id AND h.changed_at < w.t1 ORDER BY h.changed_at DESC, h.id DESC LIMIT 1), c.status),"
    "     'status_history', COALESCE((SELECT json_agg(json_build_object('status', h.status, 'previous',"
    "        h.previous, 'changed_at', h.changed_at) ORDER BY h.changed_at, h.id) FROM commitment_status_history h,"
    "        w WHERE h.commitment_id = c.id AND h.changed_at < w.t1), '[]'),"
    "     'open_actions', (SELECT count(*) FROM actions x WHERE x.commitment_id = c.id AND x.archived_at IS NULL"
    "        AND x.status IN ('planned', 'ongoing'))) ORDER BY c.id) FROM commitments c WHERE c.agreement_id = $1),"
    "     '[]'),"
    "  'actions', COALESCE((SELECT json_agg(json_build_object('id', x.id, 'kind', x.kind, 'title', x.title,"
    "     'status', x.status, 'outcome_note', x.outcome_note, 'responsible_party_id', x.responsible_party_id,"
    "     'area_id', COALESCE(x.area_id, (SELECT f.area_id FROM area_focuses f WHERE f.id = x.area_focus_id)),"
    "     'area_focus_id', x.area_focus_id, 'commitment_id', x.commitment_id, 'meeting_id', x.meeting_id,"
    "     'found_in_action_id', x.found_in_action_id, 'planned_from', x.planned_from, 'planned_to', x.planned_to,"
    "     'evidence_count', (SELECT count(*) FROM action_events ae JOIN events e ON e.id = ae.event_id, w"
    "        WHERE ae.action_id = x.id AND e.occurred_at >= w.t0 AND e.occurred_at < w.t1),"
    "     'evidence_hours', (SELECT round(COALESCE(sum(e.duration_s), 0) / 3600.0, 2) FROM action_events ae"
    "        JOIN events e ON e.id = ae.event_id, w WHERE ae.action_id = x.id AND e.occurred_at >= w.t0"
    "        AND e.occurred_at < w.t1)) ORDER BY x.id)"
    "   FROM actions x WHERE x.agreement_id = $1 AND x.archived_at IS NULL AND ((COALESCE(x.planned_from,"
    "     (x.created_at AT TIME ZONE " TZ ")::date) <= $3::date AND COALESCE(x.planned_to, 'infinity'::date) >="
    "     $2::date) OR EXISTS (SELECT 1 FROM action_events ae JOIN events e ON e.id = ae.event_id, w WHERE"
    "     ae.action_id = x.id AND e.occurred_at >= w.t0 AND e.occurred_at < w.t1))), '[]'),"
    "  'incident_trends', COALESCE((SELECT json_agg(json_build_object('area_id', a.id, 'code', a.code, 'name',"
    "     a.name, 'kind', a.kind,"
    "     'total', tot.n, 'ck_total', tot.ck, 'previous_total', pre.n, 'ck_previous_total', pre.ck,"
    "     'series', (SELECT json_agg(json_build_object('from', GREATEST(s::date, $2::date), 'to',"
    "        LEAST((s + ('1 ' || $4)::interval)::date - 1, $3::date), 'count', sc.n, 'ck_count', sc.ck) ORDER BY s)"
    "        FROM generate_series(date_trunc($4, $2::date::timestamp), $3::date::timestamp, ('1 ' || $4)::interval) s"
    "        CROSS JOIN LATERAL (SELECT count(*) AS n, " CK_SUM " AS ck FROM event_areas ea WHERE ea.area_id = a.id"
    "        AND ea.kind = 'incident' AND ea.occurred_at >= " DAY_START("GREATEST(s::date, $2::date)")
    "        AND ea.occurred_at < " DAY_END("LEAST((s + ('1 ' || $4)::interval)::date - 1, $3::date)") ") sc))"
    "     ORDER BY a.id) FROM areas a"
    "     CROSS JOIN LATERAL (SELECT count(*) AS n, " CK_SUM " AS ck FROM event_areas ea, w WHERE ea.area_id = a.id"
    "        AND ea.kind = 'incident' AND ea.occurred_at >= w.t0 AND ea.occurred_at < w.t1) tot"
    "     CROSS JOIN LATERAL (SELECT count(*) AS n, " CK_SUM " AS ck FROM event_areas ea, w WHERE ea.area_id = a.id"
    "        AND ea.kind = 'incident' AND ea.occurred_at >= w.p0 AND ea.occurred_at < w.t0) pre"
    "     WHERE a.id IN (SELECT id FROM ar)), '[]'),"
    "  'indicators', COALESCE((SELECT json_agg(json_build_object('id', v.id, 'indicator', v.indicator, 'measure',"
    "     v.measure, 'area_id', v.area_id, 'period_from', v.period_from, 'period_to', v.period_to, 'value', v.value,"
    "     'unit', v.unit, 'source', v.source, 'sample_size', v.sample_size, 'margin_of_error', v.margin_of_error)"
    "     ORDER BY v.area_id, v.indicator, v.measure, v.period_from, v.id) FROM indicator_values v"
    "     WHERE v.archived_at IS NULL AND v.area_id IN (SELECT id FROM ar) AND v.period_to >= $2::date"
    "     AND v.period_from <= $3::date), '[]'),"
    "  'meetings', COALESCE((SELECT json_agg(json_build_object('id', m.id, 'held_on', m.held_on, 'week',"
    "     m.snapshot_query->>'week', 'area_id', m.area_id, 'title', m.title, 'decisions', m.decisions,"
    "     'snapshot_sha256', m.snapshot_sha256, 'focus_count', (SELECT count(*) FROM area_focuses f WHERE"
    "     f.meeting_id = m.id), 'action_count', (SELECT count(*) FROM actions x WHERE x.meeting_id = m.id))"
    "     ORDER BY m.held_on, m.id) FROM meetings m WHERE m.agreement_id = $1 AND m.archived_at IS NULL AND"
    "     m.held_on BETWEEN $2::date AND $3::date), '[]'),"
    "  'incidents', (SELECT json_build_object('total', count(*), 'ck_total', COALESCE(sum(e.record_key), 0) %"
    "     2147483648, 'by_category', COALESCE((SELECT json_agg(json_build_object('category', k.category, 'count',"
    "     k.n, 'ck_count', k.ck) ORDER BY k.category) FROM (SELECT e2.category, count(*) AS n,"
    "     COALESCE(sum(e2.record_key), 0) % 2147483648 AS ck FROM events e2, w WHERE e2.kind = 'incident' AND"
    "     e2.occurred_at >= w.t0 AND e2.occurred_at < w.t1 GROUP BY e2.category) k), '[]')) FROM events e, w"
    "     WHERE e.kind = 'incident' AND e.occurred_at >= w.t0 AND e.occurred_at < w.t1),"
    "  'presence', COALESCE((SELECT json_agg(json_build_object('area_id', a.id, 'name', a.name, 'patrols', pr.pn,"
    "     'ck_patrols', pr.pck, 'activities', pr.an, 'ck_activities', pr.ack) ORDER BY a.id) FROM areas a"
    "     CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE ea.kind = 'patrol') AS pn, COALESCE(sum(ea.record_key)"
    "     FILTER (WHERE ea.kind = 'patrol'), 0) % 2147483648 AS pck, count(*) FILTER (WHERE ea.kind = 'activity')"
    "     AS an, COALESCE(sum(ea.record_key) FILTER (WHERE ea.kind = 'activity'), 0) % 2147483648 AS ack FROM"
    "     event_areas ea, w WHERE ea.area_id = a.id AND ea.kind IN ('patrol', 'activity') AND ea.occurred_at >="
    "     w.t0 AND ea.occurred_at < w.t1) pr WHERE a.id IN (SELECT id FROM ar)), '[]')"
    " )::text FROM ag",
    4};

est_result store_followup_data(est_pool *pool, long long agreement_id, const char *from, const char *to,
                               const char *bucket, json_t **out) {
  *out = NULL;
  char ab[24];
  const char *params[4] = {store_lld(ab, agreement_id), from, to, bucket};
  PGresult *r = NULL;
  /* JIT off, as for progress: compiling costs more than running. */
  est_conn *c;
  est_result rc = store_tx_begin_mode(pool, &c, "BEGIN READ ONLY; SET LOCAL jit = off");
  if (rc == EST_OK) {
    rc = est_db_exec(c, &followup_stmt, params, &r, NULL);
    rc = store_tx_end(pool, c, rc);
  }
  if (rc != EST_OK) {
    PQclear(r);
    return rc;
  }
  if (PQntuples(r) == 0) {
    PQclear(r);
    return EST_ENOTFOUND;
  }
  *out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
  PQclear(r);
  return *out ? EST_OK : EST_EINTERNAL;
}
