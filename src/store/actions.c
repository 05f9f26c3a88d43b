/* actions.c - actions (insatser/åtgärder), their evidence and the
 * findings of a trygghetsvandring (see store_cycle.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_actions.h"
#include "estd/store_records.h"
#include "estd/store_util.h"

const char *const store_actions_sorts[] = {"id", "created_at", "updated_at", NULL};

#define TS_TEXT(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Evidence lists what was done (kind, activity type, time, duration), not
 * incident detail. */
#define ACTION_JSON                                                                                             \
  "json_build_object('id', x.id, 'agreement_id', x.agreement_id, 'commitment_id', x.commitment_id, "            \
  "'meeting_id', x.meeting_id, 'responsible_party_id', x.responsible_party_id, 'area_id', x.area_id, "          \
  "'area_focus_id', x.area_focus_id, 'found_in_action_id', x.found_in_action_id, 'kind', x.kind, 'title', "     \
  "x.title, 'description', x.description, 'planned_from', x.planned_from, 'planned_to', x.planned_to, "         \
  "'status', x.status, 'outcome_note', x.outcome_note, 'open', x.status IN ('planned', 'ongoing'), "            \
  "'evidence', COALESCE((SELECT json_agg(json_build_object('event_id', e.id, 'kind', e.kind, 'activity_type', " \
  "e.activity_type, 'occurred_at', e.occurred_at, 'duration_s', e.duration_s, 'linked_at', ae.linked_at) "      \
  "ORDER BY e.occurred_at, e.id) FROM action_events ae JOIN events e ON e.id = ae.event_id WHERE "              \
  "ae.action_id = x.id), '[]'), 'finding_ids', COALESCE((SELECT json_agg(y.id ORDER BY y.id) FROM actions y "   \
  "WHERE y.found_in_action_id = x.id), '[]'), 'created_at', x.created_at, 'updated_at', x.updated_at, "         \
  "'version', x.version, 'archived_at', x.archived_at)::text"

/* $1 agreement, $2/$3 cursor, $4 limit, $5 commitment, $6 meeting, $7 party,
 * $8 area (the action's area or its focus's), $9 status, $10 open, $11 found_in, $12 archived. */
#define ACTION_LIST(name, sortval, after, order)                                                                   \
  {                                                                                                                \
    name,                                                                                                          \
        "SELECT " ACTION_JSON ", " sortval                                                                         \
        ", x.id FROM actions x WHERE ($1::bigint IS NULL OR x.agreement_id = "                                     \
        "$1) AND ($5::bigint IS NULL OR x.commitment_id = $5) AND ($6::bigint IS NULL OR x.meeting_id = $6) AND "  \
        "($7::bigint IS NULL OR x.responsible_party_id = $7) AND ($8::bigint IS NULL OR x.area_id = $8 OR "        \
        "EXISTS (SELECT 1 FROM area_focuses f WHERE f.id = x.area_focus_id AND f.area_id = $8)) AND ($9::text IS " \
        "NULL OR x.status = $9) AND ($10::boolean IS NULL OR (x.status IN ('planned', 'ongoing')) = $10) AND "     \
        "($11::bigint IS NULL OR x.found_in_action_id = $11) AND ($12::boolean OR x.archived_at IS NULL) AND "     \
        "($3::bigint IS NULL OR " after ") ORDER BY " order " LIMIT $4",                                           \
        12                                                                                                         \
  }

static const est_stmt action_list[3][2] = {
    {ACTION_LIST("actions_list_id", "''", "($2::text = '' AND x.id > $3)", "x.id"),
     ACTION_LIST("actions_list_id_d", "''", "($2::text = '' AND x.id < $3)", "x.id DESC")},
    {ACTION_LIST("actions_list_created", TS_TEXT("x.created_at"), "(x.created_at, x.id) > ($2::timestamptz, $3)",
                 "x.created_at, x.id"),
     ACTION_LIST("actions_list_created_d", TS_TEXT("x.created_at"), "(x.created_at, x.id) < ($2::timestamptz, $3)",
                 "x.created_at DESC, x.id DESC")},
    {ACTION_LIST("actions_list_updated", TS_TEXT("x.updated_at"), "(x.updated_at, x.id) > ($2::timestamptz, $3)",
                 "x.updated_at, x.id"),
     ACTION_LIST("actions_list_updated_d", TS_TEXT("x.updated_at"), "(x.updated_at, x.id) < ($2::timestamptz, $3)",
                 "x.updated_at DESC, x.id DESC")},
};

