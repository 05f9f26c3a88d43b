/* meetings.c - EST meetings with their frozen lägesbild and the hot spots
 * they chose (see store_cycle.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_meetings.h"
#include "estd/store_records.h"
#include "estd/store_util.h"
#include "internal.h"

const char *const store_meetings_sorts[] = {"id", "held_on", NULL};

/* The meeting document; the snapshot itself is served by
 * GET /v1/meetings/{id}/lagesbild, here only its identity. */
#define MEETING_JSON                                                                                              \
  "json_build_object('id', m.id, 'agreement_id', m.agreement_id, 'held_on', m.held_on, 'area_id', m.area_id, "    \
  "'week', m.snapshot_query->>'week', 'period', m.snapshot_query->'period', 'title', m.title, 'notes', "          \
  "m.notes, 'decisions', m.decisions, 'party_ids', COALESCE((SELECT json_agg(mp.party_id ORDER BY "               \
  "mp.party_id) FROM meeting_parties mp WHERE mp.meeting_id = m.id), '[]'), 'focus_ids', COALESCE((SELECT "       \
  "json_agg(f.id ORDER BY f.id) FROM area_focuses f WHERE f.meeting_id = m.id), '[]'), 'action_ids', "            \
  "COALESCE((SELECT json_agg(x.id ORDER BY x.id) FROM actions x WHERE x.meeting_id = m.id), '[]'), "              \
  "'snapshot', json_build_object('sha256', m.snapshot_sha256, 'media_type', m.snapshot_media_type, 'bytes', "     \
  "octet_length(m.snapshot_body), 'taken_at', m.snapshot_taken_at, 'detail_scope', "                              \
  "COALESCE((m.snapshot_query->>'detail')::boolean, false), 'min_count', (m.snapshot_query->>'min_count')::int, " \
  "'href', '/v1/meetings/' || m.id || '/lagesbild'), "                                                            \
  "'created_at', m.created_at, 'updated_at', m.updated_at, 'version', m.version, 'archived_at', "                 \
  "m.archived_at)::text"

/* $1 agreement, $2/$3 cursor, $4 limit, $5 area, $6 party present,
 * $7/$8 held_on range, $9 include archived. */
#define MEETING_LIST(name, sortval, after, order)                                                                       \
  STORE_LIST_STMT(                                                                                                      \
      name, MEETING_JSON, "m",                                                                                          \
      "meetings m WHERE ($1::bigint IS NULL OR m.agreement_id = $1) AND ($5::bigint IS NULL OR m.area_id = $5) AND "    \
      "($6::bigint IS NULL OR EXISTS (SELECT 1 FROM meeting_parties x WHERE x.meeting_id = m.id AND x.party_id = $6)) " \
      "AND ($7::date IS NULL OR m.held_on >= $7) AND ($8::date IS NULL OR m.held_on <= $8) AND ($9::boolean OR "        \
      "m.archived_at IS NULL)",                                                                                         \
      9, sortval, after, order)

static const est_stmt meeting_list[2][2] = {
    STORE_SORT_ID(MEETING_LIST, "meetings_list_id", "m"),
    STORE_SORT_BY(MEETING_LIST, "meetings_list_held", "m", "m.held_on", "date"),
};

static const est_stmt meeting_get = STORE_GET_STMT("meeting_get", "meetings", "m", MEETING_JSON);
static const est_stmt meeting_lock = STORE_LOCK_STMT("meeting_lock", "meetings", "m", MEETING_JSON);

/* The SHA-256 is computed by PostgreSQL over the very bytes it stores. */
static const est_stmt meeting_insert = {
    "meeting_insert",
    "WITH b AS (SELECT $1::jsonb AS j) INSERT INTO meetings (agreement_id, held_on, area_id, title, notes, "
    "decisions, snapshot_body, snapshot_sha256, snapshot_query) SELECT (b.j->>'agreement_id')::bigint, "
    "(b.j->>'held_on')::date, (b.j->>'area_id')::bigint, b.j->>'title', b.j->>'notes', "
    "COALESCE(b.j->'decisions', '[]'::jsonb), $2::text, encode(sha256(convert_to($2::text, 'UTF8')), 'hex'), "
    "$3::jsonb FROM b RETURNING id",
    3};
static const est_stmt meeting_update = {
    "meeting_update",
    "WITH b AS (SELECT $3::jsonb AS j) UPDATE meetings t SET " SET_TEXT("title") ", " SET_TEXT("notes") ", decisions = "
    "COALESCE(b.j->'decisions', t.decisions), updated_at = clock_timestamp(), version = t.version + 1 FROM b "
    "WHERE t.id = $1 AND ($2::bigint IS NULL OR t.version = $2) RETURNING t.id",
    3};
static const est_stmt meeting_parties_prune = {
    "meeting_parties_prune",
    "DELETE FROM meeting_parties WHERE meeting_id = $1 AND $2::jsonb ? 'party_ids' AND NOT (party_id = ANY "
    "(ARRAY(SELECT jsonb_array_elements_text($2::jsonb->'party_ids')::bigint)))",
    2};
