/* store_police_feed.h - the Police-feed poller's storage (store/police_feed.c):
 * its history of the records the feed served (police_feed_records, one per
 * (source, feed id)), its call log (police_feed_polls), the district names
 * for the geocoder, and the type counts of `estd police-feed types`.
 * Migrations 0117 and 0130 (the type counts of /metrics); docs/OPERATIONS.md
 * "Police feed poller". */
#ifndef ESTD_STORE_POLICE_FEED_H
#define ESTD_STORE_POLICE_FEED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/event.h"
#include "estd/metrics.h"
#include "estd/pacer.h"
#include "estd/pool.h"

/* One record of a poll, as the poller decided it. */
typedef struct store_police_record {
  const char *feed_id;     /* the feed's id as text; NULL: keyed by 'md5:' || md5(record) */
  const char *record;      /* the record's JSON text as kept (personal identity numbers redacted) */
  const char *police_type; /* NULL if the record has none */
  est_event *ev;           /* the admitted event (party resolved), or NULL */
  const char *reason;      /* NULL when admitted; "skipped_summary"; else the dead letter's reason */
  const char *detail;      /* the dead letter's detail (its errors as JSON text), or NULL */
  const char *payload;     /* the CloudEvent as JSON text: the dead letter's payload */
  const char *party;       /* the party code (dead letter) */
  /* out */
  bool seen_before;    /* in the history already: nothing else done (idempotent) */
  const char *outcome; /* stored | duplicate | skipped_summary | dead_letter; NULL when seen before */
  long long event_id;  /* stored or already existing event, 0 if none */
} store_police_record;

typedef struct store_police_counts {
  int new_records, stored, duplicates, summaries, dead_letters;
} store_police_counts;

/* Writes one poll in one transaction: every record into the history
 * (INSERT ... ON CONFLICT (source, feed_id): a record seen before only
 * updates last_seen_at/times_seen), and for the new ones the event
 * (channel 'poll', idempotent on (source, source_event_id)) or the dead
 * letter (channel 'poll', one per (source, source_event_id)) and one more
 * of their type in police_feed_type_counts (migration 0130), with one
 * audit row (ingest) when anything was new. */
est_result store_police_feed_save(est_pool *pool, const char *source, store_police_record *recs, size_t n,
                                  const est_actor *who, store_police_counts *out);

/* Logs one call to url made at at_ms (epoch ms): the HTTP status (0: no
 * answer), the Retry-After of a 429 (-1: none), records fetched and new. */
est_result store_police_feed_poll_log(est_pool *pool, const char *url, long long at_ms, int status,
                                      long long retry_after_s, int fetched, int new_records, const char *detail);
/* Replays the calls to url of the last hour into p (est_pacer_called /
 * est_pacer_answer), and reports whether the latest call answered 404
 * (*gone, with its time as text in gone_at). */
est_result store_police_feed_pacer_load(est_pool *pool, const char *url, est_pacer *p, bool *gone, char *gone_at,
                                        size_t gone_len);

/* Per police type: events stored from the feed (every intake path) with
 * occurred_at >= since (RFC 3339), by attributes.police_mapping, and the
 * poller's history records by outcome: {"events": [{"type", "mapping",
 * "count"}], "history": [{"type", "outcome", "count"}]}. */
est_result store_police_feed_type_counts(est_pool *pool, const char *since, json_t **out);

/* The poller's new records per mapping and listed unmapped type, as /metrics
 * shows them (police_feed_type_counts). */
est_result store_police_feed_metrics(est_pool *pool, est_metrics_police_feed *out);

#endif
