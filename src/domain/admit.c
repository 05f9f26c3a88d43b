/* admit.c - the intake admission policy (see admit.h). Pure: the registry
 * look-ups are injected. */
#include "estd/admit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/personnummer.h"
#include "estd/problem.h"
#include "estd/util.h"

static est_event_reason refuse(json_t **errors, est_event_reason r, const char *field, const char *detail) {
  est_problem_add_error(errors, field, detail);
  return r;
}

/* A code as it may appear in a message: truncated, numbers redacted. */
static const char *shown(const char *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", s ? s : "");
  est_pnr_redact(buf);
  return buf;
}

static est_event_reason plausible_time(const est_event *ev, const est_admit_policy *p, json_t **errors) {
  long long t, floor_s = 0;
  est_rfc3339_epoch(EST_EVENT_TIME_FLOOR, &floor_s);
  if (!ev->occurred_at || !est_rfc3339_epoch(ev->occurred_at, &t))
    return refuse(errors, EST_REASON_SCHEMA, "/data/occurred_at", "must be an RFC 3339 date-time with offset");
  char d[200];
  if (t > p->now_s + p->max_future_s) {
    snprintf(d, sizeof d,
             "lies %lld s in the future; at most %ld s ahead of the server clock are accepted "
             "(ESTD_EVENT_MAX_FUTURE_S)",
             t - p->now_s, p->max_future_s);
    return refuse(errors, EST_REASON_IMPLAUSIBLE_TIME, "/data/occurred_at", d);
  }
  if (t < floor_s) {
    snprintf(d, sizeof d, "lies before %s, the earliest time estd accepts", EST_EVENT_TIME_FLOOR);
    return refuse(errors, EST_REASON_IMPLAUSIBLE_TIME, "/data/occurred_at", d);
  }
  return EST_REASON_NONE;
}

est_event_reason est_event_admit(est_event *ev, const est_admit_policy *p, const est_admit_lookup *lk, json_t **errors,
                                 est_result *rc) {
  *rc = EST_OK;
  char d[400], b1[72], b2[72], b3[136];
  const char *channel = p->channel ? p->channel : "the channel";
  /* 1. party bound to the channel (by code: the topic) */
  if (p->bound_code && p->bound_enforced && ev->party && strcmp(ev->party, p->bound_code) != 0) {
    snprintf(d, sizeof d, "%s is bound to party %s; the event claims %s", shown(channel, b3, sizeof b3),
             shown(p->bound_code, b1, sizeof b1), shown(ev->party, b2, sizeof b2));
    return refuse(errors, EST_REASON_PARTY_MISMATCH, "/party", d);
  }
  /* 2. missing party */
  if (!ev->party) {
    if (p->bound_code) {
      if (!(ev->party = strdup(p->bound_code))) return refuse(errors, EST_REASON_SCHEMA, "/party", "out of memory");
    } else if (p->bound_id) {
      ev->party_id = p->bound_id;
    } else {
      return refuse(errors, EST_REASON_SCHEMA, "/party",
                    "is required (CloudEvents extension attribute: party code), or bind the topic to a party");
    }
  }
  /* 3. resolving party and source */
  if (!ev->party_id) {
    est_result r = lk->party(lk->arg, ev->party, &ev->party_id);
    if (r == EST_ENOTFOUND) {
      snprintf(d, sizeof d, "'%s' is not a known party code", shown(ev->party, b1, sizeof b1));
      return refuse(errors, EST_REASON_UNKNOWN_PARTY, "/party", d);
    }
    if (r != EST_OK) {
      *rc = r;
      return EST_REASON_NONE;
    }
  }
  if (p->bound_id && p->bound_enforced && ev->party_id != p->bound_id) {
    snprintf(d, sizeof d, "%s may only submit events of its own party", shown(channel, b3, sizeof b3));
    return refuse(errors, EST_REASON_PARTY_MISMATCH, "/party", d);
  }
  if (!ev->source) return refuse(errors, EST_REASON_SCHEMA, "/source", "is required");
  est_result r = lk->source(lk->arg, ev->party_id, ev->source);
  if (r == EST_ENOTFOUND) {
    /* The source is not echoed: it may be what the screening below refuses. */
    snprintf(d, sizeof d, "is not registered for party %s (an administrator registers it: /v1/sources)",
             ev->party ? shown(ev->party, b1, sizeof b1) : "of the API key");
    return refuse(errors, EST_REASON_UNKNOWN_SOURCE, "/source", d);
  }
  if (r != EST_OK) {
    *rc = r;
    return EST_REASON_NONE;
  }
  /* 4. screening */
  est_event_reason sr = est_event_screen(ev, p->redact, errors);
  if (sr != EST_REASON_NONE) return sr;
  if (p->geocode && lk->geocode && (ev->flags & EST_EVENT_FLAG_POLICE_FEED) &&
      (r = lk->geocode(lk->arg, ev, p->geocode)) != EST_OK) {
    *rc = r;
    return EST_REASON_NONE;
  }
  /* 5. plausibility */
  return plausible_time(ev, p, errors);
}
