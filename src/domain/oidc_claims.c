/* oidc_claims.c - JWT shape, header and claim checks; claims -> party and
 * scopes (see oidc_claims.h). Pure. */
#include "estd/oidc_claims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/scope.h"
#include "estd/util.h"

#define HEADER_MAX 2048 /* encoded bytes; a real header is ~100 */

static bool b64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool est_jwt_looks_like(const char *t, size_t len) {
  if (!t) return false;
  size_t dots = 0, seg = 0;
  for (size_t i = 0; i < len; i++) {
    if (t[i] == '.') {
      if (seg == 0 && dots < 2) return false; /* empty header or payload */
      dots++;
      seg = 0;
    } else if (b64url_char(t[i])) {
      seg++;
    } else {
      return false;
    }
  }
  return dots == 2;
}

static void say(char *reason, size_t n, const char *msg) {
  if (n) snprintf(reason, n, "%s", msg);
}

est_result est_jwt_header_parse(const char *token, size_t len, est_jwt_header *h, char *reason, size_t n) {
  memset(h, 0, sizeof *h);
  if (!est_jwt_looks_like(token, len)) {
    say(reason, n, "the token is not a JWT (three base64url segments)");
    return EST_EUNAUTHORIZED;
  }
  size_t hl = strcspn(token, ".");
  if (hl > HEADER_MAX) {
    say(reason, n, "the JWT header is too long");
    return EST_EUNAUTHORIZED;
  }
  char enc[HEADER_MAX + 1];
  memcpy(enc, token, hl);
  enc[hl] = '\0';
  size_t dl = 0;
  unsigned char *dec = est_b64url_decode(enc, &dl);
  if (!dec) {
    say(reason, n, "the JWT header is not base64url");
    return EST_EUNAUTHORIZED;
  }
  json_error_t err;
  json_t *j = json_loadb((const char *)dec, dl, JSON_REJECT_DUPLICATES, &err);
  free(dec);
  est_result rc = EST_EUNAUTHORIZED;
  const json_t *alg = j ? json_object_get(j, "alg") : NULL, *kid = j ? json_object_get(j, "kid") : NULL;
  if (!json_is_object(j)) {
    say(reason, n, "the JWT header is not a JSON object");
  } else if (!json_is_string(alg) || json_string_length(alg) == 0 || json_string_length(alg) >= sizeof h->alg) {
    say(reason, n, "the JWT header has no valid alg");
  } else if (json_object_get(j, "enc")) {
    say(reason, n, "encrypted tokens (JWE) are not accepted");
  } else if (json_object_get(j, "crit")) {
    say(reason, n, "the JWT header has critical extensions (crit), which are not supported");
  } else if (json_object_get(j, "jwk") || json_object_get(j, "jku") || json_object_get(j, "x5u") ||
             json_object_get(j, "x5c")) {
    say(reason, n, "the JWT header embeds or points at a key (jwk/jku/x5u/x5c); keys come only from the issuer");
  } else if (kid &&
             (!json_is_string(kid) || json_string_length(kid) == 0 || json_string_length(kid) > EST_JWT_KID_MAX)) {
    say(reason, n, "the JWT header kid is not a string of 1 to 128 bytes");
  } else {
    snprintf(h->alg, sizeof h->alg, "%s", json_string_value(alg));
    if (kid) snprintf(h->kid, sizeof h->kid, "%s", json_string_value(kid));
    rc = EST_OK;
  }
  json_decref(j);
  return rc;
}

/* Walks a comma-separated list; calls fn(item, len, arg) until it returns true. */
static bool csv_any(const char *csv, bool (*fn)(const char *, size_t, const void *), const void *arg) {
  if (!csv) return false;
  for (const char *p = csv;;) {
    size_t l = strcspn(p, ",");
    if (fn(p, l, arg)) return true;
    if (!p[l]) return false;
    p += l + 1;
  }
}

static bool eq_item(const char *p, size_t l, const void *arg) {
  const char *s = arg;
  return strlen(s) == l && strncmp(p, s, l) == 0;
}

bool est_jwt_alg_allowed(const char *allow_csv, const char *alg) {
  return alg && *alg && csv_any(allow_csv, eq_item, alg);
}

static const char *const k_asym_algs[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                          "PS512", "ES256", "ES384", "ES512"};

static bool bad_alg(const char *p, size_t l, const void *arg) {
  (void)arg;
  for (size_t i = 0; i < sizeof k_asym_algs / sizeof *k_asym_algs; i++)
    if (strlen(k_asym_algs[i]) == l && strncmp(p, k_asym_algs[i], l) == 0) return false;
  return true;
}

