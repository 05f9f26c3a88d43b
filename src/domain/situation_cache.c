/* situation_cache.c - bounded LRU cache with single flight (see
 * situation_cache.h). One mutex and one condition variable per cache; the
 * number of entries is small (ESTD_SITUATION_CACHE_ENTRIES, default 64), so
 * lookups scan the slots comparing a 64-bit key hash first. */
#include "estd/situation_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  char *key; /* NULL: free slot */
  uint64_t khash;
  char *version;
  char *body;
  size_t len;
  char etag[24];
  uint64_t body_ticket; /* the flight that computed body */
  uint64_t flight;      /* the flight in progress, when computing */
  bool computing;
  uint64_t last_use;
  int64_t expires_ms;             /* body not served after this time (0: no limit) */
  int64_t stamp_ms;               /* est_scache_put: when the body was computed (or last confirmed current) */
  char note[EST_SCACHE_NOTE_MAX]; /* est_scache_fill's note */
} entry;

/* Shared version reads of one version key. */
typedef struct vslot {
  char *vkey; /* NULL: free */
  bool reading;
  char *last;           /* the last version read */
  uint64_t last_ticket; /* the ticket taken just before that read began */
  uint64_t last_use;
} vslot;

#define EST_SCACHE_VSLOTS 32

struct est_scache {
  pthread_mutex_t mu;
  pthread_cond_t done;
  entry *slots;
  size_t max_entries, max_bytes, bytes;
  uint64_t tick;
  /* shared data version reads, one slot per version key */
  pthread_cond_t v_done;
  vslot vslots[EST_SCACHE_VSLOTS];
};

static atomic_uint_fast64_t g_hits, g_misses, g_coalesced;

static uint64_t fnv1a_from(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

static uint64_t fnv1a(const char *s, size_t n) { return fnv1a_from(1469598103934665603ULL, s, n); }

void est_scache_etag(const char *body, size_t len, char out[24]) {
  snprintf(out, 24, "\"%016llx\"", (unsigned long long)fnv1a(body, len));
}

void est_scache_etag_with(const char *etag, const char *part, size_t len, char out[24]) {
  uint64_t h = fnv1a(etag, strlen(etag));
  snprintf(out, 24, "\"%016llx\"", (unsigned long long)fnv1a_from(h, part, len));
}

bool est_scache_etag_match(const char *inm, const char *etag) {
  if (!inm || !etag) return false;
  size_t el = strlen(etag);
  const char *p = inm;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (!*p) break;
    if (*p == '*') return true;
    if (p[0] == 'W' && p[1] == '/') p += 2;
    if (*p != '"') { /* malformed: skip to the next comma */
      while (*p && *p != ',') p++;
      continue;
    }
    const char *q = strchr(p + 1, '"');
    if (!q) return false;
    if ((size_t)(q + 1 - p) == el && memcmp(p, etag, el) == 0) return true;
    p = q + 1;
  }
  return false;
}

est_scache *est_scache_create(size_t max_entries, size_t max_bytes) {
  if (max_entries == 0) return NULL;
  est_scache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->slots = calloc(max_entries, sizeof *c->slots);
  if (!c->slots) {
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->done, NULL);
  pthread_cond_init(&c->v_done, NULL);
  c->max_entries = max_entries;
  c->max_bytes = max_bytes;
  return c;
}

static void slot_clear(est_scache *c, entry *e) {
  c->bytes -= e->body ? e->len : 0;
  free(e->key);
  free(e->version);
  free(e->body);
  memset(e, 0, sizeof *e);
}

void est_scache_destroy(est_scache *c) {
  if (!c) return;
  for (size_t i = 0; i < c->max_entries; i++) slot_clear(c, &c->slots[i]);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->done);
  pthread_cond_destroy(&c->v_done);
  for (size_t i = 0; i < EST_SCACHE_VSLOTS; i++) {
    free(c->vslots[i].vkey);
    free(c->vslots[i].last);
  }
  free(c->slots);
  free(c);
}

uint64_t est_scache_ticket(est_scache *c) {
  if (!c) return 0;
  pthread_mutex_lock(&c->mu);
  uint64_t t = ++c->tick;
  pthread_mutex_unlock(&c->mu);
  return t;
}

/* The slot of vkey, else a free or the least recently used idle one
 * (emptied for vkey); NULL when every slot is reading or out of memory. */
static vslot *vslot_take(est_scache *c, const char *vkey) {
  vslot *lru = NULL;
  for (size_t i = 0; i < EST_SCACHE_VSLOTS; i++) {
    vslot *v = &c->vslots[i];
    if (v->vkey && strcmp(v->vkey, vkey) == 0) return v;
    if (!v->reading && (!lru || !v->vkey || (lru->vkey && v->last_use < lru->last_use))) lru = v;
  }
  if (!lru) return NULL;
  char *k = strdup(vkey);
  if (!k) return NULL;
  free(lru->vkey);
  free(lru->last);
  memset(lru, 0, sizeof *lru);
  lru->vkey = k;
  return lru;
}

