/* commitment.c - validation and mapping of commitment JSON (see commitment.h). */
#include "estd/commitment.h"
#include "estd/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/personnummer.h"
#include "estd/problem.h"

const char *const est_commitment_statuses[] = {"planned",       "ongoing", "fulfilled", "partially_fulfilled",
                                               "not_fulfilled", NULL};
const char *const est_commitment_comparisons[] = {"at_least", "at_most", "exactly", NULL};
const char *const est_commitment_pers[] = {"period", "year", "quarter", "month", "week", NULL};

static const char *const writable_fields[] = {
    "code",   "agreement_id", "cooperation_area_id", "text", "responsible_party_ids", "area_ids",
    "target", "status",       "follow_up_note",      NULL};
static const char *const readonly_fields[] = {"id", "created_at", "updated_at", "archived_at", "version", NULL};
static const char *const unremovable_fields[] = {"agreement_id", "text", "responsible_party_ids", "status", NULL};
static const char *const target_fields[] = {"value", "unit", "comparison", "per", "from", "to", NULL};

static bool in_set(const char *s, const char *const *set) {
  for (int i = 0; set[i]; i++)
    if (strcmp(set[i], s) == 0) return true;
  return false;
}

static const char *set_member(const char *s, const char *const *set) {
  for (int i = 0; set[i]; i++)
    if (strcmp(set[i], s) == 0) return set[i];
  return NULL;
}

/* parent + "/" + key with JSON pointer escaping (~ -> ~0, / -> ~1),
 * truncated to fit. */
static const char *pointer(char *buf, size_t n, const char *parent, const char *key) {
  size_t j = 0;
  for (const char *p = parent; *p && j + 1 < n; p++) buf[j++] = *p;
  if (j + 1 < n) buf[j++] = '/';
  for (const char *p = key; *p && j + 2 < n; p++) {
    if (*p == '~' || *p == '/') {
      buf[j++] = '~';
      buf[j++] = *p == '~' ? '0' : '1';
    } else {
      buf[j++] = *p;
    }
  }
  buf[j] = '\0';
  return buf;
}

static void add_error(json_t **errors, const char *field, const char *detail) {
  est_problem_add_error(errors, field, detail);
}

static bool is_slug(const char *s) {
  /* ^[a-z0-9]+(-[a-z0-9]+)*$ */
  if (!*s) return false;
  bool prev_dash = true;
  for (const char *p = s; *p; p++) {
    if (*p == '-') {
      if (prev_dash) return false;
      prev_dash = true;
    } else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
      prev_dash = false;
    } else {
      return false;
    }
  }
  return !prev_dash;
}

static bool is_snake(const char *s) {
  /* ^[a-z][a-z0-9_]*$ */
  if (!(*s >= 'a' && *s <= 'z')) return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
  return true;
}

static bool is_id(const json_t *v) { return json_is_integer(v) && json_integer_value(v) >= 1; }

/* A string member: returns the value, or NULL after recording an error.
 * max_chars counts code points (0 = no limit besides max_bytes). */
static const char *check_string(const json_t *v, const char *field, size_t min_chars, size_t max_chars,
                                json_t **errors) {
  if (!json_is_string(v)) {
    add_error(errors, field, "must be a string");
    return NULL;
  }
  const char *s = json_string_value(v);
  size_t len = json_string_length(v);
  if (strlen(s) != len) {
    add_error(errors, field, "must not contain NUL characters");
    return NULL;
  }
  size_t chars = est_utf8_length(s); /* no NULs: strlen(s) == len */
  if (chars < min_chars || chars > max_chars) {
    char msg[96];
    if (min_chars > 0) snprintf(msg, sizeof msg, "must be %zu to %zu characters long", min_chars, max_chars);
    else snprintf(msg, sizeof msg, "must be at most %zu characters long", max_chars);
    add_error(errors, field, msg);
    return NULL;
  }
  if (est_pnr_contains(s)) { /* free text must not carry personal identity numbers */
    add_error(errors, field, EST_PNR_DETAIL);
    return NULL;
  }
  return s;
}

static void enum_detail(char *buf, size_t n, const char *const *set) {
  size_t j = (size_t)snprintf(buf, n, "must be one of:");
  for (int i = 0; set[i] && j < n; i++) j += (size_t)snprintf(buf + j, n - j, "%s %s", i ? "," : "", set[i]);
}

static const char *check_enum(const json_t *v, const char *field, const char *const *set, json_t **errors) {
  const char *m = json_is_string(v) ? set_member(json_string_value(v), set) : NULL;
  if (!m) {
    char msg[160];
    enum_detail(msg, sizeof msg, set);
    add_error(errors, field, msg);
  }
  return m;
}

