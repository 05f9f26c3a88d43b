/* indicators.c - survey indicator values and commitments' outcome targets
 * (see store_cycle.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/cycle.h"
#include "estd/store_indicators.h"
#include "estd/store_records.h"
#include "estd/store_util.h"
#include "internal.h"

const char *const store_indicators_sorts[] = {"id", "period_from", NULL};

#define INDICATOR_JSON                                                                                           \
  "json_build_object('id', v.id, 'indicator', v.indicator, 'measure', v.measure, 'area_id', v.area_id, "         \
  "'period_from', v.period_from, 'period_to', v.period_to, 'value', v.value, 'unit', v.unit, 'source', "         \
  "v.source, 'sample_size', v.sample_size, 'margin_of_error', v.margin_of_error, 'note', v.note, 'created_at', " \
  "v.created_at, 'updated_at', v.updated_at, 'version', v.version, 'archived_at', v.archived_at)::text"

/* $1 area, $2/$3 cursor, $4 limit, $5 indicator, $6 measure, $7/$8 overlap range, $9 archived. */
#define INDICATOR_LIST(name, sortval, after, order)                                                                    \
  STORE_LIST_STMT(                                                                                                     \
      name, INDICATOR_JSON, "v",                                                                                       \
      "indicator_values v WHERE ($1::bigint IS NULL OR v.area_id = $1) AND ($5::text IS NULL OR v.indicator = $5) "    \
      "AND ($6::text IS NULL OR v.measure = $6) AND ($7::date IS NULL OR v.period_to >= $7) AND ($8::date IS NULL OR " \
      "v.period_from <= $8) AND ($9::boolean OR v.archived_at IS NULL)",                                               \
      9, sortval, after, order)

static const est_stmt indicator_list[2][2] = {
    STORE_SORT_ID(INDICATOR_LIST, "indicators_list_id", "v"),
    STORE_SORT_BY(INDICATOR_LIST, "indicators_list_from", "v", "v.period_from", "date"),
};

static const est_stmt indicator_get = STORE_GET_STMT("indicator_get", "indicator_values", "v", INDICATOR_JSON);
static const est_stmt indicator_lock = STORE_LOCK_STMT("indicator_lock", "indicator_values", "v", INDICATOR_JSON);
static const est_stmt indicator_insert = {
    "indicator_insert",
    "WITH b AS (SELECT $1::jsonb AS j) INSERT INTO indicator_values (indicator, measure, area_id, period_from, "
    "period_to, value, unit, source, sample_size, margin_of_error, note) SELECT b.j->>'indicator', b.j->>'measure', "
    "(b.j->>'area_id')::bigint, (b.j->>'period_from')::date, (b.j->>'period_to')::date, (b.j->>'value')::numeric, "
    "b.j->>'unit', b.j->>'source', (b.j->>'sample_size')::int, (b.j->>'margin_of_error')::numeric, b.j->>'note' "
    "FROM b RETURNING id",
    1};

static const est_stmt indicator_update = {
    "indicator_update",
    "WITH b AS (SELECT $3::jsonb AS j) UPDATE indicator_values t SET " SET_KEEP("indicator", "text") ", "
    SET_KEEP("measure", "text") ", " SET_KEEP("area_id", "bigint") ", " SET_KEEP("period_from", "date") ", "
    SET_KEEP("period_to", "date") ", " SET_KEEP("value", "numeric") ", " SET_KEEP("unit", "text") ", "
    SET_KEEP("source", "text") ", " SET_NULLABLE("sample_size", "int") ", " SET_NULLABLE("margin_of_error", "numeric")
    ", " SET_TEXT("note") ", updated_at = clock_timestamp(), version = t.version + 1 FROM b WHERE t.id = $1 AND "
    "($2::bigint IS NULL OR t.version = $2) RETURNING t.id",
    3};
const store_archivable store_indicators_archivable =
    STORE_ARCHIVE_STMTS("indicator_value", "indicator_values", "v", INDICATOR_JSON);