int est_scache_version(est_scache *c, const char *vkey, uint64_t ticket, est_scache_read_fn fn, void *arg,
                       char **version) {
  *version = NULL;
  if (!c) return fn(arg, version);
  pthread_mutex_lock(&c->mu);
  for (;;) {
    vslot *s = vslot_take(c, vkey);
    if (!s) { /* every slot busy: read alone */
      pthread_mutex_unlock(&c->mu);
      return fn(arg, version);
    }
    s->last_use = ++c->tick;
    if (s->last && s->last_ticket > ticket) { /* a read that began after this request arrived */
      *version = strdup(s->last);
      pthread_mutex_unlock(&c->mu);
      return *version ? 0 : fn(arg, version);
    }
    if (s->reading) { /* one in progress: wait, then look again */
      pthread_cond_wait(&c->v_done, &c->mu);
      continue;
    }
    s->reading = true;
    uint64_t mine = ++c->tick;
    pthread_mutex_unlock(&c->mu);
    char *v = NULL;
    int rc = fn(arg, &v);
    pthread_mutex_lock(&c->mu);
    s->reading = false; /* s stays this key's slot: reading slots are never taken */
    if (rc == 0 && v) {
      char *keep = strdup(v);
      if (keep) {
        free(s->last);
        s->last = keep;
        s->last_ticket = mine;
      }
    }
    pthread_cond_broadcast(&c->v_done);
    pthread_mutex_unlock(&c->mu);
    *version = v;
    return rc;
  }
}

static entry *find(est_scache *c, const char *key, uint64_t h) {
  for (size_t i = 0; i < c->max_entries; i++) {
    entry *e = &c->slots[i];
    if (e->key && e->khash == h && strcmp(e->key, key) == 0) return e;
  }
  return NULL;
}

/* A free slot, or the least recently used one that is not computing
 * (evicted); NULL when every slot is computing. */
static entry *take_slot(est_scache *c) {
  entry *lru = NULL;
  for (size_t i = 0; i < c->max_entries; i++) {
    entry *e = &c->slots[i];
    if (!e->key) return e;
    if (!e->computing && (!lru || e->last_use < lru->last_use)) lru = e;
  }
  if (lru) slot_clear(c, lru);
  return lru;
}

est_scache_outcome est_scache_begin(est_scache *c, const char *key, const char *version, uint64_t ticket,
                                    int64_t now_ms, est_scache_body *out, uint64_t *flight) {
  memset(out, 0, sizeof *out);
  *flight = 0;
  if (!c) {
    atomic_fetch_add(&g_misses, 1);
    return EST_SCACHE_MISS;
  }
  uint64_t h = fnv1a(key, strlen(key));
  bool waited = false;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    entry *e = find(c, key, h);
    if (e && e->body && (!e->expires_ms || now_ms <= e->expires_ms) &&
        ((version && e->version && strcmp(e->version, version) == 0) || e->body_ticket > ticket)) {
      out->body = malloc(e->len ? e->len : 1);
      if (out->body) {
        memcpy(out->body, e->body, e->len);
        out->len = e->len;
        memcpy(out->etag, e->etag, sizeof out->etag);
        memcpy(out->note, e->note, sizeof out->note);
        e->last_use = ++c->tick;
        pthread_mutex_unlock(&c->mu);
        atomic_fetch_add(&g_hits, 1);
        return EST_SCACHE_HIT;
      }
      break; /* out of memory: compute without the cache */
    }
    if (e && e->computing) { /* single flight: wait for it, then look again */
      if (!waited) atomic_fetch_add(&g_coalesced, 1);
      waited = true;
      pthread_cond_wait(&c->done, &c->mu);
      continue;
    }
    if (!e) {
      e = take_slot(c);
      if (!e) break;
      e->key = strdup(key);
      if (!e->key) break;
      e->khash = h;
    }
    e->computing = true;
    e->flight = *flight = ++c->tick;
    e->last_use = e->flight;
    break;
  }
  pthread_mutex_unlock(&c->mu);
  atomic_fetch_add(&g_misses, 1);
  return EST_SCACHE_MISS;
}

/* Replaces e's body and version by body (len bytes) and version, taken
 * (malloc'd, or NULL), keeping the byte count. */
static void entry_set(est_scache *c, entry *e, char *body, size_t len, char *version) {
  c->bytes -= e->body ? e->len : 0;
  free(e->body);
  free(e->version);
  e->body = body;
  e->version = version;
  e->len = body ? len : 0;
  c->bytes += e->len;
}

/* Over the byte budget: evicts the least recently used entries other than keep. */
static void evict_over_budget(est_scache *c, const entry *keep) {
  while (c->bytes > c->max_bytes) {
    entry *lru = NULL;
    for (size_t i = 0; i < c->max_entries; i++) {
      entry *x = &c->slots[i];
      if (x->key && x != keep && x->body && !x->computing && (!lru || x->last_use < lru->last_use)) lru = x;
    }
    if (!lru) break;
    slot_clear(c, lru);
  }
}

