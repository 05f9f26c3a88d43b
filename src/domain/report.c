/* report.c - the agreement follow-up report (see report.h). */
#include "estd/report.h"

#include <stdio.h>
#include <string.h>

#include "estd/csv.h"
#include "estd/progress.h"

est_result est_report_commitment_ids(const json_t *doc, long long **ids, size_t *n) {
  return est_progress_ids(json_object_get(doc, "commitments"), ids, n);
}

void est_report_finish(json_t *doc, json_t *rows, est_date today, const est_publish_policy *pol,
                       const est_caller *who) {
  est_progress_attach(json_object_get(doc, "commitments"), rows, today, pol, who);
  char td[16];
  est_date_format(today, td, sizeof td);
  json_object_set_new(doc, "generated_on", json_string(td));
}

/* A table, packed by hand. */
/* clang-format off */
static const char *const csv_columns[] = {
    "agreement_code", "commitment_id", "code", "cooperation_area", "text", "status", "follow_up_note",
    "responsible_parties", "target_value", "target_unit", "target_comparison", "target_per", "target_from",
    "target_to", "measure", "period_from", "period_to", "current_bucket_from", "current_bucket_to", "value",
    "total", "percentage", "on_track", "last_event_at", NULL};
/* clang-format on */

est_result est_report_csv(const json_t *doc, est_buf *b) {
  est_result rc = EST_OK;
  for (int i = 0; rc == EST_OK && csv_columns[i]; i++) rc = est_csv_field(b, csv_columns[i], i == 0);
  if (rc == EST_OK) rc = est_csv_end_row(b);
  const char *acode = json_string_value(json_object_get(json_object_get(doc, "agreement"), "code"));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(doc, "commitments"), i, c) {
    if (rc != EST_OK) break;
    json_t *t = json_object_get(c, "target"), *p = json_object_get(c, "progress");
    json_t *ind = json_object_get(p, "indicator");
    est_buf parties = EST_BUF_INIT;
    est_buf_puts(&parties, "");
    size_t j;
    json_t *pp;
    json_array_foreach(json_object_get(c, "responsible_parties"), j, pp) {
      const char *name = json_string_value(json_object_get(pp, "name"));
      est_buf_printf(&parties, "%s%s", j ? "; " : "", name ? name : "");
    }
    if (parties.oom) rc = EST_ENOMEM;
    char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64]; /* numbers; strings point into doc */
    const char *vals[] = {
        acode,
        est_csv_scalar(json_object_get(c, "id"), b1, sizeof b1),
        est_csv_scalar(json_object_get(c, "code"), b2, sizeof b2),
        est_csv_scalar(json_object_get(json_object_get(c, "cooperation_area"), "code"), b2, sizeof b2),
        est_csv_scalar(json_object_get(c, "text"), b2, sizeof b2),
        est_csv_scalar(json_object_get(c, "status"), b2, sizeof b2),
        est_csv_scalar(json_object_get(c, "follow_up_note"), b2, sizeof b2),
        parties.data,
        est_csv_scalar(json_object_get(t, "value"), b3, sizeof b3),
        est_csv_scalar(json_object_get(t, "unit"), b2, sizeof b2),
        est_csv_scalar(json_object_get(t, "comparison"), b2, sizeof b2),
        est_csv_scalar(json_object_get(t, "per"), b2, sizeof b2),
        est_csv_scalar(json_object_get(t, "from"), b2, sizeof b2),
        est_csv_scalar(json_object_get(t, "to"), b2, sizeof b2),
        est_csv_scalar(json_object_get(ind, "measure"), b2, sizeof b2),
        est_csv_scalar(json_object_get(json_object_get(p, "period"), "from"), b2, sizeof b2),
        est_csv_scalar(json_object_get(json_object_get(p, "period"), "to"), b2, sizeof b2),
        est_csv_scalar(json_object_get(json_object_get(p, "current_bucket"), "from"), b2, sizeof b2),
        est_csv_scalar(json_object_get(json_object_get(p, "current_bucket"), "to"), b2, sizeof b2),
        est_csv_scalar(json_object_get(p, "value"), b4, sizeof b4),
        est_csv_scalar(json_object_get(p, "total"), b5, sizeof b5),
        est_csv_scalar(json_object_get(p, "percentage"), b6, sizeof b6),
        est_csv_scalar(json_object_get(p, "on_track"), b2, sizeof b2),
        est_csv_scalar(json_object_get(json_object_get(p, "last_event"), "occurred_at"), b2, sizeof b2),
    };
    for (int k = 0; rc == EST_OK && csv_columns[k]; k++) rc = est_csv_field(b, vals[k], k == 0);
    if (rc == EST_OK) rc = est_csv_end_row(b);
    est_buf_free(&parties);
  }
  return rc;
}
