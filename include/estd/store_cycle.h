/* store_cycle.h - the EST cycle records in PostgreSQL: writable parties,
 * agreements (revisions, signing) and cooperation areas; meetings with
 * their frozen lägesbild; actions (insatser) with events as evidence;
 * indicator values and outcome targets; the follow-up report data.
 *
 * Documents are built by PostgreSQL (json_build_object) and passed
 * through. Writes take the normalized JSON text of the domain validators
 * (estd/cycle.h: a member present sets the column, null clears it, absent
 * keeps it) and run in one transaction on one pooled connection together
 * with their audit_log row (before and after images); any failure rolls
 * back all of it. References and uniqueness are the tables' constraints:
 * the violated constraint's name picks the field of the problem (never a
 * prior existence check). DELETE archives (archived_at, version bump,
 * audit "archive"); archived rows stay readable and are left out of lists
 * unless include_archived is set.
 *
 * The create/update/remove functions have the signatures of
 * http_resource (estd/http_resource.h). version 0 = any version. */
#ifndef ESTD_STORE_CYCLE_H
#define ESTD_STORE_CYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/store.h"
#include "estd/store_areas.h"

/* ---- parties, agreements, cooperation areas ---------------------------- */
est_result store_party_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                              store_area_fail *fail);
est_result store_party_update(est_pool *pool, const est_actor *who, long long id, long long version,
                              const char *patch, est_doc *out, store_area_fail *fail);
est_result store_party_archive(est_pool *pool, const est_actor *who, long long id, long long version,
                               store_area_fail *fail);

est_result store_agreement_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out,
                                  long long *id, store_area_fail *fail);
est_result store_agreement_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                  const char *patch, est_doc *out, store_area_fail *fail);
est_result store_agreement_archive(est_pool *pool, const est_actor *who, long long id, long long version,
                                   store_area_fail *fail);
/* A revision of agreement prev_id (body: validated with revision = true).
 * The revision rule (est_revision_check) is applied to the locked
 * predecessor; the new version gets the predecessor's parties (unless
 * party_ids is given) and cooperation areas, and with
 * carry_over_commitments (default) a copy of each commitment of the
 * predecessor that is not archived, linked by predecessor_commitment_id,
 * with its parties, areas and indicator, status planned and the target
 * period moved to the new validity. The predecessor is left as it was
 * (its history stays). EST_ENOTFOUND for prev_id, EST_ECONFLICT when it
 * already has a revision. */
est_result store_agreement_revise(est_pool *pool, const est_actor *who, long long prev_id, const char *body,
                                  est_doc *out, long long *id, store_area_fail *fail);
/* Signs agreement id at version (required): sets signed_on and records
 * each signatory's party with its role title and date.
 * EST_ECONFLICT when already signed. */
est_result store_agreement_sign(est_pool *pool, const est_actor *who, long long id, long long version,
                                const char *body, est_doc *out, store_area_fail *fail);

extern const char *const store_coop_areas_sorts[]; /* {"id","ordinal",NULL} */
typedef struct store_coop_area_filter {
  long long agreement_id; /* 0 = any */
  bool include_archived;
} store_coop_area_filter;
est_result store_coop_areas_list(est_pool *pool, const store_coop_area_filter *f, const est_list_query *q,
                                 est_page *out);
est_result store_coop_area_get(est_pool *pool, long long id, est_doc *out);
est_result store_coop_area_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out,
                                  long long *id, store_area_fail *fail);
est_result store_coop_area_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                  const char *patch, est_doc *out, store_area_fail *fail);
est_result store_coop_area_archive(est_pool *pool, const est_actor *who, long long id, long long version,
                                   store_area_fail *fail);

/* ---- meetings -------------------------------------------------------------- */
extern const char *const store_meetings_sorts[]; /* {"id","held_on",NULL} */
typedef struct store_meeting_filter {
  long long agreement_id, area_id, party_id; /* 0 = any */
  const char *from, *to;                     /* held_on range (inclusive), NULL = open */
  bool include_archived;
} store_meeting_filter;
est_result store_meetings_list(est_pool *pool, const store_meeting_filter *f, const est_list_query *q,
                               est_page *out);
est_result store_meeting_get(est_pool *pool, long long id, est_doc *out);
/* Records a meeting: body is est_meeting_validate's POST output;
 * snapshot (len bytes, the lägesbild exactly as served) and query (JSON
 * text of the parameters that produced it) are stored immutably with its
 * SHA-256, computed by PostgreSQL over the same bytes. Each chosen hot
 * spot becomes an area focus of the meeting's agreement (a rank names a
 * hot spot of the snapshot, whose hull becomes a new area of kind
 * hot_spot), each with its own audit row. */
est_result store_meeting_create(est_pool *pool, const est_actor *who, const char *body, const char *snapshot,
                                const char *query, est_doc *out, long long *id, store_area_fail *fail);
