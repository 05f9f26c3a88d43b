/* retention.c - the retention schedule and CLI (see retention.h). */
#include "estd/retention.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/log.h"
#include "estd/metrics.h"
#include "estd/store_retention.h"

struct est_retention {
  est_app *app;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
};

static store_retention_policy policy_of(const est_config *cfg) {
  store_retention_policy p = {cfg->event_retention_days, cfg->event_retention_delete, cfg->dead_letter_retention_days};
  return p;
}

/* The monthly partitions ahead (every tick, whether or not retention is on). */
static void partitions_ensure(est_pool *pool) {
  int created = 0;
  est_result rc = store_event_partitions_ensure(pool, &created);
  if (rc != EST_OK) {
    est_log_kv(EST_LOG_WARN, "event partitions not ensured; retried at the next tick", "error", est_result_str(rc),
               NULL);
  } else if (created > 0) {
    char n[16];
    snprintf(n, sizeof n, "%d", created);
    est_log_kv(EST_LOG_INFO, "event partitions created", "#months", n, NULL);
  }
}

/* One run: store, metric, log. */
static est_result run_once(est_pool *pool, const est_config *cfg, store_retention_result *res) {
  store_retention_policy p = policy_of(cfg);
  est_actor who = {.request_id = "retention"};
  est_result rc = store_retention_run(pool, &p, &who, res);
  est_metrics_retention_run(rc == EST_OK, res->events_stripped, res->events_deleted, res->dead_letters_deleted,
                            (long long)time(NULL));
  if (rc == EST_OK) {
    char a[24], b[24], c[24];
    snprintf(a, sizeof a, "%lld", res->events_stripped);
    snprintf(b, sizeof b, "%lld", res->events_deleted);
    snprintf(c, sizeof c, "%lld", res->dead_letters_deleted);
    est_log_kv(EST_LOG_INFO, "retention run", "#events_stripped", a, "#events_deleted", b, "#dead_letters_deleted", c,
               NULL);
  } else {
    est_log_kv(EST_LOG_WARN, "retention run failed; retried at the next tick", "error", est_result_str(rc), NULL);
  }
  return rc;
}

static void *retention_main(void *arg) {
  est_retention *r = arg;
  long interval = r->app->cfg->retention_interval_s;
  long first = interval / 10 < 60 ? interval / 10 : 60;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  next.tv_sec += first;
  partitions_ensure(r->app->pool);
  bool retention = r->app->cfg->event_retention_days > 0 || r->app->cfg->dead_letter_retention_days > 0;
  pthread_mutex_lock(&r->mu);
  while (!r->stop) {
    if (pthread_cond_timedwait(&r->cv, &r->mu, &next) == 0) continue; /* woken: stop requested (or spurious) */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec < next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec < next.tv_nsec)) continue;
    pthread_mutex_unlock(&r->mu);
    partitions_ensure(r->app->pool);
    store_retention_result res;
    if (retention) run_once(r->app->pool, r->app->cfg, &res);
    pthread_mutex_lock(&r->mu);
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_sec += interval;
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

est_result est_retention_start(est_retention **out, est_app *app) {
  *out = NULL;
  est_retention *r = calloc(1, sizeof *r);
  if (!r) return EST_ENOMEM;
  r->app = app;
  pthread_mutex_init(&r->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return EST_ENOMEM;
  }
  *out = r;
  return EST_OK;
}

void est_retention_stop(est_retention *r) {
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  r->stop = true;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  free(r);
}

int est_retention_cli_run(int argc, char **argv, const est_config *cfg) {
  if (argc != 1 || strcmp(argv[0], "run") != 0) {
    fprintf(argc == 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr,
            "usage: estd retention run\n"
            "  one retention (gallring) run now, with ESTD_EVENT_RETENTION_DAYS, ESTD_EVENT_RETENTION_MODE\n"
            "  and ESTD_DEAD_LETTER_RETENTION_DAYS (estd serve runs it every ESTD_RETENTION_INTERVAL_S)\n");
    return argc == 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
  }
  est_pool *pool;
  if (est_pool_create(&pool, cfg->database_url, 1, cfg->db_acquire_timeout_ms, 0) != EST_OK) {
    fprintf(stderr, "estd: retention: cannot create the database pool\n");
    return 1;
  }
  store_retention_result res;
  est_result rc = run_once(pool, cfg, &res);
  est_pool_destroy(pool);
  if (rc != EST_OK) {
    fprintf(stderr, "estd: retention run failed: %s\n", est_result_str(rc));
    return 1;
  }
  printf("{\"events_stripped\": %lld, \"events_deleted\": %lld, \"dead_letters_deleted\": %lld}\n", res.events_stripped,
         res.events_deleted, res.dead_letters_deleted);
  return 0;
}
