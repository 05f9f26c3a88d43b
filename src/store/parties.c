/* parties.c - parties, agreements and cooperation areas: lists,
 * documents and writes (revisions, signing; see store_parties.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/cycle.h"
#include "estd/store_parties.h"
#include "estd/store_records.h"
#include "estd/store_util.h"

const char *const store_parties_sorts[] = {"id", "name", NULL};
const char *const store_agreements_sorts[] = {"id", "valid_from", NULL};

#define PARTY_JSON                                                                                 \
  "json_build_object('id', p.id, 'code', p.code, 'name', p.name, 'name_en', p.name_en, 'kind', "   \
  "p.kind, 'description', p.description, 'created_at', p.created_at, 'updated_at', p.updated_at, " \
  "'version', p.version, 'archived_at', p.archived_at)::text"

/* Keyset condition. $2 is the cursor's sort value and $3 its id; for the id
 * sort the cursor value is always "", which keeps $2 typed and referenced. */
#define PARTY_LIST(name, sortval, after, order)                                                                      \
  STORE_LIST_STMT(name, PARTY_JSON, "p",                                                                             \
                  "parties p WHERE ($1::text IS NULL OR p.kind = $1) AND ($5::boolean OR p.archived_at IS NULL)", 5, \
                  sortval, after, order)

static const est_stmt party_list[2][2] = {
    STORE_SORT_ID(PARTY_LIST, "parties_list_id", "p"),
    STORE_SORT_BY(PARTY_LIST, "parties_list_name", "p", "p.name", "text"),
};

static const est_stmt party_get = STORE_GET_STMT("party_get", "parties", "p", PARTY_JSON);

est_result store_parties_list(est_pool *pool, const store_party_filter *f, const est_list_query *q, est_page *out) {
  const char *params[5] = {f->kind, STORE_LIST_SLOTS, f->include_archived ? "true" : "false"};
  return store_list_run(pool, &party_list[q->sort_index][q->desc], params, 1, q, store_parties_sorts[q->sort_index],
                        out);
}

#define AGREEMENT_JSON                                                                                 \
  "json_build_object('id', a.id, 'code', a.code, 'kind', a.kind, 'title', a.title, 'title_en', "       \
  "a.title_en, 'description', a.description, 'valid_from', a.valid_from, 'valid_to', a.valid_to, "     \
  "'effective_to', COALESCE((SELECT n.valid_from - 1 FROM agreements n WHERE n.previous_agreement_id " \
  "= a.id AND n.supersedes), a.valid_to), "                                                            \
  "'signed_on', a.signed_on, 'complements_agreement_id', a.complements_agreement_id, 'goals', "        \
  "a.goals, 'previous_agreement_id', a.previous_agreement_id, 'supersedes', a.supersedes, "            \
  "'next_agreement_id', (SELECT n.id FROM agreements n WHERE n.previous_agreement_id = a.id), "        \
  "'parties', COALESCE((SELECT json_agg(json_build_object('party_id', p.id, 'code', p.code,"           \
  " 'name', p.name, 'role', ap.role, 'signed_by', ap.signed_by, 'signatory_role', "                    \
  "COALESCE(ap.signatory_role, "                                                                       \
  "NULLIF(btrim(split_part(ap.signed_by, ',', 2)), '')), "                                             \
  "'signed_on', COALESCE(ap.signed_on, CASE WHEN ap.signed_by IS NOT NULL THEN a.signed_on END)) "     \
  "ORDER BY p.id) FROM "                                                                               \
  "agreement_parties ap JOIN parties p ON p.id = ap.party_id WHERE ap.agreement_id = a.id), '[]'), "   \
  "'cooperation_areas', COALESCE((SELECT json_agg(json_build_object('id', c.id, 'code', c.code, "      \
  "'title', c.title, 'title_en', c.title_en, 'description', c.description, 'ordinal', c.ordinal, "     \
  "'archived_at', c.archived_at) "                                                                     \
  "ORDER BY c.ordinal, c.id) FROM cooperation_areas c WHERE c.agreement_id = a.id), '[]'), "           \
  "'created_at', a.created_at, 'updated_at', a.updated_at, 'version', a.version, 'archived_at', "      \
  "a.archived_at)::text"

