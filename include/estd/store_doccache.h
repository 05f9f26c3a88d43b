/* store_doccache.h - in-process cache of documents by id, invalidated by
 * LISTEN/NOTIFY (docs/ARCHITECTURE.md "Document cache").
 *
 * Every committed change of a cached document's rows NOTIFYs channel
 * estd_doc with "<resource>:<id>" (row triggers, migration 0100). One
 * listener thread holds one connection of its own (application_name
 * estd-listen) that LISTENs to it and drops the named entries.
 *
 * Guarantee: a request never gets a document older than a write that
 * committed before the request arrived. Notifications arrive
 * asynchronously, so a hit first waits for a barrier that began after the
 * request arrived: the listener NOTIFYs its own channel estd_sync and waits
 * for that notification to come back. PostgreSQL appends a transaction's
 * notifications to one queue before the transaction commits and every
 * listener reads that queue in order, so when the barrier's own entry is
 * delivered, the entries of every transaction that committed before the
 * barrier was sent have been delivered (and applied) before it. One barrier
 * serves every request that arrived before it began: a hot document costs
 * a fraction of a round trip instead of a statement. A fill is kept only if
 * no notification for its slot (and no reconnect) came in while it was
 * being fetched. While the listener is not connected (or the barrier does
 * not complete within the wait), requests bypass the cache and read the
 * database; on reconnect the cache is flushed, since notifications sent
 * meanwhile are lost. */
#ifndef ESTD_STORE_DOCCACHE_H
#define ESTD_STORE_DOCCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "estd/metrics.h"
#include "estd/pool.h"
#include "estd/store.h"

typedef struct est_doccache est_doccache;
typedef struct est_stmt est_stmt; /* db.h (store/ only) */

/* Starts the listener on its own one-connection pool (conninfo, deadlines
 * dl) with `entries` slots (direct-mapped) and at most max_bytes of
 * bodies; wait_ms bounds a request's wait for the barrier, retry_ms the
 * listener's reconnect delay. Attaches itself to `pool` (the primary, whose
 * store_doc_by_id_cached reads then use it). */
est_result store_doccache_start(est_doccache **out, est_pool *pool, const char *conninfo, const est_pool_deadlines *dl,
                                size_t entries, size_t max_bytes, int wait_ms, int retry_ms);
/* Detaches from the pool, stops the listener and frees the cache (NULL: no-op). */
void store_doccache_stop(est_doccache *dc);
void store_doccache_counters(est_doccache *dc, est_metrics_doc_cache *out);

/* store_doc_by_id through pool's document cache (if one is attached) for
 * documents named resource (the NOTIFY payload's prefix); stmt: $1 id ->
 * (json, version). */
est_result store_doc_by_id_cached(est_pool *pool, const char *resource, const est_stmt *stmt, long long id,
                                  est_doc *out);

#endif