est_result est_jwt_algs_check(const char *allow_csv, char *bad, size_t badlen) {
  if (badlen) bad[0] = '\0';
  if (!allow_csv || !*allow_csv) return EST_EINVAL;
  for (const char *p = allow_csv;;) {
    size_t l = strcspn(p, ",");
    if (bad_alg(p, l, NULL)) {
      if (badlen) snprintf(bad, badlen, "%.*s", (int)(l < 32 ? l : 32), p);
      return EST_EINVAL;
    }
    if (!p[l]) return EST_OK;
    p += l + 1;
  }
}

/* A NumericDate: a JSON integer or real within a sane range. */
static bool numeric_date(const json_t *v, long long *out) {
  if (json_is_integer(v)) {
    *out = (long long)json_integer_value(v);
  } else if (json_is_real(v)) {
    double d = json_real_value(v);
    if (!(d > -1e15 && d < 1e15)) return false;
    *out = (long long)d;
  } else {
    return false;
  }
  return *out >= 0 && *out < 100000000000LL;
}

est_result est_jwt_claims_check(const json_t *claims, const est_jwt_expect *e, long long *exp, char *reason, size_t n) {
  char buf[160];
  if (!json_is_object(claims)) return say(reason, n, "the JWT claims are not a JSON object"), EST_EUNAUTHORIZED;
  const json_t *iss = json_object_get(claims, "iss");
  if (!json_is_string(iss) || strcmp(json_string_value(iss), e->issuer) != 0)
    return say(reason, n, "the token's issuer (iss) is not the configured issuer"), EST_EUNAUTHORIZED;
  const json_t *aud = json_object_get(claims, "aud");
  bool aud_ok = false;
  if (json_is_string(aud)) {
    aud_ok = strcmp(json_string_value(aud), e->audience) == 0;
  } else if (json_is_array(aud)) {
    size_t i;
    const json_t *a;
    json_array_foreach(aud, i, a) if (json_is_string(a) && strcmp(json_string_value(a), e->audience) == 0) aud_ok =
        true;
  }
  if (!aud_ok) return say(reason, n, "the token's audience (aud) is not this service"), EST_EUNAUTHORIZED;
  long long x, skew = e->skew_s;
  if (!numeric_date(json_object_get(claims, "exp"), &x))
    return say(reason, n, "the token has no valid expiry (exp)"), EST_EUNAUTHORIZED;
  if (e->now >= x + skew) return say(reason, n, "the token has expired (exp)"), EST_EUNAUTHORIZED;
  *exp = x;
  const json_t *nbf = json_object_get(claims, "nbf");
  if (nbf) {
    if (!numeric_date(nbf, &x)) return say(reason, n, "the token's nbf is not a NumericDate"), EST_EUNAUTHORIZED;
    if (x > e->now + skew) return say(reason, n, "the token is not valid yet (nbf)"), EST_EUNAUTHORIZED;
  }
  const json_t *iat = json_object_get(claims, "iat");
  if (iat) {
    if (!numeric_date(iat, &x)) return say(reason, n, "the token's iat is not a NumericDate"), EST_EUNAUTHORIZED;
    if (x > e->now + skew) {
      snprintf(buf, sizeof buf, "the token was issued in the future (iat, more than %d s ahead)", e->skew_s);
      return say(reason, n, buf), EST_EUNAUTHORIZED;
    }
  }
  const json_t *sub = json_object_get(claims, "sub");
  if (!json_is_string(sub) || json_string_length(sub) == 0 || json_string_length(sub) > EST_JWT_SUB_MAX)
    return say(reason, n, "the token has no valid subject (sub, 1 to 255 bytes)"), EST_EUNAUTHORIZED;
  return EST_OK;
}

/* ---- the mapping -------------------------------------------------------- */

typedef struct map_entry {
  char *group;
  char party[EST_PARTY_CODE_MAX + 1]; /* party table */
  unsigned scopes;                    /* scope table */
} map_entry;

struct est_oidc_map {
  char *party_claim, *scope_claim, *scope_prefix;
  char **group_claims;
  size_t n_group_claims;
  map_entry *parties, *scopes;
  size_t n_parties, n_scopes;
};

void est_oidc_map_free(est_oidc_map *m) {
  if (!m) return;
  free(m->party_claim);
  free(m->scope_claim);
  free(m->scope_prefix);
  for (size_t i = 0; i < m->n_group_claims; i++) free(m->group_claims[i]);
  free(m->group_claims);
  for (size_t i = 0; i < m->n_parties; i++) free(m->parties[i].group);
  for (size_t i = 0; i < m->n_scopes; i++) free(m->scopes[i].group);
  free(m->parties);
  free(m->scopes);
  free(m);
}

