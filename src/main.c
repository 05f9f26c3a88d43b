/* main.c - the estd command line: serve, migrate, seed, routes, reasons,
 * healthcheck, keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/areas_cli.h"
#include "estd/auth.h"
#include "estd/config.h"
#include "estd/event.h"
#include "estd/healthcheck.h"
#include "estd/http_server.h"
#include "estd/keys_cli.h"
#include "estd/lifecycle.h"
#include "estd/log_bridge.h"
#include "estd/log.h"
#include "estd/migrate.h"
#include "estd/personnummer.h"
#include "estd/police_poll.h"
#include "estd/pool.h"
#include "estd/retention.h"
#include "estd/sources_cli.h"
#include "estd/version.h"

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: estd <command> [options]\n"
      "\n"
      "commands:\n"
      "  serve      run the HTTP API (and the Kafka consumer if ESTD_KAFKA_BROKERS is set)\n"
      "  migrate    apply pending database migrations from ESTD_SQL_DIR/migrations\n"
      "  seed       load the seed data (the Boras agreement 2018-2020); idempotent;\n"
      "             --dev also the development/test data (sql/seed-dev: sample sources)\n"
      "  sources    the event source registry: sources add|list|archive|restore\n"
      "  areas      official boundaries: areas import FILE (GeoPackage, Shapefile, GeoJSON; estd areas --help)\n"
      "  retention  retention run: one gallring run now (serve runs it on a schedule)\n"
      "  routes     print every registered route as \"METHOD PATH\" (--scopes: and its scopes; --query: and its query parameters)\n"
      "  reasons    print the intake reason codes as \"CODE dead_letter|event\" (EST_EVENT_REASONS)\n"
      "  healthcheck  GET /livez on ESTD_PORT (exit 0 when healthy; for container health checks)\n"
      "  keys       manage API keys: keys create|list|revoke (see estd keys --help)\n"
      "  police-feed  the polisen.se events API: police-feed poll|types (see estd police-feed --help)\n"
      "  --version  print the version\n"
      "  --help     print this help\n"
      "\n"
      "Configuration comes from ESTD_* environment variables; see README.md.\n");
}

static int with_pool(const est_config *cfg, est_pool **pool) {
  if (est_pool_create(pool, cfg->database_url, 1, cfg->db_acquire_timeout_ms, 0) != EST_OK) {
    fprintf(stderr, "estd: cannot create database pool\n");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  est_log_set_redactor(est_pnr_redact); /* no personal identity number in any log line */
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("estd %s\n", ESTD_VERSION);
    return 0;
  }
  if (strcmp(cmd, "routes") == 0) {
    /* --scopes adds a third column: "public", "-" (any key) or the scopes. */
    bool scopes = argc > 2 && strcmp(argv[2], "--scopes") == 0;
    bool query = argc > 2 && strcmp(argv[2], "--query") == 0; /* the query parameters it takes */
    for (const http_route *const *t = http_route_tables(); *t; t++)
      for (const http_route *r = *t; r->method; r++) {
        char sc[128] = "-";
        if (r->flags & HTTP_ROUTE_PUBLIC) snprintf(sc, sizeof sc, "public");
        else if (r->scopes) est_scopes_format(r->scopes, sc, sizeof sc);
        if (scopes) printf("%s %s %s\n", r->method, r->path, sc);
        else if (query) printf("%s %s %s\n", r->method, r->path, r->query ? r->query : "");
        else printf("%s %s\n", r->method, r->path);
      }
    return 0;
  }
  if (strcmp(cmd, "reasons") == 0) {
    for (const char *const *r = est_event_reasons; *r; r++) {
      bool dl = false;
      for (const char *const *d = est_event_dead_letter_reasons; *d && !dl; d++) dl = strcmp(*d, *r) == 0;
      printf("%s %s\n", *r, dl ? "dead_letter" : "event");
    }
    return 0;
  }
  est_config cfg;
  char err[512];
  if (est_config_load(&cfg, NULL, err, sizeof err) != EST_OK) {
    /* Exactly one line: control characters from the offending value are
     * masked so a stray newline cannot split it. */
    for (char *p = err; *p; p++)
      if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    fprintf(stderr, "estd: configuration error: %s\n", err);
    return 2;
  }
  est_log_set_level(cfg.log_level);
  int code = 0;
  if (strcmp(cmd, "serve") == 0) {
    est_log_bridge_init();
    code = est_serve_run(&cfg);
    est_log_bridge_close();
  } else if (strcmp(cmd, "healthcheck") == 0) {
    code = est_healthcheck_run(&cfg, argc > 2 ? argv[2] : "/livez", 3000);
  } else if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "seed") == 0) {
    est_pool *pool;
    if ((code = with_pool(&cfg, &pool)) == 0) {
      int applied = 0;
      est_result rc = est_migrate_apply(pool, cfg.sql_dir, &applied);
      bool dev = argc > 2 && strcmp(argv[2], "--dev") == 0;
      if (rc == EST_OK && strcmp(cmd, "seed") == 0) rc = est_seed_apply(pool, cfg.sql_dir, dev);
      if (rc != EST_OK) {
        fprintf(stderr, "estd: %s failed: %s\n", cmd, est_result_str(rc));
        code = 1;
      } else if (strcmp(cmd, "migrate") == 0) {
        printf("%d migration(s) applied\n", applied);
      } else {
        printf("seed data loaded\n");
      }
      est_pool_destroy(pool);
    }
  } else if (strcmp(cmd, "retention") == 0) {
    code = est_retention_cli_run(argc - 2, argv + 2, &cfg);
  } else if (strcmp(cmd, "areas") == 0) {
    code = est_areas_cli_run(argc - 2, argv + 2, &cfg);
  } else if (strcmp(cmd, "sources") == 0) {
    code = est_sources_cli_run(argc - 2, argv + 2, &cfg);
  } else if (strcmp(cmd, "keys") == 0) {
    code = est_keys_cli_run(argc - 2, argv + 2, &cfg);
  } else if (strcmp(cmd, "police-feed") == 0) {
    code = est_police_cli_run(argc - 2, argv + 2, &cfg);
  } else {
    fprintf(stderr, "estd: unknown command '%s'\n", cmd);
    usage(stderr);
    code = 2;
  }
  est_config_free(&cfg);
  return code;
}
