/* store_archive.h - archiving instead of deleting (store/archive.c).
 *
 * A table whose rows are archived instead of removed: archived_at
 * timestamptz (NULL = active), version. Each store module that has one
 * exports a `const store_archivable` (defined with STORE_ARCHIVE_STMTS in
 * store_util.h) that http_resource points at. */
#ifndef ESTD_STORE_ARCHIVE_H
#define ESTD_STORE_ARCHIVE_H

#include <stdbool.h>

#include "estd/actor.h"
#include "estd/store.h"

typedef struct store_archivable store_archivable;

/* Archives (archive=true) or restores row id if its version is `version`,
 * bumping version, with an 'archive'/'restore' audit row (before and after
 * images), in one transaction; *out is the row afterwards. A row already in
 * the wanted state is left alone and returned (idempotent; no audit row).
 * version 0 = any (If-Match: *). EST_ENOTFOUND, EST_EPRECONDITION when
 * the version differs. */
est_result store_archive_set(est_pool *pool, const store_archivable *t, const est_actor *who, long long id,
                             long long version, bool archive, est_doc *out);

#endif
