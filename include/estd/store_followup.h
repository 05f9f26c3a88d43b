/* store_followup.h - the data of the follow-up and statutory reports (store/followup.c). */
/* Writes take the normalized JSON text of the domain validators
 * (estd/cycle.h: a member present sets the column, null clears it, absent
 * keeps it) and run in one transaction on one pooled connection together
 * with their audit_log row (before and after images); any failure rolls
 * back all of it. References and uniqueness are the tables' constraints:
 * the violated constraint's name picks the field of the problem (never a
 * prior existence check). DELETE archives (archived_at, version bump,
 * audit "archive"); archived rows stay readable and are left out of lists
 * unless include_archived is set. The create/update/remove functions have
 * the signatures of http_resource (estd/http_resource.h); version 0 = any. */
#ifndef ESTD_STORE_FOLLOWUP_H
#define ESTD_STORE_FOLLOWUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/store.h"

/* ---- follow-up ------------------------------------------------------------------ */
/* The follow-up data of agreement id for [from, to] (inclusive dates):
 * {agreement, period, commitments[{.., status_history, predecessor}],
 * actions[..], incident_trends[{area_id, code, name, total,
 * previous_total, series[{from, to, count}]}], indicators[..],
 * meetings[..], incidents{total, by_category[..]}, presence[..]}.
 * bucket: "day" | "week" | "month" for the trend series. Progress is not
 * attached (store_progress_for_commitments). EST_ENOTFOUND. */
est_result store_followup_data(est_pool *pool, long long agreement_id, const char *from, const char *to,
                               const char *bucket, json_t **out);

#endif
