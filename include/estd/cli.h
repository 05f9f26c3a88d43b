/* cli.h - helpers of the estd subcommands (app/cli.c): options and the
 * database pool a command runs on. */
#ifndef ESTD_CLI_H
#define ESTD_CLI_H

#include <stdbool.h>

#include "estd/config.h"
#include "estd/pool.h"

/* Matches argv[*i] against "--name VALUE" or "--name=VALUE"; advances *i
 * past a separate value. *val is NULL when the value is missing. */
bool est_cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* A one-connection pool on ESTD_DATABASE_URL for command cmd ("keys");
 * returns 0, or 1 after one line on stderr. */
int est_cli_pool(const est_config *cfg, const char *cmd, est_pool **pool);

#endif
