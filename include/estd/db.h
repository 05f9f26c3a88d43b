/* db.h - statement execution on a pooled connection (store/ only).
 *
 * Statements are declared once as static est_stmt values and prepared
 * lazily on each connection the first time they are used there. Every
 * value reaches PostgreSQL as a parameter; SQL text is never built from
 * user input. */
#ifndef ESTD_DB_H
#define ESTD_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include "estd/pool.h"

typedef struct est_stmt {
  const char *name; /* unique, used as the prepared statement name */
  const char *sql;
  int nparams;
} est_stmt;

/* Executes stmt with text parameters (NULL entries are SQL NULL).
 * On success *out is the result (PGRES_TUPLES_OK or PGRES_COMMAND_OK),
 * owned by the caller (PQclear). On failure returns a mapped est_result,
 * and if sqlstate is not NULL copies the 5-char SQLSTATE into it (or ""). */
est_result est_db_exec(est_conn *c, const est_stmt *stmt, const char *const *params, PGresult **out, char sqlstate[6]);
/* One statement of est_db_exec_batch: a prepared statement with its text
 * parameters, or (stmt NULL) a parameterless utility command sql (BEGIN,
 * SET LOCAL ...; one command, no parameters); out is its result. binary:
 * every result column in PostgreSQL's binary send format (PQgetvalue gives
 * the raw bytes: big-endian integers and float8), for large numeric results
 * whose text form would cost more to print and parse than to compute; the
 * statement must fix each column's type. */
typedef struct est_db_item {
  const est_stmt *stmt;
  const char *const *params;
  const char *sql;
  bool binary;
  PGresult *out;
} est_db_item;
#define EST_DB_BATCH_MAX 16

/* Executes items[0..n) (n <= EST_DB_BATCH_MAX) on c in order, in one round
 * trip (libpq pipeline mode), within one deadline as est_db_exec. On
 * success every item's out is set (PGRES_TUPLES_OK or PGRES_COMMAND_OK,
 * caller PQclears). On failure no out is set and the first failing item's
 * error is returned as est_db_exec returns it; the items after it did not
 * run (an open transaction is aborted by the failure, as with est_db_exec). */
est_result est_db_exec_batch(est_conn *c, est_db_item *items, size_t n, char sqlstate[6]);
/* Runs a parameterless utility command (BEGIN, COMMIT, ROLLBACK, ...) or
 * trusted SQL text of several statements (migrations); the first failing
 * statement's error is returned. Same deadline as est_db_exec. */
est_result est_db_command(est_conn *c, const char *sql);
/* COMMITs the transaction open on c (est_db_command(c, "COMMIT") unless
 * c's pool has a read replica: then the same round trip also records the
 * commit's WAL position for est_db_commit_lsn_take, pool.h). */
est_result est_db_commit(est_conn *c);
/* Runs `copy_sql` (a COPY ... FROM STDIN) on c and sends data[0..len) as
 * its input, within the same deadline as est_db_exec; the result mapping
 * and sqlstate are those of est_db_exec. The data must already be in the
 * COPY's format (e.g. PostgreSQL's binary COPY format). */
est_result est_db_copy_in(est_conn *c, const char *copy_sql, const void *data, size_t len, char sqlstate[6]);
/* The est_result of a failed statement's SQLSTATE (NULL: no SQLSTATE, the
 * connection failed). on_replica: the statement ran on a read replica
 * (est_pool_attach_replica), where 40001/40P01 mean the standby cancelled it
 * for a conflict with recovery (replaying a cleanup or a lock the read's
 * snapshot conflicts with), not that the caller's request conflicts:
 * EST_EUNAVAILABLE then (503 with Retry-After; the connection is replaced),
 * on the primary EST_ECONFLICT (a serialization failure or deadlock). */
est_result est_db_map_sqlstate(const char *sqlstate, bool on_replica);
PGconn *est_conn_pg(est_conn *c);
/* Sets the deadline class of c until it is released (see pool.h). */
void est_conn_set_class(est_conn *c, est_db_class cls);
/* The constraint named by the last failed est_db_exec on c
 * (PG_DIAG_CONSTRAINT_NAME), "" if none; valid until the next exec on c. */
const char *est_conn_last_constraint(est_conn *c);
/* A valid one-line message for the last error on c (owned by libpq). */
const char *est_conn_error(est_conn *c);

#endif
