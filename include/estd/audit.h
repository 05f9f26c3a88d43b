/* audit.h - the audit trail (store/ only: it writes on the caller's
 * connection so the audit row commits or rolls back with the write). */
#ifndef ESTD_AUDIT_H
#define ESTD_AUDIT_H

#include "estd/actor.h"
#include "estd/db.h"

/* Inserts one audit row on c, inside the caller's open transaction.
 * action: create|update|delete|ingest|resubmit; entity: table-like name
 * ("commitment"); before/after: JSON texts or NULL. */
est_result store_audit_write(est_conn *c, const est_actor *who, const char *action, const char *entity,
                             long long entity_id, const char *before, const char *after);

#endif
