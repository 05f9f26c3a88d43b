/* store_keys.h - API keys (table api_keys, migration 0031).
 *
 * Only the key's public prefix and an HMAC of the whole key are stored;
 * see auth.h for the key format and hashing. Keys are revoked, never
 * deleted. Creation and revocation write an audit row (entity "api_key")
 * in the same transaction; the audit images never contain the hash. */
#ifndef ESTD_STORE_KEYS_H
#define ESTD_STORE_KEYS_H

#include <stdbool.h>
#include "estd/actor.h"
#include "estd/pool.h"
#include "estd/result.h"

#define STORE_KEY_HASH_LEN 32

/* What authentication needs about one key. */
typedef struct store_key_row {
  long long id;
  long long party_id;
  char scopes[128];                       /* comma-separated scope names */
  unsigned char hash[STORE_KEY_HASH_LEN]; /* stored HMAC */
  bool revoked;
  bool touch_due; /* last_used_at NULL or older than a minute */
} store_key_row;

/* Inserts a key for the party with this code. scopes_csv: validated scope
 * names, comma-separated. name/description may be NULL. On success *id and
 * *party_id are set. EST_ENOTFOUND: no party with that code; EST_ECONFLICT:
 * the prefix exists (retry with a new key); EST_EINVAL: a constraint failed. */
est_result store_key_create(est_pool *pool, const est_actor *who, const char *party_code, const char *scopes_csv,
                            const char *name, const char *description, const char *prefix,
                            const unsigned char hash[STORE_KEY_HASH_LEN], long long *id, long long *party_id);

/* Looks a key up by prefix (revoked keys too). EST_ENOTFOUND if none. */
est_result store_key_find(est_pool *pool, const char *prefix, store_key_row *out);

/* Sets last_used_at = now() unless it was set less than a minute ago. */
est_result store_key_touch(est_pool *pool, long long id);

/* Every key as a JSON array text of {id, prefix, party_id, party_code,
 * scopes, name, description, created_at, revoked_at, last_used_at}, oldest
 * first; *json is malloc'd (caller frees). Never contains hashes. */
est_result store_keys_list(est_pool *pool, char **json);

/* Revokes the key whose prefix (or decimal id) is `which`. On success *json
 * (malloc'd, may be NULL) describes the key. EST_ENOTFOUND: no such key;
 * EST_ECONFLICT: it was already revoked. */
est_result store_key_revoke(est_pool *pool, const est_actor *who, const char *which, char **json);

#endif
