/* cycle.c - EST cycle records: validation and pure rules (see cycle.h). */
#include "estd/cycle.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/csv.h"
#include "estd/personnummer.h"
#include "estd/privacy.h"
#include "estd/problem.h"
#include "estd/util.h"
#include "estd/validate.h"

const char *const est_party_kinds[] = {"police", "municipality", "housing_company", "other", NULL};
const char *const est_agreement_kinds[] = {"samverkansoverenskommelse", "medborgarlofte", NULL};
const char *const est_action_kinds[] = {"patrol",      "trygghetsvandring", "cleanup", "repair",
                                        "information", "operativ_insats",   "other",   NULL};
const char *const est_action_statuses[] = {"planned", "ongoing", "done", "cancelled", NULL};
const char *const est_indicators[] = {"trygghet", "fortroende", "utsatthet", NULL};
const char *const est_outcome_directions[] = {"increase", "decrease", NULL};
const char *const est_cadences[] = {"week", "quarter", "year", "period", NULL};

static const char *const ID_MSG = "must be a positive integer id";

/* Members a PATCH may not name (read-only); each is an error. */
static void v_readonly(est_vctx *v, const json_t *body, const char *const *keys) {
  for (int i = 0; keys[i]; i++)
    if (json_object_get(body, keys[i])) {
      char p[80];
      snprintf(p, sizeof p, "/%s", keys[i]);
      est_v_err(v, p, "is read-only");
    }
}

static bool date_order(est_vctx *v, const char *from, const char *to, const char *to_field) {
  if (from && to && strcmp(to, from) < 0) {
    char msg[80];
    snprintf(msg, sizeof msg, "must not be before %s",
             strcmp(to_field, "/valid_to") == 0    ? "valid_from"
             : strcmp(to_field, "/period_to") == 0 ? "period_from"
                                                   : "planned_from");
    est_v_err(v, to_field, msg);
    return false;
  }
  return true;
}

static const char *const READONLY[] = {"id", "created_at", "updated_at", "version", "archived_at", NULL};

/* est_v_begin, then: no member outside known, none of the server's
 * (READONLY) and none of derived (NULL: none). */
static est_result v_open(est_vctx *v, const json_t *body, const char *const *known, const char *const *derived,
                         char **normalized, json_t **errors) {
  est_result rc = est_v_open(v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
  v_readonly(v, body, READONLY);
  if (derived) v_readonly(v, body, derived);
  return EST_OK;
}

est_result est_party_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"code",       "name",       "name_en", "kind",        "description", "id",
                                      "created_at", "updated_at", "version", "archived_at", NULL};
  est_vctx v;
  est_result rc = v_open(&v, body, known, NULL, normalized, errors);
  if (rc != EST_OK) return rc;
  if (!patch || json_object_get(body, "code")) {
    if (!json_object_get(body, "code") && !patch) est_v_err(&v, "/code", "is required");
    else if (json_is_null(json_object_get(body, "code"))) est_v_err(&v, "/code", "must not be null");
    else est_v_slug(&v, body, "code");
  }
  est_v_string(&v, body, "name", !patch, false, 1, 200);
  est_v_string(&v, body, "name_en", false, true, 1, 200);
  est_v_enum(&v, body, "kind", !patch, est_party_kinds);
  est_v_string(&v, body, "description", false, true, 0, 4000);
  return est_v_finish(&v, normalized);
}

est_result est_agreement_validate(const json_t *body, bool patch, bool revision, char **normalized, json_t **errors) {
  static const char *const known[] = {"code",
                                      "kind",
                                      "title",
                                      "title_en",
                                      "description",
                                      "valid_from",
                                      "valid_to",
                                      "signed_on",
                                      "complements_agreement_id",
                                      "goals",
                                      "party_ids",
                                      "supersede",
                                      "carry_over_commitments",
                                      "id",
                                      "created_at",
                                      "updated_at",
                                      "version",
                                      "archived_at",
                                      "previous_agreement_id",
                                      "supersedes",
                                      "parties",
                                      "cooperation_areas",
                                      NULL};
  static const char *const derived[] = {"previous_agreement_id", "supersedes", "parties", "cooperation_areas", NULL};
  est_vctx v;
  est_result rc = v_open(&v, body, known, derived, normalized, errors);
  if (rc != EST_OK) return rc;
  if (!revision) {
    if (json_object_get(body, "supersede")) est_v_err(&v, "/supersede", "only for a revision (POST .../revisions)");
    if (json_object_get(body, "carry_over_commitments"))
      est_v_err(&v, "/carry_over_commitments", "only for a revision (POST .../revisions)");
  } else {
    est_v_bool(&v, body, "supersede");
    est_v_bool(&v, body, "carry_over_commitments");
  }
  const json_t *code = json_object_get(body, "code");
  if (!code && !patch) est_v_err(&v, "/code", "is required");
  else if (code && json_is_null(code)) est_v_err(&v, "/code", "must not be null");
  else if (code) est_v_slug(&v, body, "code");
  est_v_enum(&v, body, "kind", !patch && !revision, est_agreement_kinds);
  est_v_string(&v, body, "title", !patch, false, 1, 300);
  est_v_string(&v, body, "title_en", false, true, 1, 300);
  est_v_string(&v, body, "description", false, true, 0, 8000);
  const char *from = est_v_date(&v, body, "valid_from", !patch, false);
  const char *to = est_v_date(&v, body, "valid_to", !patch, false);
  date_order(&v, from, to, "/valid_to");
  est_date cal;
  if (from && !est_date_parse(from, &cal)) est_v_err(&v, "/valid_from", "must be a date from 1900 to 9999");
  if (to && !est_date_parse(to, &cal)) est_v_err(&v, "/valid_to", "must be a date from 1900 to 9999");
  est_v_date(&v, body, "signed_on", false, true);
  est_v_int(&v, body, "complements_agreement_id", false, true, 1, INT64_MAX, ID_MSG);
  est_v_strings(&v, body, "goals", false, 50, 500);
  est_v_ids(&v, body, "party_ids", false, EST_CYCLE_MAX_PARTIES, false);
  return est_v_finish(&v, normalized);
}

