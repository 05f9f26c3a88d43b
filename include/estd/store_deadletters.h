/* store_deadletters.h - reading and resubmitting dead letters
 * (store/deadletters.c). Dead letters are written by store_intake_batch
 * (store_events.h) in the batch's transaction. */
#ifndef ESTD_STORE_DEADLETTERS_H
#define ESTD_STORE_DEADLETTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/disclosure.h"
#include "estd/event.h"
#include "estd/store.h"

extern const char *const store_dead_letters_sorts[]; /* {"id",NULL} */

typedef struct store_dead_letter_filter {
  est_rows rows;        /* est_disclosure_dead_letters */
  long long rows_party; /* with EST_ROWS_PARTY */
  const char *reason;
  const char *topic;
  const char *from; /* received_at, RFC 3339 */
  const char *to;
  int resolved; /* -1 any, 0 open, 1 resolved */
} store_dead_letter_filter;

est_result store_dead_letters_list(est_pool *pool, const store_dead_letter_filter *f, const est_list_query *q,
                                   est_page *out);
/* EST_ENOTFOUND also when the row policy hides it. */
est_result store_dead_letter_get(est_pool *pool, long long id, est_rows rows, long long rows_party, est_doc *out);

/* The raw message of a dead letter (for resubmission); free with
 * store_dead_letter_raw_free. headers is the stored JSON array text. */
typedef struct store_dead_letter_raw {
  long long id;
  char *topic; /* NULL for non-Kafka rows */
  unsigned char *payload;
  size_t len;
  char *headers_json;
  long long resolved_event_id; /* 0 = open */
} store_dead_letter_raw;
est_result store_dead_letter_raw_get(est_pool *pool, long long id, store_dead_letter_raw *out);
void store_dead_letter_raw_free(store_dead_letter_raw *r);

/* Stores ev (party_id resolved; channel 'kafka') and marks the dead letter
 * resolved, with a 'resubmit' audit row, in one transaction. Idempotent: a
 * dead letter that is already resolved is left alone and *already is set.
 * EST_ENOTFOUND if there is no such dead letter. */
est_result store_dead_letter_resolve(est_pool *pool, long long id, est_event *ev, const est_actor *who,
                                     long long *event_id, bool *inserted, bool *already);

#endif