static char *dup_or_null(const char *s) { return (s && *s) ? strdup(s) : NULL; }

static bool party_code_valid(const char *s, size_t l) {
  if (l == 0 || l > EST_PARTY_CODE_MAX || s[0] == '-' || s[l - 1] == '-') return false;
  for (size_t i = 0; i < l; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    if (c == '-' && i + 1 < l && s[i + 1] == '-') return false;
  }
  return true;
}

/* Parses "group=value,group=value" into entries; for scope tables the value is
 * space-separated scope names. */
static est_result parse_table(const char *spec, bool scopes, map_entry **out, size_t *count, const char *var, char *err,
                              size_t errlen) {
  *out = NULL;
  *count = 0;
  if (!spec || !*spec) return EST_OK;
  for (const char *p = spec;;) {
    size_t l = strcspn(p, ",");
    const char *eq = memchr(p, '=', l);
    if (!eq || eq == p || eq == p + l - 1) {
      snprintf(err, errlen, "%s: entry '%.*s' is not group=%s", var, (int)(l < 80 ? l : 80), p,
               scopes ? "scope [scope...]" : "party-code");
      return EST_ECONFIG;
    }
    map_entry *ne = realloc(*out, (*count + 1) * sizeof *ne);
    if (!ne) return EST_ENOMEM;
    *out = ne;
    map_entry *e = &ne[*count];
    memset(e, 0, sizeof *e);
    e->group = strndup(p, (size_t)(eq - p));
    if (!e->group) return EST_ENOMEM;
    (*count)++;
    const char *v = eq + 1;
    size_t vl = l - (size_t)(v - p);
    if (scopes) {
      for (size_t i = 0; i < vl;) {
        while (i < vl && v[i] == ' ') i++;
        size_t s = i;
        while (i < vl && v[i] != ' ') i++;
        if (i == s) break;
        unsigned bit = est_scope_bit(v + s, i - s);
        if (!bit) {
          snprintf(err, errlen,
                   "%s: '%.*s' is not an estd scope (read, read-detail, write-events, "
                   "write-commitments, admin)",
                   var, (int)(i - s < 40 ? i - s : 40), v + s);
          return EST_ECONFIG;
        }
        e->scopes |= bit;
      }
      if (!e->scopes) {
        snprintf(err, errlen, "%s: group '%s' maps to no scope", var, e->group);
        return EST_ECONFIG;
      }
    } else {
      if (!party_code_valid(v, vl)) {
        snprintf(err, errlen, "%s: '%.*s' is not a party code", var, (int)(vl < 80 ? vl : 80), v);
        return EST_ECONFIG;
      }
      memcpy(e->party, v, vl);
      e->party[vl] = '\0';
    }
    if (!p[l]) break;
    p += l + 1;
  }
  return EST_OK;
}

est_result est_oidc_map_new(const est_oidc_map_config *c, est_oidc_map **out, char *err, size_t errlen) {
  *out = NULL;
  if (errlen) err[0] = '\0';
  est_oidc_map *m = calloc(1, sizeof *m);
  if (!m) return EST_ENOMEM;
  m->party_claim = dup_or_null(c->party_claim);
  m->scope_claim = dup_or_null(c->scope_claim);
  m->scope_prefix = dup_or_null(c->scope_prefix);
  est_result rc = EST_OK;
  if (c->group_claims && *c->group_claims) {
    for (const char *p = c->group_claims; rc == EST_OK;) {
      size_t l = strcspn(p, ",");
      if (l) {
        char **ng = realloc(m->group_claims, (m->n_group_claims + 1) * sizeof *ng);
        if (!ng || !(ng[m->n_group_claims] = strndup(p, l))) {
          if (ng) m->group_claims = ng;
          rc = EST_ENOMEM;
          break;
        }
        m->group_claims = ng;
        m->n_group_claims++;
      }
      if (!p[l]) break;
      p += l + 1;
    }
  }
  if (rc == EST_OK)
    rc = parse_table(c->party_groups, false, &m->parties, &m->n_parties, "ESTD_OIDC_PARTY_GROUPS", err, errlen);
  if (rc == EST_OK)
    rc = parse_table(c->scope_groups, true, &m->scopes, &m->n_scopes, "ESTD_OIDC_SCOPE_GROUPS", err, errlen);
  if (rc == EST_OK && !m->party_claim && m->n_parties == 0) {
    snprintf(err, errlen,
             "ESTD_OIDC_PARTY_CLAIM and ESTD_OIDC_PARTY_GROUPS are both empty: no token could name a party");
    rc = EST_ECONFIG;
  }
  if (rc == EST_OK && m->n_parties && !m->n_group_claims) {
    snprintf(err, errlen, "ESTD_OIDC_PARTY_GROUPS is set but ESTD_OIDC_GROUPS_CLAIM is empty");
    rc = EST_ECONFIG;
  }
  if (rc != EST_OK) {
    if (rc == EST_ENOMEM) snprintf(err, errlen, "out of memory reading the OIDC claim mapping");
    est_oidc_map_free(m);
    return rc == EST_ENOMEM ? EST_ENOMEM : EST_ECONFIG;
  }
  *out = m;
  return EST_OK;
}

