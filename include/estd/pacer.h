/* pacer.h - when a polling client may call a rate-limited API next
 * (domain/pacer.c, pure: the clock is passed in, in milliseconds).
 *
 * The rules it keeps (the polisen.se API's, for `estd police-feed poll`):
 * at least min_interval_ms between two calls, at most max_per_hour calls
 * in any sliding hour, after a 429 not before its Retry-After, and after a
 * failure (429 without Retry-After, 5xx, no answer) an exponential backoff
 * from 6 x min_interval_ms (60 s with the production floor of 10 s) up to
 * an hour. Calls and Retry-After survive restarts when the caller replays
 * its log (est_pacer_called / est_pacer_answer with the recorded times). */
#ifndef ESTD_PACER_H
#define ESTD_PACER_H

#define EST_PACER_HOUR_MS 3600000LL
#define EST_PACER_MAX_CALLS 128 /* max_per_hour is clamped to this */

typedef struct est_pacer {
  long long min_interval_ms;
  int max_per_hour;
  long long calls[EST_PACER_MAX_CALLS]; /* ring of call times, oldest at head */
  int head, ncalls;
  long long not_before_ms; /* from Retry-After or the backoff */
  int failures;            /* consecutive failed answers */
} est_pacer;

void est_pacer_init(est_pacer *p, long long min_interval_ms, int max_per_hour);
/* The earliest time (>= now_ms) at which the next call is allowed. */
long long est_pacer_next(const est_pacer *p, long long now_ms);
/* Records a call made at at_ms. */
void est_pacer_called(est_pacer *p, long long at_ms);
/* Records the answer received at at_ms: status 2xx/3xx/404 resets the
 * backoff; 429 waits retry_after_s (or the backoff when < 0); 5xx and 0
 * (no answer) back off. Returns the delay it imposed (0 if none). */
long long est_pacer_answer(est_pacer *p, long long at_ms, int status, long long retry_after_s);

#endif
