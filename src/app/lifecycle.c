/* lifecycle.c - start, serve, drain and stop (see lifecycle.h).
 *
 * Shutdown sequence on SIGTERM/SIGINT, all within ESTD_SHUTDOWN_GRACE_S
 * counted from the signal:
 *   1. draining = true: /readyz answers 503, responses carry Connection: close;
 *   2. wait ESTD_SHUTDOWN_DELAY_MS (load balancers notice the 503);
 *   3. close the listen socket: new connections are refused;
 *   4. the Kafka consumer finishes its batch, commits and leaves the group,
 *      while open HTTP requests keep being served by the MHD threads;
 *   5. wait for open HTTP requests (the rest of the budget), stop MHD;
 *   6. close the pool; exit 0.
 * A watchdog ends the process (exit 0, logged) one second after the
 * budget if anything above blocks past it, e.g. a handler stuck in I/O. */
#include "estd/util.h"
#include "estd/lifecycle.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "estd/app.h"
#include "estd/auth.h"
#include "estd/http.h"
#include "estd/http_server.h"
#include "estd/intake.h"
#include "estd/retention.h"
#include "estd/log.h"
#include "estd/migrate.h"
#include "estd/pool.h"
#include "estd/situation_cache.h"
#include "estd/store_doccache.h"

static void caches_destroy(est_app *a) {
  http_situation_drain(); /* background hot spot refreshes use the memo and the pools */
  est_scache_destroy(a->situation_cache);
  est_scache_destroy(a->hotspot_cache);
}

/* Waits up to ms for one of the signals in set; returns the signal or 0. */
static int wait_signal_ms(const sigset_t *set, long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  for (;;) {
    int sig = sigtimedwait(set, NULL, &ts);
    if (sig == SIGHUP) continue; /* reserved for log reopen; ignored */
    if (sig > 0) return sig;
    if (errno == EINTR) continue;
    return 0; /* EAGAIN: timed out */
  }
}

/* Waits for the database at start (e.g. a compose stack starting up). A
 * termination signal meanwhile ends the wait: *sig gets it. */
static est_result migrate_with_retry(est_pool *pool, const char *sql_dir, int max_wait_s, const sigset_t *set,
                                     int *sig) {
  long long deadline = est_mono_ms() + (long long)max_wait_s * 1000;
  int delay_ms = 200;
  for (;;) {
    est_result rc = est_migrate_apply(pool, sql_dir, NULL);
    if (rc != EST_EUNAVAILABLE || est_mono_ms() >= deadline) return rc;
    char d[16];
    snprintf(d, sizeof d, "%d", delay_ms);
    est_log_kv(EST_LOG_WARN, "database not reachable, retrying", "#retry_in_ms", d, NULL);
    if ((*sig = wait_signal_ms(set, delay_ms)) != 0) return rc;
    if (delay_ms < 2000) delay_ms *= 2;
  }
}

/* ---- shutdown watchdog ---------------------------------------------------- */

static pthread_mutex_t g_wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cv;
static bool g_wd_done;
static long long g_wd_deadline_ms;

static void *watchdog_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g_wd_mu);
  while (!g_wd_done) {
    long long left = g_wd_deadline_ms - est_mono_ms();
    if (left <= 0) break;
    struct timespec ts = est_mono_deadline(left);
    pthread_cond_timedwait(&g_wd_cv, &g_wd_mu, &ts);
  }
  bool done = g_wd_done;
  pthread_mutex_unlock(&g_wd_mu);
  if (!done) {
    est_log_kv(EST_LOG_ERROR, "shutdown did not finish within the grace period; exiting now", NULL);
    _exit(0);
  }
  return NULL;
}

static bool watchdog_start(pthread_t *t, long long deadline_ms) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g_wd_cv, &ca);
  pthread_condattr_destroy(&ca);
  g_wd_deadline_ms = deadline_ms;
  g_wd_done = false;
  return pthread_create(t, NULL, watchdog_main, NULL) == 0;
}

