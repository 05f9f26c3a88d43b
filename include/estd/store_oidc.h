/* store_oidc.h - OpenID Connect rows (migration 0050): party lookup by
 * code, pending web sign-ins (single-use state) and web sessions. */
#ifndef ESTD_STORE_OIDC_H
#define ESTD_STORE_OIDC_H

#include "estd/pool.h"
#include "estd/result.h"

/* EST_ENOTFOUND when no party has this code. */
est_result store_party_id_by_code(est_pool *pool, const char *code, long long *id);

/* Records a pending sign-in for ttl_s seconds (expired rows are removed on
 * the way). EST_EINVAL if a value breaks the table's format constraints. */
est_result store_oidc_login_put(est_pool *pool, const char *state, const char *nonce, const char *verifier,
                                const char *return_to, int ttl_s);
/* Takes (deletes) the pending sign-in for state; EST_ENOTFOUND if unknown,
 * expired or already used. Buffers: nonce/verifier 129, return_to 1025. */
est_result store_oidc_login_take(est_pool *pool, const char *state, char nonce[129], char verifier[129],
                                 char return_to[1025]);

typedef struct store_session {
  long long id;
  long long party_id;
  char party_code[65];
  char scopes[96]; /* comma-separated */
  char csrf[64];
  char sub[256];
  char iss[256];
  char name[201];
  long long expires_at; /* epoch seconds */
} store_session;

/* token_hash_hex: 64 hex digits of SHA-256(cookie value). *id receives the row id.
 * Sessions expired or ended more than a day ago are removed on the way. */
est_result store_session_create(est_pool *pool, const char *token_hash_hex, const char *csrf, const char *sub,
                                const char *iss, const char *name, long long party_id, const char *scopes_csv,
                                int ttl_s, long long *id);
/* A live session (not ended, not expired); EST_ENOTFOUND otherwise. */
est_result store_session_find(est_pool *pool, const char *token_hash_hex, store_session *out);
/* Ends a session (idempotent: EST_OK also when already ended or unknown). */
est_result store_session_end(est_pool *pool, const char *token_hash_hex);

#endif