est_result est_revision_check(est_date prev_from, est_date prev_to, est_date new_from, est_date new_to, bool supersede,
                              const char **field, const char **detail) {
  long pf = est_date_to_days(prev_from), pt = est_date_to_days(prev_to), nf = est_date_to_days(new_from);
  (void)new_to;
  *field = *detail = NULL;
  if (nf <= pf) {
    *field = "/valid_from";
    *detail = "a revision must start after the agreement it revises starts";
    return EST_EINVAL;
  }
  bool overlap = nf <= pt;
  if (overlap && !supersede) {
    *field = "/valid_from";
    *detail =
        "the period overlaps the previous version's period; set supersede to true to replace the previous "
        "version from valid_from, or start after its valid_to";
    return EST_EINVAL;
  }
  if (!overlap && supersede) {
    *field = "/supersede";
    *detail = "the period does not overlap the previous version's; there is nothing to supersede";
    return EST_EINVAL;
  }
  return EST_OK;
}

/* A role title: a title, not a person: no personnummer, not only digits. */
static bool role_title_ok(const char *s) {
  if (!s) return false;
  size_t n = est_utf8_length(s);
  if (n < 1 || n > 200 || est_pnr_contains(s)) return false;
  bool letter = false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) letter = true;
  return letter;
}

est_result est_signing_validate(const json_t *body, char **normalized, json_t **errors) {
  static const char *const known[] = {"signed_on", "signatories", NULL};
  est_vctx v;
  est_result rc = est_v_open(&v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_date(&v, body, "signed_on", true, false);
  const json_t *s = est_v_field(&v, body, "signatories", true, false);
  if (s) {
    if (!json_is_array(s) || json_array_size(s) < 1 || json_array_size(s) > EST_CYCLE_MAX_PARTIES) {
      est_v_err(&v, "/signatories", "must be an array of 1 to 20 {party_id, role_title} objects");
    } else {
      bool ok = true;
      for (size_t i = 0; i < json_array_size(s); i++) {
        json_t *e = json_array_get(s, i);
        char p[64];
        json_t *pid = json_object_get(e, "party_id"), *rt = json_object_get(e, "role_title");
        if (!json_is_object(e) || json_object_size(e) != 2 || !pid || !rt) {
          snprintf(p, sizeof p, "/signatories/%zu", i);
          est_v_err(&v, p, "must be an object with exactly party_id and role_title");
          ok = false;
          continue;
        }
        if (!json_is_integer(pid) || json_integer_value(pid) < 1) {
          snprintf(p, sizeof p, "/signatories/%zu/party_id", i);
          est_v_err(&v, p, ID_MSG);
          ok = false;
        }
        for (size_t j = 0; j < i; j++)
          if (json_equal(pid, json_object_get(json_array_get(s, j), "party_id"))) {
            snprintf(p, sizeof p, "/signatories/%zu/party_id", i);
            est_v_err(&v, p, "each party signs once");
            ok = false;
          }
        if (!json_is_string(rt) || strlen(json_string_value(rt)) != json_string_length(rt) ||
            !role_title_ok(json_string_value(rt))) {
          snprintf(p, sizeof p, "/signatories/%zu/role_title", i);
          est_v_err(&v, p,
                    est_pnr_contains(json_string_value(rt) ? json_string_value(rt) : "")
                        ? EST_PNR_DETAIL
                        : "must be the signatory's role title (1 to 200 characters, e.g. "
                          "'Lokalpolisområdeschef'), never a name or number");
          ok = false;
        }
      }
      if (ok) json_object_set(v.out, "signatories", (json_t *)s);
    }
  }
  return est_v_finish(&v, normalized);
}

est_result est_coop_area_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"agreement_id", "code",       "title",      "title_en", "description", "ordinal",
                                      "id",           "created_at", "updated_at", "version",  "archived_at", NULL};
  est_vctx v;
  est_result rc = v_open(&v, body, known, NULL, normalized, errors);
  if (rc != EST_OK) return rc;
  if (patch) {
    if (json_object_get(body, "agreement_id"))
      est_v_err(&v, "/agreement_id", "a cooperation area cannot move to another agreement");
  } else {
    est_v_int(&v, body, "agreement_id", true, false, 1, INT64_MAX, ID_MSG);
  }
  const json_t *code = json_object_get(body, "code");
  if (!code && !patch) est_v_err(&v, "/code", "is required");
  else if (code && json_is_null(code)) est_v_err(&v, "/code", "must not be null");
  else if (code) est_v_slug(&v, body, "code");
  est_v_string(&v, body, "title", !patch, false, 1, 500);
  est_v_string(&v, body, "title_en", false, true, 1, 500);
  est_v_string(&v, body, "description", false, true, 0, 8000);
  est_v_int(&v, body, "ordinal", !patch, false, 1, 1000, "must be an integer from 1 to 1000");
  return est_v_finish(&v, normalized);
}

