/* commitments.c - commitments with their parties and areas (see store_commitments.h). */
#include "estd/store_commitments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_doccache.h"
#include "estd/store_util.h"

const char *const store_commitments_sorts[] = {"id", "created_at", "updated_at", NULL};

#define COMMITMENT_JSON                                                                                    \
  "json_build_object('id', c.id, 'code', c.code, 'agreement_id', c.agreement_id, 'cooperation_area_id', "  \
  "c.cooperation_area_id, 'text', c.text, 'responsible_party_ids', COALESCE((SELECT json_agg(cp.party_id " \
  "ORDER BY cp.party_id) FROM commitment_parties cp WHERE cp.commitment_id = c.id), '[]'::json), "         \
  "'area_ids', COALESCE((SELECT json_agg(ca.area_id ORDER BY ca.area_id) FROM commitment_areas ca WHERE "  \
  "ca.commitment_id = c.id), '[]'::json), 'target', CASE WHEN c.target_value IS NULL THEN NULL ELSE "      \
  "json_build_object('value', c.target_value, 'unit', c.target_unit, 'comparison', c.target_comparison, "  \
  "'per', c.target_per, 'from', c.target_from, 'to', c.target_to) END, 'status', c.status, "               \
  "'follow_up_note', c.follow_up_note, 'created_at', c.created_at, 'updated_at', c.updated_at, "           \
  "'archived_at', c.archived_at, 'version', c.version)::text"

/* Timestamps in cursors: fixed UTC text that parses back exactly (µs). */
#define TS_TEXT(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* $1 agreement, $2 responsible party, $3 cooperation area, $4 area, $5
 * status, $6 cursor sort value ('' for the id sort), $7 cursor id, $8 limit, $9 include archived. */
#define COMMITMENT_LIST(name, sortval, after, order)                                                            \
  {                                                                                                             \
    name,                                                                                                       \
        "SELECT " COMMITMENT_JSON ", " sortval                                                                  \
        ", c.id FROM commitments c WHERE ($1::bigint IS NULL OR "                                               \
        "c.agreement_id = $1) AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM commitment_parties x WHERE "     \
        "x.commitment_id = c.id AND x.party_id = $2)) AND ($3::bigint IS NULL OR c.cooperation_area_id = $3) "  \
        "AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM commitment_areas y WHERE y.commitment_id = c.id AND " \
        "y.area_id = $4)) AND ($5::text IS NULL OR c.status = $5) AND ($7::bigint IS NULL OR " after            \
        ") "                                                                                                    \
        "AND ($9::bool OR c.archived_at IS NULL) ORDER BY " order " LIMIT $8",                                  \
        9                                                                                                       \
  }

static const est_stmt list_stmts[3][2] = {
    {COMMITMENT_LIST("commitments_list_id", "''", "($6::text = '' AND c.id > $7)", "c.id"),
     COMMITMENT_LIST("commitments_list_id_d", "''", "($6::text = '' AND c.id < $7)", "c.id DESC")},
    {COMMITMENT_LIST("commitments_list_created", TS_TEXT("c.created_at"),
                     "(c.created_at, c.id) > ($6::timestamptz, $7)", "c.created_at, c.id"),
     COMMITMENT_LIST("commitments_list_created_d", TS_TEXT("c.created_at"),
                     "(c.created_at, c.id) < ($6::timestamptz, $7)", "c.created_at DESC, c.id DESC")},
    {COMMITMENT_LIST("commitments_list_updated", TS_TEXT("c.updated_at"),
                     "(c.updated_at, c.id) > ($6::timestamptz, $7)", "c.updated_at, c.id"),
     COMMITMENT_LIST("commitments_list_updated_d", TS_TEXT("c.updated_at"),
                     "(c.updated_at, c.id) < ($6::timestamptz, $7)", "c.updated_at DESC, c.id DESC")},
};

static const est_stmt commitment_get = STORE_GET_STMT("commitment_get", "commitments", "c", COMMITMENT_JSON);

static const est_stmt commitment_lock = STORE_LOCK_STMT("commitment_lock", "commitments", "c", COMMITMENT_JSON);
const store_archivable store_commitments_archivable =
    STORE_ARCHIVE_STMTS("commitment", "commitments", "c", COMMITMENT_JSON);