#define AGREEMENT_LIST(name, sortval, after, order)                                                                \
  STORE_LIST_STMT(                                                                                                 \
      name, AGREEMENT_JSON, "a",                                                                                   \
      "agreements a WHERE ($1::text IS NULL OR a.kind = $1) AND ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM "     \
      "agreement_parties x WHERE x.agreement_id = a.id AND x.party_id = $5)) AND ($6::date IS NULL OR $6 BETWEEN " \
      "a.valid_from AND a.valid_to) AND ($7::boolean OR a.archived_at IS NULL)",                                   \
      7, sortval, after, order)

static const est_stmt agreement_list[2][2] = {
    STORE_SORT_ID(AGREEMENT_LIST, "agreements_list_id", "a"),
    STORE_SORT_BY(AGREEMENT_LIST, "agreements_list_from", "a", "a.valid_from", "date"),
};

static const est_stmt agreement_get = STORE_GET_STMT("agreement_get", "agreements", "a", AGREEMENT_JSON);

est_result store_agreements_list(est_pool *pool, const store_agreement_filter *f, const est_list_query *q,
                                 est_page *out) {
  char pb[24];
  const char *params[7] = {f->kind, STORE_LIST_SLOTS, store_lld_or_null(pb, f->party_id), f->active_on,
                           f->include_archived ? "true" : "false"};
  return store_list_run(pool, &agreement_list[q->sort_index][q->desc], params, 1, q,
                        store_agreements_sorts[q->sort_index], out);
}

/* ==== writes ====================================================================== */

/* ---- parties ---- */
static const est_stmt party_insert = {
    "cy_party_insert",
    "WITH b AS (SELECT $1::jsonb AS j) INSERT INTO parties (code, name, name_en, kind, description) "
    "SELECT b.j->>'code', b.j->>'name', b.j->>'name_en', b.j->>'kind', b.j->>'description' FROM b RETURNING id",
    1};
static const est_stmt party_lock = STORE_LOCK_STMT("cy_party_lock", "parties", "p", PARTY_JSON);
static const est_stmt party_update = {
    "cy_party_update",
    "WITH b AS (SELECT $3::jsonb AS j) UPDATE parties t SET " SET_KEEP("code", "text") ", " SET_KEEP("name", "text")
    ", " SET_TEXT("name_en") ", " SET_KEEP("kind", "text") ", " SET_TEXT("description")
    ", updated_at = clock_timestamp(), version = t.version + 1 FROM b WHERE t.id = $1 AND ($2::bigint IS NULL OR "
    "t.version = $2) RETURNING t.id",
    3};
const store_archivable store_parties_archivable = STORE_ARCHIVE_STMTS("party", "parties", "p", PARTY_JSON);

