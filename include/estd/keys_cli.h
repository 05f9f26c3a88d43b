/* keys_cli.h - `estd keys create|list|revoke` (app/keys_cli.c). */
#ifndef ESTD_KEYS_CLI_H
#define ESTD_KEYS_CLI_H

#include "estd/config.h"

/* Runs the keys subcommand with its arguments (argv[0] is the subcommand
 * name); returns the process exit code. */
int est_keys_cli_run(int argc, char **argv, const est_config *cfg);

#endif