/* Calls fn for every value of a claim: each string of an array, or each
 * comma/space-separated word of a string. */
typedef void (*value_fn)(const char *v, size_t l, void *arg);

static void each_value(const json_t *claim, const char *seps, value_fn fn, void *arg) {
  if (json_is_array(claim)) {
    size_t i;
    const json_t *v;
    json_array_foreach(claim, i, v) if (json_is_string(v)) fn(json_string_value(v), json_string_length(v), arg);
  } else if (json_is_string(claim)) {
    const char *s = json_string_value(claim);
    size_t n = json_string_length(claim);
    for (size_t i = 0; i < n;) {
      while (i < n && strchr(seps, s[i])) i++;
      size_t st = i;
      while (i < n && !strchr(seps, s[i])) i++;
      if (i > st) fn(s + st, i - st, arg);
    }
  }
}

typedef struct group_acc {
  const est_oidc_map *m;
  const char *party; /* first party found via the table */
  bool ambiguous;
  unsigned scopes;
} group_acc;

static void on_group(const char *v, size_t l, void *arg) {
  group_acc *a = arg;
  for (size_t i = 0; i < a->m->n_parties; i++) {
    const map_entry *e = &a->m->parties[i];
    if (strlen(e->group) == l && memcmp(e->group, v, l) == 0) {
      if (a->party && strcmp(a->party, e->party) != 0) a->ambiguous = true;
      if (!a->party) a->party = e->party;
    }
  }
  for (size_t i = 0; i < a->m->n_scopes; i++) {
    const map_entry *e = &a->m->scopes[i];
    if (strlen(e->group) == l && memcmp(e->group, v, l) == 0) a->scopes |= e->scopes;
  }
}

typedef struct scope_acc {
  const char *prefix;
  unsigned scopes;
} scope_acc;

static void on_scope(const char *v, size_t l, void *arg) {
  scope_acc *a = arg;
  size_t pl = a->prefix ? strlen(a->prefix) : 0;
  if (l <= pl || (pl && memcmp(v, a->prefix, pl) != 0)) return;
  a->scopes |= est_scope_bit(v + pl, l - pl);
}

est_result est_oidc_map_claims(const est_oidc_map *m, const json_t *claims, est_oidc_identity *out, char *reason,
                               size_t n) {
  memset(out, 0, sizeof *out);
  group_acc g = {m, NULL, false, 0};
  for (size_t i = 0; i < m->n_group_claims; i++)
    each_value(json_object_get(claims, m->group_claims[i]), ", ", on_group, &g);
  const json_t *pc = m->party_claim ? json_object_get(claims, m->party_claim) : NULL;
  if (pc) {
    if (!json_is_string(pc) || !party_code_valid(json_string_value(pc), json_string_length(pc))) {
      if (n) snprintf(reason, n, "the token's %s claim is not a party code", m->party_claim);
      return EST_EFORBIDDEN;
    }
    snprintf(out->party, sizeof out->party, "%s", json_string_value(pc));
  } else if (g.ambiguous) {
    if (n) snprintf(reason, n, "the token's groups map to more than one party; estd needs exactly one");
    return EST_EFORBIDDEN;
  } else if (g.party) {
    snprintf(out->party, sizeof out->party, "%s", g.party);
  } else {
    if (n)
      snprintf(reason, n,
               "the token maps to no party: it has no %s%s%s claim and none of its groups is in the "
               "party table",
               m->party_claim ? "'" : "", m->party_claim ? m->party_claim : "party", m->party_claim ? "'" : "");
    return EST_EFORBIDDEN;
  }
  scope_acc s = {m->scope_prefix, 0};
  if (m->scope_claim) each_value(json_object_get(claims, m->scope_claim), " ", on_scope, &s);
  out->scopes = s.scopes | g.scopes;
  if (!out->scopes) {
    if (n)
      snprintf(reason, n, "the token grants no estd scope (read, read-detail, write-events, write-commitments, admin)");
    return EST_EFORBIDDEN;
  }
  return EST_OK;
}
