/* report.h - the agreement follow-up report (domain/report.c): the
 * agreement's commitments with their evaluated progress, as JSON
 * (openapi.yaml AgreementReport) or CSV. */
#ifndef ESTD_REPORT_H
#define ESTD_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "estd/buf.h"
#include "estd/calendar.h"
#include "estd/progress.h"
#include "estd/result.h"

/* The ids of the report's commitments (as est_progress_ids). */
est_result est_report_commitment_ids(const json_t *doc, long long **ids, size_t *n);

/* Completes the report the store fetched (store_agreement_report) in place:
 * every commitment gets "progress" (its row of rows evaluated at today, as
 * est_progress_attach) and the report "generated_on" (today). */
void est_report_finish(json_t *doc, json_t *rows, est_date today, const est_publish_policy *pol, const est_caller *who);

/* Appends the report as CSV (RFC 4180, a header row, one row per
 * commitment; responsible parties joined with "; ") to b. */
est_result est_report_csv(const json_t *doc, est_buf *b);

#endif
