/* pacer.c - call pacing for a rate-limited API (see pacer.h). */
#include "estd/pacer.h"

#include <string.h>

void est_pacer_init(est_pacer *p, long long min_interval_ms, int max_per_hour) {
  memset(p, 0, sizeof *p);
  p->min_interval_ms = min_interval_ms > 0 ? min_interval_ms : 0;
  p->max_per_hour = max_per_hour < 1 ? 1 : max_per_hour > EST_PACER_MAX_CALLS ? EST_PACER_MAX_CALLS : max_per_hour;
}

static long long call_at(const est_pacer *p, int i) { return p->calls[(p->head + i) % EST_PACER_MAX_CALLS]; }

long long est_pacer_next(const est_pacer *p, long long now_ms) {
  long long t = now_ms;
  if (p->ncalls > 0) {
    long long last = call_at(p, p->ncalls - 1);
    if (last + p->min_interval_ms > t) t = last + p->min_interval_ms;
    /* the sliding hour: with max_per_hour calls in the hour before t, wait
     * until the oldest of them is an hour old */
    int in_hour = 0, first = -1;
    for (int i = 0; i < p->ncalls; i++)
      if (call_at(p, i) > t - EST_PACER_HOUR_MS) {
        if (first < 0) first = i;
        in_hour++;
      }
    if (in_hour >= p->max_per_hour) {
      long long free_at = call_at(p, first + in_hour - p->max_per_hour) + EST_PACER_HOUR_MS;
      if (free_at > t) t = free_at;
    }
  }
  if (p->not_before_ms > t) t = p->not_before_ms;
  return t;
}

void est_pacer_called(est_pacer *p, long long at_ms) {
  /* keep at most max_per_hour calls: older ones no longer decide anything */
  if (p->ncalls == p->max_per_hour) {
    p->head = (p->head + 1) % EST_PACER_MAX_CALLS;
    p->ncalls--;
  }
  p->calls[(p->head + p->ncalls) % EST_PACER_MAX_CALLS] = at_ms;
  p->ncalls++;
}

static long long backoff(est_pacer *p) {
  long long d = 6 * (p->min_interval_ms > 0 ? p->min_interval_ms : 1);
  for (int i = 1; i < p->failures && d < EST_PACER_HOUR_MS; i++) d *= 2;
  return d < EST_PACER_HOUR_MS ? d : EST_PACER_HOUR_MS;
}

long long est_pacer_answer(est_pacer *p, long long at_ms, int status, long long retry_after_s) {
  long long delay = 0;
  if (status == 429) {
    p->failures++;
    if (retry_after_s >= 0) {
      if (retry_after_s > 86400) retry_after_s = 86400; /* a day at most */
      delay = retry_after_s * 1000;
    } else {
      delay = backoff(p);
    }
  } else if (status == 0 || status >= 500) {
    p->failures++;
    delay = backoff(p);
  } else {
    p->failures = 0;
  }
  if (delay > 0 && at_ms + delay > p->not_before_ms) p->not_before_ms = at_ms + delay;
  return delay;
}
