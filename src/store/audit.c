/* audit.c - audit trail rows (see audit.h). */
#include "estd/audit.h"

#include <stdlib.h>

#include "estd/personnummer.h"
#include "estd/store_util.h"

static const est_stmt audit_insert = {
    "audit_insert",
    "INSERT INTO audit_log (key_id, party_id, request_id, action, entity, entity_id, before, after, sub, iss) "
    "VALUES (NULLIF($1::bigint, 0), NULLIF($2::bigint, 0), $3, $4, $5, $6::bigint, $7::jsonb, $8::jsonb, $9, $10)",
    10};

est_result store_audit_write(est_conn *c, const est_actor *who, const char *action, const char *entity,
                             long long entity_id, const char *before, const char *after) {
  char kb[24], pb[24], eb[24];
  /* The last line of defence: inputs are screened where they enter, but an
   * image is a whole row (and rows written before a rule existed). */
  char *rb = est_pnr_redact_json_text(before), *ra = est_pnr_redact_json_text(after);
  bool oidc = who && who->sub && who->sub[0] && who->iss && who->iss[0];
  const char *params[10] = {store_lld(kb, who ? who->key_id : 0),
                            store_lld(pb, who ? who->party_id : 0),
                            who ? who->request_id : NULL,
                            action,
                            entity,
                            store_lld_or_null(eb, entity_id),
                            rb ? rb : before,
                            ra ? ra : after,
                            oidc ? who->sub : NULL,
                            oidc ? who->iss : NULL};
  PGresult *r;
  est_result rc = est_db_exec(c, &audit_insert, params, &r, NULL);
  PQclear(r);
  free(rb);
  free(ra);
  return rc;
}
