/* areas_cli.h - `estd areas import FILE` (app/areas_cli.c). */
#ifndef ESTD_AREAS_CLI_H
#define ESTD_AREAS_CLI_H

#include "estd/config.h"

/* Runs the areas subcommand (argv[0] is its name); returns the exit code:
 * 0 done, 1 refused or failed (with a report on stderr), 2 usage. */
int est_areas_cli_run(int argc, char **argv, const est_config *cfg);

#endif
