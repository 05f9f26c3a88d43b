/* focuses.c - area focuses (fokusområden) (see store_areas.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_focuses.h"
#include "estd/store_records.h"
#include "estd/store_util.h"

const char *const store_focuses_sorts[] = {"id", "priority", "valid_from", NULL};

#define FOCUS_JSON                                                                                       \
  "json_build_object('id', f.id, 'code', f.code, 'area_id', f.area_id, 'agreement_id', f.agreement_id, " \
  "'party_id', f.party_id, 'reason', f.reason, 'priority', f.priority, 'valid_from', f.valid_from, "     \
  "'valid_to', f.valid_to, 'created_at', f.created_at, 'updated_at', f.updated_at, 'archived_at', "      \
  "f.archived_at, 'version', f.version)::text"

/* $1 area_id, $2/$3 cursor (value, id), $4 limit, $5 agreement_id,
 * $6 party_id, $7 priority, $8 active_on, $9 include archived. */
#define FOCUS_LIST(name, sortval, after, order)                                                                          \
  STORE_LIST_STMT(                                                                                                       \
      name, FOCUS_JSON, "f",                                                                                             \
      "area_focuses f WHERE ($1::bigint IS NULL OR f.area_id = $1) AND ($5::bigint IS NULL OR f.agreement_id = $5) "     \
      "AND ($6::bigint IS NULL OR f.party_id = $6) AND ($7::smallint IS NULL OR f.priority = $7) AND ($8::date IS NULL " \
      "OR (f.valid_from <= $8 AND (f.valid_to IS NULL OR f.valid_to >= $8))) AND ($9::bool OR f.archived_at IS NULL)",   \
      9, sortval, after, order)

static const est_stmt focus_list[3][2] = {
    STORE_SORT_ID(FOCUS_LIST, "focuses_list_id", "f"),
    STORE_SORT_BY(FOCUS_LIST, "focuses_list_prio", "f", "f.priority", "smallint"),
    STORE_SORT_BY(FOCUS_LIST, "focuses_list_from", "f", "f.valid_from", "date"),
};

static const est_stmt focus_get = STORE_GET_STMT("focus_get", "area_focuses", "f", FOCUS_JSON);

static const est_stmt focus_lock = STORE_LOCK_STMT("focus_lock", "area_focuses", "f", FOCUS_JSON);

static const est_stmt focus_insert = {
    "focus_insert",
    "WITH b AS (SELECT $1::jsonb AS j) "
    "INSERT INTO area_focuses AS f (code, area_id, agreement_id, party_id, reason, priority, valid_from, valid_to) "
    "SELECT b.j->>'code', (b.j->>'area_id')::bigint, (b.j->>'agreement_id')::bigint, (b.j->>'party_id')::bigint, "
    "b.j->>'reason', COALESCE((b.j->>'priority')::smallint, 3), (b.j->>'valid_from')::date, "
    "(b.j->>'valid_to')::date FROM b RETURNING f.id",
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
    "FROM b WHERE f.id = $1 AND ($2::bigint IS NULL OR f.version = $2) RETURNING f.id",
    3};

const store_archivable store_focuses_archivable = STORE_ARCHIVE_STMTS("area_focus", "area_focuses", "f", FOCUS_JSON);

/* ---- reads -------------------------------------------------------------------- */

est_result store_focuses_list(est_pool *pool, const store_focus_filter *f, const est_list_query *q, est_page *out) {
  char ab[24], gb[24], pb[24], prb[24];
  const char *params[9] = {store_lld_or_null(ab, f->area_id),      STORE_LIST_SLOTS,
                           store_lld_or_null(gb, f->agreement_id), store_lld_or_null(pb, f->party_id),
                           store_lld_or_null(prb, f->priority),    f->active_on,
                           f->archived ? "true" : "false"};
  return store_list_run(pool, &focus_list[q->sort_index][q->desc], params, 1, q, store_focuses_sorts[q->sort_index],
                        out);
}

/* ---- writes ------------------------------------------------------------------- */

/* Unknown references are the client's error (422 naming the field), a
 * duplicate code is a conflict (409). */
static const store_constraint focus_map[] = {
    STORE_FK("area_focuses_area_id_fkey", "/area_id", "area"),
    STORE_FK("area_focuses_agreement_id_fkey", "/agreement_id", "agreement"),
    STORE_FK("area_focuses_party_id_fkey", "/party_id", "party"),
    {"area_focuses_code_key", "/code", "another area focus already has this code", EST_ECONFLICT},
    {"area_focuses_owner", "/agreement_id", "agreement_id or party_id (or both) must be set", EST_EINVAL},
    {"area_focuses_valid_range", "/valid_to", "must not be before valid_from", EST_EINVAL},
    {"area_focuses_priority_range", "/priority", "must be an integer from 1 to 5", EST_EINVAL},
    {"area_focuses_reason_nonempty", "/reason", "must not be empty", EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres focus_res = {"area_focus",  "area focus", &focus_insert, &focus_lock,
                                     &focus_update, &focus_get,   NULL,          focus_map};

STORE_JRES_FUNCTIONS(store_focus, focus_res)