/* hot_spots: [{rank | area_id, reason, valid_from, valid_to, priority}]. */
static void v_hot_spots(est_vctx *v, const json_t *body) {
  const json_t *hs = est_v_field(v, body, "hot_spots", false, false);
  if (!hs) return;
  if (!json_is_array(hs) || json_array_size(hs) > EST_CYCLE_MAX_HOT_SPOTS) {
    est_v_err(v, "/hot_spots", "must be an array of at most 20 chosen hot spots");
    return;
  }
  static const char *const known[] = {"rank", "area_id", "reason", "valid_from", "valid_to", "priority", NULL};
  json_t *out = json_array();
  for (size_t i = 0; i < json_array_size(hs); i++) {
    json_t *h = json_array_get(hs, i);
    char base[32], p[64];
    snprintf(base, sizeof base, "/hot_spots/%zu", i);
    if (!json_is_object(h)) {
      est_v_err(v, base, "must be an object");
      continue;
    }
    est_vctx sub = {v->errors, 0, json_object()};
    est_v_unknown(&sub, h, known);
    bool r =
        est_v_int(&sub, h, "rank", false, false, 1, 50, "must be the rank (1 to 50) of a hot spot of the lägesbild");
    bool a = est_v_int(&sub, h, "area_id", false, false, 1, INT64_MAX, ID_MSG);
    if (r == a && !sub.nerrors)
      est_v_err(&sub, "/rank", "give exactly one of rank (a hot spot of the lägesbild) and area_id");
    est_v_string(&sub, h, "reason", true, false, 1, 4000);
    const char *from = est_v_date(&sub, h, "valid_from", true, false);
    const char *to = est_v_date(&sub, h, "valid_to", true, false);
    date_order(&sub, from, to, "/valid_to");
    est_v_int(&sub, h, "priority", false, false, 1, 5, "must be an integer from 1 (highest) to 5 (lowest)");
    /* Re-root the sub-errors under /hot_spots/i. */
    if (sub.nerrors) {
      size_t n = json_array_size(*v->errors);
      for (size_t k = n - (size_t)sub.nerrors; k < n; k++) {
        json_t *e = json_array_get(*v->errors, k);
        snprintf(p, sizeof p, "%s%s", base, json_string_value(json_object_get(e, "field")));
        json_object_set_new(e, "field", json_string(p));
      }
      v->nerrors += sub.nerrors;
    }
    json_array_append_new(out, sub.out);
  }
  json_object_set_new(v->out, "hot_spots", out);
}

est_result est_meeting_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"agreement_id",    "held_on",    "area_id",   "week",        "party_ids",
                                      "title",           "notes",      "decisions", "hot_spots",   "id",
                                      "created_at",      "updated_at", "version",   "archived_at", "snapshot",
                                      "snapshot_sha256", "focus_ids",  "period",    NULL};
  static const char *const frozen[] = {"agreement_id", "held_on",         "area_id",   "week",   "hot_spots",
                                       "snapshot",     "snapshot_sha256", "focus_ids", "period", NULL};
  est_vctx v;
  est_result rc = est_v_open(&v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
  if (v.nerrors) return est_v_finish(&v, normalized);
  v_readonly(&v, body, READONLY);
  if (patch) {
    for (int i = 0; frozen[i]; i++)
      if (json_object_get(body, frozen[i])) {
        char p[48];
        snprintf(p, sizeof p, "/%s", frozen[i]);
        est_v_err(&v, p, "is part of what the meeting saw (its frozen lägesbild) and cannot be changed");
      }
    if (v.nerrors) {
      est_v_finish(&v, normalized);
      return EST_ECONFLICT;
    }
  } else {
    if (json_object_get(body, "snapshot") || json_object_get(body, "snapshot_sha256"))
      est_v_err(&v, "/snapshot", "the lägesbild is taken by the server when the meeting is recorded");
    est_v_int(&v, body, "agreement_id", true, false, 1, INT64_MAX, ID_MSG);
    const char *held = est_v_date(&v, body, "held_on", true, false);
    est_v_int(&v, body, "area_id", false, true, 1, INT64_MAX, ID_MSG);
    const json_t *w = est_v_field(&v, body, "week", false, false);
    int y, wk;
    if (w && (!json_is_string(w) || !est_iso_week_parse(json_string_value(w), &y, &wk)))
      est_v_err(&v, "/week", "must be an ISO week YYYY-Www");
    else if (w) json_object_set(v.out, "week", (json_t *)w);
    est_period per;
    if (held && !v.nerrors && est_meeting_period(held, w ? json_string_value(w) : NULL, &per) != EST_OK) {
      est_v_err(&v, "/held_on", "must be a date from 1900 to 9999");
    } else if (held && !v.nerrors) {
      char f[11], t[11];
      est_date_format(per.from, f, sizeof f);
      est_date_format(per.to, t, sizeof t);
      json_object_set_new(v.out, "period", json_pack("{s:s, s:s}", "from", f, "to", t));
      char wb[16];
      snprintf(wb, sizeof wb, "%04d-W%02d", per.iso_year, per.iso_week);
      json_object_set_new(v.out, "week", json_string(wb));
    }
    v_hot_spots(&v, body);
  }
  est_v_ids(&v, body, "party_ids", !patch, EST_CYCLE_MAX_PARTIES, true);
  est_v_string(&v, body, "title", false, true, 1, 200);
  est_v_string(&v, body, "notes", false, true, 0, 8000);
  est_v_strings(&v, body, "decisions", false, EST_CYCLE_MAX_DECISIONS, 2000);
  return est_v_finish(&v, normalized);
}

