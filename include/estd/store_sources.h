/* store_sources.h - the event source registry (store/sources.c).
 *
 * Source: {id, party_id, party (code), source, description, created_at,
 * updated_at, archived_at, version}. (party, source) is unique. Created
 * from the normalized JSON of est_source_validate, archived and restored
 * with store_archive_set (store_sources_archivable); every write is audited
 * (entity "event_source"). The admission policy asks
 * store_source_registered, which caches admissions (never refusals) for at
 * most 5 s and drops the cache at once on any write through this process:
 * a new source is admitted at once everywhere, an archived one is refused
 * at once here and within 5 s by other estd instances. */
#ifndef ESTD_STORE_SOURCES_H
#define ESTD_STORE_SOURCES_H

#include <stdbool.h>

#include "estd/actor.h"
#include "estd/store.h"
#include "estd/store_archive.h"
#include "estd/store.h" /* store_write_error */

extern const char *const store_sources_sorts[]; /* {"id",NULL} */

typedef struct store_source_filter {
  long long party_id; /* 0 = any */
  const char *source; /* NULL = any */
  bool archived;      /* include archived */
} store_source_filter;

est_result store_sources_list(est_pool *pool, const store_source_filter *f, const est_list_query *q, est_page *out);
est_result store_source_get(est_pool *pool, long long id, est_doc *out);
/* EST_EINVAL (fail "/party") for an unknown party, EST_ECONFLICT (fail
 * "/source") when the party has the source already (archived or not). */
est_result store_source_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                               store_write_error *fail);
extern const store_archivable store_sources_archivable;

/* EST_OK when source is registered (and not archived) for party_id,
 * EST_ENOTFOUND when not; another failure when the store is unavailable. */
est_result store_source_registered(est_pool *pool, long long party_id, const char *source);

#endif