static const est_stmt meeting_parties_add = {
    "meeting_parties_add",
    "INSERT INTO meeting_parties (meeting_id, party_id) SELECT $1, x::bigint FROM "
    "jsonb_array_elements_text(COALESCE($2::jsonb->'party_ids', '[]'::jsonb)) x ON CONFLICT DO NOTHING",
    2};
static const est_stmt *const meeting_links[] = {&meeting_parties_prune, &meeting_parties_add, NULL};
const store_archivable store_meetings_archivable = STORE_ARCHIVE_STMTS("meeting", "meetings", "m", MEETING_JSON);

/* A chosen hot spot of the snapshot: its hull, widened by 25 m (in SWEREF
 * 99 TM, so a hull of collinear points is still an area), becomes an area
 * of kind hot_spot and that area a focus of the meeting's agreement.
 * $1 meeting, $2 hot spot object {rank, reason, valid_from, valid_to,
 * priority}, $3 name. No row when the snapshot has no such rank. */
#define FOCUS_OUT                                                                                        \
  "json_build_object('id', f.id, 'code', f.code, 'area_id', f.area_id, 'agreement_id', f.agreement_id, " \
  "'party_id', f.party_id, 'meeting_id', f.meeting_id, 'reason', f.reason, 'priority', f.priority, "     \
  "'valid_from', f.valid_from, 'valid_to', f.valid_to, 'version', f.version)::text, f.id"
static const est_stmt focus_from_rank = {
    "meeting_focus_from_rank",
    "WITH h AS (SELECT $2::jsonb AS e), m AS (SELECT id, agreement_id, snapshot_body::jsonb -> 'hot_spots' -> "
    "((h.e->>'rank')::int - 1) AS spot FROM meetings, h WHERE id = $1), "
    "a AS (INSERT INTO areas (name, kind, geom, approximate, description) SELECT $3, 'hot_spot', "
    "ST_Multi(ST_Transform(ST_Buffer(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON((m.spot->'hull')::text), 4326), "
    "3006), 25), 4326)), true, h.e->>'reason' FROM m, h "
    "WHERE jsonb_typeof(m.spot->'hull') = 'object' RETURNING id, geom), "
    "f AS (INSERT INTO area_focuses (area_id, agreement_id, meeting_id, reason, priority, valid_from, valid_to) "
    "SELECT a.id, m.agreement_id, m.id, h.e->>'reason', COALESCE((h.e->>'priority')::smallint, 2), "
    "(h.e->>'valid_from')::date, (h.e->>'valid_to')::date FROM a, m, h RETURNING *) "
    "SELECT " FOCUS_OUT ", f.area_id FROM f",
    3};
static const est_stmt focus_from_area = {
    "meeting_focus_from_area",
    "WITH h AS (SELECT $2::jsonb AS e), f AS (INSERT INTO area_focuses (area_id, agreement_id, meeting_id, reason, "
    "priority, valid_from, valid_to) SELECT (h.e->>'area_id')::bigint, m.agreement_id, m.id, h.e->>'reason', "
    "COALESCE((h.e->>'priority')::smallint, 2), (h.e->>'valid_from')::date, (h.e->>'valid_to')::date FROM "
    "meetings m, h WHERE m.id = $1 RETURNING *) SELECT " FOCUS_OUT " FROM f",
    2};

static const store_constraint meeting_map[] = {
    STORE_FK("meetings_agreement_id_fkey", "/agreement_id", "agreement"),
    STORE_FK("meetings_area_id_fkey", "/area_id", "area"),
    {"meeting_parties_party_id_fkey", "/party_ids", "names a party that does not exist", EST_EINVAL},
    {"meetings_snapshot_immutable", "/snapshot", "the lägesbild snapshot of a meeting cannot be changed",
     EST_ECONFLICT},
    {"area_focuses_area_id_fkey", "/hot_spots", "names an area that does not exist", EST_EINVAL},
    {"area_focuses_valid_range", "/hot_spots", "valid_to must not be before valid_from", EST_EINVAL},
    {"areas_geom_valid", "/hot_spots", "the hot spot's hull is not a valid area", EST_EINVAL},
    {NULL, NULL, NULL, EST_OK},
};

static const store_jres meeting_res = {"meeting",       "meeting",    &meeting_insert, &meeting_lock,
                                       &meeting_update, &meeting_get, meeting_links,   meeting_map};

est_result store_meetings_list(est_pool *pool, const store_meeting_filter *f, const est_list_query *q, est_page *out) {
  char ab[24], arb[24], pb[24];
  const char *params[9] = {store_lld_or_null(ab, f->agreement_id), STORE_LIST_SLOTS, store_lld_or_null(arb, f->area_id),
                           store_lld_or_null(pb, f->party_id),     f->from,          f->to,
                           f->include_archived ? "true" : "false"};
  est_result rc = store_list_run(pool, &meeting_list[q->sort_index][q->desc], params, 1, q,
                                 store_meetings_sorts[q->sort_index], out);
  return rc == EST_EINVAL ? EST_EPARSE : rc; /* a forged cursor value: malformed request */
}

