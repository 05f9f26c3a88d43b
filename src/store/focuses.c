/* focuses.c - area focuses (fokusområden) (see store_areas.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_focuses.h"
#include "estd/store_util.h"

const char *const store_focuses_sorts[] = {"id", "priority", "valid_from", NULL};

#define FOCUS_JSON                                                                                       \
  "json_build_object('id', f.id, 'code', f.code, 'area_id', f.area_id, 'agreement_id', f.agreement_id, " \
  "'party_id', f.party_id, 'reason', f.reason, 'priority', f.priority, 'valid_from', f.valid_from, "     \
  "'valid_to', f.valid_to, 'created_at', f.created_at, 'updated_at', f.updated_at, 'archived_at', "      \
  "f.archived_at, 'version', f.version)::text"

/* $1 area_id, $2/$3 cursor (value, id), $4 limit, $5 agreement_id,
 * $6 party_id, $7 priority, $8 active_on, $9 include archived. */
#define FOCUS_LIST(name, sortval, after, order)                                                                \
  {                                                                                                            \
    name,                                                                                                      \
        "SELECT " FOCUS_JSON ", " sortval                                                                      \
        ", f.id FROM area_focuses f WHERE ($1::bigint IS NULL OR "                                             \
        "f.area_id = $1) AND ($5::bigint IS NULL OR f.agreement_id = $5) AND ($6::bigint IS NULL OR "          \
        "f.party_id = $6) AND ($7::smallint IS NULL OR f.priority = $7) AND ($8::date IS NULL OR "             \
        "(f.valid_from <= $8 AND (f.valid_to IS NULL OR f.valid_to >= $8))) AND ($3::bigint IS NULL OR " after \
        ") AND ($9::bool OR f.archived_at IS NULL) ORDER BY " order " LIMIT $4",                               \
        9                                                                                                      \
  }

static const est_stmt focus_list[3][2] = {
    {FOCUS_LIST("focuses_list_id", "''", "($2::text = '' AND f.id > $3)", "f.id"),
     FOCUS_LIST("focuses_list_id_d", "''", "($2::text = '' AND f.id < $3)", "f.id DESC")},
    {FOCUS_LIST("focuses_list_prio", "f.priority::text", "(f.priority, f.id) > ($2::smallint, $3)", "f.priority, f.id"),
     FOCUS_LIST("focuses_list_prio_d", "f.priority::text", "(f.priority, f.id) < ($2::smallint, $3)",
                "f.priority DESC, f.id DESC")},
    {FOCUS_LIST("focuses_list_from", "f.valid_from::text", "(f.valid_from, f.id) > ($2::date, $3)",
                "f.valid_from, f.id"),
     FOCUS_LIST("focuses_list_from_d", "f.valid_from::text", "(f.valid_from, f.id) < ($2::date, $3)",
                "f.valid_from DESC, f.id DESC")},
};

static const est_stmt focus_get = {"focus_get", "SELECT " FOCUS_JSON ", f.version FROM area_focuses f WHERE f.id = $1",
                                   1};

static const est_stmt focus_lock = {
    "focus_lock", "SELECT " FOCUS_JSON ", f.version FROM area_focuses f WHERE f.id = $1 FOR UPDATE", 1};

static const est_stmt focus_insert = {
    "focus_insert",
    "WITH b AS (SELECT $1::jsonb AS j) "
    "INSERT INTO area_focuses AS f (code, area_id, agreement_id, party_id, reason, priority, valid_from, valid_to) "
    "SELECT b.j->>'code', (b.j->>'area_id')::bigint, (b.j->>'agreement_id')::bigint, (b.j->>'party_id')::bigint, "
    "b.j->>'reason', COALESCE((b.j->>'priority')::smallint, 3), (b.j->>'valid_from')::date, "
    "(b.j->>'valid_to')::date FROM b "
    "RETURNING " FOCUS_JSON ", f.version, f.id",
    1};

/* Merge patch $3 onto focus $1 at version $2 (NULL = any): a member present
 * sets the column (null clears it), a member absent keeps it. */
static const est_stmt focus_update = {
    "focus_update",
    "WITH b AS (SELECT $3::jsonb AS j) "
    "UPDATE area_focuses f SET "
    "code = CASE WHEN b.j ? 'code' THEN b.j->>'code' ELSE f.code END, "
    "area_id = COALESCE((b.j->>'area_id')::bigint, f.area_id), "
    "agreement_id = CASE WHEN b.j ? 'agreement_id' THEN (b.j->>'agreement_id')::bigint ELSE f.agreement_id END, "
    "party_id = CASE WHEN b.j ? 'party_id' THEN (b.j->>'party_id')::bigint ELSE f.party_id END, "
    "reason = COALESCE(b.j->>'reason', f.reason), "
    "priority = COALESCE((b.j->>'priority')::smallint, f.priority), "
    "valid_from = COALESCE((b.j->>'valid_from')::date, f.valid_from), "
    "valid_to = CASE WHEN b.j ? 'valid_to' THEN (b.j->>'valid_to')::date ELSE f.valid_to END, "
    "updated_at = now(), version = f.version + 1 "
    "FROM b WHERE f.id = $1 AND ($2::bigint IS NULL OR f.version = $2) "
    "RETURNING " FOCUS_JSON ", f.version",
    3};

