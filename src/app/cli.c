/* cli.c - helpers of the estd subcommands (see cli.h). */
#include "estd/cli.h"

#include <stdio.h>
#include <string.h>

bool est_cli_opt(int argc, char **argv, int *i, const char *name, const char **val) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return false;
  if (argv[*i][n] == '=') {
    *val = argv[*i] + n + 1;
    return true;
  }
  if (argv[*i][n] != '\0') return false;
  *val = *i + 1 < argc ? argv[++*i] : NULL;
  return true;
}

int est_cli_pool(const est_config *cfg, const char *cmd, est_pool **pool) {
  if (est_pool_create(pool, cfg->database_url, 1, cfg->db_acquire_timeout_ms, 0) != EST_OK) {
    fprintf(stderr, "estd: %s: cannot create the database pool\n", cmd);
    return 1;
  }
  return 0;
}
