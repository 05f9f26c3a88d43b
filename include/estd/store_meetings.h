/* store_meetings.h - EST meetings with their frozen lägesbild and chosen hot spots (store/meetings.c). */
/* Writes take the normalized JSON text of the domain validators
 * (estd/cycle.h: a member present sets the column, null clears it, absent
 * keeps it) and run in one transaction on one pooled connection together
 * with their audit_log row (before and after images); any failure rolls
 * back all of it. References and uniqueness are the tables' constraints:
 * the violated constraint's name picks the field of the problem (never a
 * prior existence check). DELETE archives and restore restores through
 * store_archive_set (estd/store.h; audited "archive"/"restore"); archived
 * rows stay readable and are left out of lists unless include_archived.
 * The create/update functions have the signatures of http_resource
 * (estd/http_resource.h); version 0 = any. */
#ifndef ESTD_STORE_MEETINGS_H
#define ESTD_STORE_MEETINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/store.h"

/* ---- meetings -------------------------------------------------------------- */
extern const char *const store_meetings_sorts[]; /* {"id","held_on",NULL} */
typedef struct store_meeting_filter {
  long long agreement_id, area_id, party_id; /* 0 = any */
  const char *from, *to;                     /* held_on range (inclusive), NULL = open */
  bool include_archived;
} store_meeting_filter;
est_result store_meetings_list(est_pool *pool, const store_meeting_filter *f, const est_list_query *q, est_page *out);
est_result store_meeting_get(est_pool *pool, long long id, est_doc *out);
/* Records a meeting: body is est_meeting_validate's POST output;
 * snapshot (len bytes, the lägesbild exactly as served) and query (JSON
 * text of the parameters that produced it) are stored immutably with its
 * SHA-256, computed by PostgreSQL over the same bytes. Each chosen hot
 * spot becomes an area focus of the meeting's agreement (a rank names a
 * hot spot of the snapshot, whose hull becomes a new area of kind
 * hot_spot), each with its own audit row. */
est_result store_meeting_create(est_pool *pool, const est_actor *who, const char *body, const char *snapshot,
                                const char *query, est_doc *out, long long *id, store_write_error *fail);
est_result store_meeting_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                const char *patch, est_doc *out, store_write_error *fail);
/* DELETE archives, POST .../restore restores (store_archive_set). */
extern const store_archivable store_meetings_archivable;
/* The frozen lägesbild: body (malloc'd), its length, media type, sha256
 * (both malloc'd) and the query JSON (malloc'd). */
typedef struct store_snapshot {
  char *body, *media_type, *sha256, *query;
  size_t len;
} store_snapshot;
est_result store_meeting_snapshot(est_pool *pool, long long id, store_snapshot *out);
void store_snapshot_free(store_snapshot *s);

#endif
