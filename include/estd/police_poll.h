/* police_poll.h - `estd police-feed poll|types` (app/police_poll.c): the
 * optional poller of the polisen.se events API and the feed's type list.
 * docs/OPERATIONS.md "Police feed poller". */
#ifndef ESTD_POLICE_POLL_H
#define ESTD_POLICE_POLL_H

#include "estd/config.h"

/* Runs the police-feed subcommand (argv[0] is its name); returns the exit
 * code: 0 done, 1 failure, 2 usage/configuration, 3 the API answered 404
 * (final: the poller stops and does not poll that URL again until run with
 * --retry-gone), 4 (--once) the call was refused (429/5xx/no answer). */
int est_police_cli_run(int argc, char **argv, const est_config *cfg);

#endif