static void watchdog_stop(pthread_t t) {
  pthread_mutex_lock(&g_wd_mu);
  g_wd_done = true;
  pthread_cond_signal(&g_wd_cv);
  pthread_mutex_unlock(&g_wd_mu);
  pthread_join(t, NULL);
  pthread_cond_destroy(&g_wd_cv);
}

/* ---- serve ------------------------------------------------------------------ */

static int fail_start(const char *msg, const char *key, const char *value) {
  est_log_kv(EST_LOG_ERROR, msg, key, value, NULL);
  return 1;
}

/* Bodies the situational-picture cache keeps at most (its entries are
 * ESTD_SITUATION_CACHE_ENTRIES). */
#define SITUATION_CACHE_MAX_BYTES (16u << 20)
/* Bodies the document cache keeps at most (ESTD_DOC_CACHE_ENTRIES slots). */
#define DOC_CACHE_MAX_BYTES (32u << 20)

/* Stops what serve started on the pools (monitor, document cache) and closes them. */
static void pools_destroy(est_app *app) {
  store_doccache_stop(app->doc_cache);
  app->doc_cache = NULL;
  est_pool_detach_replica(app->pool);
  est_pool_destroy(app->read_pool);
  est_pool_destroy(app->pool);
}

int est_serve_run(const est_config *cfg) {
  {
    /* Security configuration first: one clear line, before any connection. */
    char aerr[320];
    if (est_auth_config_check(cfg, aerr, sizeof aerr) != EST_OK) {
      fprintf(stderr, "estd: configuration error: %s\n", aerr);
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  /* Block before any thread starts so every thread inherits the mask and
   * the signals are only ever taken here, synchronously. */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  est_app app;
  memset(&app, 0, sizeof app);
  app.cfg = cfg;
  if (est_pool_create(&app.pool, cfg->database_url, cfg->db_pool_size, cfg->db_acquire_timeout_ms,
                      cfg->db_statement_timeout_ms) != EST_OK)
    return fail_start("cannot create the database pool", NULL, NULL);
  {
    est_pool_deadlines dl = {{cfg->db_query_timeout_ms, cfg->db_intake_timeout_ms, 0},
                             cfg->ready_timeout_ms,
                             cfg->db_tcp_user_timeout_ms,
                             10};
    est_pool_set_deadlines(app.pool, &dl);
    if (cfg->database_read_url) {
      /* Lists and situation reads on the streaming replica (pool.h "read routing"). */
      if (est_pool_create(&app.read_pool, cfg->database_read_url, cfg->db_read_pool_size, cfg->db_acquire_timeout_ms,
                          cfg->db_statement_timeout_ms) != EST_OK) {
        est_pool_destroy(app.pool);
        return fail_start("cannot create the read replica pool", NULL, NULL);
      }
      est_pool_set_deadlines(app.read_pool, &dl);
      est_pool_set_name(app.read_pool, "estd-read");
    }
  }
  int sig = 0;
  if (cfg->migrate_on_start) {
    est_result rc = migrate_with_retry(app.pool, cfg->sql_dir, 30, &set, &sig);
    if (sig != 0) {
      est_log_kv(EST_LOG_INFO, "signal received while waiting for the database; stopped", NULL);
      pools_destroy(&app);
      return 0;
    }
    if (rc != EST_OK) {
      pools_destroy(&app);
      return fail_start("migrations failed", "error", est_result_str(rc));
    }
    app.migrations_current = true;
  }
  if (app.read_pool &&
      est_pool_attach_replica(app.pool, app.read_pool, cfg->read_max_lag_ms, cfg->read_check_interval_ms) != EST_OK) {
    pools_destroy(&app);
    return fail_start("cannot start the read replica monitor", NULL, NULL);
  }
  {
    est_pool_deadlines dl = {{cfg->db_query_timeout_ms, cfg->db_intake_timeout_ms, 0},
                             cfg->ready_timeout_ms,
                             cfg->db_tcp_user_timeout_ms,
                             10};
    /* Barrier wait: at most the query deadline, and never long (a slow barrier means a busy listener). */
    int wait_ms = cfg->db_query_timeout_ms < 1000 ? cfg->db_query_timeout_ms : 1000;
    if (store_doccache_start(&app.doc_cache, app.pool, cfg->database_url, &dl, (size_t)cfg->doc_cache_entries,
                             DOC_CACHE_MAX_BYTES, wait_ms, cfg->doc_cache_listen_retry_ms) != EST_OK) {
      pools_destroy(&app);
      return fail_start("cannot start the document cache", NULL, NULL);
    }
  }
  if (est_auth_init(&app) != EST_OK) {
    pools_destroy(&app);
    return fail_start("cannot initialise authentication", NULL, NULL);
  }
  /* NULL when ESTD_SITUATION_CACHE_ENTRIES is 0 (the routes then compute every picture, and its
   * hot spots: no memo to serve them stale from). */
  app.situation_cache = est_scache_create((size_t)cfg->situation_cache_entries, SITUATION_CACHE_MAX_BYTES);
  app.hotspot_cache = est_scache_create((size_t)cfg->situation_cache_entries, SITUATION_CACHE_MAX_BYTES);
  http_server *srv = NULL;
  if (http_server_start(&srv, &app) != EST_OK) {
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->port);
    caches_destroy(&app);
    est_auth_free(&app);
    pools_destroy(&app);
    est_log_kv(EST_LOG_ERROR, "cannot listen", "address", cfg->listen_address, "#port", port, NULL);
    return 1;
  }
  if (cfg->kafka_brokers) {
    if (est_intake_start(&app.intake, &app) != EST_OK) {
      http_server_stop(srv, 0);
      caches_destroy(&app);
      est_auth_free(&app);
      pools_destroy(&app);
      return fail_start("cannot start the Kafka consumer", "brokers", cfg->kafka_brokers);
    }
  }
  est_retention *retention = NULL;
  if (est_retention_start(&retention, &app) != EST_OK)
    est_log_kv(EST_LOG_ERROR, "cannot start the retention schedule; retention does not run", NULL);
  char port[16];
  snprintf(port, sizeof port, "%d", cfg->port);
  est_log_kv(EST_LOG_INFO, "estd serving", "address", cfg->listen_address, "#port", port, "intake",
             app.intake ? "on" : "off", NULL);

  for (;;) {
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) continue; /* reserved for log reopen; ignored */
    break;
  }
  long long t0 = est_mono_ms();
  long long deadline = t0 + (long long)cfg->shutdown_grace_s * 1000;
  char sg[16], gr[16], dl[16];
  snprintf(sg, sizeof sg, "%d", sig);
  snprintf(gr, sizeof gr, "%d", cfg->shutdown_grace_s);
  snprintf(dl, sizeof dl, "%d", cfg->shutdown_delay_ms);
  est_log_kv(EST_LOG_INFO, "signal received, draining", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", "#signo", sg,
             "#grace_s", gr, "#delay_ms", dl, NULL);
  pthread_t wd;
  bool wd_on = watchdog_start(&wd, deadline + 1000);

  atomic_store(&app.draining, true);
  /* Readiness is failing now; give load balancers time to notice. A
   * second signal skips the rest of the delay. */
  long long delay = cfg->shutdown_delay_ms;
  if (delay > deadline - est_mono_ms()) delay = deadline - est_mono_ms();
  if (delay > 0) wait_signal_ms(&set, (long)delay);
  http_server_quiesce(srv);
  http_server_drain(srv);        /* idle and slow connections are closed now, not at the end of the grace */
  est_retention_stop(retention); /* a run in progress is one transaction: it finishes first */
  long long left = deadline - est_mono_ms();
  if (app.intake) est_intake_stop(app.intake, left > 0 ? (int)left : 0);
  app.intake = NULL;
  left = deadline - est_mono_ms();
  http_server_stop(srv, left > 0 ? (int)left : 0);
  caches_destroy(&app);
  est_auth_free(&app);
  pools_destroy(&app);
  if (wd_on) watchdog_stop(wd);
  char ms[24];
  snprintf(ms, sizeof ms, "%lld", est_mono_ms() - t0);
  est_log_kv(EST_LOG_INFO, "estd stopped", "#shutdown_ms", ms, NULL);
  return 0;
}