static const store_constraint indicator_map[] = {
    STORE_FK("indicator_values_area_id_fkey", "/area_id", "area"),
    {"indicator_values_key", "/source", "this source already has a value for the indicator, measure, area and period",
     EST_ECONFLICT},
    {"indicator_values_period_range", "/period_to", "must not be before period_from", EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres indicator_res = {
    "indicator_value", "indicator value", &indicator_insert, &indicator_lock, &indicator_update, &indicator_get, NULL,
    indicator_map};

est_result store_indicators_list(est_pool *pool, const store_indicator_filter *f, const est_list_query *q,
                                 est_page *out) {
  char ab[24];
  const char *params[9] = {
      store_lld_or_null(ab, f->area_id),     STORE_LIST_SLOTS, f->indicator, f->measure, f->from, f->to,
      f->include_archived ? "true" : "false"};
  est_result rc = store_list_run(pool, &indicator_list[q->sort_index][q->desc], params, 1, q,
                                 store_indicators_sorts[q->sort_index], out);
  return rc == EST_EINVAL ? EST_EPARSE : rc; /* a forged cursor value: malformed request */
}

STORE_JRES_FUNCTIONS(store_indicator, indicator_res)

/* ---- outcome targets ---------------------------------------------------------- */

/* The target with its baseline and the latest value of the same measure
 * in the same area after the baseline (not archived). */
#define TARGET_JSON                                                                                            \
  "json_build_object('commitment_id', t.commitment_id, 'indicator', t.indicator, 'measure', t.measure, "       \
  "'area_id', t.area_id, 'direction', t.direction, 'baseline_value_id', t.baseline_value_id, 'baseline', "     \
  "(SELECT " INDICATOR_JSON                                                                                    \
  "::json FROM indicator_values v WHERE v.id = t.baseline_value_id), 'latest', "                               \
  "(SELECT " INDICATOR_JSON                                                                                    \
  "::json FROM indicator_values v, indicator_values bv WHERE bv.id = "                                         \
  "t.baseline_value_id AND v.indicator = t.indicator AND v.measure = t.measure AND v.area_id = t.area_id AND " \
  "v.period_from > bv.period_to AND v.archived_at IS NULL ORDER BY v.period_to DESC, v.id DESC LIMIT 1), "     \
  "'created_at', t.created_at, 'updated_at', t.updated_at, 'version', t.version)::text"

static const est_stmt target_get = {
    "outcome_target_get",
    "SELECT " TARGET_JSON ", t.version FROM commitment_outcome_targets t WHERE t.commitment_id = $1", 1};
static const est_stmt target_lock = {
    "outcome_target_lock",
    "SELECT " TARGET_JSON ", t.version FROM commitment_outcome_targets t WHERE t.commitment_id = $1 FOR UPDATE", 1};
/* The baseline must be a value of the same indicator, measure and area. */
static const est_stmt target_upsert = {
    "outcome_target_upsert",
    "WITH b AS (SELECT $2::jsonb AS j) INSERT INTO commitment_outcome_targets AS t (commitment_id, indicator, "
    "measure, area_id, direction, baseline_value_id) SELECT $1, b.j->>'indicator', b.j->>'measure', "
    "(b.j->>'area_id')::bigint, b.j->>'direction', (b.j->>'baseline_value_id')::bigint FROM b "
    "ON CONFLICT (commitment_id) DO UPDATE SET indicator = EXCLUDED.indicator, measure = EXCLUDED.measure, "
    "area_id = EXCLUDED.area_id, direction = EXCLUDED.direction, baseline_value_id = EXCLUDED.baseline_value_id, "
    "updated_at = clock_timestamp(), version = t.version + 1 WHERE ($3::bigint IS NULL OR t.version = $3) "
    "RETURNING (xmax = 0) AS created",
    3};
static const est_stmt target_baseline_check = {
    "outcome_target_baseline",
    "SELECT 1 FROM indicator_values v WHERE v.id = ($1::jsonb->>'baseline_value_id')::bigint AND v.indicator = "
    "$1::jsonb->>'indicator' AND v.measure = $1::jsonb->>'measure' AND v.area_id = ($1::jsonb->>'area_id')::bigint",
    1};
static const est_stmt target_delete = {
    "outcome_target_delete",
    "DELETE FROM commitment_outcome_targets WHERE commitment_id = $1 AND ($2::bigint IS NULL OR version = $2) "
    "RETURNING 1",
    2};

static const store_constraint target_map[] = {
    {"commitment_outcome_targets_commitment_id_fkey", "", "no commitment with this id", EST_ENOTFOUND},
    STORE_FK("commitment_outcome_targets_area_id_fkey", "/area_id", "area"),
    {"commitment_outcome_targets_baseline_value_id_fkey", "/baseline_value_id", "no indicator value with this id",
     EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

static est_result target_read(est_conn *c, const est_stmt *s, long long commitment_id, est_doc *out);

est_result store_outcome_target_get(est_pool *pool, long long commitment_id, est_doc *out) {
  out->json = NULL;
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  rc = target_read(c, &target_get, commitment_id, out);
  est_pool_release(pool, c);
  return rc;
}

est_result store_outcome_target_put(est_pool *pool, const est_actor *who, long long commitment_id, long long version,
                                    const char *body, est_doc *out, bool *created, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24], st[6];
  est_doc before = {0};
  est_result lr = store_jres_read_on(c, &target_lock, commitment_id, &before);
  if (lr != EST_OK && lr != EST_ENOTFOUND) rc = lr;
  PGresult *r = NULL;
  if (rc == EST_OK) {
    /* A baseline is an existing value of the very measure the target names
     * (a foreign key cannot say "of the same measure"). */
    const char *bp[1] = {body};
    rc = est_db_exec(c, &target_baseline_check, bp, &r, NULL);
    if (rc == EST_OK && PQntuples(r) == 0) {
      store_write_error_set(fail, "/baseline_value_id",
                            "must be an indicator value of the same indicator, measure and area");
      rc = EST_EINVAL;
    }
    PQclear(r);
    r = NULL;
  }
  if (rc == EST_OK) {
    const char *p[3] = {store_lld(idb, commitment_id), body, store_lld_or_null(vb, version)};
    rc = est_db_exec(c, &target_upsert, p, &r, st);
    if (rc != EST_OK) {
      rc = store_explain(c, rc, st, target_map, fail);
    } else if (PQntuples(r) == 0) {
      store_write_error_set(fail, "", "the outcome target was changed since version %lld was read", version);
      rc = EST_EPRECONDITION;
    } else {
      *created = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    }
    PQclear(r);
  }
  if (rc == EST_OK) rc = target_read(c, &target_get, commitment_id, out);
  if (rc == EST_OK)
    rc = store_audit_write(c, who, *created ? "create" : "update", "commitment_outcome_target", commitment_id,
                           before.json, out->json);
  est_doc_free(&before);
  return store_tx_end_doc(pool, c, rc, out);
}

est_result store_outcome_target_delete(est_pool *pool, const est_actor *who, long long commitment_id, long long version,
                                       store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24];
  est_doc before = {0};
  rc = store_jres_read_on(c, &target_lock, commitment_id, &before);
  PGresult *r = NULL;
  if (rc == EST_OK) {
    const char *p[2] = {store_lld(idb, commitment_id), store_lld_or_null(vb, version)};
    rc = est_db_exec(c, &target_delete, p, &r, NULL);
    if (rc == EST_OK && PQntuples(r) == 0) {
      store_write_error_set(fail, "", "the outcome target was changed since version %lld was read", version);
      rc = EST_EPRECONDITION;
    }
    PQclear(r);
  }
  if (rc == EST_OK)
    rc = store_audit_write(c, who, "delete", "commitment_outcome_target", commitment_id, before.json, NULL);
  est_doc_free(&before);
  return store_tx_end(pool, c, rc);
}

/* ---- outcome judgement of commitments (progress) ------------------------------- */

static const est_stmt outcome_rows = {"outcome_rows",
                                      "SELECT t.commitment_id, " TARGET_JSON
                                      " FROM commitment_outcome_targets t WHERE t.commitment_id = ANY "
                                      "($1::bigint[])",
                                      1};

/* Number of a JSON member that may be a number or null. */
static bool num(const json_t *o, const char *k, double *out) {
  json_t *v = json_object_get(o, k);
  if (!json_is_number(v)) return false;
  *out = json_number_value(v);
  return true;
}

/* Adds "judgement" (est_outcome_judge over baseline and latest) to a target document. */
static void judge(json_t *t) {
  json_t *base = json_object_get(t, "baseline"), *latest = json_object_get(t, "latest");
  double bv = 0, bm = 0, cv = 0, cm = 0;
  num(base, "value", &bv);
  bool hb = num(base, "margin_of_error", &bm);
  bool hc = json_is_object(latest) && num(latest, "value", &cv);
  bool hcm = hc && num(latest, "margin_of_error", &cm);
  est_outcome_judgement j;
  est_outcome_judge(bv, hb, bm, hc, cv, hcm, cm, json_string_value(json_object_get(t, "direction")), &j);
  /* Two decimals: margins are survey figures, not binary fractions. */
  json_t *jd =
      json_pack("{s:s, s:b, s:f, s:b}", "verdict", j.verdict, "significant", j.significant, "combined_margin",
                (double)(long long)(j.combined_margin * 100.0 + 0.5) / 100.0, "margins_known", j.margins_known);
  double ch = j.change < 0 ? -(double)(long long)(-j.change * 100.0 + 0.5) / 100.0
                           : (double)(long long)(j.change * 100.0 + 0.5) / 100.0;
  json_object_set_new(jd, "change", hc ? json_real(ch) : json_null());
  json_object_set_new(t, "judgement", jd);
}

/* The target document of commitment_id read with s on c, judged. */
static est_result target_read(est_conn *c, const est_stmt *s, long long commitment_id, est_doc *out) {
  est_result rc = store_jres_read_on(c, s, commitment_id, out);
  if (rc != EST_OK) return rc;
  json_t *t = json_loads(out->json, 0, NULL);
  char *text = NULL;
  if (t) {
    judge(t);
    text = json_dumps(t, JSON_COMPACT);
  }
  json_decref(t);
  if (!text) {
    est_doc_free(out);
    return EST_ENOMEM;
  }
  free(out->json);
  out->json = text;
  return EST_OK;
}

est_result store_outcome_attach(est_pool *pool, const char *ids, json_t *obj) {
  const char *params[1] = {ids};
  PGresult *r;
  est_result rc = store_exec1(pool, &outcome_rows, params, &r, NULL);
  if (rc != EST_OK) return rc;
  const char *key;
  json_t *p;
  json_object_foreach(obj, key, p) json_object_set_new(p, "outcome", json_null());
  for (int i = 0; i < PQntuples(r); i++) {
    json_t *t = json_loads(PQgetvalue(r, i, 1), 0, NULL);
    p = json_object_get(obj, PQgetvalue(r, i, 0));
    if (!t || !p) {
      json_decref(t);
      continue;
    }
    judge(t);
    json_object_set_new(p, "outcome", t);
  }
  PQclear(r);
  return EST_OK;
}
