/* store_progress.h - commitment progress and the agreement report
 * (store/progress.c). */
#ifndef ESTD_STORE_PROGRESS_H
#define ESTD_STORE_PROGRESS_H

#include <jansson.h>
#include <stddef.h>
#include "estd/pool.h"
#include "estd/result.h"

/* Progress of commitments, evaluated today (Europe/Stockholm date of the
 * wall clock): *out is a new JSON object {"<id>": progress, ...} with one
 * member per existing id (unknown ids are left out). The progress object is
 * CommitmentProgress in openapi.yaml. Meant for list responses
 * (GET /v1/commitments?include=progress); n may be 0. Caller owns *out.
 * (The evaluation uses the pure rules of estd/situation.h.) */
est_result store_progress_for_commitments(est_pool *pool, const long long *ids, size_t n, json_t **out);

/* Adds "progress" (as above, null for none) to every object of the JSON
 * array text *items (a page of commitments with "id" members) and replaces
 * *items with the new malloc'd text (the old one is freed). */
est_result store_progress_attach(est_pool *pool, char **items);

/* One commitment's progress; EST_ENOTFOUND when it does not exist. */
est_result store_progress_get(est_pool *pool, long long id, json_t **out);

/* The agreement report: {"agreement":{id, code, title, kind, valid_from, valid_to},
 * "generated_on": date, "commitments":[{id, code, text, status, follow_up_note,
 * cooperation_area, responsible_parties[{id, code, name}], target{..}|null,
 * progress{..}}]}; EST_ENOTFOUND for an unknown agreement. */
est_result store_agreement_report(est_pool *pool, long long agreement_id, json_t **out);

/* The agreements of kind medborgarlofte as a JSON array of {id, code, kind,
 * title, title_en, valid_from, valid_to, goals} (the public page). */
est_result store_public_agreements(est_pool *pool, json_t **out);

#endif
