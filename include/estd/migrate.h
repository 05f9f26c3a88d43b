/* migrate.h - schema migrations and seed data from the sql/ directory.
 *
 * Migrations are sql/migrations/NNNN_name.sql, applied in lexical order,
 * each in its own transaction together with its row in schema_migrations.
 * A session advisory lock serialises concurrent instances, so two estd
 * processes starting at once apply each migration exactly once. */
#ifndef ESTD_MIGRATE_H
#define ESTD_MIGRATE_H

#include <stdbool.h>

#include "estd/pool.h"
#include "estd/result.h"

/* Applies pending migrations; *applied (may be NULL) gets how many. */
est_result est_migrate_apply(est_pool *pool, const char *sql_dir, int *applied);
/* Counts migrations present in sql_dir but not applied (0 = current). */
est_result est_migrate_pending(est_pool *pool, const char *sql_dir, int *pending);
/* Runs every .sql file of sql/seed in one transaction (the files are
 * idempotent), then with dev those of sql/seed-dev (development and test
 * data: the sample sources; never for production). */
est_result est_seed_apply(est_pool *pool, const char *sql_dir, bool dev);
/* Runs every .sql file of sql_dir/sub in one transaction. */
est_result est_seed_dir_apply(est_pool *pool, const char *sql_dir, const char *sub);

#endif