static const est_stmt commitment_insert = {
    "commitment_insert",
    "INSERT INTO commitments (agreement_id, cooperation_area_id, code, text, target_value, target_unit, "
    "target_comparison, target_per, target_from, target_to, status, follow_up_note) VALUES ($1::bigint, "
    "$2::bigint, $3, $4, $5::numeric, $6, $7, $8, $9::date, $10::date, $11, $12) RETURNING id",
    12};

static const est_stmt commitment_update = {
    "commitment_update",
    "UPDATE commitments SET agreement_id = $3::bigint, cooperation_area_id = $4::bigint, code = $5, text = $6, "
    "target_value = $7::numeric, target_unit = $8, target_comparison = $9, target_per = $10, target_from = "
    "$11::date, target_to = $12::date, status = $13, follow_up_note = $14, version = version + 1, updated_at = "
    "clock_timestamp() WHERE id = $1 AND version = $2 RETURNING id",
    14};

static const est_stmt parties_add = {
    "commitment_parties_add",
    "INSERT INTO commitment_parties (commitment_id, party_id) SELECT $1, p FROM unnest($2::bigint[]) AS p "
    "ON CONFLICT DO NOTHING",
    2};
static const est_stmt parties_prune = {
    "commitment_parties_prune",
    "DELETE FROM commitment_parties WHERE commitment_id = $1 AND NOT (party_id = ANY ($2::bigint[]))", 2};
static const est_stmt areas_add = {
    "commitment_areas_add",
    "INSERT INTO commitment_areas (commitment_id, area_id) SELECT $1, a FROM unnest($2::bigint[]) AS a "
    "ON CONFLICT DO NOTHING",
    2};
static const est_stmt areas_prune = {
    "commitment_areas_prune",
    "DELETE FROM commitment_areas WHERE commitment_id = $1 AND NOT (area_id = ANY ($2::bigint[]))", 2};

est_result store_commitments_list(est_pool *pool, const store_commitment_filter *f, const est_list_query *q,
                                  est_page *out) {
  char ab[24], pb[24], cb[24], arb[24];
  const char *params[9] = {store_lld_or_null(ab, f->agreement_id),
                           store_lld_or_null(pb, f->party_id),
                           store_lld_or_null(cb, f->cooperation_area_id),
                           store_lld_or_null(arb, f->area_id),
                           f->status,
                           STORE_LIST_SLOTS,
                           f->archived ? "true" : "false"};
  est_result rc = store_list_run(pool, &list_stmts[q->sort_index][q->desc], params, 5, q,
                                 store_commitments_sorts[q->sort_index], out);
  /* A forged cursor whose value is not a timestamp: a malformed request. */
  return rc == EST_EINVAL ? EST_EPARSE : rc;
}

est_result store_commitment_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id_cached(pool, "commitment", &commitment_get, id, out); /* NOTIFY: migration 0100 */
}

/* "{1,2,3}" into buf (sized for EST_COMMITMENT_MAX_AREAS ids). */
static const char *ids_literal(char *buf, size_t n, const long long *ids, int count) {
  size_t j = 0;
  buf[j++] = '{';
  for (int i = 0; i < count && j + 24 < n; i++) j += (size_t)snprintf(buf + j, n - j, "%s%lld", i ? "," : "", ids[i]);
  snprintf(buf + j, n - j, "}");
  return buf;
}

/* Maps a failed write to a result and a field, from the violated
 * constraint's name (never from a prior existence check). */
static est_result write_error(est_conn *c, est_result rc, const est_commitment_input *in, store_write_error *err) {
  if (rc != EST_ECONFLICT && rc != EST_EINVAL) return rc;
  const char *cn = est_conn_last_constraint(c);
  long long agr = in ? in->agreement_id : 0, ca = in ? in->cooperation_area_id : 0;
  if (strcmp(cn, "commitments_agreement_id_fkey") == 0) {
    store_write_error_set(err, "/agreement_id", "agreement %lld does not exist", agr);
    return EST_EINVAL;
  }
  if (strcmp(cn, "commitments_cooperation_area_same_agreement") == 0) {
    store_write_error_set(err, "/cooperation_area_id", "cooperation area %lld does not exist in agreement %lld", ca,
                          agr);
    return EST_EINVAL;
  }
  if (strcmp(cn, "commitment_parties_party_id_fkey") == 0) {
    store_write_error_set(err, "/responsible_party_ids", "responsible_party_ids names a party that does not exist");
    return EST_EINVAL;
  }
  if (strcmp(cn, "commitment_areas_area_id_fkey") == 0) {
    store_write_error_set(err, "/area_ids", "area_ids names an area that does not exist");
    return EST_EINVAL;
  }
  if (strcmp(cn, "commitments_code_key") == 0) {
    store_write_error_set(err, "/code", "a commitment with code '%.100s' already exists",
                          in && in->code ? in->code : "");
    return EST_ECONFLICT;
  }
  store_write_error_set(err, "", "%s constraint %.60s", rc == EST_ECONFLICT ? "conflicts with" : "violates",
                        cn[0] ? cn : "(unnamed)");
  return rc;
}