est_result store_meeting_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id(pool, &meeting_get, id, out);
}

est_result store_meeting_create(est_pool *pool, const est_actor *who, const char *body, const char *snapshot,
                                const char *query, est_doc *out, long long *id, store_write_error *fail) {
  out->json = NULL;
  json_t *b = json_loads(body, 0, NULL);
  if (!b) return EST_EINTERNAL;
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) {
    json_decref(b);
    return rc;
  }
  const char *ip[3] = {body, snapshot, query};
  char st[6], idb[24];
  PGresult *r = NULL;
  rc = est_db_exec(c, &meeting_insert, ip, &r, st);
  if (rc != EST_OK) rc = store_explain(c, rc, st, meeting_map, fail);
  else *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  if (rc == EST_OK) {
    const char *lp[2] = {store_lld(idb, *id), body};
    for (int i = 0; rc == EST_OK && meeting_links[i]; i++) {
      r = NULL;
      rc = est_db_exec(c, meeting_links[i], lp, &r, st);
      if (rc != EST_OK) rc = store_explain(c, rc, st, meeting_map, fail);
      PQclear(r);
    }
  }
  /* The chosen hot spots, each a focus with its own audit row. */
  json_t *hs = json_object_get(b, "hot_spots");
  for (size_t i = 0; rc == EST_OK && i < json_array_size(hs); i++) {
    json_t *h = json_array_get(hs, i);
    char *ht = json_dumps(h, JSON_COMPACT), name[160];
    if (!ht) {
      rc = EST_ENOMEM;
      break;
    }
    bool by_rank = json_object_get(h, "rank") != NULL;
    snprintf(name, sizeof name, "Hot spot %lld, EST-möte %s", (long long)json_integer_value(json_object_get(h, "rank")),
             json_string_value(json_object_get(b, "held_on")));
    const char *fp[3] = {idb, ht, name};
    r = NULL;
    rc = est_db_exec(c, by_rank ? &focus_from_rank : &focus_from_area, fp, &r, st);
    free(ht);
    char field[48];
    snprintf(field, sizeof field, "/hot_spots/%zu/%s", i, by_rank ? "rank" : "area_id");
    if (rc != EST_OK) {
      rc = store_explain(c, rc, st, meeting_map, fail);
      if (fail && strcmp(fail->field, "/hot_spots") == 0) snprintf(fail->field, sizeof fail->field, "%s", field);
    } else if (PQntuples(r) == 0) {
      store_write_error_set(fail, field, "the lägesbild has no hot spot with rank %lld",
                            (long long)json_integer_value(json_object_get(h, "rank")));
      rc = EST_EINVAL;
    } else {
      rc = store_audit_write(c, who, "create", "area_focus", strtoll(PQgetvalue(r, 0, 1), NULL, 10), NULL,
                             PQgetvalue(r, 0, 0));
      /* The new hot-spot area's history: the events already inside it. */
      if (rc == EST_OK && by_rank) {
        char ids[40];
        snprintf(ids, sizeof ids, "{%s}", PQgetvalue(r, 0, 2));
        rc = store_areas_reassign(c, who, ids, "create", NULL);
      }
    }
    PQclear(r);
  }
  json_decref(b);
  if (rc == EST_OK) rc = store_jres_read_on(c, &meeting_get, *id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "create", "meeting", *id, NULL, out->json);
  return store_tx_end_doc(pool, c, rc, out);
}

est_result store_meeting_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                const char *patch, est_doc *out, store_write_error *fail) {
  return store_jres_update(pool, &meeting_res, who, id, version, patch, out, fail);
}

static const est_stmt snapshot_get = {
    "meeting_snapshot",
    "SELECT snapshot_body, snapshot_media_type, snapshot_sha256, snapshot_query::text FROM meetings WHERE id = $1", 1};

est_result store_meeting_snapshot(est_pool *pool, long long id, store_snapshot *out) {
  memset(out, 0, sizeof *out);
  PGresult *r;
  est_result rc = store_row_by_id(pool, &snapshot_get, id, &r);
  if (rc != EST_OK) return rc;
  out->len = (size_t)PQgetlength(r, 0, 0);
  out->body = malloc(out->len + 1);
  out->media_type = strdup(PQgetvalue(r, 0, 1));
  out->sha256 = strdup(PQgetvalue(r, 0, 2));
  out->query = strdup(PQgetvalue(r, 0, 3));
  if (out->body) memcpy(out->body, PQgetvalue(r, 0, 0), out->len + 1);
  PQclear(r);
  if (!out->body || !out->media_type || !out->sha256 || !out->query) {
    store_snapshot_free(out);
    return EST_ENOMEM;
  }
  return EST_OK;
}

void store_snapshot_free(store_snapshot *s) {
  free(s->body);
  free(s->media_type);
  free(s->sha256);
  free(s->query);
  memset(s, 0, sizeof *s);
}
