/* retention.c - retention (gallring) runs (see store_retention.h). */
#include "estd/store_retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_util.h"

/* Events: whole months first (0121), then the row-level statements for
 * what is left before the cut-off (the partial month, the default
 * partition). $1 days throughout. */
#define CUTOFF "now() - make_interval(days => $1::int)"

/* Delete mode: drops the partitions of every month wholly past the cut-off. */
static const est_stmt drop_months = {
    "retention_drop_months",
    "SELECT COALESCE(sum(est_event_month_drop(m)), 0), count(*) FROM est_event_months_before(" CUTOFF ", false) m", 1};

/* Strip mode: one statement per month wholly past the cut-off and not
 * stripped yet (through the partitioned table, so its statement triggers
 * fire; pruned to the month's partition), then marked stripped. */
#define STRIP_SET                                                                                                   \
  "UPDATE events SET geom = NULL, location_precision = NULL, track = NULL, place_name = NULL, description = NULL, " \
  "attributes = '{}', flags = array_append(flags, 'detail_removed') "
static const est_stmt strip_month_list = {"retention_strip_month_list",
                                          "SELECT m::text FROM est_event_months_before(" CUTOFF ", true) m", 1};
static const est_stmt strip_month = {
    "retention_strip_month",
    "WITH s AS (" STRIP_SET
    "WHERE occurred_at >= est_event_month_lower($1::date) AND occurred_at < "
    "est_event_month_lower(($1::date + interval '1 month')::date) AND NOT ('detail_removed' = ANY (flags)) "
    "RETURNING 1), u AS (UPDATE event_months SET detail_removed_at = now() WHERE month = $1::date) "
    "SELECT count(*) FROM s",
    1};

/* Row level, only rows that still carry detail, so a run is idempotent and
 * its count is what it changed; outside the stripped months: before the
 * first month partition ($2, the default partition) or from the end of the
 * last stripped month on ($3). */
static const est_stmt strip_events = {"retention_strip_events2",
                                      STRIP_SET
                                      "WHERE occurred_at < " CUTOFF
                                      " AND (occurred_at < $2::timestamptz OR occurred_at >= $3::timestamptz) "
                                      "AND NOT ('detail_removed' = ANY (flags))",
                                      3};

static const est_stmt strip_bounds = {
    "retention_strip_bounds",
    "SELECT COALESCE(est_event_month_lower(min(month)), 'infinity')::text, "
    "COALESCE(est_event_month_lower((max(month) FILTER (WHERE detail_removed_at IS NOT NULL) + interval '1 month')::date), "
    "'-infinity')::text FROM event_months",
    0};

/* Row level; event_areas rows and keys go with their events (0120's
 * delete trigger); dead letters that point at a deleted event keep their
 * row (resolved_event_id ON DELETE SET NULL). */
static const est_stmt delete_events = {"retention_delete_events", "DELETE FROM events WHERE occurred_at < " CUTOFF, 1};

static const est_stmt delete_dead_letters = {
    "retention_delete_dead_letters",
    "DELETE FROM dead_letters WHERE received_at < now() - make_interval(days => $1::int)", 1};

/* The Police-feed poller's history keeps each record as served (summary
 * text, place): it goes with the events' retention, in either mode
 * (migration 0117). */
static const est_stmt delete_police_records = {
    "retention_delete_police_feed_records",
    "DELETE FROM police_feed_records WHERE first_seen_at < now() - make_interval(days => $1::int)", 1};

