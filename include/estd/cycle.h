/* cycle.h - the EST work cycle as records, the pure part: validation of
 * the bodies of parties, agreements (revisions, signing), cooperation
 * areas, meetings, actions (insatser), indicator values and outcome
 * targets; the rules for revision periods, action status transitions and
 * who may change an action; the judgement of an outcome indicator against
 * its baseline; follow-up periods per cadence; and the assembly of the
 * follow-up and statutory lägesbild reports (JSON to CSV / sections).
 *
 * Validators follow validate.h: every failing field is appended to
 * *errors (JSON pointers) and EST_EINVAL returned; on EST_OK *normalized
 * is a malloc'd JSON object text of the validated members (merge-patch
 * semantics). No I/O, no clock: "today" is always passed in. */
#ifndef ESTD_CYCLE_H
#define ESTD_CYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/buf.h"
#include "estd/result.h"
#include "estd/calendar.h"
#include "estd/period.h"
#include "estd/privacy.h"

/* Closed sets, NULL-terminated. */
extern const char *const est_party_kinds[];        /* police, municipality, housing_company, other */
extern const char *const est_agreement_kinds[];    /* samverkansoverenskommelse, medborgarlofte */
extern const char *const est_action_kinds[];       /* patrol, trygghetsvandring, cleanup, repair, ... */
extern const char *const est_action_statuses[];    /* planned, ongoing, done, cancelled */
extern const char *const est_indicators[];         /* trygghet, fortroende, utsatthet */
extern const char *const est_outcome_directions[]; /* increase, decrease */
extern const char *const est_cadences[];           /* week, quarter, year, period */

#define EST_CYCLE_MAX_PARTIES 20
#define EST_CYCLE_MAX_HOT_SPOTS 20
#define EST_CYCLE_MAX_DECISIONS 50

/* Party: code (slug), name (1..200), name_en, kind, description. POST needs
 * code, name, kind. */
