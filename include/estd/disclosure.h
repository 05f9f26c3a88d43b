/* disclosure.h - the one disclosure policy: what a caller sees of events
 * and how every published count is protected (docs/SECURITY.md
 * "Disclosure control").
 *
 * Events. A caller with read-detail (admin implies it) sees every event in
 * full. Any other caller sees the events of its own party in full and no
 * row of another party's events at all: not in lists, not as a single
 * event (404), not as a GeoJSON feature, not as a progress last_event.
 * Coarse rows (category, day, area) are deliberately not offered: counting
 * them would give exact counts and undo the protection of the aggregates.
 * Derived locations (hot-spot centroid and hull) are shown to such callers
 * only on a fixed grid of EST_DISCLOSURE_GRID_M metres, and event times in
 * the freshness block only as the local date.
 *
 * Aggregates. Every count published to a caller without read-detail (or to
 * any caller who asks for min_count) is rounded to a multiple of the base k
 * by the cell key method (ABS/ONS): each event carries a secret random
 * record key (events.record_key, 31 bits, never served); a cell's key is the
 * sum of its events' record keys mod 2^31; the count c becomes k*floor(c/k)
 * or k*floor(c/k) + k, upwards with probability (c mod k)/k decided by the
 * cell key (unbiased). The same set of events always gives the same value,
 * and every published value is a multiple of k, so no integer combination
 * of published values can equal a true count in 1..k-1.
 *
 * Pure: no I/O. */
#ifndef ESTD_DISCLOSURE_H
#define ESTD_DISCLOSURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Grid (metres, EPSG:3006) on which non-detail callers see hot spots. */
#define EST_DISCLOSURE_GRID_M 100
/* Cell keys and record keys live in [0, 2^31). */
#define EST_CELL_KEY_MOD 2147483648LL
/* JSON members named EST_CK_PREFIX + X carry the cell key of member X
 * (store output only; the publication policy of privacy.h always removes
 * them). */
#define EST_CK_PREFIX "ck_"

/* The caller as the policy sees it (built from the authenticated principal,
 * whose scopes already include everything admin implies). */
typedef struct est_caller {
  long long party_id; /* the key's party; 0 = none */
  bool detail;        /* read-detail */
  bool admin;
} est_caller;

/* Which event rows a caller may see. */
typedef enum est_rows {
  EST_ROWS_ALL,   /* every event */
  EST_ROWS_PARTY, /* only the events of *party */
  EST_ROWS_NONE,  /* none */
} est_rows;
est_rows est_disclosure_rows(const est_caller *c, long long *party);

/* What the caller sees of one event of party event_party. With this policy
 * the fields are all shown or the event is not shown (visible false). */
typedef struct est_event_view {
  bool visible;    /* the event appears at all */
  bool position;   /* location, track */
  bool exact_time; /* occurred_at, received_at */
  bool description;
  bool place_name;
  bool attributes;
} est_event_view;
est_event_view est_disclosure_event(const est_caller *c, long long event_party);

/* Base k of the rounding for this caller: 0 (exact) for detail callers
 * unless they asked for min_count; else max(cfg_min, requested). requested
 * <= 0 = not asked. A result of 1 or less means exact. */
int est_disclosure_base(const est_caller *c, int cfg_min, int requested);

/* May the caller see derived positions (hot-spot hulls) exactly? */
bool est_disclosure_exact_geometry(const est_caller *c);

/* Events as map features (the OGC API events collection: every feature an
 * exact position and time): only for read-detail; admin sees every party's
 * events, any other read-detail caller only those of its own *party
 * (EST_ROWS_NONE without read-detail or without a party: 403). */
est_rows est_disclosure_feature_rows(const est_caller *c, long long *party);

/* Dead letters: all (admin) or only those of *party; EST_ROWS_NONE when the
 * key has no party. */
est_rows est_disclosure_dead_letters(const est_caller *c, long long *party);

/* The published value of count c with cell key ck under base k (k <= 1:
 * c). Deterministic; a multiple of k; E[result] = c over uniform keys. */
long long est_cell_round(long long c, uint32_t ck, int k);

/* {"method": "cell-key-rounding", "base": k} or JSON null for exact (k <= 1). */
json_t *est_protection_json(int k);

#endif