static est_result run_count_params(est_conn *c, const est_stmt *s, const char *const *params, long long *n) {
  PGresult *r;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  if (rc != EST_OK) return rc;
  *n = strtoll(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  return EST_OK;
}

static est_result run_count(est_conn *c, const est_stmt *s, int days, long long *n) {
  char db[24];
  const char *params[1] = {store_lld(db, days)};
  return run_count_params(c, s, params, n);
}

/* Runs s ($1 days) returning two counts. */
static est_result run_pair(est_conn *c, const est_stmt *s, int days, long long *a, long long *b) {
  char db[24];
  const char *params[1] = {store_lld(db, days)};
  PGresult *r;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  if (rc != EST_OK) return rc;
  *a = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  *b = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
  PQclear(r);
  return EST_OK;
}

/* Strip mode: the whole months, one statement each, then the rest row by row. */
static est_result strip_run(est_conn *c, int days, long long *stripped, long long *months) {
  char db[24];
  const char *params[3] = {store_lld(db, days), NULL, NULL};
  PGresult *list = NULL, *r = NULL;
  est_result rc = est_db_exec(c, &strip_month_list, params, &list, NULL);
  if (rc != EST_OK) return rc;
  *months = PQntuples(list);
  for (int i = 0; rc == EST_OK && i < PQntuples(list); i++) {
    const char *mp[1] = {PQgetvalue(list, i, 0)};
    rc = est_db_exec(c, &strip_month, mp, &r, NULL);
    if (rc == EST_OK) *stripped += strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = NULL;
  }
  PQclear(list);
  if (rc == EST_OK) rc = est_db_exec(c, &strip_bounds, NULL, &r, NULL);
  if (rc != EST_OK) return rc;
  params[1] = PQgetvalue(r, 0, 0);
  params[2] = PQgetvalue(r, 0, 1);
  long long n = 0;
  rc = run_count_params(c, &strip_events, params, &n);
  PQclear(r);
  *stripped += n;
  return rc;
}

est_result store_retention_run(est_pool *pool, const store_retention_policy *p, const est_actor *who,
                               store_retention_result *out) {
  memset(out, 0, sizeof *out);
  est_conn *c;
  /* A partition drop takes a short exclusive lock on events: never queue
   * behind long readers for long (the next tick retries). */
  est_result rc = store_tx_begin_mode(pool, &c, "BEGIN; SET LOCAL lock_timeout = '5s'");
  if (rc != EST_OK) return rc;
  long long months = 0, rows = 0;
  if (p->event_days > 0 && p->event_delete) {
    rc = run_pair(c, &drop_months, p->event_days, &out->events_deleted, &months);
    if (rc == EST_OK) rc = run_count(c, &delete_events, p->event_days, &rows);
    out->events_deleted += rows;
  } else if (p->event_days > 0) {
    rc = strip_run(c, p->event_days, &out->events_stripped, &months);
  }
  long long police_records = 0;
  if (rc == EST_OK && p->event_days > 0) rc = run_count(c, &delete_police_records, p->event_days, &police_records);
  if (rc == EST_OK && p->dead_letter_days > 0)
    rc = run_count(c, &delete_dead_letters, p->dead_letter_days, &out->dead_letters_deleted);
  if (rc == EST_OK) {
    char after[480];
    snprintf(after, sizeof after,
             "{\"event_retention_days\": %d, \"event_mode\": \"%s\", \"dead_letter_retention_days\": %d, "
             "\"events_stripped\": %lld, \"events_deleted\": %lld, \"dead_letters_deleted\": %lld, "
             "\"police_feed_records_deleted\": %lld, \"whole_months\": %lld}",
             p->event_days, p->event_delete ? "delete" : "strip", p->dead_letter_days, out->events_stripped,
             out->events_deleted, out->dead_letters_deleted, police_records, months);
    rc = store_audit_write(c, who, "retention", "retention", 0, NULL, after);
  }
  return store_tx_end(pool, c, rc);
}

static const est_stmt partitions_ensure = {"retention_partitions_ensure", "SELECT est_event_partitions_ensure()", 0};

est_result store_event_partitions_ensure(est_pool *pool, int *created) {
  *created = 0;
  est_conn *c;
  est_result rc = store_tx_begin_mode(pool, &c, "BEGIN; SET LOCAL lock_timeout = '5s'");
  if (rc != EST_OK) return rc;
  PGresult *r;
  rc = est_db_exec(c, &partitions_ensure, NULL, &r, NULL);
  if (rc == EST_OK) {
    *created = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  return store_tx_end(pool, c, rc);
}