est_result est_party_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* Agreement: code, kind, title (1..300), title_en, description, valid_from,
 * valid_to (>= valid_from), signed_on, complements_agreement_id, goals
 * (strings), party_ids (the parties to it). POST needs code, kind, title,
 * valid_from, valid_to. revision = true (POST .../revisions) also accepts
 * supersede (boolean, default false) and carry_over_commitments (boolean,
 * default true); kind is then optional (the predecessor's). */
est_result est_agreement_validate(const json_t *body, bool patch, bool revision, char **normalized, json_t **errors);

/* The revision rule. A revision must start after its predecessor starts;
 * a period that overlaps the predecessor's (new_from <= prev_to) needs
 * supersede (the predecessor then ends the day before new_from); supersede
 * without an overlap is refused as meaningless. EST_OK, or EST_EINVAL with
 * *field and *detail (static text). */
est_result est_revision_check(est_date prev_from, est_date prev_to, est_date new_from, est_date new_to, bool supersede,
                              const char **field, const char **detail);

/* Signing: {signed_on (date), signatories: [{party_id, role_title}]}
 * (1..20, distinct parties; role_title 1..200 characters, a title only:
 * no personnummer, no digits-only text). */
est_result est_signing_validate(const json_t *body, char **normalized, json_t **errors);

/* Cooperation area (samverkansområde): agreement_id (POST only), code,
 * title (1..500), title_en, description, ordinal (1..1000). */
est_result est_coop_area_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* Meeting. POST: agreement_id, held_on, area_id (null = whole
 * municipality), week (YYYY-Www; the lägesbild's period, default the ISO
 * week before held_on), party_ids (present, 1..20), title, notes,
 * decisions (strings), hot_spots: [{rank (1..50) | area_id, reason,
 * valid_from, valid_to, priority}] (the chosen hot spots). PATCH: only
 * title, notes, decisions, party_ids; a member that would change what the
 * meeting saw (held_on, area_id, week, agreement_id, hot_spots, snapshot,
 * snapshot_sha256) is EST_ECONFLICT naming the field (the snapshot is
 * immutable). */
est_result est_meeting_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* The week of a meeting's lägesbild: week text if given, else the ISO
 * week before held_on. */
est_result est_meeting_period(const char *held_on, const char *week, est_period *out);

/* Action: agreement_id, commitment_id, meeting_id, responsible_party_id,
 * area_id, area_focus_id (one of the two on POST), kind, title (1..200),
 * description, planned_from, planned_to (>= planned_from), status,
 * outcome_note. POST needs agreement_id, responsible_party_id, title. */
est_result est_action_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* A finding of a trygghetsvandring: title, description, responsible_party_id,
 * area_id (default: the walk's), kind (default repair), planned_to. */
est_result est_finding_validate(const json_t *body, char **normalized, json_t **errors);

/* Status transitions of an action: planned -> ongoing|done|cancelled,
 * ongoing -> planned|done|cancelled, done -> ongoing (reopened),
 * cancelled -> planned. Same status is always allowed. */
bool est_action_transition_allowed(const char *from, const char *to);

/* Who may change an action: an admin anything; the responsible party
 * (caller_party_id == current responsible_party_id) only status,
 * outcome_note, description, planned_from and planned_to. EST_OK or
 * EST_EFORBIDDEN with a reason in detail. */
est_result est_action_patch_allowed(const json_t *patch, const json_t *current, bool admin, long long caller_party_id,
                                    char *detail, size_t detail_len);

/* Indicator value: indicator, measure (slug), area_id, period_from,
 * period_to, value, unit (1..64), source (1..500), sample_size (>= 1),
 * margin_of_error (>= 0), note. POST needs all but sample_size,
 * margin_of_error and note. */
est_result est_indicator_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* Outcome target of a commitment (PUT): indicator, measure, area_id,
 * direction, baseline_value_id, all required. */
est_result est_outcome_target_validate(const json_t *body, char **normalized, json_t **errors);

/* Judgement of an outcome: the change from baseline to current is
 * significant only when |current - baseline| exceeds the combined margins
 * of error (moe_baseline + moe_current; a missing margin counts as 0 and
 * margins_known is false). Returns "improved", "worsened" (significant,
 * in or against direction) or "no_significant_change"; "no_data" when
 * has_current is false. */
typedef struct est_outcome_judgement {
  const char *verdict;
  double change; /* current - baseline */
  double combined_margin;
  bool significant;
  bool margins_known;
} est_outcome_judgement;
void est_outcome_judge(double baseline, bool has_moe_b, double moe_b, bool has_current, double current, bool has_moe_c,
                       double moe_c, const char *direction, est_outcome_judgement *out);

/* Follow-up period of a report. cadence: week (value YYYY-Www), quarter
 * (YYYY-Qn), year (YYYY) or period (the whole agreement; value must be
 * NULL). value NULL = the one containing today, or the agreement's last
 * when today is after it / first when before. The period is clipped to the
 * agreement's validity [agr_from, agr_to]; one outside it is EST_EINVAL.
 * *from / *to are inclusive. On failure *field and *detail (static). */
est_result est_followup_period(const char *cadence, const char *value, est_date agr_from, est_date agr_to,
                               est_date today, est_date *from, est_date *to, const char **field, const char **detail);

/* The follow-up report as CSV (RFC 4180, one header row): one row per
 * item with the columns section, id, code, area, title, status, value,
 * unit, from, to, note (see the function for what each section puts
 * where). doc is the JSON report of GET /v1/agreements/{id}/follow-up. */
est_result est_followup_csv(const json_t *doc, est_buf *b);

/* Privacy of a follow-up report: incident counts by category and per area
 * (totals, previous totals and each area's series; tables
 * "followup.by_category", "followup.area_total", "followup.area_previous",
 * "followup.area_series") go through the publication policy p
 * (est_publish_json) like the situational picture's; an area whose total
 * is hidden has its whole series hidden. Sets privacy {min_count,
 * suppression_applied}. In place. */
void est_followup_protect(json_t *doc, const est_publish_policy *p);

/* May reader (with rounding base reader_k) see a lägesbild frozen for the
 * caller taken_as with base taken_k? Only when it discloses no more than
 * the reader may see today: a read-detail snapshot needs read-detail; one
 * made for a party's own rows needs that party or read-detail; and the
 * reader's base must not be coarser (k <= 1 = exact). */
bool est_snapshot_visible(const est_caller *taken_as, int taken_k, const est_caller *reader, int reader_k);

/* What changed between a meeting's frozen lägesbild (then) and today's
 * recount of the same query (now), both situational picture documents:
 * {"total": {then, now, change}, "by_category": [{code, label_sv, then,
 * now, change}] (categories in either), "hot_spots": {then, now},
 * "newest_occurred_at": {then, now}, "changed": bool}. A suppressed
 * (null) count gives a null change. Caller owns the result. */
json_t *est_situation_diff(const json_t *then, const json_t *now);

/* The statutory lägesbild (lag 2023:196 § 4) from the assembled data
 * {agreement, period, incidents, trends, indicators, presence, actions,
 * meetings, commitments}: sections kartlaggning (mapping: incidents by
 * category and area, trends, survey indicators), ovrig_relevant_information
 * (presence, actions, meetings, commitments) and analys (placeholders for
 * the text people write: orsaker, utvecklingsomraden, prioriteringar).
 * Takes nothing; returns a new object (NULL on allocation failure). */
json_t *est_statutory_report(const json_t *data);

/* The statutory report as CSV: section, item, value rows. */
est_result est_statutory_csv(const json_t *doc, est_buf *b);

#endif
