/* store_progress.h - the rows of commitment progress and of the agreement
 * report (store/progress.c); evaluation is the domain's (progress.h,
 * report.h). */
#ifndef ESTD_STORE_PROGRESS_H
#define ESTD_STORE_PROGRESS_H

#include <jansson.h>
#include <stddef.h>
#include "estd/pool.h"
#include "estd/result.h"

/* The measured progress of commitments: *out is a new JSON object
 * {"<id>": row, ...} with one member per existing id (unknown ids are left
 * out; n may be 0). A row has commitment_id, code, status, indicator,
 * target, period {from, to}, per, total, buckets [{from, to, value}] and
 * last_event; est_progress_evaluate (progress.h) turns it into
 * CommitmentProgress (openapi.yaml). Caller owns *out. */
est_result store_progress_rows(est_pool *pool, const long long *ids, size_t n, json_t **out);

/* As store_progress_rows, with period_value measured over the window
 * [from, to] (inclusive YYYY-MM-DD; both NULL = none). Rows also carry
 * measure_used (count when a duration_hours indicator matched no event
 * with a duration), events_without_duration, open_actions and outcome. */
est_result store_progress_rows_window(est_pool *pool, const long long *ids, size_t n, const char *from, const char *to,
                                      json_t **out);

/* The agreement report without progress: {"agreement":{id, code, title, kind, valid_from,
 * valid_to}, "commitments":[{id, code, text, status, follow_up_note, cooperation_area,
 * responsible_parties[{id, code, name}], target{..}|null}]}; est_report_finish (report.h)
 * adds the progress. EST_ENOTFOUND for an unknown agreement. Caller owns *out. */
est_result store_agreement_report(est_pool *pool, long long agreement_id, json_t **out);

/* The agreements of kind medborgarlofte as a JSON array of {id, code, kind,
 * title, title_en, valid_from, valid_to, goals} (the public page). */
est_result store_public_agreements(est_pool *pool, json_t **out);

#endif