static const est_stmt action_get = STORE_GET_STMT("action_get", "actions", "x", ACTION_JSON);
static const est_stmt action_lock = {
    "action_lock",
    "SELECT " ACTION_JSON ", x.version, x.archived_at IS NOT NULL, x.kind FROM actions x WHERE x.id = $1 FOR UPDATE",
    1};
static const est_stmt action_insert = {
    "action_insert",
    "WITH b AS (SELECT $1::jsonb AS j) INSERT INTO actions (agreement_id, commitment_id, meeting_id, "
    "responsible_party_id, area_id, area_focus_id, kind, title, description, planned_from, planned_to, status, "
    "outcome_note) SELECT (b.j->>'agreement_id')::bigint, (b.j->>'commitment_id')::bigint, "
    "(b.j->>'meeting_id')::bigint, (b.j->>'responsible_party_id')::bigint, (b.j->>'area_id')::bigint, "
    "(b.j->>'area_focus_id')::bigint, COALESCE(b.j->>'kind', 'other'), b.j->>'title', b.j->>'description', "
    "(b.j->>'planned_from')::date, (b.j->>'planned_to')::date, COALESCE(b.j->>'status', 'planned'), "
    "b.j->>'outcome_note' FROM b RETURNING id",
    1};

static const est_stmt action_update = {
    "action_update",
    "WITH b AS (SELECT $3::jsonb AS j) UPDATE actions t SET " SET_KEEP("agreement_id", "bigint") ", "
    SET_NULLABLE("commitment_id", "bigint") ", " SET_NULLABLE("meeting_id", "bigint") ", "
    SET_KEEP("responsible_party_id", "bigint") ", " SET_NULLABLE("area_id", "bigint") ", "
    SET_NULLABLE("area_focus_id", "bigint") ", " SET_KEEP("kind", "text") ", " SET_KEEP("title", "text") ", "
    SET_TEXT("description") ", " SET_NULLABLE("planned_from", "date") ", " SET_NULLABLE("planned_to", "date") ", "
    SET_KEEP("status", "text") ", " SET_TEXT("outcome_note")
    ", updated_at = clock_timestamp(), version = t.version + 1 FROM b WHERE t.id = $1 AND ($2::bigint IS NULL OR "
    "t.version = $2) RETURNING t.id",
    3};
const store_archivable store_actions_archivable = STORE_ARCHIVE_STMTS("action", "actions", "x", ACTION_JSON);

