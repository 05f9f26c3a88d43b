/* ratelimit.h - per-key token buckets (pure: the clock is passed in).
 *
 * Each key gets a bucket of `burst` tokens refilled at `rps` tokens per
 * second; a request takes one token. The table is bounded (slots, open
 * addressing); when full, the least recently used bucket is recycled.
 * Thread-safe. */
#ifndef ESTD_RATELIMIT_H
#define ESTD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct est_ratelimit est_ratelimit;

/* NULL when rps <= 0 (rate limiting off) or on allocation failure
 * (*failed tells them apart when given). */
est_ratelimit *est_ratelimit_create(int rps, int burst, int slots, bool *failed);
void est_ratelimit_destroy(est_ratelimit *rl);
/* Takes a token for key at now_ms (monotonic). Returns true if allowed;
 * otherwise sets *retry_after_s (>= 1) to the seconds until one token is
 * available. A NULL limiter allows everything. */
bool est_ratelimit_take(est_ratelimit *rl, long long key, int64_t now_ms, int *retry_after_s);

#endif
