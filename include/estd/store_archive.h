/* store_archive.h - archiving and restoring rows (store/store_archive.c): DELETE
 * archives, restore undoes it (the tables are described by a
 * store_archivable, store.h / store_util.h). */
#ifndef ESTD_STORE_ARCHIVE_H
#define ESTD_STORE_ARCHIVE_H

#include <stdbool.h>

#include "estd/actor.h"
#include "estd/store.h"

/* Archives (archive=true) or restores row id if its version is `version`,
 * bumping version, with an 'archive'/'restore' audit row (before and after
 * images), in one transaction; *out is the row afterwards. A row already in
 * the wanted state is left alone and returned (idempotent; no audit row).
 * version 0 = any (If-Match: *). EST_ENOTFOUND, EST_EPRECONDITION when
 * the version differs. */
est_result store_archive_set(est_pool *pool, const store_archivable *t, const est_actor *who, long long id,
                             long long version, bool archive, est_doc *out);

#endif