/* An id list: array of unique positive ints, min..max long. */
static int check_ids(const json_t *v, const char *field, size_t min, size_t max, long long *out, json_t **errors) {
  if (!json_is_array(v)) {
    add_error(errors, field, "must be an array of positive integer ids");
    return -1;
  }
  size_t n = json_array_size(v);
  if (n < min || n > max) {
    char msg[96];
    snprintf(msg, sizeof msg, "must contain %zu to %zu ids", min, max);
    add_error(errors, field, msg);
    return -1;
  }
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    const json_t *e = json_array_get(v, i);
    char f[96], idx[24];
    snprintf(idx, sizeof idx, "%zu", i);
    pointer(f, sizeof f, field, idx);
    if (!is_id(e)) {
      add_error(errors, f, "must be a positive integer id");
      ok = false;
      continue;
    }
    long long id = (long long)json_integer_value(e);
    bool dup = false;
    for (size_t k = 0; k < i; k++) {
      const json_t *p = json_array_get(v, k);
      if (is_id(p) && (long long)json_integer_value(p) == id) dup = true;
    }
    if (dup) {
      add_error(errors, f, "duplicates an earlier id");
      ok = false;
      continue;
    }
    out[i] = id;
  }
  return ok ? (int)n : -1;
}

static void check_target(const json_t *t, est_commitment_input *out, json_t **errors) {
  if (!json_is_object(t)) {
    add_error(errors, "/target", "must be an object {value, unit, comparison, per, from, to} or null");
    return;
  }
  bool ok = true;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)t, k, v) {
    if (!in_set(k, target_fields)) {
      char f[160];
      add_error(errors, pointer(f, sizeof f, "/target", k), "unknown field");
      ok = false;
    }
  }
  for (int i = 0; target_fields[i]; i++) {
    if (!json_object_get(t, target_fields[i])) {
      char f[64];
      add_error(errors, pointer(f, sizeof f, "/target", target_fields[i]),
                "is required (a target has all of value, unit, comparison, per, from, to)");
      ok = false;
    }
  }
  est_commitment_target *tg = &out->target;
  const json_t *value = json_object_get(t, "value");
  if (value) {
    double d = json_number_value(value);
    if (!json_is_number(value)) {
      add_error(errors, "/target/value", "must be a number");
      ok = false;
    } else if (!(d > 0) || !isfinite(d)) {
      add_error(errors, "/target/value", "must be greater than 0");
      ok = false;
    } else if (d > EST_COMMITMENT_TARGET_MAX) {
      add_error(errors, "/target/value", "must be at most 1000000000");
      ok = false;
    } else if (json_is_integer(value)) {
      snprintf(tg->value, sizeof tg->value, "%lld", (long long)json_integer_value(value));
    } else {
      snprintf(tg->value, sizeof tg->value, "%.15g", d);
    }
  }
  const json_t *unit = json_object_get(t, "unit");
  if (unit) {
    tg->unit = check_string(unit, "/target/unit", 1, EST_COMMITMENT_UNIT_MAX, errors);
    if (tg->unit && !is_snake(tg->unit)) {
      add_error(errors, "/target/unit", "must be lower_snake_case, e.g. network_group");
      tg->unit = NULL;
    }
    if (!tg->unit) ok = false;
  }
  const json_t *cmp = json_object_get(t, "comparison");
  if (cmp && !(tg->comparison = check_enum(cmp, "/target/comparison", est_commitment_comparisons, errors))) ok = false;
  const json_t *per = json_object_get(t, "per");
  if (per && !(tg->per = check_enum(per, "/target/per", est_commitment_pers, errors))) ok = false;
  const char *names[2] = {"from", "to"};
  const char **dst[2] = {&tg->from, &tg->to};
  for (int i = 0; i < 2; i++) {
    const json_t *dv = json_object_get(t, names[i]);
    if (!dv) continue;
    char f[32];
    pointer(f, sizeof f, "/target", names[i]);
    if (!json_is_string(dv) || !est_date_valid(json_string_value(dv))) {
      add_error(errors, f, "must be a date YYYY-MM-DD");
      ok = false;
    } else {
      *dst[i] = json_string_value(dv);
    }
  }
  if (tg->from && tg->to && strcmp(tg->to, tg->from) < 0) {
    add_error(errors, "/target/to", "must not be before /target/from");
    ok = false;
  }
  out->has_target = ok;
}

/* Whether doc is a JSON object; if not, the error why (at the root). */
static bool is_object(const json_t *doc, const char *why, json_t **errors) {
  if (json_is_object(doc)) return true;
  add_error(errors, "", why);
  return false;
}