est_result store_meeting_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                const char *patch, est_doc *out, store_area_fail *fail);
est_result store_meeting_archive(est_pool *pool, const est_actor *who, long long id, long long version,
                                 store_area_fail *fail);
/* The frozen lägesbild: body (malloc'd), its length, media type, sha256
 * (both malloc'd) and the query JSON (malloc'd). */
typedef struct store_snapshot {
  char *body, *media_type, *sha256, *query;
  size_t len;
} store_snapshot;
est_result store_meeting_snapshot(est_pool *pool, long long id, store_snapshot *out);
void store_snapshot_free(store_snapshot *s);

/* ---- actions ---------------------------------------------------------------- */
extern const char *const store_actions_sorts[]; /* {"id","created_at","updated_at",NULL} */
typedef struct store_action_filter {
  long long agreement_id, commitment_id, meeting_id, party_id, area_id, found_in_action_id; /* 0 = any */
  const char *status;   /* NULL = any */
  int open;             /* -1 = any, 1 = planned/ongoing, 0 = done/cancelled */
  bool include_archived;
} store_action_filter;
est_result store_actions_list(est_pool *pool, const store_action_filter *f, const est_list_query *q, est_page *out);
est_result store_action_get(est_pool *pool, long long id, est_doc *out);
est_result store_action_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                               store_area_fail *fail);
est_result store_action_update(est_pool *pool, const est_actor *who, long long id, long long version,
                               const char *patch, est_doc *out, store_area_fail *fail);
est_result store_action_archive(est_pool *pool, const est_actor *who, long long id, long long version,
                                store_area_fail *fail);
/* Links (link = true) or unlinks event_id as evidence of action id at
 * version (0 = any), bumping the action's version. EST_ENOTFOUND for the
 * action or, on unlink, a link that does not exist; EST_EINVAL with
 * field "/event_id" for an unknown event. */
est_result store_action_evidence(est_pool *pool, const est_actor *who, long long id, long long version,
                                 long long event_id, bool link, est_doc *out, store_area_fail *fail);
/* Records a finding of trygghetsvandring id as a new action (same
 * agreement and commitment; area_id defaults to the walk's).
 * EST_EINVAL naming "/kind" when action id is not a trygghetsvandring. */
est_result store_action_finding(est_pool *pool, const est_actor *who, long long id, const char *body, est_doc *out,
                                long long *new_id, store_area_fail *fail);

/* ---- indicators and outcome targets ------------------------------------------ */
extern const char *const store_indicators_sorts[]; /* {"id","period_from",NULL} */
typedef struct store_indicator_filter {
  long long area_id;     /* 0 = any */
  const char *indicator; /* NULL = any */
  const char *measure;   /* NULL = any */
  const char *from, *to; /* only values whose period overlaps [from, to] */
  bool include_archived;
} store_indicator_filter;
est_result store_indicators_list(est_pool *pool, const store_indicator_filter *f, const est_list_query *q,
                                 est_page *out);
est_result store_indicator_get(est_pool *pool, long long id, est_doc *out);
est_result store_indicator_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out,
                                  long long *id, store_area_fail *fail);
est_result store_indicator_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                  const char *patch, est_doc *out, store_area_fail *fail);
est_result store_indicator_archive(est_pool *pool, const est_actor *who, long long id, long long version,
                                  store_area_fail *fail);

/* The outcome target of commitment id (JSON with the baseline value and
 * the latest value after it); EST_ENOTFOUND when none. */
est_result store_outcome_target_get(est_pool *pool, long long commitment_id, est_doc *out);
/* Creates or replaces it (version 0 = any); *created tells which. */
est_result store_outcome_target_put(est_pool *pool, const est_actor *who, long long commitment_id, long long version,
                                    const char *body, est_doc *out, bool *created, store_area_fail *fail);
est_result store_outcome_target_delete(est_pool *pool, const est_actor *who, long long commitment_id,
                                       long long version, store_area_fail *fail);

/* ---- follow-up ------------------------------------------------------------------ */
/* The follow-up data of agreement id for [from, to] (inclusive dates):
 * {agreement, period, commitments[{.., status_history, predecessor}],
 * actions[..], incident_trends[{area_id, code, name, total,
 * previous_total, series[{from, to, count}]}], indicators[..],
 * meetings[..], incidents{total, by_category[..]}, presence[..]}.
 * bucket: "day" | "week" | "month" for the trend series. Progress is not
 * attached (store_progress_for_commitments). EST_ENOTFOUND. */
est_result store_followup_data(est_pool *pool, long long agreement_id, const char *from, const char *to,
                               const char *bucket, json_t **out);
/* The agreement's validity (YYYY-MM-DD, inclusive, buffers >= 11). */
est_result store_agreement_period(est_pool *pool, long long id, char *from, char *to);

#endif