est_result est_meeting_period(const char *held_on, const char *week, est_period *out) {
  est_date d;
  if (!est_date_parse(held_on, &d)) return EST_EINVAL;
  int y, w;
  if (week) {
    if (!est_iso_week_parse(week, &y, &w)) return EST_EINVAL;
  } else {
    est_iso_week_of(est_date_from_days(est_date_to_days(d) - 7), &y, &w);
  }
  out->from = est_iso_week_monday(y, w);
  out->to = est_date_from_days(est_date_to_days(out->from) + 7);
  out->iso_year = y;
  out->iso_week = w;
  return EST_OK;
}

static void v_action_common(est_vctx *v, const json_t *body, bool patch) {
  est_v_enum(v, body, "kind", false, est_action_kinds);
  est_v_string(v, body, "title", !patch, false, 1, 200);
  est_v_string(v, body, "description", false, true, 0, 4000);
  const char *from = est_v_date(v, body, "planned_from", false, true);
  const char *to = est_v_date(v, body, "planned_to", false, true);
  date_order(v, from, to, "/planned_to");
  est_v_int(v, body, "responsible_party_id", !patch, false, 1, INT64_MAX, ID_MSG);
}

est_result est_action_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"agreement_id",
                                      "commitment_id",
                                      "meeting_id",
                                      "responsible_party_id",
                                      "area_id",
                                      "area_focus_id",
                                      "kind",
                                      "title",
                                      "description",
                                      "planned_from",
                                      "planned_to",
                                      "status",
                                      "outcome_note",
                                      "id",
                                      "created_at",
                                      "updated_at",
                                      "version",
                                      "archived_at",
                                      "found_in_action_id",
                                      "evidence",
                                      NULL};
  static const char *const derived[] = {"found_in_action_id", "evidence", NULL};
  est_vctx v;
  est_result rc = v_open(&v, body, known, derived, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_int(&v, body, "agreement_id", !patch, false, 1, INT64_MAX, ID_MSG);
  est_v_int(&v, body, "commitment_id", false, true, 1, INT64_MAX, ID_MSG);
  est_v_int(&v, body, "meeting_id", false, true, 1, INT64_MAX, ID_MSG);
  bool a = est_v_int(&v, body, "area_id", false, true, 1, INT64_MAX, ID_MSG);
  bool f = est_v_int(&v, body, "area_focus_id", false, true, 1, INT64_MAX, ID_MSG);
  if (!patch && !a && !f && !json_is_integer(json_object_get(body, "area_id")) &&
      !json_is_integer(json_object_get(body, "area_focus_id")))
    est_v_err(&v, "/area_id", "an action needs a place: area_id (an area or hot spot) or area_focus_id");
  v_action_common(&v, body, patch);
  est_v_enum(&v, body, "status", false, est_action_statuses);
  est_v_string(&v, body, "outcome_note", false, true, 0, 4000);
  return est_v_finish(&v, normalized);
}

est_result est_finding_validate(const json_t *body, char **normalized, json_t **errors) {
  static const char *const known[] = {"title", "description",  "responsible_party_id", "area_id",
                                      "kind",  "planned_from", "planned_to",           NULL};
  est_vctx v;
  est_result rc = est_v_open(&v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_int(&v, body, "area_id", false, false, 1, INT64_MAX, ID_MSG);
  v_action_common(&v, body, false);
  return est_v_finish(&v, normalized);
}

bool est_action_transition_allowed(const char *from, const char *to) {
  if (!from || !to) return false;
  if (strcmp(from, to) == 0) return true;
  static const char *const allowed[][2] = {
      {"planned", "ongoing"}, {"planned", "done"},      {"planned", "cancelled"}, {"ongoing", "planned"},
      {"ongoing", "done"},    {"ongoing", "cancelled"}, {"done", "ongoing"},      {"cancelled", "planned"},
  };
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (strcmp(allowed[i][0], from) == 0 && strcmp(allowed[i][1], to) == 0) return true;
  return false;
}

est_result est_action_patch_allowed(const json_t *patch, const json_t *current, bool admin, long long caller_party_id,
                                    char *detail, size_t detail_len) {
  if (admin) return EST_OK;
  long long owner = json_integer_value(json_object_get(current, "responsible_party_id"));
  if (caller_party_id == 0 || caller_party_id != owner) {
    snprintf(detail, detail_len, "only the responsible party (party %lld) or an admin may update this action", owner);
    return EST_EFORBIDDEN;
  }
  static const char *const mine[] = {"status", "outcome_note", "description", "planned_from", "planned_to", NULL};
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)patch, key, val) {
    (void)val;
    bool ok = false;
    for (int i = 0; mine[i] && !ok; i++) ok = strcmp(mine[i], key) == 0;
    if (!ok) {
      snprintf(detail, detail_len,
               "the responsible party may change status, outcome_note, description and the "
               "planned dates; '%.60s' needs an admin",
               key);
      return EST_EFORBIDDEN;
    }
  }
  return EST_OK;
}

