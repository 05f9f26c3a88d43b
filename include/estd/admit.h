/* admit.h - the intake admission policy: the one place that decides
 * whether a parsed event may be stored (domain/admit.c, pure).
 *
 * Every intake path calls est_event_admit after parsing: the Kafka
 * consumer, POST /v1/events and POST /v1/dead-letters/{id}/resubmit. It is
 * independent of the wire format (structured or binary CloudEvents, HTTP or
 * Kafka): the caller states the channel's facts in est_admit_policy and
 * gives the registry look-ups in est_admit_lookup (the store behind them).
 *
 * The rules, in order (the first failing one decides; one message each):
 *  1. party bound to the channel: a Kafka topic bound to a party
 *     (ESTD_KAFKA_TOPIC_PARTIES), or an API key of a party that is not
 *     admin; an event claiming another party -> party_mismatch;
 *  2. missing party: filled from the binding (topic or key), else
 *     schema "/party is required";
 *  3. resolving party (unknown_party) and source: (party, source) must be
 *     registered in /v1/sources (unknown_source);
 *  4. screening for personal identity numbers (est_event_screen: refuse
 *     or redact, policy.redact);
 *     then, when policy.geocode is set and the look-ups
 *     have a geocoder, the Police-feed geocoder (est_police_geocode: a
 *     district named in the summary; docs/EVENTS.md);
 *  5. plausibility: occurred_at at most max_future_s after now and not
 *     before EST_EVENT_TIME_FLOOR (implausible_time). */
#ifndef ESTD_ADMIT_H
#define ESTD_ADMIT_H

#include <jansson.h>
#include <stdbool.h>

#include "estd/event.h"
#include "estd/result.h"

/* The earliest occurred_at accepted (docs/EVENTS.md). */
#define EST_EVENT_TIME_FLOOR "2000-01-01T00:00:00Z"

typedef struct est_admit_policy {
  const char *bound_code; /* party code the channel is bound to (Kafka topic), NULL = none */
  long long bound_id;     /* party id the channel is bound to (API key's party), 0 = none */
  bool bound_enforced;    /* the event may not claim another party (false: admin key, default only) */
  const char *channel;    /* names the binding in messages: "topic est.events" / "the API key" */
  bool redact;            /* free text: redact (Kafka, resubmit) or refuse (HTTP) */
  long long now_s;        /* the clock, seconds since the epoch (injected) */
  long max_future_s;      /* ESTD_EVENT_MAX_FUTURE_S */
  const char *geocode;    /* geocoder on for this municipality (ESTD_POLICE_GEOCODE_MUNICIPALITY), NULL = off */
} est_admit_policy;

/* Registry look-ups. Each returns EST_OK, EST_ENOTFOUND (not registered),
 * or another failure (the store is unavailable: the caller retries). */
typedef struct est_admit_lookup {
  est_result (*party)(void *arg, const char *code, long long *id);
  est_result (*source)(void *arg, long long party_id, const char *source);
  void *arg;
  /* Optional (NULL = no geocoder): applies est_police_geocode to ev with
   * the current district names; EST_OK also when nothing matched. */
  est_result (*geocode)(void *arg, est_event *ev, const char *municipality);
} est_admit_lookup;

/* Applies the rules to a parsed event (ev->party may be filled, party_id is
 * set, free text may be redacted). Returns EST_REASON_NONE when admitted,
 * else the reason with the field errors appended to *errors. *rc is set to
 * a look-up failure (then the reason is EST_REASON_NONE and nothing is
 * decided), EST_OK otherwise. */
est_event_reason est_event_admit(est_event *ev, const est_admit_policy *p, const est_admit_lookup *lk, json_t **errors,
                                 est_result *rc);

#endif
