/* sources_cli.h - `estd sources add|list|archive|restore` (app/sources_cli.c). */
#ifndef ESTD_SOURCES_CLI_H
#define ESTD_SOURCES_CLI_H

#include "estd/config.h"

/* Runs the sources subcommand (argv[0] is its name); returns the exit code. */
int est_sources_cli_run(int argc, char **argv, const est_config *cfg);

#endif