/* Writes the columns, parties and areas of in for commitment id (insert
 * when id is 0, then *new_id is set). Runs inside the caller's transaction. */
static est_result write_rows(est_conn *c, long long id, long long version, const est_commitment_input *in,
                             long long *new_id, store_write_error *err) {
  char agr[24], ca[24], idb[24], vb[24];
  const est_commitment_target *t = in->has_target ? &in->target : NULL;
  const char *cols[12] = {store_lld(agr, in->agreement_id),
                          store_lld_or_null(ca, in->cooperation_area_id),
                          in->code,
                          in->text,
                          t ? t->value : NULL,
                          t ? t->unit : NULL,
                          t ? t->comparison : NULL,
                          t ? t->per : NULL,
                          t ? t->from : NULL,
                          t ? t->to : NULL,
                          in->status,
                          in->follow_up_note};
  PGresult *r;
  est_result rc;
  if (id == 0) {
    rc = est_db_exec(c, &commitment_insert, cols, &r, NULL);
    if (rc != EST_OK) return write_error(c, rc, in, err);
    id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    *new_id = id;
  } else {
    const char *params[14] = {store_lld(idb, id), store_lld(vb, version)};
    memcpy(params + 2, cols, sizeof cols);
    rc = est_db_exec(c, &commitment_update, params, &r, NULL);
    if (rc != EST_OK) return write_error(c, rc, in, err);
    if (PQntuples(r) == 0) rc = EST_EPRECONDITION;
  }
  PQclear(r);
  if (rc != EST_OK) return rc;

  char parties[EST_COMMITMENT_MAX_PARTIES * 24 + 4], areas[EST_COMMITMENT_MAX_AREAS * 24 + 4];
  const char *pp[2] = {store_lld(idb, id), ids_literal(parties, sizeof parties, in->party_ids, in->nparties)};
  const char *ap[2] = {idb, ids_literal(areas, sizeof areas, in->area_ids, in->nareas)};
  const est_stmt *steps[4] = {&parties_prune, &parties_add, &areas_prune, &areas_add};
  const char *const *args[4] = {pp, pp, ap, ap};
  for (int i = 0; i < 4; i++) {
    if (*new_id && (i == 0 || i == 2)) continue; /* nothing to prune on insert */
    rc = est_db_exec(c, steps[i], args[i], &r, NULL);
    if (rc != EST_OK) return write_error(c, rc, in, err);
    PQclear(r);
  }
  return EST_OK;
}

est_result store_commitment_create(est_pool *pool, const est_commitment_input *in, const est_actor *who, est_doc *out,
                                   long long *id_out, store_write_error *err) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  long long id = 0;
  rc = write_rows(c, 0, 0, in, &id, err);
  if (rc == EST_OK) rc = store_doc_by_id_on(c, &commitment_get, id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "create", "commitment", id, NULL, out->json);
  rc = store_tx_end_doc(pool, c, rc, out);
  if (rc == EST_OK) *id_out = id;
  return rc;
}

est_result store_commitment_update(est_pool *pool, long long id, long long version, const est_commitment_input *in,
                                   const est_actor *who, est_doc *out, store_write_error *err) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  est_doc before = {0};
  long long unused = 0;
  rc = store_doc_by_id_on(c, &commitment_lock, id, &before);
  if (rc == EST_OK) rc = write_rows(c, id, version, in, &unused, err);
  if (rc == EST_OK) rc = store_doc_by_id_on(c, &commitment_get, id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "update", "commitment", id, before.json, out->json);
  rc = store_tx_end_doc(pool, c, rc, out);
  est_doc_free(&before);
  return rc;
}
