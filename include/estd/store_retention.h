/* store_retention.h - retention (gallring) of events and dead letters
 * (store/retention.c). docs/OPERATIONS.md "Retention".
 *
 * One run is one transaction with one 'retention' audit row (entity
 * "retention", after = the counts and cut-offs), set-based statements on
 * occurred_at / received_at; events by whole months where a month's
 * partition lies wholly before the cut-off (0121: dropped, or stripped once
 * and marked), row by row for the rest:
 *   events older than event_days (by occurred_at): strip = the detail is
 *   removed (position, track, place name, description, attributes; flag
 *   detail_removed; kind, category, time, party and area assignment stay,
 *   so aggregates are unchanged), or delete = the row goes (with its
 *   event_areas rows);
 *   dead letters older than dead_letter_days (by received_at) are deleted.
 * 0 days = keep forever. */
#ifndef ESTD_STORE_RETENTION_H
#define ESTD_STORE_RETENTION_H

#include <stdbool.h>

#include "estd/actor.h"
#include "estd/store.h"

typedef struct store_retention_policy {
  int event_days;       /* ESTD_EVENT_RETENTION_DAYS, 0 = keep */
  bool event_delete;    /* ESTD_EVENT_RETENTION_MODE=delete (else strip) */
  int dead_letter_days; /* ESTD_DEAD_LETTER_RETENTION_DAYS, 0 = keep */
} store_retention_policy;

typedef struct store_retention_result {
  long long events_stripped, events_deleted, dead_letters_deleted;
} store_retention_result;

est_result store_retention_run(est_pool *pool, const store_retention_policy *p, const est_actor *who,
                               store_retention_result *out);

/* Creates the monthly partitions of events/event_areas from this month to
 * three months ahead that do not exist yet (0120); *created = how many.
 * Run at start and on the retention timer, so incoming events land in
 * their month's partition rather than the default one. */
est_result store_event_partitions_ensure(est_pool *pool, int *created);

#endif
