/* retention.c - retention (gallring) runs (see store_retention.h). */
#include "estd/store_retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_util.h"

/* $1 days. Only rows that still carry detail are touched, so a run is
 * idempotent and its count is what it changed. */
static const est_stmt strip_events = {
    "retention_strip_events",
    "UPDATE events SET geom = NULL, location_precision = NULL, track = NULL, place_name = NULL, description = NULL, "
    "attributes = '{}', "
    "flags = array_append(flags, 'detail_removed') WHERE occurred_at < now() - make_interval(days => $1::int) "
    "AND NOT ('detail_removed' = ANY (flags))",
    1};

/* event_areas rows go with their event (ON DELETE CASCADE); dead letters
 * that point at a deleted event keep their row (ON DELETE SET NULL). */
static const est_stmt delete_events = {
    "retention_delete_events", "DELETE FROM events WHERE occurred_at < now() - make_interval(days => $1::int)", 1};

static const est_stmt delete_dead_letters = {
    "retention_delete_dead_letters",
    "DELETE FROM dead_letters WHERE received_at < now() - make_interval(days => $1::int)", 1};

/* The Police-feed poller's history keeps each record as served (summary
 * text, place): it goes with the events' retention, in either mode
 * (migration 0117). */
static const est_stmt delete_police_records = {
    "retention_delete_police_feed_records",
    "DELETE FROM police_feed_records WHERE first_seen_at < now() - make_interval(days => $1::int)", 1};

static est_result run_count(est_conn *c, const est_stmt *s, int days, long long *n) {
  char db[24];
  const char *params[1] = {store_lld(db, days)};
  PGresult *r;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  if (rc != EST_OK) return rc;
  *n = strtoll(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  return EST_OK;
}

est_result store_retention_run(est_pool *pool, const store_retention_policy *p, const est_actor *who,
                               store_retention_result *out) {
  memset(out, 0, sizeof *out);
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  if (p->event_days > 0)
    rc = run_count(c, p->event_delete ? &delete_events : &strip_events, p->event_days,
                   p->event_delete ? &out->events_deleted : &out->events_stripped);
  long long police_records = 0;
  if (rc == EST_OK && p->event_days > 0) rc = run_count(c, &delete_police_records, p->event_days, &police_records);
  if (rc == EST_OK && p->dead_letter_days > 0)
    rc = run_count(c, &delete_dead_letters, p->dead_letter_days, &out->dead_letters_deleted);
  if (rc == EST_OK) {
    char after[400];
    snprintf(after, sizeof after,
             "{\"event_retention_days\": %d, \"event_mode\": \"%s\", \"dead_letter_retention_days\": %d, "
             "\"events_stripped\": %lld, \"events_deleted\": %lld, \"dead_letters_deleted\": %lld, "
             "\"police_feed_records_deleted\": %lld}",
             p->event_days, p->event_delete ? "delete" : "strip", p->dead_letter_days, out->events_stripped,
             out->events_deleted, out->dead_letters_deleted, police_records);
    rc = store_audit_write(c, who, "retention", "retention", 0, NULL, after);
  }
  return store_tx_end(pool, c, rc);
}