est_result est_indicator_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"indicator",   "measure", "area_id",    "period_from", "period_to",
                                      "value",       "unit",    "source",     "sample_size", "margin_of_error",
                                      "note",        "id",      "created_at", "updated_at",  "version",
                                      "archived_at", NULL};
  est_vctx v;
  est_result rc = v_open(&v, body, known, NULL, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_enum(&v, body, "indicator", !patch, est_indicators);
  const json_t *m = json_object_get(body, "measure");
  if (!m && !patch) est_v_err(&v, "/measure", "is required");
  else if (m && json_is_null(m)) est_v_err(&v, "/measure", "must not be null");
  else if (m) est_v_slug(&v, body, "measure");
  est_v_int(&v, body, "area_id", !patch, false, 1, INT64_MAX, ID_MSG);
  const char *from = est_v_date(&v, body, "period_from", !patch, false);
  const char *to = est_v_date(&v, body, "period_to", !patch, false);
  date_order(&v, from, to, "/period_to");
  est_v_number(&v, body, "value", !patch, false, -1e12, 1e12, NULL);
  est_v_string(&v, body, "unit", !patch, false, 1, 64);
  est_v_string(&v, body, "source", !patch, false, 1, 500);
  est_v_int(&v, body, "sample_size", false, true, 1, 100000000, "must be a positive integer");
  est_v_number(&v, body, "margin_of_error", false, true, 0, 1e12, NULL);
  est_v_string(&v, body, "note", false, true, 0, 4000);
  return est_v_finish(&v, normalized);
}

