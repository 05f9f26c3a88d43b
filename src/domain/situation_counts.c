/* situation_counts.c - the counts document from the rollups' cells (see
 * situation_counts.h). Members, order and types follow the reference
 * statement COUNTS_SQL of store/situation.c, whose json_build_object calls
 * this replaces for the rollups. */
#include "estd/situation_counts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MOD 2147483648LL /* cell keys are sums mod 2^31 */

/* A count and its cell key. */
typedef struct cnt {
  long long n, ck;
} cnt;

static void cnt_add(cnt *c, long long n, long long ck) {
  c->n += n;
  c->ck = (c->ck + ck % CK_MOD + CK_MOD) % CK_MOD;
}

/* Document building: every set records a failure in *bad (out of memory). */
static void put(json_t *o, const char *key, json_t *v, bool *bad) {
  if (!v || json_object_set_new(o, key, v) != 0) *bad = true;
}
static void push(json_t *a, json_t *v, bool *bad) {
  if (!v || json_array_append_new(a, v) != 0) *bad = true;
}
static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }
/* "<name>": n, "ck_<name>": ck */
static void put_cnt(json_t *o, const char *name, cnt c, bool *bad) {
  char ck[32];
  snprintf(ck, sizeof ck, "ck_%s", name);
  put(o, name, json_integer(c.n), bad);
  put(o, ck, json_integer(c.ck), bad);
}
static void put_periods(json_t *o, const cnt c[3], bool *bad) {
  put_cnt(o, "count", c[0], bad);
  put_cnt(o, "previous", c[1], bad);
  put_cnt(o, "year_ago", c[2], bad);
}
/* json_agg of no rows is null. */
static json_t *list_or_null(json_t *a) {
  if (a && json_array_size(a) == 0) {
    json_decref(a);
    return json_null();
  }
  return a;
}

