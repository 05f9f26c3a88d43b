/* store_events.h - events in PostgreSQL (store/events.c); the dead
 * letters of a Kafka batch are written with it (store_deadletters.h).
 *
 * Every write is one transaction: a Kafka batch (valid events + dead
 * letters) commits or rolls back as a whole, an HTTP batch commits with its
 * audit row. Events are written with binary COPY into a per-session
 * staging table and one set-based statement: the keys into event_keys ...
 * ON CONFLICT (source, source_event_id) DO NOTHING, the events whose key
 * was new, their areas (one spatial join) and their event_areas rows
 * (docs/ARCHITECTURE.md "Event storage"). */
#ifndef ESTD_STORE_EVENTS_H
#define ESTD_STORE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/admit.h"
#include "estd/disclosure.h"
#include "estd/event.h"
#include "estd/store.h"

/* ---- Kafka intake ----------------------------------------------------- */

/* One consumed message of a batch. A message with reason != NULL is
 * invalid: it becomes a dead letter with reason/detail (unless reason is
 * "skipped_summary", which is only counted); otherwise ev is the parsed
 * event that the admission policy (admit.h) accepted, party_id resolved.
 * store_intake_batch may set reason itself (rejected_by_database). */
typedef struct store_msg {
  const char *topic;
  int partition;
  long long offset;
  const void *key;
  size_t key_len;
  const void *payload;
  size_t len;
  const est_event_header *headers;
  size_t nheaders;
  est_event *ev;      /* parsed, admitted event (party_id set), owned by the caller */
  const char *reason; /* reason code (static) or NULL when valid */
  char *detail;       /* malloc'd, owned by the caller; may be NULL */
  /* out */
  bool stored;       /* the event was inserted (not a duplicate) */
  bool deadlettered; /* a dead-letter row was written (or already existed) */
  char party[128];   /* party code of the topic binding ("" = none); a dead letter's party
                             (else the message's own party code, see 0041_dead_letter_party.sql) */
} store_msg;

/* Writes the batch in one transaction: inserts the admitted events and
 * the dead letters. If the database rejects the batch statement for a data reason,
 * retries in the same call with one savepoint per event and dead-letters
 * the rejected ones ('rejected_by_database'). EST_EUNAVAILABLE (or a
 * serialization failure / deadlock, returned as EST_ECONFLICT) means
 * nothing was written and the caller retries the whole batch. */
est_result store_intake_batch(est_pool *pool, store_msg *msgs, size_t n);

/* ---- HTTP intake ------------------------------------------------------ */

/* Resolves a party code to its id (cached). EST_ENOTFOUND if unknown. */
est_result store_party_resolve(est_pool *pool, const char *code, long long *id);

/* The registry look-ups of the admission policy (admit.h) backed by pool. */
est_admit_lookup store_admit_lookup(est_pool *pool);

typedef struct store_event_outcome {
  long long event_id; /* the stored or the already existing event (0 if unknown) */
  bool inserted;      /* false = duplicate */
} store_event_outcome;

/* Inserts evs[0..n) (party_id resolved) with channel 'http' and writes one
 * 'ingest' audit row summarising the request (stored, duplicates and the
 * given rejected count) in the same transaction. out[i] per event. */
est_result store_events_ingest(est_pool *pool, est_event *const *evs, size_t n, size_t rejected, const est_actor *who,
                               store_event_outcome *out);

/* ---- reading ---------------------------------------------------------- */

extern const char *const store_events_sorts[]; /* {"occurred_at","id",NULL} */

typedef struct store_event_filter {
  long long area_id;    /* 0 = any */
  const char *category; /* NULL = any */
  const char *kind;
  long long party_id;
  const char *from; /* RFC 3339, inclusive; NULL = open */
  const char *to;   /* RFC 3339, exclusive */
  const char *source;
  est_rows rows;        /* which rows the caller may see (est_disclosure_rows) */
  long long rows_party; /* with EST_ROWS_PARTY */
} store_event_filter;

est_result store_events_list(est_pool *pool, const store_event_filter *f, const est_list_query *q, est_page *out);
/* EST_ENOTFOUND also when the row policy hides the event (a hidden event
 * looks like a missing one). */
est_result store_event_get(est_pool *pool, long long id, est_rows rows, long long rows_party, est_doc *out);

#endif