est_result est_outcome_target_validate(const json_t *body, char **normalized, json_t **errors) {
  static const char *const known[] = {"indicator", "measure", "area_id", "direction", "baseline_value_id", NULL};
  est_vctx v;
  est_result rc = est_v_open(&v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_enum(&v, body, "indicator", true, est_indicators);
  if (!json_object_get(body, "measure")) est_v_err(&v, "/measure", "is required");
  else est_v_slug(&v, body, "measure");
  est_v_int(&v, body, "area_id", true, false, 1, INT64_MAX, ID_MSG);
  est_v_enum(&v, body, "direction", true, est_outcome_directions);
  est_v_int(&v, body, "baseline_value_id", true, false, 1, INT64_MAX, ID_MSG);
  return est_v_finish(&v, normalized);
}

void est_outcome_judge(double baseline, bool has_moe_b, double moe_b, bool has_current, double current, bool has_moe_c,
                       double moe_c, const char *direction, est_outcome_judgement *out) {
  memset(out, 0, sizeof *out);
  out->margins_known = has_moe_b && has_moe_c;
  out->combined_margin = (has_moe_b ? moe_b : 0.0) + (has_moe_c ? moe_c : 0.0);
  if (!has_current) {
    out->verdict = "no_data";
    return;
  }
  out->change = current - baseline;
  out->significant = fabs(out->change) > out->combined_margin;
  if (!out->significant) {
    out->verdict = "no_significant_change";
    return;
  }
  bool up = out->change > 0;
  bool want_up = direction && strcmp(direction, "increase") == 0;
  out->verdict = up == want_up ? "improved" : "worsened";
}

/* Parses exactly "YYYY" (1900..9999). */
static bool parse_year(const char *s, int *y) {
  if (!s || strlen(s) != 4) return false;
  for (int i = 0; i < 4; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  *y = atoi(s);
  return *y >= 1900;
}

est_result est_followup_period(const char *cadence, const char *value, est_date agr_from, est_date agr_to,
                               est_date today, est_date *from, est_date *to, const char **field, const char **detail) {
  *field = "period";
  long af = est_date_to_days(agr_from), at = est_date_to_days(agr_to), td = est_date_to_days(today);
  /* The reference day when no value is given: today, held inside the agreement. */
  est_date ref = est_date_from_days(td < af ? af : td > at ? at : td);
  if (!cadence || strcmp(cadence, "period") == 0) {
    if (value) {
      *detail = "the whole agreement period takes no period value";
      return EST_EINVAL;
    }
    *from = agr_from;
    *to = agr_to;
    return EST_OK;
  }
  long f, t;
  if (strcmp(cadence, "week") == 0) {
    int y, w;
    if (value) {
      if (!est_iso_week_parse(value, &y, &w)) {
        *detail = "must be an ISO week YYYY-Www for cadence=week";
        return EST_EINVAL;
      }
    } else {
      est_iso_week_of(ref, &y, &w);
    }
    f = est_date_to_days(est_iso_week_monday(y, w));
    t = f + 6;
  } else if (strcmp(cadence, "quarter") == 0) {
    int y, q;
    if (value) {
      char yb[5];
      if (strlen(value) != 7 || value[4] != '-' || value[5] != 'Q' || value[6] < '1' || value[6] > '4') {
        *detail = "must be a quarter YYYY-Qn (n = 1..4) for cadence=quarter";
        return EST_EINVAL;
      }
      memcpy(yb, value, 4);
      yb[4] = '\0';
      if (!parse_year(yb, &y)) {
        *detail = "must be a quarter YYYY-Qn (n = 1..4) for cadence=quarter";
        return EST_EINVAL;
      }
      q = value[6] - '0';
    } else {
      y = ref.y;
      q = (ref.m - 1) / 3 + 1;
    }
    est_date qf = {y, (q - 1) * 3 + 1, 1};
    est_date qn = q == 4 ? (est_date){y + 1, 1, 1} : (est_date){y, q * 3 + 1, 1};
    f = est_date_to_days(qf);
    t = est_date_to_days(qn) - 1;
  } else if (strcmp(cadence, "year") == 0) {
    int y;
    if (value) {
      if (!parse_year(value, &y)) {
        *detail = "must be a year YYYY for cadence=year";
        return EST_EINVAL;
      }
    } else {
      y = ref.y;
    }
    f = est_date_to_days((est_date){y, 1, 1});
    t = est_date_to_days((est_date){y, 12, 31});
  } else {
    *field = "cadence";
    *detail = "must be one of: week, quarter, year, period";
    return EST_EINVAL;
  }
  if (t < af || f > at) {
    *detail = "the period lies outside the agreement's validity";
    return EST_EINVAL;
  }
  *from = est_date_from_days(f < af ? af : f);
  *to = est_date_from_days(t > at ? at : t);
  return EST_OK;
}

/* ---- report assembly -------------------------------------------------------- */

/* Number buffers for one CSV row: every S() call gets its own. */
typedef struct nbuf {
  char b[16][40];
  unsigned i;
} nbuf;
static const char *S(nbuf *n, const json_t *o, const char *k) {
  return est_csv_scalar(json_object_get(o, k), n->b[n->i++ & 15u], 40);
}

/* One row of section whose other fields are the members cols of x (NULL:
 * an empty field; "=text": the text itself). At most 10 cols. */
static est_result csv_obj_row(est_buf *b, nbuf *nb, const char *section, const json_t *x, const char *const *cols,
                              int n) {
  const char *v[11] = {section};
  for (int i = 0; i < n && i < 10; i++)
    v[i + 1] = !cols[i] ? NULL : cols[i][0] == '=' ? cols[i] + 1 : S(nb, x, cols[i]);
  return est_csv_row(b, v, n + 1);
}

/* A csv_obj_row for each member of the array arr. */
static est_result csv_obj_rows(est_buf *b, nbuf *nb, const char *section, const json_t *arr, const char *const *cols,
                               int n) {
  est_result rc = EST_OK;
  size_t i;
  json_t *x;
  json_array_foreach(arr, i, x) {
    if (rc != EST_OK) return rc;
    rc = csv_obj_row(b, nb, section, x, cols, n);
  }
  return rc;
}

est_result est_followup_csv(const json_t *doc, est_buf *b) {
  static const char *const head[] = {"section", "id",   "code", "area", "title", "status",
                                     "value",   "unit", "from", "to",   "note"};
  est_result rc = est_csv_row(b, head, 11);
  const json_t *per = json_object_get(doc, "period");
  nbuf nb = {.i = 0};
  size_t i;
  json_t *x;
  /* commitments: value = progress value, unit = the measure, note = follow-up note */
  json_array_foreach(json_object_get(doc, "commitments"), i, x) {
    if (rc != EST_OK) return rc;
    json_t *p = json_object_get(x, "progress");
    json_t *ind = json_object_get(p, "indicator");
    const char *v[] = {"commitment",
                       S(&nb, x, "id"),
                       S(&nb, x, "code"),
                       NULL,
                       S(&nb, x, "text"),
                       S(&nb, x, "status"),
                       S(&nb, p, "period_value"),
                       S(&nb, p, "measure_used") ? S(&nb, p, "measure_used") : S(&nb, ind, "measure"),
                       S(&nb, per, "from"),
                       S(&nb, per, "to"),
                       S(&nb, x, "follow_up_note")};
    rc = est_csv_row(b, v, 11);
    size_t j;
    json_t *h;
    json_array_foreach(json_object_get(x, "status_history"), j, h) {
      if (rc != EST_OK) return rc;
      const char *hv[] = {"commitment_status",
                          S(&nb, x, "id"),
                          S(&nb, x, "code"),
                          NULL,
                          NULL,
                          S(&nb, h, "status"),
                          NULL,
                          NULL,
                          S(&nb, h, "changed_at"),
                          NULL,
                          S(&nb, h, "previous")};
      rc = est_csv_row(b, hv, 11);
    }
  }
  static const char *const action_cols[] = {"id",         "kind",           "area_id", "title",
                                            "status",     "evidence_count", "=events", "planned_from",
                                            "planned_to", "outcome_note"};
  if (rc == EST_OK) rc = csv_obj_rows(b, &nb, "action", json_object_get(doc, "actions"), action_cols, 10);
  json_array_foreach(json_object_get(doc, "incident_trends"), i, x) {
    if (rc != EST_OK) return rc;
    size_t j;
    json_t *s;
    json_array_foreach(json_object_get(x, "series"), j, s) {
      if (rc != EST_OK) return rc;
      const char *v[] = {"incidents",        S(&nb, x, "area_id"), S(&nb, x, "code"), S(&nb, x, "name"), NULL, NULL,
                         S(&nb, s, "count"), "incidents",          S(&nb, s, "from"), S(&nb, s, "to"),   NULL};
      rc = est_csv_row(b, v, 11);
    }
  }
  json_array_foreach(json_object_get(doc, "indicators"), i, x) {
    if (rc != EST_OK) return rc;
    char note[160];
    snprintf(note, sizeof note, "%s; n=%s; moe=%s", S(&nb, x, "source") ? S(&nb, x, "source") : "",
             S(&nb, x, "sample_size") ? S(&nb, x, "sample_size") : "",
             S(&nb, x, "margin_of_error") ? S(&nb, x, "margin_of_error") : "");
    const char *v[] = {
        "indicator", S(&nb, x, "id"),    S(&nb, x, "measure"), S(&nb, x, "area_id"),     S(&nb, x, "indicator"),
        NULL,        S(&nb, x, "value"), S(&nb, x, "unit"),    S(&nb, x, "period_from"), S(&nb, x, "period_to"),
        note};
    rc = est_csv_row(b, v, 11);
  }
  static const char *const meeting_cols[] = {"id",          "week",     "area_id", "title",   NULL,
                                             "focus_count", "=focuses", "held_on", "held_on", "snapshot_sha256"};
  if (rc == EST_OK) rc = csv_obj_rows(b, &nb, "meeting", json_object_get(doc, "meetings"), meeting_cols, 10);
  return rc;
}

static json_t *placeholder(const char *heading, const char *guidance) {
  return json_pack("{s:s, s:n, s:s}", "heading", heading, "text", "placeholder", guidance);
}

json_t *est_statutory_report(const json_t *data) {
  json_t *doc = json_object();
  if (!doc) return NULL;
  json_object_set_new(doc, "legal_basis",
                      json_string("Lag (2023:196) om kommuners ansvar för brottsförebyggande arbete, 4 §"));
  json_object_set(doc, "agreement", json_object_get(data, "agreement"));
  json_object_set(doc, "period", json_object_get(data, "period"));
  json_object_set(doc, "generated_on", json_object_get(data, "generated_on"));
  json_t *k = json_object();
  json_object_set_new(k, "heading", json_string("Kartläggning av brottsligheten och andra relevanta förhållanden"));
  json_object_set(k, "incidents", json_object_get(data, "incidents"));
  json_object_set(k, "incident_trends", json_object_get(data, "incident_trends"));
  json_object_set(k, "indicators", json_object_get(data, "indicators"));
  json_t *o = json_object();
  json_object_set_new(o, "heading", json_string("Övrig relevant information"));
  json_object_set(o, "presence", json_object_get(data, "presence"));
  json_object_set(o, "actions", json_object_get(data, "actions"));
  json_object_set(o, "meetings", json_object_get(data, "meetings"));
  json_object_set(o, "commitments", json_object_get(data, "commitments"));
  json_t *a = json_object();
  json_object_set_new(a, "heading", json_string("Analys"));
  json_object_set_new(a, "parts",
                      json_pack("[o, o, o, o]",
                                placeholder("Orsaker och samband",
                                            "Beskriv vilka orsaker och riskfaktorer som kan förklara brottsligheten "
                                            "och otryggheten som kartläggningen visar."),
                                placeholder("Utveckling över tid",
                                            "Beskriv hur läget har utvecklats jämfört med tidigare period och vad "
                                            "insatserna kan ha bidragit med."),
                                placeholder("Prioriterade problem",
                                            "Ange vilka problem som ska prioriteras i det brottsförebyggande arbetet."),
                                placeholder("Underlag till åtgärdsprogram",
                                            "Ange vilka åtgärder analysen pekar mot (underlag till åtgärdsprogram "
                                            "enligt 5 §).")));
  json_object_set_new(doc, "sections",
                      json_pack("{s:o, s:o, s:o}", "kartlaggning", k, "ovrig_relevant_information", o, "analys", a));
  return doc;
}

est_result est_statutory_csv(const json_t *doc, est_buf *b) {
  static const char *const head[] = {"section", "item", "area", "value", "note"};
  est_result rc = est_csv_row(b, head, 5);
  const json_t *s = json_object_get(doc, "sections");
  const json_t *k = json_object_get(s, "kartlaggning");
  nbuf nb = {.i = 0};
  static const char *const by_category[] = {"=incidents_by_category", NULL, "count", "category"};
  static const char *const in_area[] = {"=incidents_in_area", "name", "total", "previous_total"};
  static const char *const indicators[] = {"measure", "area_id", "value", "source"};
  static const char *const actions[] = {"=action", "area_id", "status", "title"};
  static const char *const meetings[] = {"=meeting", "area_id", "held_on", "title"};
  static const char *const parts[] = {"heading", NULL, "text", "placeholder"};
  const json_t *o = json_object_get(s, "ovrig_relevant_information");
  if (rc == EST_OK)
    rc = csv_obj_rows(b, &nb, "kartlaggning", json_object_get(json_object_get(k, "incidents"), "by_category"),
                      by_category, 4);
  if (rc == EST_OK) rc = csv_obj_rows(b, &nb, "kartlaggning", json_object_get(k, "incident_trends"), in_area, 4);
  if (rc == EST_OK) rc = csv_obj_rows(b, &nb, "kartlaggning", json_object_get(k, "indicators"), indicators, 4);
  if (rc == EST_OK) rc = csv_obj_rows(b, &nb, "ovrig_relevant_information", json_object_get(o, "actions"), actions, 4);
  if (rc == EST_OK)
    rc = csv_obj_rows(b, &nb, "ovrig_relevant_information", json_object_get(o, "meetings"), meetings, 4);
  if (rc == EST_OK)
    rc = csv_obj_rows(b, &nb, "analys", json_object_get(json_object_get(s, "analys"), "parts"), parts, 4);
  return rc;
}

/* ---- privacy and diff ------------------------------------------------------------- */

void est_followup_protect(json_t *doc, const est_publish_policy *p) {
  int k = p->k;
  json_object_set_new(doc, "privacy",
                      json_pack("{s:i, s:b, s:o}", "min_count", k > 1 ? k : 0, "suppression_applied", k > 1,
                                "protection", est_protection_json(k)));
  json_t *inc = json_object_get(doc, "incidents");
  json_t *total = json_object_get(inc, "total");
  bool tsup = est_publish_json(p, "followup.by_category", json_object_get(inc, "by_category"), "category",
                               json_is_integer(total) ? json_integer_value(total) : -1, "count", "suppressed");
  if (tsup) json_object_set_new(inc, "total", json_null());
  json_object_set_new(inc, "total_suppressed", json_boolean(tsup));
  json_t *trends = json_object_get(doc, "incident_trends");
  est_publish_json(p, "followup.area_total", trends, "area_id", -1, "total", "suppressed");
  est_publish_json(p, "followup.area_previous", trends, "area_id", -1, "previous_total", "previous_suppressed");
  size_t i;
  json_t *t;
  json_array_foreach(trends, i, t) {
    json_t *series = json_object_get(t, "series");
    json_t *tt = json_object_get(t, "total");
    if (json_is_null(tt)) { /* a hidden total is not rebuilt from its series */
      size_t j;
      json_t *cell;
      json_array_foreach(series, j, cell) {
        json_object_set_new(cell, "count", json_null());
        json_object_set_new(cell, "suppressed", json_true());
      }
    } else {
      est_publish_json(p, "followup.area_series", series, "from", json_integer_value(tt), "count", "suppressed");
    }
  }
  est_publish_tree(p, "followup", doc); /* whatever else carries a cell key (progress is published before) */
}

bool est_snapshot_visible(const est_caller *taken_as, int taken_k, const est_caller *reader, int reader_k) {
  int tk = taken_k <= 1 ? 0 : taken_k, rk = reader_k <= 1 ? 0 : reader_k;
  if (taken_as->detail && !reader->detail) return false;
  if (!taken_as->detail && taken_as->party_id != 0 && !reader->detail && reader->party_id != taken_as->party_id)
    return false;
  if (rk > tk) return false;
  return true;
}

static json_t *count_of(const json_t *v) { return json_is_integer(v) ? json_incref((json_t *)v) : json_null(); }

static json_t *change_of(const json_t *then, const json_t *now) {
  if (!json_is_integer(then) || !json_is_integer(now)) return json_null();
  return json_integer(json_integer_value(now) - json_integer_value(then));
}

json_t *est_situation_diff(const json_t *then, const json_t *now) {
  json_t *out = json_object();
  json_t *tt = json_object_get(json_object_get(json_object_get(then, "incidents"), "total"), "count");
  json_t *nt = json_object_get(json_object_get(json_object_get(now, "incidents"), "total"), "count");
  json_object_set_new(
      out, "total",
      json_pack("{s:o, s:o, s:o}", "then", count_of(tt), "now", count_of(nt), "change", change_of(tt, nt)));
  bool changed = !json_equal(tt ? tt : json_null(), nt ? nt : json_null());
  json_t *cats = json_array();
  const json_t *sides[2] = {json_object_get(json_object_get(then, "incidents"), "by_category"),
                            json_object_get(json_object_get(now, "incidents"), "by_category")};
  /* Every category in either document, in the order they first appear. */
  for (int s = 0; s < 2; s++) {
    size_t i;
    json_t *c;
    json_array_foreach(sides[s], i, c) {
      const char *code = json_string_value(json_object_get(c, "code"));
      if (!code) continue;
      bool seen = false;
      size_t j;
      json_t *d;
      json_array_foreach(cats, j, d) if (strcmp(json_string_value(json_object_get(d, "code")), code) == 0) seen = true;
      if (seen) continue;
      json_t *tv = NULL, *nv = NULL;
      json_array_foreach(sides[0], j, d) if (json_string_value(json_object_get(d, "code")) &&
                                             strcmp(json_string_value(json_object_get(d, "code")), code) == 0) tv =
          json_object_get(d, "count");
      json_array_foreach(sides[1], j, d) if (json_string_value(json_object_get(d, "code")) &&
                                             strcmp(json_string_value(json_object_get(d, "code")), code) == 0) nv =
          json_object_get(d, "count");
      if (!json_equal(tv ? tv : json_null(), nv ? nv : json_null())) changed = true;
      json_array_append_new(
          cats, json_pack("{s:s, s:O?, s:o, s:o, s:o}", "code", code, "label_sv", json_object_get(c, "label_sv"),
                          "then", count_of(tv), "now", count_of(nv), "change", change_of(tv, nv)));
    }
  }
  json_object_set_new(out, "by_category", cats);
  size_t hthen = json_array_size(json_object_get(then, "hot_spots")),
         hnow = json_array_size(json_object_get(now, "hot_spots"));
  if (hthen != hnow) changed = true;
  json_object_set_new(out, "hot_spots", json_pack("{s:I, s:I}", "then", (json_int_t)hthen, "now", (json_int_t)hnow));
  json_t *ft = json_object_get(json_object_get(then, "freshness"), "newest_occurred_at");
  json_t *fn = json_object_get(json_object_get(now, "freshness"), "newest_occurred_at");
  json_object_set_new(out, "newest_occurred_at", json_pack("{s:O?, s:O?}", "then", ft, "now", fn));
  json_object_set_new(out, "changed", json_boolean(changed));
  return out;
}
