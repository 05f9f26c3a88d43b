/* ratelimit.c - per-key token buckets (see ratelimit.h). */
#include "estd/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

#define PROBES 8

typedef struct bucket {
  long long key; /* 0 = free */
  double tokens;
  int64_t last_ms;
} bucket;

struct est_ratelimit {
  pthread_mutex_t mu;
  double rps, burst;
  int nslots;
  bucket *slots;
};

est_ratelimit *est_ratelimit_create(int rps, int burst, int slots, bool *failed) {
  if (failed) *failed = false;
  if (rps <= 0) return NULL;
  est_ratelimit *rl = calloc(1, sizeof *rl);
  if (rl) rl->slots = calloc((size_t)(slots > PROBES ? slots : PROBES), sizeof *rl->slots);
  if (!rl || !rl->slots) {
    free(rl);
    if (failed) *failed = true;
    return NULL;
  }
  pthread_mutex_init(&rl->mu, NULL);
  rl->rps = rps;
  rl->burst = burst > 0 ? burst : 1;
  rl->nslots = slots > PROBES ? slots : PROBES;
  return rl;
}

void est_ratelimit_destroy(est_ratelimit *rl) {
  if (!rl) return;
  pthread_mutex_destroy(&rl->mu);
  free(rl->slots);
  free(rl);
}

static bucket *find_slot(est_ratelimit *rl, long long key, int64_t now_ms) {
  unsigned long long h = (unsigned long long)key * 0x9E3779B97F4A7C15ull;
  bucket *free_b = NULL, *lru = NULL;
  for (int i = 0; i < PROBES; i++) {
    bucket *b = &rl->slots[(h + (unsigned)i) % (unsigned)rl->nslots];
    if (b->key == key) return b;
    if (b->key == 0) {
      if (!free_b) free_b = b;
    } else if (!lru || b->last_ms < lru->last_ms) {
      lru = b;
    }
  }
  bucket *victim = free_b ? free_b : lru;
  /* New key: a free slot, else the least recently used of the probed ones. */
  victim->key = key;
  victim->tokens = rl->burst;
  victim->last_ms = now_ms;
  return victim;
}

bool est_ratelimit_take(est_ratelimit *rl, long long key, int64_t now_ms, int *retry_after_s) {
  if (!rl) return true;
  if (key == 0) key = -1; /* 0 marks a free slot */
  pthread_mutex_lock(&rl->mu);
  bucket *b = find_slot(rl, key, now_ms);
  if (now_ms > b->last_ms) {
    b->tokens += (double)(now_ms - b->last_ms) * rl->rps / 1000.0;
    if (b->tokens > rl->burst) b->tokens = rl->burst;
    b->last_ms = now_ms;
  }
  bool ok = b->tokens >= 1.0;
  if (ok) {
    b->tokens -= 1.0;
  } else if (retry_after_s) {
    double wait_s = (1.0 - b->tokens) / rl->rps;
    int s = (int)wait_s;
    if ((double)s < wait_s) s++;
    *retry_after_s = s < 1 ? 1 : s;
  }
  pthread_mutex_unlock(&rl->mu);
  return ok;
}
