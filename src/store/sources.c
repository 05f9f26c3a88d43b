/* sources.c - the event source registry (see store_sources.h). */
#include "estd/store_sources.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/audit.h"
#include "estd/store_util.h"

const char *const store_sources_sorts[] = {"id", NULL};

#define SOURCE_JSON                                                                                            \
  "json_build_object('id', s.id, 'party_id', s.party_id, 'party', (SELECT p.code FROM parties p WHERE p.id = " \
  "s.party_id), 'source', s.source, 'description', s.description, 'created_at', s.created_at, 'updated_at', "  \
  "s.updated_at, 'archived_at', s.archived_at, 'version', s.version)::text"

/* $1 party_id, $2 source, $3 include archived, $4/$5 cursor, $6 limit. */
#define SOURCE_LIST(name, after, order)                                                                                 \
  {                                                                                                                     \
    name,                                                                                                               \
        "SELECT " SOURCE_JSON                                                                                           \
        ", '', s.id FROM event_sources s WHERE ($1::bigint IS NULL OR s.party_id = $1) AND "                            \
        "($2::text IS NULL OR s.source = $2) AND ($3::bool OR s.archived_at IS NULL) AND ($5::bigint IS NULL OR " after \
        ") ORDER BY " order " LIMIT $6",                                                                                \
        6                                                                                                               \
  }

static const est_stmt list_stmts[2] = {
    SOURCE_LIST("sources_list", "($4::text = '' AND s.id > $5)", "s.id"),
    SOURCE_LIST("sources_list_d", "($4::text = '' AND s.id < $5)", "s.id DESC"),
};

static const est_stmt source_get = STORE_GET_STMT("source_get", "event_sources", "s", SOURCE_JSON);

/* The party is given by id, by code, or both (then they must agree); no
 * row when there is no such party. */
static const est_stmt source_insert = {
    "source_insert",
    "WITH b AS (SELECT $1::jsonb AS j) "
    "INSERT INTO event_sources AS s (party_id, source, description) "
    "SELECT p.id, b.j->>'source', b.j->>'description' FROM b JOIN parties p ON "
    "(NOT b.j ? 'party_id' OR p.id = (b.j->>'party_id')::bigint) AND (NOT b.j ? 'party' OR p.code = b.j->>'party') "
    "RETURNING " SOURCE_JSON ", s.version, s.id",
    1};

static const est_stmt source_active = {
    "source_active", "SELECT 1 FROM event_sources WHERE party_id = $1 AND source = $2 AND archived_at IS NULL", 2};

/* ---- the look-up cache ------------------------------------------------------ */

#define CACHE_SLOTS 256
#define CACHE_TTL_MS 5000

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  long long party_id;
  char source[128];
  bool ok;
  long long until_ms;
} g_cache[CACHE_SLOTS];

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t slot_of(long long party_id, const char *source) {
  unsigned long h = 5381u + (unsigned long)party_id;
  for (const unsigned char *p = (const unsigned char *)source; *p; p++) h = h * 33u + *p;
  return h % CACHE_SLOTS;
}

static void cache_clear(void) {
  pthread_mutex_lock(&g_mu);
  memset(g_cache, 0, sizeof g_cache);
  pthread_mutex_unlock(&g_mu);
}

est_result store_source_registered(est_pool *pool, long long party_id, const char *source) {
  size_t k = slot_of(party_id, source);
  bool cacheable = strlen(source) < sizeof g_cache[0].source;
  if (cacheable) {
    pthread_mutex_lock(&g_mu);
    bool hit = g_cache[k].ok && g_cache[k].party_id == party_id && strcmp(g_cache[k].source, source) == 0 &&
               g_cache[k].until_ms > mono_ms();
    pthread_mutex_unlock(&g_mu);
    if (hit) return EST_OK;
  }
  char pb[24];
  const char *params[2] = {store_lld(pb, party_id), source};
  PGresult *r;
  est_result rc = store_exec1(pool, &source_active, params, &r, NULL);
  if (rc != EST_OK) return rc;
  bool ok = PQntuples(r) > 0;
  PQclear(r);
  /* Only admissions are cached: a source registered anywhere is admitted
   * at once; an archive takes effect at once here, within the TTL on other
   * instances. */
  if (cacheable && ok) {
    pthread_mutex_lock(&g_mu);
    g_cache[k].party_id = party_id;
    snprintf(g_cache[k].source, sizeof g_cache[k].source, "%s", source);
    g_cache[k].ok = true;
    g_cache[k].until_ms = mono_ms() + CACHE_TTL_MS;
    pthread_mutex_unlock(&g_mu);
  }
  return ok ? EST_OK : EST_ENOTFOUND;
}

const store_archivable store_sources_archivable =
    STORE_ARCHIVE_STMTS_NOTIFY("event_source", "event_sources", "s", SOURCE_JSON, cache_clear);

/* ---- reads and create ------------------------------------------------------- */

est_result store_sources_list(est_pool *pool, const store_source_filter *f, const est_list_query *q, est_page *out) {
  char pb[24];
  const char *params[6] = {store_lld_or_null(pb, f->party_id), f->source, f->archived ? "true" : "false",
                           STORE_LIST_SLOTS};
  return store_list_run(pool, &list_stmts[q->desc], params, 3, q, store_sources_sorts[q->sort_index], out);
}

est_result store_source_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id(pool, &source_get, id, out);
}

est_result store_source_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                               store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  const char *params[1] = {body};
  PGresult *r = NULL;
  char st[6] = "";
  rc = est_db_exec(c, &source_insert, params, &r, st);
  if (rc != EST_OK && strcmp(st, "23505") == 0) {
    snprintf(fail->field, sizeof fail->field, "/source");
    snprintf(fail->detail, sizeof fail->detail,
             "the party has this source registered already (if archived, restore it: POST /v1/sources/{id}/restore)");
    rc = EST_ECONFLICT;
  } else if (rc == EST_OK && PQntuples(r) == 0) {
    snprintf(fail->field, sizeof fail->field, "/party");
    snprintf(fail->detail, sizeof fail->detail, "no party with this code / id");
    rc = EST_EINVAL;
  } else if (rc == EST_OK) {
    *id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    out->json = strdup(PQgetvalue(r, 0, 0));
    out->version = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    rc = out->json ? store_audit_write(c, who, "create", "event_source", *id, NULL, out->json) : EST_ENOMEM;
  }
  PQclear(r);
  rc = store_tx_end_doc(pool, c, rc, out);
  if (rc == EST_OK) cache_clear();
  return rc;
}
