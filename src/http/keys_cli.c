/* keys_cli.c - placeholder until API keys land (issue 5). */
#include <stdio.h>
#include "estd/config.h"

int est_cli_keys(int argc, char **argv, const est_config *cfg);
int est_cli_keys(int argc, char **argv, const est_config *cfg) {
  (void)argc; (void)argv; (void)cfg;
  fprintf(stderr, "estd: keys: not available in this build\n");
  return 2;
}