const store_archivable store_focuses_archivable = STORE_ARCHIVE_STMTS("area_focus", "area_focuses", "f", FOCUS_JSON);

/* ---- helpers ---------------------------------------------------------------- */

/* Explains a failed write on c from its SQLSTATE and the constraint that
 * refused it: unknown references are the client's error (422 naming the
 * field), a duplicate code is a conflict (409). */
static est_result explain_focus_error(est_conn *c, est_result rc, const char *sqlstate, store_write_error *f) {
  static const struct {
    const char *constraint, *field, *detail;
    est_result rc;
  } map[] = {
      {"area_focuses_area_id_fkey", "/area_id", "no area with this id", EST_EINVAL},
      {"area_focuses_agreement_id_fkey", "/agreement_id", "no agreement with this id", EST_EINVAL},
      {"area_focuses_party_id_fkey", "/party_id", "no party with this id", EST_EINVAL},
      {"area_focuses_code_key", "/code", "another area focus already has this code", EST_ECONFLICT},
      {"area_focuses_owner", "/agreement_id", "agreement_id or party_id (or both) must be set", EST_EINVAL},
      {"area_focuses_valid_range", "/valid_to", "must not be before valid_from", EST_EINVAL},
      {"area_focuses_priority_range", "/priority", "must be an integer from 1 to 5", EST_EINVAL},
      {"area_focuses_reason_nonempty", "/reason", "must not be empty", EST_EINVAL},
  };
  const char *cn = est_conn_last_constraint(c);
  /* Only the writes on area_focuses itself name these constraints; an FK of
   * another table pointing at a focus (on delete) falls through to 409. */
  if (strncmp(sqlstate, "23", 2) == 0)
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
      if (strcmp(cn, map[i].constraint) == 0 && !(strcmp(sqlstate, "23503") == 0 && map[i].rc != EST_EINVAL)) {
        store_write_error_set(f, map[i].field, "%s", map[i].detail);
        return map[i].rc;
      }
  if (strcmp(sqlstate, "23503") == 0) {
    store_write_error_set(f, "", "the area focus is still referenced (%s)", cn);
    return EST_ECONFLICT;
  }
  return rc;
}

/* ---- reads -------------------------------------------------------------------- */

est_result store_focuses_list(est_pool *pool, const store_focus_filter *f, const est_list_query *q, est_page *out) {
  char idb[24], lim[24], ab[24], gb[24], pb[24], prb[24];
  const char *av, *aid;
  store_after_params(q, idb, &av, &aid);
  const char *params[9] = {f->area_id ? store_lld(ab, f->area_id) : NULL,
                           av,
                           aid,
                           store_lld(lim, q->limit + 1),
                           f->agreement_id ? store_lld(gb, f->agreement_id) : NULL,
                           f->party_id ? store_lld(pb, f->party_id) : NULL,
                           f->priority ? store_lld(prb, f->priority) : NULL,
                           f->active_on,
                           f->archived ? "true" : "false"};
  return store_list_page(pool, &focus_list[q->sort_index][q->desc], params, q, store_focuses_sorts[q->sort_index], out);
}

est_result store_focus_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id(pool, &focus_get, id, out);
}

/* ---- writes ------------------------------------------------------------------- */

est_result store_focus_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                              store_write_error *fail) {
  out->json = NULL;
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  char st[6];
  const char *params[1] = {body};
  PGresult *r = NULL;
  rc = est_db_exec(c, &focus_insert, params, &r, st);
  if (rc != EST_OK) {
    rc = explain_focus_error(c, rc, st, fail);
  } else {
    rc = store_doc_from(r, out);
    if (rc == EST_OK) {
      *id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
      rc = store_audit_write(c, who, "create", "area_focus", *id, NULL, out->json);
    }
  }
  PQclear(r);
  rc = store_tx_end(pool, c, rc);
  if (rc != EST_OK) est_doc_free(out);
  return rc;
}

est_result store_focus_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                              est_doc *out, store_write_error *fail) {
  out->json = NULL;
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24] = "", st[6];
  store_lld(idb, id);
  PGresult *before = NULL, *r = NULL;
  rc = store_lock_row(c, &focus_lock, id, &before);
  if (rc == EST_OK) {
    const char *params[3] = {idb, version ? store_lld(vb, version) : NULL, patch};
    rc = est_db_exec(c, &focus_update, params, &r, st);
    if (rc != EST_OK) {
      rc = explain_focus_error(c, rc, st, fail);
    } else if (PQntuples(r) == 0) {
      store_write_error_set(fail, "", "the area focus was changed since version %s was read", vb);
      rc = EST_EPRECONDITION;
    } else {
      rc = store_doc_from(r, out);
      if (rc == EST_OK) rc = store_audit_write(c, who, "update", "area_focus", id, PQgetvalue(before, 0, 0), out->json);
    }
  }
  PQclear(before);
  PQclear(r);
  rc = store_tx_end(pool, c, rc);
  if (rc != EST_OK) est_doc_free(out);
  return rc;
}
