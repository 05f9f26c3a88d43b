/* oidc.c - party lookup, pending sign-ins and web sessions (see store_oidc.h). */
#include "estd/store_oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/store_util.h"

static const est_stmt party_by_code = {"oidc_party_by_code", "SELECT id FROM parties WHERE code = $1", 1};

static const est_stmt login_put = {"oidc_login_put",
                                   "WITH gc AS (DELETE FROM oidc_logins WHERE expires_at < now() - interval '1 hour') "
                                   "INSERT INTO oidc_logins (state, nonce, code_verifier, return_to, expires_at) "
                                   "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::int))",
                                   5};

static const est_stmt login_take = {
    "oidc_login_take",
    "DELETE FROM oidc_logins WHERE state = $1 AND expires_at > now() RETURNING nonce, code_verifier, return_to", 1};

static const est_stmt session_create = {
    "web_session_create",
    "WITH gc AS (DELETE FROM web_sessions WHERE expires_at < now() - interval '1 day' "
    "OR ended_at < now() - interval '1 day') "
    "INSERT INTO web_sessions (token_hash, csrf_token, sub, iss, name, party_id, scopes, expires_at) "
    "VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6::bigint, string_to_array($7, ','), "
    "now() + make_interval(secs => $8::int)) RETURNING id",
    8};

static const est_stmt session_find = {
    "web_session_find",
    "SELECT s.id, s.party_id, p.code, array_to_string(s.scopes, ','), s.csrf_token, s.sub, s.iss, "
    "COALESCE(s.name, ''), extract(epoch FROM s.expires_at)::bigint FROM web_sessions s "
    "JOIN parties p ON p.id = s.party_id "
    "WHERE s.token_hash = decode($1, 'hex') AND s.ended_at IS NULL AND s.expires_at > now()",
    1};

static const est_stmt session_end = {
    "web_session_end",
    "UPDATE web_sessions SET ended_at = now() WHERE token_hash = decode($1, 'hex') AND ended_at IS NULL", 1};

est_result store_party_id_by_code(est_pool *pool, const char *code, long long *id) {
  const char *params[1] = {code};
  PGresult *r;
  est_result rc = store_exec1(pool, &party_by_code, params, &r, NULL);
  if (rc != EST_OK) return rc;
  if (PQntuples(r) == 0) rc = EST_ENOTFOUND;
  else *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return rc;
}

est_result store_oidc_login_put(est_pool *pool, const char *state, const char *nonce, const char *verifier,
                                const char *return_to, int ttl_s) {
  char tb[24];
  const char *params[5] = {state, nonce, verifier, return_to, store_lld(tb, ttl_s)};
  PGresult *r;
  char st[6] = "";
  est_result rc = store_exec1(pool, &login_put, params, &r, st);
  PQclear(r);
  if (rc != EST_OK && strcmp(st, "23514") == 0) return EST_EINVAL; /* check_violation */
  return rc;
}

est_result store_oidc_login_take(est_pool *pool, const char *state, char nonce[129], char verifier[129],
                                 char return_to[1025]) {
  PGresult *r;
  est_result rc = store_row_by_text(pool, &login_take, state, &r);
  if (rc != EST_OK) return rc;
  snprintf(nonce, 129, "%s", PQgetvalue(r, 0, 0));
  snprintf(verifier, 129, "%s", PQgetvalue(r, 0, 1));
  snprintf(return_to, 1025, "%s", PQgetvalue(r, 0, 2));
  PQclear(r);
  return EST_OK;
}

est_result store_session_create(est_pool *pool, const char *token_hash_hex, const char *csrf, const char *sub,
                                const char *iss, const char *name, long long party_id, const char *scopes_csv,
                                int ttl_s, long long *id) {
  char pb[24], tb[24];
  const char *params[8] = {
      token_hash_hex,      csrf, sub, iss, name && *name ? name : NULL, store_lld(pb, party_id), scopes_csv,
      store_lld(tb, ttl_s)};
  PGresult *r;
  est_result rc = store_exec1(pool, &session_create, params, &r, NULL);
  if (rc == EST_OK) *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return rc;
}

est_result store_session_find(est_pool *pool, const char *token_hash_hex, store_session *out) {
  memset(out, 0, sizeof *out);
  PGresult *r;
  est_result rc = store_row_by_text(pool, &session_find, token_hash_hex, &r);
  if (rc != EST_OK) return rc;
  out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  out->party_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
  snprintf(out->party_code, sizeof out->party_code, "%s", PQgetvalue(r, 0, 2));
  snprintf(out->scopes, sizeof out->scopes, "%s", PQgetvalue(r, 0, 3));
  snprintf(out->csrf, sizeof out->csrf, "%s", PQgetvalue(r, 0, 4));
  snprintf(out->sub, sizeof out->sub, "%s", PQgetvalue(r, 0, 5));
  snprintf(out->iss, sizeof out->iss, "%s", PQgetvalue(r, 0, 6));
  snprintf(out->name, sizeof out->name, "%s", PQgetvalue(r, 0, 7));
  out->expires_at = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
  PQclear(r);
  return EST_OK;
}

est_result store_session_end(est_pool *pool, const char *token_hash_hex) {
  const char *params[1] = {token_hash_hex};
  PGresult *r;
  est_result rc = store_exec1(pool, &session_end, params, &r, NULL);
  PQclear(r);
  return rc;
}
