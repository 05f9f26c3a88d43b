/* internal.h - functions one store module lends another (store/ only; not
 * a public header). Shared helpers every store module uses are in
 * estd/store_util.h and estd/audit.h. */
#ifndef ESTD_STORE_INTERNAL_H
#define ESTD_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "estd/actor.h"
#include "estd/db.h"
#include "estd/disclosure.h"
#include "estd/event.h"
#include "estd/store_events.h"

/* deadletters.c: writes the dead letters of msgs[0..n) (those with a
 * reason other than "skipped_summary") on c, inside the caller's batch
 * transaction (store_intake_batch). */
est_result store_deadletters_insert(est_conn *c, store_msg *msgs, size_t n);

/* events.c: inserts one event (party resolved here when ev->party_id is 0)
 * on c with the given channel, in the caller's transaction (dead-letter
 * resubmission). *event_id is the stored or already existing event,
 * *inserted false for a duplicate. */
est_result store_event_insert_one(est_conn *c, est_event *ev, const char *channel, long long *event_id, bool *inserted);

/* events.c: the row-visibility parameter of the event and dead-letter
 * reads: NULL for every row, else the party whose rows the caller sees (0:
 * none of a party's own). buf holds the text. */
const char *store_rows_param(est_rows rows, long long party, char buf[24]);

/* indicators.c: adds "outcome" (null when the commitment has no outcome
 * target) to each progress row of obj ({"<id>": row}) for the commitment
 * ids in the array literal ids ("{1,2}"): the target, its baseline and
 * latest values and the judgement of est_outcome_judge (estd/cycle.h);
 * for progress.c. */
est_result store_outcome_attach(est_pool *pool, const char *ids, json_t *obj);

/* areas.c: re-assigns the events of the areas in the array literal
 * area_ids ("{1,2}") after their geometry changed (or they were created), on
 * c in the caller's transaction, set-based: one spatial join over the
 * affected events, their memberships in other areas kept. Writes one audit
 * row (action "update", entity "area_assignment", entity_id the area when
 * there is one; after: {"cause": cause, "events_moved", "areas": [{"id",
 * "code", "events_in", "events_out"}]}) when any event moved. *moved (may be
 * NULL) gets the number of events whose membership changed. */
est_result store_areas_reassign(est_conn *c, const est_actor *who, const char *area_ids, const char *cause,
                                long long *moved);

#endif