static const store_constraint party_map[] = {
    {"parties_code_key", "/code", "another party already has this code", EST_ECONFLICT},
    {"parties_code_slug", "/code", "must be a slug", EST_EINVAL},
    {"parties_name_nonempty", "/name", "must not be empty", EST_EINVAL},
    {"parties_kind_check", "/kind", "must be police, municipality, housing_company or other", EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres party_res = {"party",       "party",    &party_insert, &party_lock,
                                     &party_update, &party_get, NULL,          party_map};

STORE_JRES_FUNCTIONS(store_party, party_res)

/* ---- agreements ---- */
static const est_stmt agreement_insert = {
    "cy_agreement_insert",
    "WITH b AS (SELECT $1::jsonb AS j) INSERT INTO agreements (code, kind, title, title_en, description, "
    "valid_from, valid_to, signed_on, complements_agreement_id, goals) SELECT b.j->>'code', b.j->>'kind', "
    "b.j->>'title', b.j->>'title_en', b.j->>'description', (b.j->>'valid_from')::date, (b.j->>'valid_to')::date, "
    "(b.j->>'signed_on')::date, (b.j->>'complements_agreement_id')::bigint, COALESCE(b.j->'goals', '[]'::jsonb) "
    "FROM b RETURNING id",
    1};
static const est_stmt agreement_lock = {"cy_agreement_lock",
                                        "SELECT " AGREEMENT_JSON
                                        ", a.version, a.archived_at IS NOT NULL, a.valid_from::text, a.valid_to::text, "
                                        "a.signed_on IS NOT NULL FROM agreements a WHERE a.id = $1 FOR UPDATE",
                                        1};
static const est_stmt agreement_update = {
    "cy_agreement_update",
    "WITH b AS (SELECT $3::jsonb AS j) UPDATE agreements t SET " SET_KEEP("code", "text") ", "
    SET_KEEP("kind", "text") ", " SET_KEEP("title", "text") ", " SET_TEXT("title_en") ", " SET_TEXT("description")
    ", " SET_KEEP("valid_from", "date") ", " SET_KEEP("valid_to", "date") ", " SET_NULLABLE("signed_on", "date")
    ", " SET_NULLABLE("complements_agreement_id", "bigint")
    ", goals = COALESCE(b.j->'goals', t.goals), updated_at = clock_timestamp(), version = t.version + 1 FROM b "
    "WHERE t.id = $1 AND ($2::bigint IS NULL OR t.version = $2) RETURNING t.id",
    3};
const store_archivable store_agreements_archivable =
    STORE_ARCHIVE_STMTS("agreement", "agreements", "a", AGREEMENT_JSON);
/* party_ids given: the parties to the agreement become exactly that set
 * (a party that has signed stays). */
static const est_stmt agreement_parties_prune = {
    "cy_agreement_parties_prune",
    "DELETE FROM agreement_parties WHERE agreement_id = $1 AND $2::jsonb ? 'party_ids' AND signed_on IS NULL "
    "AND NOT (party_id = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb->'party_ids')::bigint)))",
    2};
static const est_stmt agreement_parties_add = {
    "cy_agreement_parties_add",
    "INSERT INTO agreement_parties (agreement_id, party_id) SELECT $1, x::bigint FROM "
    "jsonb_array_elements_text(COALESCE($2::jsonb->'party_ids', '[]'::jsonb)) x ON CONFLICT DO NOTHING",
    2};
static const est_stmt *const agreement_links[] = {&agreement_parties_prune, &agreement_parties_add, NULL};

/* $1 normalized body, $2 predecessor id. Kind defaults to the predecessor's. */
static const est_stmt revision_insert = {
    "cy_revision_insert",
    "WITH b AS (SELECT $1::jsonb AS j), p AS (SELECT * FROM agreements WHERE id = $2) "
    "INSERT INTO agreements (code, kind, title, title_en, description, valid_from, valid_to, signed_on, "
    "complements_agreement_id, goals, previous_agreement_id, supersedes) SELECT b.j->>'code', "
    "COALESCE(b.j->>'kind', p.kind), b.j->>'title', b.j->>'title_en', b.j->>'description', "
    "(b.j->>'valid_from')::date, (b.j->>'valid_to')::date, (b.j->>'signed_on')::date, "
    "(b.j->>'complements_agreement_id')::bigint, COALESCE(b.j->'goals', p.goals), p.id, "
    "COALESCE((b.j->>'supersede')::boolean, false) FROM b, p RETURNING id",
    2};
/* $1 new, $2 predecessor: its parties (roles, not signatures) when the body named none. */
static const est_stmt revision_parties = {
    "cy_revision_parties",
    "INSERT INTO agreement_parties (agreement_id, party_id, role) SELECT $1, ap.party_id, ap.role "
    "FROM agreement_parties ap WHERE ap.agreement_id = $2 ON CONFLICT DO NOTHING",
    2};
static const est_stmt revision_coop_areas = {
    "cy_revision_coop_areas",
    "INSERT INTO cooperation_areas (agreement_id, code, title, title_en, description, ordinal) SELECT $1, c.code, "
    "c.title, c.title_en, c.description, c.ordinal FROM cooperation_areas c WHERE c.agreement_id = $2 AND "
    "c.archived_at IS NULL",
    2};
/* Carry-over: copies with predecessor links, target period moved to the
 * new validity; codes get the suffix -v<new agreement id>. */
static const est_stmt revision_commitments = {
    "cy_revision_commitments",
    "INSERT INTO commitments (agreement_id, cooperation_area_id, code, text, target_value, target_unit, "
    "target_comparison, target_per, target_from, target_to, status, predecessor_commitment_id) "
    "SELECT n.id, nc.id, CASE WHEN o.code IS NULL THEN NULL ELSE left(o.code, 80) || '-v' || n.id END, o.text, "
    "o.target_value, o.target_unit, o.target_comparison, o.target_per, "
    "CASE WHEN o.target_value IS NULL THEN NULL ELSE n.valid_from END, "
    "CASE WHEN o.target_value IS NULL THEN NULL ELSE n.valid_to END, 'planned', o.id "
    "FROM agreements n JOIN commitments o ON o.agreement_id = $2 "
    "LEFT JOIN cooperation_areas oc ON oc.id = o.cooperation_area_id "
    "LEFT JOIN cooperation_areas nc ON nc.agreement_id = n.id AND nc.code = oc.code "
    "WHERE n.id = $1 ORDER BY o.id RETURNING id",
    2};
static const est_stmt revision_commitment_links = {
    "cy_revision_commitment_links",
    "WITH m AS (SELECT id, predecessor_commitment_id AS old FROM commitments WHERE agreement_id = $1 AND "
    "predecessor_commitment_id IS NOT NULL AND $2::bigint IS NOT NULL), "
    "p AS (INSERT INTO commitment_parties (commitment_id, party_id) SELECT m.id, cp.party_id FROM m JOIN "
    "commitment_parties cp ON cp.commitment_id = m.old ON CONFLICT DO NOTHING RETURNING 1), "
    "a AS (INSERT INTO commitment_areas (commitment_id, area_id) SELECT m.id, ca.area_id FROM m JOIN "
    "commitment_areas ca ON ca.commitment_id = m.old ON CONFLICT DO NOTHING RETURNING 1) "
    "INSERT INTO commitment_indicators (commitment_id, code, description, event_kinds, activity_types, categories, "
    "party_ids, area_ids, measure) SELECT m.id, CASE WHEN ci.code IS NULL THEN NULL ELSE left(ci.code, 80) || "
    "'-v' || $1 END, ci.description, ci.event_kinds, ci.activity_types, ci.categories, ci.party_ids, ci.area_ids, "
    "ci.measure FROM m JOIN commitment_indicators ci ON ci.commitment_id = m.old "
    "WHERE (SELECT count(*) FROM p) >= 0 AND (SELECT count(*) FROM a) >= 0",
    2};

static const store_constraint agreement_map[] = {
    {"agreements_code_key", "/code", "another agreement already has this code", EST_ECONFLICT},
    {"agreements_code_slug", "/code", "must be a slug", EST_EINVAL},
    {"agreements_valid_range", "/valid_to", "must not be before valid_from", EST_EINVAL},
    STORE_FK("agreements_complements_agreement_id_fkey", "/complements_agreement_id", "agreement"),
    {"agreements_not_self_complement", "/complements_agreement_id", "an agreement cannot complement itself",
     EST_EINVAL},
    {"agreement_parties_party_id_fkey", "/party_ids", "names a party that does not exist", EST_EINVAL},
    {"agreements_previous_key", "/previous_agreement_id",
     "this agreement already has a revision; revise the newest version", EST_ECONFLICT},
    {"agreements_kind_check", "/kind", "must be samverkansoverenskommelse or medborgarlofte", EST_EINVAL},
    {"commitments_code_key", "/carry_over_commitments", "a carried-over commitment's code is taken", EST_ECONFLICT},
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres agreement_res = {"agreement",       "agreement",    &agreement_insert, &agreement_lock,
                                         &agreement_update, &agreement_get, agreement_links,   agreement_map};

STORE_JRES_FUNCTIONS(store_agreement, agreement_res)

est_result store_agreement_revise(est_pool *pool, const est_actor *who, long long prev_id, const char *body,
                                  est_doc *out, long long *id, store_write_error *fail) {
  out->json = NULL;
  json_t *b = json_loads(body, 0, NULL);
  if (!b) return EST_EINTERNAL;
  bool supersede = json_is_true(json_object_get(b, "supersede"));
  json_t *carry = json_object_get(b, "carry_over_commitments");
  bool carry_over = !carry || json_is_true(carry);
  bool own_parties = json_object_get(b, "party_ids") != NULL;
  est_date nf, nt;
  bool dates = est_date_parse(json_string_value(json_object_get(b, "valid_from")), &nf) &&
               est_date_parse(json_string_value(json_object_get(b, "valid_to")), &nt);
  json_decref(b);
  if (!dates) { /* valid dates the calendar rules do not cover (before 1900) */
    store_write_error_set(fail, "/valid_from", "valid_from and valid_to must be dates from 1900 to 9999");
    return EST_EINVAL;
  }
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  char pidb[24], nidb[24];
  const char *lp[1] = {store_lld(pidb, prev_id)};
  PGresult *prev = NULL;
  rc = est_db_exec(c, &agreement_lock, lp, &prev, NULL);
  if (rc == EST_OK && PQntuples(prev) == 0) rc = EST_ENOTFOUND;
  if (rc == EST_OK) {
    est_date pf, pt;
    const char *field, *detail;
    if (!est_date_parse(PQgetvalue(prev, 0, 3), &pf) || !est_date_parse(PQgetvalue(prev, 0, 4), &pt)) {
      rc = EST_EINTERNAL;
    } else if (est_revision_check(pf, pt, nf, nt, supersede, &field, &detail) != EST_OK) {
      store_write_error_set(fail, field, "%s (the previous version runs %s to %s)", detail, PQgetvalue(prev, 0, 3),
                            PQgetvalue(prev, 0, 4));
      rc = EST_ECONFLICT; /* conflicts with the stored previous version: 409 */
    }
  }
  if (rc == EST_OK) {
    const char *ip[2] = {body, pidb};
    char st[6];
    PGresult *r = NULL;
    rc = est_db_exec(c, &revision_insert, ip, &r, st);
    if (rc != EST_OK) rc = store_explain(c, rc, st, agreement_map, fail);
    else *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
  }
  /* Then the version's parts, in order; every step sees the previous ones. */
  const est_stmt *steps[5] = {own_parties ? &agreement_parties_add : &revision_parties, &revision_coop_areas,
                              carry_over ? &revision_commitments : NULL, carry_over ? &revision_commitment_links : NULL,
                              NULL};
  json_t *carried = json_array();
  for (int i = 0; rc == EST_OK && i < 4; i++) {
    if (!steps[i]) continue;
    const char *sp[2] = {store_lld(nidb, *id), steps[i] == &agreement_parties_add ? body : pidb};
    char st[6];
    PGresult *r = NULL;
    rc = est_db_exec(c, steps[i], sp, &r, st);
    if (rc != EST_OK) rc = store_explain(c, rc, st, agreement_map, fail);
    else if (steps[i] == &revision_commitments)
      for (int k = 0; k < PQntuples(r); k++)
        json_array_append_new(carried, json_integer(strtoll(PQgetvalue(r, k, 0), NULL, 10)));
    PQclear(r);
  }
  if (rc == EST_OK) rc = store_jres_read_on(c, &agreement_get, *id, out);
  if (rc == EST_OK) {
    /* The audit image names the predecessor and the carried-over commitments. */
    json_t *after = json_loads(out->json, 0, NULL);
    json_object_set_new(after, "carried_over_commitment_ids", carried);
    carried = NULL;
    char *text = after ? json_dumps(after, JSON_COMPACT) : NULL;
    json_decref(after);
    rc = text ? store_audit_write(c, who, "create", "agreement", *id, PQgetvalue(prev, 0, 0), text) : EST_ENOMEM;
    free(text);
  }
  json_decref(carried);
  PQclear(prev);
  return store_tx_end_doc(pool, c, rc, out);
}

static const est_stmt sign_update = {
    "cy_agreement_sign",
    "UPDATE agreements SET signed_on = ($3::jsonb->>'signed_on')::date, updated_at = clock_timestamp(), "
    "version = version + 1 WHERE id = $1 AND version = $2 RETURNING id",
    3};
static const est_stmt sign_parties = {
    "cy_agreement_sign_parties",
    "INSERT INTO agreement_parties AS ap (agreement_id, party_id, role, signatory_role, signed_on) SELECT $1, "
    "(s->>'party_id')::bigint, 'signatory', s->>'role_title', ($2::jsonb->>'signed_on')::date FROM "
    "jsonb_array_elements($2::jsonb->'signatories') s ON CONFLICT (agreement_id, party_id) DO UPDATE SET "
    "role = 'signatory', signatory_role = EXCLUDED.signatory_role, signed_on = EXCLUDED.signed_on, "
    "updated_at = clock_timestamp()",
    2};

static const store_constraint sign_map[] = {
    {"agreement_parties_party_id_fkey", "/signatories", "names a party that does not exist", EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

est_result store_agreement_sign(est_pool *pool, const est_actor *who, long long id, long long version, const char *body,
                                est_doc *out, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24], st[6];
  const char *lp[1] = {store_lld(idb, id)};
  PGresult *before = NULL, *r = NULL;
  rc = est_db_exec(c, &agreement_lock, lp, &before, NULL);
  if (rc == EST_OK && PQntuples(before) == 0) rc = EST_ENOTFOUND;
  if (rc == EST_OK && strcmp(PQgetvalue(before, 0, 5), "t") == 0) {
    store_write_error_set(fail, "/signed_on", "the agreement is already signed; a change needs a revision");
    rc = EST_ECONFLICT;
  }
  if (rc == EST_OK) {
    const char *up[3] = {idb, store_lld(vb, version), body};
    rc = est_db_exec(c, &sign_update, up, &r, st);
    if (rc == EST_OK && PQntuples(r) == 0) {
      store_write_error_set(fail, "", "the agreement was changed since version %lld was read", version);
      rc = EST_EPRECONDITION;
    }
    PQclear(r);
    r = NULL;
  }
  if (rc == EST_OK) {
    const char *pp[2] = {idb, body};
    rc = est_db_exec(c, &sign_parties, pp, &r, st);
    if (rc != EST_OK) rc = store_explain(c, rc, st, sign_map, fail);
    PQclear(r);
  }
  if (rc == EST_OK) rc = store_jres_read_on(c, &agreement_get, id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "update", "agreement", id, PQgetvalue(before, 0, 0), out->json);
  PQclear(before);
  return store_tx_end_doc(pool, c, rc, out);
}

static const est_stmt agreement_period = {"cy_agreement_period",
                                          "SELECT valid_from::text, valid_to::text FROM agreements WHERE id = $1", 1};

est_result store_agreement_period(est_pool *pool, long long id, char *from, char *to) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  PGresult *r;
  est_result rc = store_exec1(pool, &agreement_period, params, &r, NULL);
  if (rc != EST_OK) return rc;
  if (PQntuples(r) == 0) rc = EST_ENOTFOUND;
  else {
    snprintf(from, 11, "%s", PQgetvalue(r, 0, 0));
    snprintf(to, 11, "%s", PQgetvalue(r, 0, 1));
  }
  PQclear(r);
  return rc;
}

/* ---- cooperation areas ---- */
const char *const store_coop_areas_sorts[] = {"id", "ordinal", NULL};

#define COOP_JSON                                                                                            \
  "json_build_object('id', c.id, 'agreement_id', c.agreement_id, 'code', c.code, 'title', c.title, "         \
  "'title_en', c.title_en, 'description', c.description, 'ordinal', c.ordinal, 'created_at', c.created_at, " \
  "'updated_at', c.updated_at, 'version', c.version, 'archived_at', c.archived_at)::text"

/* $1 agreement, $2/$3 cursor, $4 limit, $5 include archived. */
#define COOP_LIST(name, sortval, after, order)                                                                      \
  STORE_LIST_STMT(                                                                                                  \
      name, COOP_JSON, "c",                                                                                         \
      "cooperation_areas c WHERE ($1::bigint IS NULL OR c.agreement_id = $1) AND ($5::boolean OR c.archived_at IS " \
      "NULL)",                                                                                                      \
      5, sortval, after, order)

static const est_stmt coop_list[2][2] = {
    STORE_SORT_ID(COOP_LIST, "coop_list_id", "c"),
    STORE_SORT_BY(COOP_LIST, "coop_list_ord", "c", "c.ordinal", "int"),
};

static const est_stmt coop_get = STORE_GET_STMT("cy_coop_get", "cooperation_areas", "c", COOP_JSON);
static const est_stmt coop_lock = STORE_LOCK_STMT("cy_coop_lock", "cooperation_areas", "c", COOP_JSON);
static const est_stmt coop_insert = {
    "cy_coop_insert",
    "WITH b AS (SELECT $1::jsonb AS j) INSERT INTO cooperation_areas (agreement_id, code, title, title_en, "
    "description, ordinal) SELECT (b.j->>'agreement_id')::bigint, b.j->>'code', b.j->>'title', b.j->>'title_en', "
    "b.j->>'description', (b.j->>'ordinal')::int FROM b RETURNING id",
    1};
static const est_stmt coop_update = {
    "cy_coop_update",
    "WITH b AS (SELECT $3::jsonb AS j) UPDATE cooperation_areas t SET " SET_KEEP("code", "text") ", "
    SET_KEEP("title", "text") ", " SET_TEXT("title_en") ", " SET_TEXT("description") ", " SET_KEEP("ordinal", "int")
    ", updated_at = clock_timestamp(), version = t.version + 1 FROM b WHERE t.id = $1 AND ($2::bigint IS NULL OR "
    "t.version = $2) RETURNING t.id",
    3};
const store_archivable store_coop_areas_archivable =
    STORE_ARCHIVE_STMTS("cooperation_area", "cooperation_areas", "c", COOP_JSON);

static const store_constraint coop_map[] = {
    STORE_FK("cooperation_areas_agreement_id_fkey", "/agreement_id", "agreement"),
    {"cooperation_areas_agreement_code_key", "/code", "the agreement already has a cooperation area with this code",
     EST_ECONFLICT},
    {"cooperation_areas_ordinal_positive", "/ordinal", "must be positive", EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres coop_res = {"cooperation_area", "cooperation area", &coop_insert, &coop_lock,
                                    &coop_update,       &coop_get,          NULL,         coop_map};

est_result store_coop_areas_list(est_pool *pool, const store_coop_area_filter *f, const est_list_query *q,
                                 est_page *out) {
  char ab[24];
  const char *params[5] = {store_lld_or_null(ab, f->agreement_id), STORE_LIST_SLOTS,
                           f->include_archived ? "true" : "false"};
  est_result rc = store_list_run(pool, &coop_list[q->sort_index][q->desc], params, 1, q,
                                 store_coop_areas_sorts[q->sort_index], out);
  return rc == EST_EINVAL ? EST_EPARSE : rc; /* a forged cursor value: malformed request */
}
STORE_JRES_FUNCTIONS(store_coop_area, coop_res)
