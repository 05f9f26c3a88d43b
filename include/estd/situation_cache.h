/* situation_cache.h - an in-process, bounded LRU cache of rendered
 * situational pictures with single-flight computation (pure: no I/O; uses
 * pthreads).
 *
 * Key: the normalised query (the caller builds it; it must contain every
 * input that changes the body: area, period, bucket, eps, min_points,
 * include, media type, detail scope, effective min_count). Value: the
 * rendered body, its ETag and the data version it was computed from.
 *
 * Validity: a request first takes a ticket (est_scache_ticket), then reads
 * the current data version from the database, then calls est_scache_begin.
 * An entry serves the request when its version equals the request's, or
 * when its computation began after the request's ticket was taken (its
 * snapshot is then newer than the request's arrival). Otherwise the request
 * becomes the single computing "flight" for the key (EST_SCACHE_MISS) and
 * must end it with est_scache_fill or est_scache_abandon; identical
 * requests arriving meanwhile wait for it (EST_SCACHE_HIT when it serves
 * them, else one of them computes next).
 *
 * Bounds: at most max_entries entries and max_bytes of bodies (least
 * recently used entries are evicted; a body larger than max_bytes / 4 is
 * not kept). */
#ifndef ESTD_SITUATION_CACHE_H
#define ESTD_SITUATION_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct est_scache est_scache;

/* NULL when max_entries is 0 (cache off) or on allocation failure. */
est_scache *est_scache_create(size_t max_entries, size_t max_bytes);
void est_scache_destroy(est_scache *c);

/* A monotonic ticket; take it before reading the data version. */
uint64_t est_scache_ticket(est_scache *c);

/* Shared data version reads: the current data version for a request with
 * ticket, read by fn(arg, &version) (0 = success, version malloc'd) at most
 * once per round and version key vkey (requests with equal vkey read the
 * same version, e.g. the same buckets): concurrent requests share a read
 * of their vkey that began after their ticket was taken (so it is as fresh
 * as a read of their own), and wait for one in progress that began
 * earlier, then read again. Returns fn's non-zero result on failure, else
 * 0 with *version malloc'd (caller frees). Cuts the database round trips
 * of the cached path from one per request to about one per concurrent
 * burst and key (a bounded number of keys is tracked; beyond it a request
 * reads alone). */
typedef int (*est_scache_read_fn)(void *arg, char **version);
int est_scache_version(est_scache *c, const char *vkey, uint64_t ticket, est_scache_read_fn fn, void *arg,
                       char **version);

typedef enum { EST_SCACHE_HIT = 0, EST_SCACHE_MISS = 1 } est_scache_outcome;

#define EST_SCACHE_NOTE_MAX 64
/* A served body: malloc'd copy (caller frees body). */
typedef struct est_scache_body {
  char *body;
  size_t len;
  char etag[24];                  /* quoted strong ETag, see est_scache_etag */
  char note[EST_SCACHE_NOTE_MAX]; /* est_scache_begin: the note the body was filled with ("" none) */
} est_scache_body;

/* See the header comment. On HIT fills *out. On MISS *flight identifies the
 * flight to end (0 when the cache could not take the flight, e.g. every
 * slot is computing; fill/abandon with 0 are no-ops). now_ms: the caller's
 * clock, compared with the entry's expiry (est_scache_fill). Never fails. */
est_scache_outcome est_scache_begin(est_scache *c, const char *key, const char *version, uint64_t ticket,
                                    int64_t now_ms, est_scache_body *out, uint64_t *flight);
/* Stores the body computed by flight (copied) with its data version and
 * ETag, and wakes the waiters. expires_ms (0 = never): the body is not
 * served after that time (on the clock of est_scache_begin's now_ms), e.g.
 * because it contains parts allowed to lag their data only that long. note
 * (NULL or up to EST_SCACHE_NOTE_MAX - 1 bytes, else dropped): handed back
 * with every hit, e.g. the version of a memo the body was made from, which
 * each hit then proves current (est_scache_confirm). */
void est_scache_fill(est_scache *c, const char *key, uint64_t flight, const char *version, const char *body, size_t len,
                     const char *etag, int64_t expires_ms, const char *note);

/* A memo that tolerates bounded staleness (no single flight: the caller's
 * own single flight, e.g. the picture's, coalesces identical work): true
 * with a copy of key's body in *out when it was stored with an equal
 * version (*stale false), or with another version but at most max_age_ms
 * before now_ms (*stale true); *stamp_ms is the time it was computed
 * (est_scache_put) and out->etag its est_scache_etag. False otherwise (the
 * caller computes and puts). */
bool est_scache_peek(est_scache *c, const char *key, const char *version, int64_t now_ms, int64_t max_age_ms,
                     est_scache_body *out, int64_t *stamp_ms, bool *stale);
/* Stores body (copied) computed at stamp_ms from data at version, unless a
 * computation with a later stamp is already stored. */
void est_scache_put(est_scache *c, const char *key, const char *version, const char *body, size_t len,
                    int64_t stamp_ms);
/* Records that key's memo, when stored with an equal version, was still
 * current at stamp_ms (a later time than its computation): its stamp
 * becomes stamp_ms, so a memo served stale after a quiet period is as old
 * as the last proof that it was current, not as its computation. */
void est_scache_confirm(est_scache *c, const char *key, const char *version, int64_t stamp_ms);
/* Ends a flight without a result (error); wakes the waiters. */
void est_scache_abandon(est_scache *c, const char *key, uint64_t flight);

/* Strong ETag of a body: "\"" + 16 hex digits of its 64-bit FNV-1a hash + "\"" (out >= 24). */
void est_scache_etag(const char *body, size_t len, char out[24]);
/* Strong ETag, in the same form, of the body made from the body tagged etag
 * and part (len bytes) spliced into it: a hash of both tags' inputs, so a
 * cached body is hashed once and each response only hashes its part. */
void est_scache_etag_with(const char *etag, const char *part, size_t len, char out[24]);
/* true when the If-None-Match header value (may be NULL) matches etag ("*" or a listed tag, W/ ignored). */
bool est_scache_etag_match(const char *if_none_match, const char *etag);

/* Process-wide counters over every cache: requests served from the cache
 * (hits, including those that waited for a flight), computed (misses) and
 * waits for another request's computation (coalesced). */
void est_scache_counters(uint64_t *hits, uint64_t *misses, uint64_t *coalesced);

#endif
