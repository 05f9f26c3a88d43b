/* keys.c - API keys (see store_keys.h). */
#include "estd/store_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_util.h"

#define KEY_JSON                                                                                   \
  "json_build_object('id', k.id, 'prefix', k.prefix, 'party_id', k.party_id, 'party_code', "       \
  "(SELECT p.code FROM parties p WHERE p.id = k.party_id), 'scopes', to_json(k.scopes), 'name', "  \
  "k.name, 'description', k.description, 'created_at', k.created_at, 'revoked_at', k.revoked_at, " \
  "'last_used_at', k.last_used_at)::text"

static const est_stmt key_insert = {
    "key_insert",
    "WITH k AS (INSERT INTO api_keys (prefix, secret_hash, party_id, scopes, name, description) "
    "SELECT $2, decode($3, 'hex'), p.id, string_to_array($4, ','), $5, $6 FROM parties p WHERE p.code = $1 "
    "RETURNING *) SELECT k.id, k.party_id, " KEY_JSON " FROM k",
    6};

static const est_stmt key_find = {
    "key_find",
    "SELECT id, party_id, array_to_string(scopes, ','), encode(secret_hash, 'hex'), revoked_at IS NOT NULL, "
    "last_used_at IS NULL OR last_used_at < now() - interval '1 minute' FROM api_keys WHERE prefix = $1",
    1};

static const est_stmt key_touch = {
    "key_touch",
    "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < "
    "now() - interval '1 minute')",
    1};

static const est_stmt key_list = {
    "key_list",
    "SELECT COALESCE(json_agg(x.j ORDER BY x.id), '[]')::text FROM (SELECT k.id, " KEY_JSON
    "::json AS j FROM api_keys k) x",
    0};

/* $1 prefix or NULL, $2 id or NULL. */
static const est_stmt key_revoke = {
    "key_revoke",
    "WITH old AS (SELECT k.id, " KEY_JSON
    " AS j FROM api_keys k WHERE (k.prefix = $1 OR k.id = $2::bigint) "
    "AND k.revoked_at IS NULL FOR UPDATE), upd AS (UPDATE api_keys k SET revoked_at = now() FROM old "
    "WHERE k.id = old.id RETURNING k.*) SELECT k.id, old.j, " KEY_JSON " FROM upd k JOIN old ON old.id = k.id",
    2};

static const est_stmt key_exists = {"key_exists", "SELECT 1 FROM api_keys WHERE prefix = $1 OR id = $2::bigint", 2};

static void hex_encode(const unsigned char *b, size_t n, char *out) {
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hx[b[i] >> 4];
    out[2 * i + 1] = hx[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

est_result store_key_find(est_pool *pool, const char *prefix, store_key_row *out) {
  memset(out, 0, sizeof *out);
  PGresult *r;
  est_result rc = store_row_by_text(pool, &key_find, prefix, &r);
  if (rc != EST_OK) return rc;
  const char *h = PQgetvalue(r, 0, 3);
  out->revoked = PQgetvalue(r, 0, 4)[0] == 't';
  out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  out->party_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
  snprintf(out->scopes, sizeof out->scopes, "%s", PQgetvalue(r, 0, 2));
  if (strlen(h) != 2 * STORE_KEY_HASH_LEN) rc = EST_EINTERNAL;
  for (size_t i = 0; rc == EST_OK && i < STORE_KEY_HASH_LEN; i++) {
    int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
    if (hi < 0 || lo < 0) rc = EST_EINTERNAL;
    else out->hash[i] = (unsigned char)(hi << 4 | lo);
  }
  out->touch_due = PQgetvalue(r, 0, 5)[0] == 't';
  PQclear(r);
  return rc;
}

est_result store_key_create(est_pool *pool, const est_actor *who, const char *party_code, const char *scopes_csv,
                            const char *name, const char *description, const char *prefix,
                            const unsigned char hash[STORE_KEY_HASH_LEN], long long *id, long long *party_id) {
  char hx[2 * STORE_KEY_HASH_LEN + 1];
  hex_encode(hash, STORE_KEY_HASH_LEN, hx);
  const char *params[6] = {party_code, prefix, hx, scopes_csv, name, description};
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  PGresult *r = NULL;
  rc = est_db_exec(c, &key_insert, params, &r, NULL);
  if (rc == EST_OK && PQntuples(r) == 0) rc = EST_ENOTFOUND;
  if (rc == EST_OK) {
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    *party_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    rc = store_audit_write(c, who, "create", "api_key", *id, NULL, PQgetvalue(r, 0, 2));
  }
  rc = store_tx_end(pool, c, rc);
  PQclear(r);
  return rc;
}

est_result store_key_touch(est_pool *pool, long long id) {
  char ib[24];
  const char *params[1] = {store_lld(ib, id)};
  PGresult *r;
  est_result rc = store_exec1(pool, &key_touch, params, &r, NULL);
  PQclear(r);
  return rc;
}

est_result store_keys_list(est_pool *pool, char **json) {
  *json = NULL;
  PGresult *r;
  est_result rc = store_exec1(pool, &key_list, NULL, &r, NULL);
  if (rc != EST_OK) return rc;
  *json = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "[]");
  PQclear(r);
  return *json ? EST_OK : EST_ENOMEM;
}

est_result store_key_revoke(est_pool *pool, const est_actor *who, const char *which, char **json) {
  *json = NULL;
  bool numeric = which[0] != '\0' && strspn(which, "0123456789") == strlen(which) && strlen(which) <= 18;
  const char *params[2] = {numeric ? NULL : which, numeric ? which : NULL};
  est_conn *c;
  est_result rc = store_tx_begin(pool, &c);
  if (rc != EST_OK) return rc;
  PGresult *r = NULL;
  rc = est_db_exec(c, &key_revoke, params, &r, NULL);
  if (rc == EST_OK && PQntuples(r) == 0) {
    PQclear(r);
    r = NULL;
    rc = est_db_exec(c, &key_exists, params, &r, NULL);
    if (rc == EST_OK) rc = PQntuples(r) ? EST_ECONFLICT : EST_ENOTFOUND;
  } else if (rc == EST_OK) {
    long long id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    rc = store_audit_write(c, who, "update", "api_key", id, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
  }
  rc = store_tx_end(pool, c, rc);
  if (rc == EST_OK && !(*json = strdup(PQgetvalue(r, 0, 2)))) rc = EST_ENOMEM;
  PQclear(r);
  return rc;
}