static entry *flight_entry(est_scache *c, const char *key, uint64_t flight) {
  entry *e = find(c, key, fnv1a(key, strlen(key)));
  return e && e->computing && e->flight == flight ? e : NULL;
}

void est_scache_fill(est_scache *c, const char *key, uint64_t flight, const char *version, const char *body, size_t len,
                     const char *etag, int64_t expires_ms, const char *note) {
  if (!c || flight == 0) return;
  pthread_mutex_lock(&c->mu);
  entry *e = flight_entry(c, key, flight);
  if (e) {
    e->computing = false;
    char *b = len <= c->max_bytes / 4 ? malloc(len ? len : 1) : NULL;
    char *v = b && version ? strdup(version) : NULL;
    if (b && v) {
      memcpy(b, body, len);
      entry_set(c, e, b, len, v);
      snprintf(e->etag, sizeof e->etag, "%s", etag);
      e->note[0] = '\0';
      if (note && strlen(note) < sizeof e->note) memcpy(e->note, note, strlen(note) + 1);
      e->body_ticket = flight;
      e->expires_ms = expires_ms;
      e->last_use = ++c->tick;
      evict_over_budget(c, e);
    } else {
      free(b);
      slot_clear(c, e);
    }
  }
  pthread_cond_broadcast(&c->done);
  pthread_mutex_unlock(&c->mu);
}

void est_scache_abandon(est_scache *c, const char *key, uint64_t flight) {
  if (!c || flight == 0) return;
  pthread_mutex_lock(&c->mu);
  entry *e = flight_entry(c, key, flight);
  if (e) {
    e->computing = false;
    if (!e->body) slot_clear(c, e);
  }
  pthread_cond_broadcast(&c->done);
  pthread_mutex_unlock(&c->mu);
}

bool est_scache_peek(est_scache *c, const char *key, const char *version, int64_t now_ms, int64_t max_age_ms,
                     est_scache_body *out, int64_t *stamp_ms, bool *stale) {
  memset(out, 0, sizeof *out);
  *stamp_ms = 0;
  *stale = false;
  if (!c) return false;
  pthread_mutex_lock(&c->mu);
  entry *e = find(c, key, fnv1a(key, strlen(key)));
  bool same = e && e->body && e->version && version && strcmp(e->version, version) == 0;
  bool ok = same || (e && e->body && now_ms - e->stamp_ms <= max_age_ms);
  if (ok && (out->body = malloc(e->len ? e->len : 1)) != NULL) {
    memcpy(out->body, e->body, e->len);
    out->len = e->len;
    memcpy(out->etag, e->etag, sizeof out->etag);
    *stamp_ms = e->stamp_ms;
    *stale = !same;
    e->last_use = ++c->tick;
  } else {
    ok = false;
  }
  pthread_mutex_unlock(&c->mu);
  return ok;
}

void est_scache_put(est_scache *c, const char *key, const char *version, const char *body, size_t len,
                    int64_t stamp_ms) {
  if (!c || !version || len > c->max_bytes / 4) return;
  char *b = malloc(len ? len : 1), *v = strdup(version);
  if (!b || !v) {
    free(b);
    free(v);
    return;
  }
  memcpy(b, body, len);
  char etag[24];
  est_scache_etag(body, len, etag); /* outside the lock */
  uint64_t h = fnv1a(key, strlen(key));
  pthread_mutex_lock(&c->mu);
  entry *e = find(c, key, h);
  if (e && e->stamp_ms > stamp_ms) e = NULL; /* a newer computation is already stored: keep it */
  else if (!e && (e = take_slot(c)) != NULL && !(e->key = strdup(key))) e = NULL;
  if (e) {
    e->khash = h;
    entry_set(c, e, b, len, v);
    memcpy(e->etag, etag, sizeof e->etag);
    e->note[0] = '\0';
    e->stamp_ms = stamp_ms;
    e->last_use = ++c->tick;
    b = v = NULL;
    evict_over_budget(c, e);
  }
  pthread_mutex_unlock(&c->mu);
  free(b);
  free(v);
}

void est_scache_confirm(est_scache *c, const char *key, const char *version, int64_t stamp_ms) {
  if (!c || !version) return;
  uint64_t h = fnv1a(key, strlen(key));
  pthread_mutex_lock(&c->mu);
  entry *e = find(c, key, h);
  if (e && e->body && e->version && strcmp(e->version, version) == 0 && stamp_ms > e->stamp_ms) e->stamp_ms = stamp_ms;
  pthread_mutex_unlock(&c->mu);
}

void est_scache_counters(uint64_t *hits, uint64_t *misses, uint64_t *coalesced) {
  if (hits) *hits = atomic_load(&g_hits);
  if (misses) *misses = atomic_load(&g_misses);
  if (coalesced) *coalesced = atomic_load(&g_coalesced);
}
