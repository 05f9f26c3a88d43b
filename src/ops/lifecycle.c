/* lifecycle.c - start, serve, drain and stop (see lifecycle.h). */
#include "estd/lifecycle.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "estd/app.h"
#include "estd/auth.h"
#include "estd/http.h"
#include "estd/intake.h"
#include "estd/log.h"
#include "estd/migrate.h"
#include "estd/pool.h"

/* Waits for the database at start (e.g. a compose stack starting up). */
static est_result migrate_with_retry(est_pool *pool, const char *sql_dir, int max_wait_s) {
  int waited_ms = 0, delay_ms = 200;
  for (;;) {
    est_result rc = est_migrate_apply(pool, sql_dir, NULL);
    if (rc != EST_EUNAVAILABLE || waited_ms >= max_wait_s * 1000) return rc;
    est_log(EST_LOG_WARN, "database not reachable, retrying in %d ms", delay_ms);
    usleep((useconds_t)delay_ms * 1000);
    waited_ms += delay_ms;
    if (delay_ms < 2000) delay_ms *= 2;
  }
}

int est_serve_run(const est_config *cfg) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  /* Block before any thread starts so every thread inherits the mask. */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  est_app app;
  memset(&app, 0, sizeof app);
  app.cfg = cfg;
  if (est_pool_create(&app.pool, cfg->database_url, cfg->db_pool_size, cfg->db_acquire_timeout_ms,
                      cfg->db_statement_timeout_ms) != EST_OK) {
    fprintf(stderr, "estd: cannot create the database pool\n");
    return 1;
  }
  if (cfg->migrate_on_start) {
    est_result rc = migrate_with_retry(app.pool, cfg->sql_dir, 30);
    if (rc != EST_OK) {
      fprintf(stderr, "estd: migrations failed: %s\n", est_result_str(rc));
      est_pool_destroy(app.pool);
      return 1;
    }
  }
  if (est_auth_init(&app) != EST_OK) {
    fprintf(stderr, "estd: cannot initialise authentication\n");
    est_pool_destroy(app.pool);
    return 1;
  }
  http_server *srv = NULL;
  if (http_server_start(&srv, &app) != EST_OK) {
    fprintf(stderr, "estd: cannot listen on %s:%d\n", cfg->listen_address, cfg->port);
    est_auth_free(&app);
    est_pool_destroy(app.pool);
    return 1;
  }
  if (cfg->kafka_brokers) {
    if (est_intake_start(&app.intake, &app) != EST_OK) {
      fprintf(stderr, "estd: cannot start the Kafka consumer (ESTD_KAFKA_BROKERS=%s)\n", cfg->kafka_brokers);
      http_server_stop(srv, 0);
      est_auth_free(&app);
      est_pool_destroy(app.pool);
      return 1;
    }
  }
  est_log_kv(EST_LOG_INFO, "estd serving", NULL);

  int sig = 0;
  for (;;) {
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) continue; /* reserved for log reopen; ignored */
    break;
  }
  est_log(EST_LOG_INFO, "signal %d received, draining (grace %d s)", sig, cfg->shutdown_grace_s);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  atomic_store(&app.draining, true);
  int grace_ms = cfg->shutdown_grace_s * 1000;
  /* The consumer and the listener drain in sequence within one budget. */
  if (app.intake) est_intake_stop(app.intake, grace_ms);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  int used = (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
  http_server_stop(srv, grace_ms > used ? grace_ms - used : 0);
  est_auth_free(&app);
  est_pool_destroy(app.pool);
  est_log(EST_LOG_INFO, "estd stopped");
  return 0;
}
