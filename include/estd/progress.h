/* progress.h - evaluation of a commitment's progress against its target
 * (domain/progress.c). Pure: "today" is passed in. */
#ifndef ESTD_PROGRESS_H
#define ESTD_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/calendar.h"
#include "estd/disclosure.h"
#include "estd/privacy.h"
#include "estd/result.h"

/* Progress evaluation of a commitment target.
 * comparison: "at_least" | "at_most" | "exactly". elapsed in [0,1] is the
 * elapsed fraction of the evaluated period. at_least: on track when value >=
 * target * elapsed (pro rata); at_most: when value <= target * elapsed (the
 * pro-rata budget is not exceeded); exactly: when target * elapsed <= value
 * <= target. Returns false (unknown) when target <= 0 or comparison is
 * unknown; otherwise true and *on_track. */
bool est_progress_on_track(double value, double target, const char *comparison, double elapsed, bool *on_track);
/* Fraction of [from, to_inclusive] elapsed at the end of day today, in [0,1]. */
double est_elapsed_fraction(est_date from, est_date to_inclusive, est_date today);

/* Evaluates one commitment's measured progress (a row of
 * store_progress_rows: its buckets and target) at today, in place: adds
 * evaluated_on, value and current_bucket (the bucket containing today,
 * else the first before / last after), elapsed_fraction, percentage and
 * on_track (null when unknown). The result is CommitmentProgress in
 * openapi.yaml.
 *
 * Disclosure, first (so everything derived uses published values): the
 * bucket values and the total of a count indicator are published through
 * pol (privacy.h, table "progress"; null + value_suppressed/total_suppressed
 * when below k), and last_event is null unless who may see that event
 * (est_disclosure_event). */
void est_progress_evaluate(json_t *p, est_date today, const est_publish_policy *pol, const est_caller *who);

/* The "id" members of the objects of a JSON array (ids malloc'd, *n of
 * them; never NULL on success). EST_EINTERNAL when items is no array. */
est_result est_progress_ids(const json_t *items, long long **ids, size_t *n);

/* Sets "progress" on every object of the array items: its row from rows
 * ({"<id>": row}, as store_progress_rows returns), evaluated at today, or
 * null when it has none. */
void est_progress_attach(json_t *items, json_t *rows, est_date today, const est_publish_policy *pol,
                         const est_caller *who);

#endif