est_result est_counts_document(const est_counts_rows *r, json_t **out) {
  *out = NULL;
  cnt total[3] = {{0, 0}, {0, 0}, {0, 0}};
  cnt *cat = calloc(r->ncategories * 3 + 1, sizeof *cat), *party = calloc(r->nparties * 3 + 1, sizeof *party);
  /* the series: buckets from the period's first (its Monday by week) to its last day */
  long step = r->by_week ? 7 : 1, first = est_date_to_days(r->from);
  if (r->by_week) first -= est_date_weekday(r->from);
  long last = est_date_to_days(r->to) - 1, nbuckets = last >= first ? (last - first) / step + 1 : 0;
  cnt *series = calloc((size_t)nbuckets + 1, sizeof *series);
  cnt weekday[7] = {{0, 0}}, hour[24] = {{0, 0}}, wdh[7][24] = {{{0, 0}}};
  if (!cat || !party || !series) {
    free(cat);
    free(party);
    free(series);
    return EST_ENOMEM;
  }
  for (size_t i = 0; i < r->ncells; i++) {
    const est_counts_cell *c = &r->cells[i];
    if (c->per < 0 || c->per > 2) continue; /* as the reference's joins: a cell of no period shows nowhere */
    cnt_add(&total[c->per], c->n, c->ck);
    for (size_t k = 0; c->category && k < r->ncategories; k++)
      if (r->categories[k].code && strcmp(r->categories[k].code, c->category) == 0) {
        cnt_add(&cat[k * 3 + (size_t)c->per], c->n, c->ck);
        break;
      }
    for (size_t k = 0; k < r->nparties; k++)
      if (r->parties[k].id == c->party_id) {
        cnt_add(&party[k * 3 + (size_t)c->per], c->n, c->ck);
        break;
      }
  }
  for (size_t i = 0; i < r->nhours; i++) {
    const est_counts_hour *h = &r->hours[i];
    long b = est_date_to_days(h->bucket) - first;
    if (b >= 0 && b % step == 0 && b / step < nbuckets) cnt_add(&series[b / step], h->n, h->ck);
    if (h->dow < 1 || h->dow > 7 || h->hour < 0 || h->hour > 23) continue;
    cnt_add(&weekday[h->dow - 1], h->n, h->ck);
    cnt_add(&hour[h->hour], h->n, h->ck);
    cnt_add(&wdh[h->dow - 1][h->hour], h->n, h->ck);
  }

  bool bad = false;
  json_t *doc = json_object(), *o = json_object();
  if (!doc) {
    json_decref(o);
    free(cat);
    free(party);
    free(series);
    return EST_ENOMEM;
  }
  if (o) put_periods(o, total, &bad);
  put(doc, "total", o, &bad);

  json_t *a = json_array();
  for (size_t k = 0; a && k < r->ncategories; k++) {
    json_t *e = json_object();
    if (e) {
      put(e, "code", str_or_null(r->categories[k].code), &bad);
      put(e, "label_sv", str_or_null(r->categories[k].label_sv), &bad);
      put(e, "label_en", str_or_null(r->categories[k].label_en), &bad);
      put_periods(e, &cat[k * 3], &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "by_category", list_or_null(a), &bad);

  a = json_array();
  for (size_t k = 0; a && k < r->nparties; k++) {
    json_t *e = json_object();
    if (e) {
      put(e, "party_id", json_integer(r->parties[k].id), &bad);
      put(e, "code", str_or_null(r->parties[k].code), &bad);
      put(e, "name", str_or_null(r->parties[k].name), &bad);
      put_periods(e, &party[k * 3], &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "by_party", list_or_null(a), &bad);

  a = json_array();
  for (long b = 0; a && b < nbuckets; b++) {
    json_t *e = json_object();
    char d[11];
    est_date_format(est_date_from_days(first + b * step), d, sizeof d);
    if (e) {
      put(e, "start", json_string(d), &bad);
      put_cnt(e, "count", series[b], &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "series", list_or_null(a), &bad);

  static const char *const names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  a = json_array();
  for (int w = 0; a && w < 7; w++) {
    json_t *e = json_object();
    if (e) {
      put(e, "weekday", json_integer(w + 1), &bad);
      put(e, "name", json_string(names[w]), &bad);
      put_cnt(e, "count", weekday[w], &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "by_weekday", a, &bad);

  a = json_array();
  for (int h = 0; a && h < 24; h++) {
    json_t *e = json_object();
    if (e) {
      put(e, "hour", json_integer(h), &bad);
      put_cnt(e, "count", hour[h], &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "by_hour", a, &bad);

  a = json_array();
  for (int w = 0; a && w < 7; w++)
    for (int h = 0; h < 24; h++) {
      json_t *e = json_object();
      if (e) {
        put(e, "weekday", json_integer(w + 1), &bad);
        put(e, "hour", json_integer(h), &bad);
        put_cnt(e, "count", wdh[w][h], &bad);
      }
      push(a, e, &bad);
    }
  put(doc, "by_weekday_hour", a, &bad);

  a = json_array();
  for (size_t k = 0; a && k < r->nareas; k++) {
    const est_counts_area *ar = &r->areas[k];
    json_t *e = json_object();
    if (e) {
      put(e, "area_id", json_integer(ar->id), &bad);
      put(e, "code", str_or_null(ar->code), &bad);
      put(e, "name", str_or_null(ar->name), &bad);
      put_cnt(e, "count", ar->has_counts ? (cnt){ar->n, ar->ck} : total[0], &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "by_area", list_or_null(a), &bad);

  a = json_array();
  for (size_t k = 0; a && k < r->nparties; k++) {
    const est_counts_source *s = NULL;
    for (size_t j = 0; j < r->nsources && !s; j++)
      if (r->sources[j].party_id == r->parties[k].id) s = &r->sources[j];
    json_t *e = json_object();
    if (e) {
      put(e, "party_id", json_integer(r->parties[k].id), &bad);
      put(e, "code", str_or_null(r->parties[k].code), &bad);
      put(e, "name", str_or_null(r->parties[k].name), &bad);
      put(e, "events", json_integer(s ? s->events : 0), &bad);
      put(e, "latest_occurred_at", str_or_null(s ? s->latest : NULL), &bad);
      put(e, "latest_date", str_or_null(s ? s->latest_date : NULL), &bad);
      put(e, "reported", json_boolean(s != NULL), &bad);
    }
    push(a, e, &bad);
  }
  put(doc, "sources", list_or_null(a), &bad);

  free(cat);
  free(party);
  free(series);
  if (bad) {
    json_decref(doc);
    return EST_ENOMEM;
  }
  *out = doc;
  return EST_OK;
}