static const store_constraint action_map[] = {
    STORE_FK("actions_agreement_id_fkey", "/agreement_id", "agreement"),
    {"actions_commitment_same_agreement", "/commitment_id",
     "no commitment with this id in the action's agreement (an action serves a commitment of its own agreement)",
     EST_EINVAL},
    {"actions_meeting_same_agreement", "/meeting_id", "no meeting with this id in the action's agreement", EST_EINVAL},
    STORE_FK("actions_responsible_party_id_fkey", "/responsible_party_id", "party"),
    STORE_FK("actions_area_id_fkey", "/area_id", "area"),
    STORE_FK("actions_area_focus_id_fkey", "/area_focus_id", "area focus"),
    {"actions_place", "/area_id", "an action needs area_id or area_focus_id", EST_EINVAL},
    {"actions_planned_range", "/planned_to", "must not be before planned_from", EST_EINVAL},
    STORE_FK("action_events_event_id_fkey", "/event_id", "event"),
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres action_res = {"action",       "action",    &action_insert, &action_lock,
                                      &action_update, &action_get, NULL,           action_map};

est_result store_actions_list(est_pool *pool, const store_action_filter *f, const est_list_query *q, est_page *out) {
  char ab[24], cb[24], mb[24], pb[24], arb[24], fb[24];
  const char *params[12] = {store_lld_or_null(ab, f->agreement_id),
                            STORE_LIST_SLOTS,
                            store_lld_or_null(cb, f->commitment_id),
                            store_lld_or_null(mb, f->meeting_id),
                            store_lld_or_null(pb, f->party_id),
                            store_lld_or_null(arb, f->area_id),
                            f->status,
                            f->open < 0 ? NULL
                            : f->open   ? "true"
                                        : "false",
                            store_lld_or_null(fb, f->found_in_action_id),
                            f->include_archived ? "true" : "false"};
  est_result rc =
      store_list_run(pool, &action_list[q->sort_index][q->desc], params, 1, q, store_actions_sorts[q->sort_index], out);
  return rc == EST_EINVAL ? EST_EPARSE : rc; /* a forged cursor value: malformed request */
}

STORE_JRES_FUNCTIONS(store_action, action_res)

static const est_stmt evidence_link = {
    "action_evidence_link",
    "INSERT INTO action_events (action_id, event_id) VALUES ($1, $2::bigint) ON CONFLICT DO NOTHING RETURNING 1", 2};
static const est_stmt evidence_unlink = {
    "action_evidence_unlink", "DELETE FROM action_events WHERE action_id = $1 AND event_id = $2::bigint RETURNING 1",
    2};
static const est_stmt action_touch = {
    "action_touch",
    "UPDATE actions SET updated_at = clock_timestamp(), version = version + 1 WHERE id = $1 AND ($2::bigint IS NULL "
    "OR version = $2) RETURNING id",
    2};

est_result store_action_evidence(est_pool *pool, const est_actor *who, long long id, long long version,
                                 long long event_id, bool link, est_doc *out, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24], eb[24], st[6];
  est_doc before = {0};
  rc = store_jres_read_on(c, &action_lock, id, &before);
  PGresult *r = NULL;
  bool changed = false;
  if (rc == EST_OK) {
    const char *p[2] = {store_lld(idb, id), store_lld(eb, event_id)};
    rc = est_db_exec(c, link ? &evidence_link : &evidence_unlink, p, &r, st);
    if (rc != EST_OK) rc = store_explain(c, rc, st, action_map, fail);
    else changed = PQntuples(r) > 0;
    if (rc == EST_OK && !link && !changed) {
      store_write_error_set(fail, "", "event %lld is not evidence of action %lld", event_id, id);
      rc = EST_ENOTFOUND;
    }
    PQclear(r);
    r = NULL;
  }
  /* A new link (or an unlink) is a change of the action: new version. */
  if (rc == EST_OK && (changed || version)) {
    const char *p[2] = {idb, store_lld_or_null(vb, version)};
    rc = est_db_exec(c, &action_touch, p, &r, st);
    if (rc == EST_OK && PQntuples(r) == 0) {
      store_write_error_set(fail, "", "the action was changed since version %lld was read", version);
      rc = EST_EPRECONDITION;
    }
    PQclear(r);
  }
  if (rc == EST_OK) rc = store_jres_read_on(c, &action_get, id, out);
  if (rc == EST_OK && changed) rc = store_audit_write(c, who, "update", "action", id, before.json, out->json);
  est_doc_free(&before);
  return store_tx_end_doc(pool, c, rc, out);
}

/* $1 walk id, $2 finding body. */
static const est_stmt finding_insert = {
    "action_finding_insert",
    "WITH b AS (SELECT $2::jsonb AS j) INSERT INTO actions (agreement_id, commitment_id, meeting_id, "
    "responsible_party_id, area_id, area_focus_id, found_in_action_id, kind, title, description, planned_from, "
    "planned_to) SELECT w.agreement_id, w.commitment_id, w.meeting_id, (b.j->>'responsible_party_id')::bigint, "
    "COALESCE((b.j->>'area_id')::bigint, w.area_id), CASE WHEN b.j ? 'area_id' THEN NULL ELSE w.area_focus_id END, "
    "w.id, COALESCE(b.j->>'kind', 'repair'), b.j->>'title', b.j->>'description', (b.j->>'planned_from')::date, "
    "(b.j->>'planned_to')::date FROM actions w, b WHERE w.id = $1 RETURNING id",
    2};

est_result store_action_finding(est_pool *pool, const est_actor *who, long long id, const char *body, est_doc *out,
                                long long *new_id, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char idb[24], st[6];
  const char *lp[1] = {store_lld(idb, id)};
  PGresult *walk = NULL, *r = NULL;
  rc = est_db_exec(c, &action_lock, lp, &walk, NULL);
  if (rc == EST_OK && PQntuples(walk) == 0) rc = EST_ENOTFOUND;
  if (rc == EST_OK && strcmp(PQgetvalue(walk, 0, 3), "trygghetsvandring") != 0) {
    store_write_error_set(fail, "/kind", "action %lld is a '%s'; findings are recorded on a trygghetsvandring", id,
                          PQgetvalue(walk, 0, 3));
    rc = EST_ECONFLICT; /* the action's state (its kind), not the body, is in the way: 409 */
  }
  if (rc == EST_OK) {
    const char *p[2] = {idb, body};
    rc = est_db_exec(c, &finding_insert, p, &r, st);
    if (rc != EST_OK) rc = store_explain(c, rc, st, action_map, fail);
    else *new_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
  }
  if (rc == EST_OK) rc = store_jres_read_on(c, &action_get, *new_id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "create", "action", *new_id, NULL, out->json);
  PQclear(walk);
  return store_tx_end_doc(pool, c, rc, out);
}