est_result est_commitment_parse(const json_t *doc, est_commitment_mode mode, est_commitment_input *out,
                                json_t **errors) {
  memset(out, 0, sizeof *out);
  if (!is_object(doc, "must be a JSON object", errors)) return EST_EINVAL;
  size_t nerr = json_array_size(*errors);
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) {
    if (in_set(k, writable_fields)) continue;
    if (mode == EST_COMMITMENT_MERGED && in_set(k, readonly_fields)) continue;
    char f[160];
    add_error(errors, pointer(f, sizeof f, "", k), in_set(k, readonly_fields) ? "is read-only" : "unknown field");
  }

  const json_t *agr = json_object_get(doc, "agreement_id");
  if (!agr) add_error(errors, "/agreement_id", "is required");
  else if (!is_id(agr)) add_error(errors, "/agreement_id", "must be a positive integer id");
  else out->agreement_id = (long long)json_integer_value(agr);

  const json_t *ca = json_object_get(doc, "cooperation_area_id");
  if (ca && !json_is_null(ca)) {
    if (!is_id(ca)) add_error(errors, "/cooperation_area_id", "must be a positive integer id or null");
    else out->cooperation_area_id = (long long)json_integer_value(ca);
  }

  const json_t *code = json_object_get(doc, "code");
  if (code && !json_is_null(code)) {
    const char *s = check_string(code, "/code", 1, EST_COMMITMENT_CODE_MAX, errors);
    if (s && !is_slug(s)) add_error(errors, "/code", "must be a slug: lowercase a-z, 0-9 and single '-' between them");
    else out->code = s;
  }

  const json_t *text = json_object_get(doc, "text");
  if (!text) add_error(errors, "/text", "is required");
  else out->text = check_string(text, "/text", 1, EST_COMMITMENT_TEXT_MAX, errors);

  const json_t *parties = json_object_get(doc, "responsible_party_ids");
  if (!parties) {
    add_error(errors, "/responsible_party_ids", "is required");
  } else {
    int n = check_ids(parties, "/responsible_party_ids", 1, EST_COMMITMENT_MAX_PARTIES, out->party_ids, errors);
    out->nparties = n > 0 ? n : 0;
  }

  const json_t *areas = json_object_get(doc, "area_ids");
  if (areas && !json_is_null(areas)) {
    int n = check_ids(areas, "/area_ids", 0, EST_COMMITMENT_MAX_AREAS, out->area_ids, errors);
    out->nareas = n > 0 ? n : 0;
  }

  const json_t *target = json_object_get(doc, "target");
  if (target && !json_is_null(target)) check_target(target, out, errors);

  const json_t *status = json_object_get(doc, "status");
  if (!status && mode == EST_COMMITMENT_CREATE) out->status = est_commitment_statuses[0];
  else if (!status) add_error(errors, "/status", "is required");
  else out->status = check_enum(status, "/status", est_commitment_statuses, errors);

  const json_t *note = json_object_get(doc, "follow_up_note");
  if (note && !json_is_null(note))
    out->follow_up_note = check_string(note, "/follow_up_note", 0, EST_COMMITMENT_NOTE_MAX, errors);

  return json_array_size(*errors) > nerr ? EST_EINVAL : EST_OK;
}

est_result est_commitment_patch_check(const json_t *patch, json_t **errors) {
  if (!is_object(patch, "must be a JSON object (a JSON merge patch)", errors)) return EST_EINVAL;
  size_t nerr = json_array_size(*errors);
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    char f[160];
    pointer(f, sizeof f, "", k);
    if (in_set(k, readonly_fields)) {
      add_error(errors, f, "is read-only");
    } else if (!in_set(k, writable_fields)) {
      add_error(errors, f, "unknown field");
    } else if (json_is_null(v) && in_set(k, unremovable_fields)) {
      add_error(errors, f, "cannot be removed (must not be null)");
    } else if (strcmp(k, "target") == 0 && json_is_object(v)) {
      const char *tk;
      json_t *tv;
      json_object_foreach(v, tk, tv) {
        if (!in_set(tk, target_fields)) add_error(errors, pointer(f, sizeof f, "/target", tk), "unknown field");
      }
    }
  }
  return json_array_size(*errors) > nerr ? EST_EINVAL : EST_OK;
}

json_t *est_json_merge_patch(const json_t *target, const json_t *patch) {
  if (!json_is_object(patch)) return json_deep_copy(patch);
  json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
  if (!out) return NULL;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    if (json_is_null(v)) {
      json_object_del(out, k);
      continue;
    }
    json_t *merged = est_json_merge_patch(json_object_get(out, k), v);
    if (!merged || json_object_set_new(out, k, merged) != 0) {
      json_decref(out);
      return NULL;
    }
  }
  return out;
}

est_result est_commitment_patch_allowed(const json_t *patch, const json_t *current, bool admin,
                                        long long caller_party_id, char *detail, size_t detail_len) {
  if (admin) return EST_OK;
  if (caller_party_id <= 0) {
    snprintf(detail, detail_len, "the API key is not bound to a party");
    return EST_EFORBIDDEN;
  }
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    if (strcmp(k, "status") != 0 && strcmp(k, "follow_up_note") != 0) {
      snprintf(detail, detail_len, "without the admin scope only status and follow_up_note may be changed, not '%s'",
               k);
      return EST_EFORBIDDEN;
    }
  }
  const json_t *ids = json_object_get(current, "responsible_party_ids");
  size_t i;
  json_t *e;
  json_array_foreach(ids, i, e) {
    if (json_is_integer(e) && (long long)json_integer_value(e) == caller_party_id) return EST_OK;
  }
  snprintf(detail, detail_len, "party %lld is not responsible for this commitment", caller_party_id);
  return EST_EFORBIDDEN;
}
