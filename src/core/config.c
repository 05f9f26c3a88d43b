/* config.c - environment configuration (see config.h). */
#include "estd/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "estd/log.h"
#include "estd/util.h"

#ifndef ESTD_DEFAULT_SQL_DIR
#define ESTD_DEFAULT_SQL_DIR "sql"
#endif
#ifndef ESTD_DEFAULT_WEB_DIR
#define ESTD_DEFAULT_WEB_DIR "web/dist"
#endif

est_result est_parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  if (!s) return EST_EINVAL;
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *out = true;
      return EST_OK;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *out = false;
      return EST_OK;
    }
  }
  return EST_EINVAL;
}

est_result est_parse_int(const char *s, long min, long max, long *out) {
  if (!s || !*s) return EST_EINVAL;
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end != '\0' || v < min || v > max) return EST_EINVAL;
  *out = v;
  return EST_OK;
}

typedef struct {
  est_env_fn env;
  char *err;
  size_t errlen;
  est_result rc;
} loader;

static const char *env_get(loader *l, const char *name) {
  const char *v = l->env ? l->env(name) : getenv(name);
  return (v && *v) ? v : NULL;
}

static void load_str(loader *l, char **dst, const char *name, const char *def) {
  const char *v = env_get(l, name);
  if (!v) v = def;
  *dst = v ? strdup(v) : NULL;
  if (v && !*dst && l->rc == EST_OK) l->rc = EST_ENOMEM;
}

static void load_int(loader *l, int *dst, const char *name, long def, long min, long max) {
  const char *v = env_get(l, name);
  long x = def;
  if (v && est_parse_int(v, min, max, &x) != EST_OK) {
    if (l->rc == EST_OK) {
      snprintf(l->err, l->errlen, "%s=%s is not an integer in [%ld, %ld]", name, v, min, max);
      l->rc = EST_ECONFIG;
    }
    return;
  }
  *dst = (int)x;
}

static void load_bool(loader *l, bool *dst, const char *name, bool def) {
  const char *v = env_get(l, name);
  *dst = def;
  if (v && est_parse_bool(v, dst) != EST_OK && l->rc == EST_OK) {
    snprintf(l->err, l->errlen, "%s=%s is not a boolean (true/false)", name, v);
    l->rc = EST_ECONFIG;
  }
}

/* A variable that names one of choices (NULL-terminated; unset: the first):
 * *dst is the index of the one named. */
static void load_choice(loader *l, int *dst, const char *name, const char *const *choices) {
  const char *v = env_get(l, name);
  *dst = 0;
  if (!v) return;
  for (int i = 0; choices[i]; i++)
    if (strcmp(v, choices[i]) == 0) {
      *dst = i;
      return;
    }
  if (l->rc != EST_OK) return;
  int n = snprintf(l->err, l->errlen, "%s=%s is not one of ", name, v);
  for (int i = 0; choices[i] && n >= 0 && (size_t)n < l->errlen; i++)
    n += snprintf(l->err + n, l->errlen - (size_t)n, "%s%s", i ? ", " : "", choices[i]);
  l->rc = EST_ECONFIG;
}

/* ESTD_KAFKA_PROP_SECURITY_PROTOCOL=SASL_SSL -> {"security.protocol", "SASL_SSL"}.
 * Only the real environment can be enumerated (an injected env has no list). */
extern char **environ;
static void load_kafka_props(loader *l, est_config *cfg) {
  static const char prefix[] = "ESTD_KAFKA_PROP_";
  if (l->env || !environ) return;
  for (char **e = environ; *e; e++) {
    if (strncmp(*e, prefix, sizeof prefix - 1) != 0) continue;
    const char *name = *e + sizeof prefix - 1, *eq = strchr(name, '=');
    if (!eq || eq == name) continue;
    char **np = realloc(cfg->kafka_props, (cfg->n_kafka_props + 1) * 2 * sizeof *np);
    if (!np) {
      l->rc = EST_ENOMEM;
      return;
    }
    cfg->kafka_props = np;
    char *k = strndup(name, (size_t)(eq - name)), *v = strdup(eq + 1);
    if (!k || !v) {
      free(k);
      free(v);
      l->rc = EST_ENOMEM;
      return;
    }
    for (char *p = k; *p; p++) *p = *p == '_' ? '.' : (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
    np[cfg->n_kafka_props * 2] = k;
    np[cfg->n_kafka_props * 2 + 1] = v;
    cfg->n_kafka_props++;
  }
}

est_result est_config_load(est_config *cfg, est_env_fn env, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  loader l = {env, err, errlen, EST_OK};
  if (errlen) err[0] = '\0';
  load_str(&l, &cfg->database_url, "ESTD_DATABASE_URL", "postgresql://estd@127.0.0.1:5432/estd");
  load_str(&l, &cfg->database_read_url, "ESTD_DATABASE_READ_URL", NULL);
  load_int(&l, &cfg->db_read_pool_size, "ESTD_DB_READ_POOL_SIZE", 8, 1, 512);
  load_int(&l, &cfg->read_max_lag_ms, "ESTD_READ_MAX_LAG_MS", 5000, 0, 3600000);
  load_int(&l, &cfg->read_check_interval_ms, "ESTD_READ_CHECK_INTERVAL_MS", 200, 10, 60000);
  load_int(&l, &cfg->doc_cache_entries, "ESTD_DOC_CACHE_ENTRIES", 4096, 0, 1048576);
  load_int(&l, &cfg->doc_cache_listen_retry_ms, "ESTD_DOC_CACHE_LISTEN_RETRY_MS", 500, 10, 600000);
  load_int(&l, &cfg->metrics_db_sample_ms, "ESTD_METRICS_DB_SAMPLE_MS", 15000, 0, 3600000);
  load_str(&l, &cfg->listen_address, "ESTD_LISTEN_ADDRESS", "127.0.0.1");
  load_int(&l, &cfg->port, "ESTD_PORT", 8080, 1, 65535);
  load_int(&l, &cfg->http_max_connections, "ESTD_HTTP_MAX_CONNECTIONS", 1024, 1, 65536);
  load_int(&l, &cfg->http_timeout_s, "ESTD_HTTP_TIMEOUT_S", 30, 1, 3600);
  load_int(&l, &cfg->http_max_connections_per_ip, "ESTD_HTTP_MAX_CONNECTIONS_PER_IP", 64, 0, 65536);
  load_int(&l, &cfg->http_header_timeout_s, "ESTD_HTTP_HEADER_TIMEOUT_S", 10, 1, 3600);
  load_int(&l, &cfg->http_body_timeout_s, "ESTD_HTTP_BODY_TIMEOUT_S", 30, 1, 3600);
  load_bool(&l, &cfg->http_reuse_port, "ESTD_HTTP_REUSE_PORT", false);
  int body_kib = 1024;
  load_int(&l, &body_kib, "ESTD_MAX_BODY_KIB", 1024, 1, 1024 * 1024);
  cfg->max_body_bytes = (size_t)body_kib * 1024u;
  load_int(&l, &cfg->db_pool_size, "ESTD_DB_POOL_SIZE", 8, 1, 512);
  load_int(&l, &cfg->db_acquire_timeout_ms, "ESTD_DB_ACQUIRE_TIMEOUT_MS", 2000, 1, 600000);
  load_int(&l, &cfg->db_statement_timeout_ms, "ESTD_DB_STATEMENT_TIMEOUT_MS", 15000, 0, 3600000);
  load_int(&l, &cfg->db_query_timeout_ms, "ESTD_DB_QUERY_TIMEOUT_MS", 2000, 100, 3600000);
  load_int(&l, &cfg->db_intake_timeout_ms, "ESTD_DB_INTAKE_TIMEOUT_MS", 30000, 100, 3600000);
  load_int(&l, &cfg->db_tcp_user_timeout_ms, "ESTD_DB_TCP_USER_TIMEOUT_MS", 10000, 0, 3600000);
  load_int(&l, &cfg->ready_timeout_ms, "ESTD_READY_TIMEOUT_MS", 1000, 50, 60000);
  const char *lv = env_get(&l, "ESTD_LOG_LEVEL");
  cfg->log_level = lv ? est_log_level_parse(lv) : EST_LOG_INFO;
  if (cfg->log_level < 0 && l.rc == EST_OK) {
    snprintf(err, errlen, "ESTD_LOG_LEVEL=%s is not one of debug, info, warn, error", lv);
    l.rc = EST_ECONFIG;
  }
  load_str(&l, &cfg->sql_dir, "ESTD_SQL_DIR", ESTD_DEFAULT_SQL_DIR);
  load_bool(&l, &cfg->migrate_on_start, "ESTD_MIGRATE_ON_START", true);
  load_int(&l, &cfg->shutdown_grace_s, "ESTD_SHUTDOWN_GRACE_S", 25, 0, 3600);
  load_int(&l, &cfg->shutdown_delay_ms, "ESTD_SHUTDOWN_DELAY_MS", 0, 0, 600000);
  load_int(&l, &cfg->page_default, "ESTD_PAGE_DEFAULT", 50, 1, 10000);
  load_int(&l, &cfg->page_max, "ESTD_PAGE_MAX", 500, 1, 10000);
  load_str(&l, &cfg->kafka_brokers, "ESTD_KAFKA_BROKERS", NULL);
  load_str(&l, &cfg->kafka_topics, "ESTD_KAFKA_TOPICS", "est.events");
  load_str(&l, &cfg->kafka_group_id, "ESTD_KAFKA_GROUP_ID", "estd");
  load_int(&l, &cfg->kafka_batch_max, "ESTD_KAFKA_BATCH_MAX", 2000, 1, 100000);
  load_int(&l, &cfg->kafka_batch_wait_ms, "ESTD_KAFKA_BATCH_WAIT_MS", 200, 1, 60000);
  load_int(&l, &cfg->events_batch_max, "ESTD_EVENTS_BATCH_MAX", 500, 1, 10000);
  load_int(&l, &cfg->event_max_future_s, "ESTD_EVENT_MAX_FUTURE_S", 300, 0, 31 * 86400);
  load_int(&l, &cfg->event_retention_days, "ESTD_EVENT_RETENTION_DAYS", 0, 0, 36500);
  static const char *const retention_modes[] = {"strip", "delete", NULL};
  int mode;
  load_choice(&l, &mode, "ESTD_EVENT_RETENTION_MODE", retention_modes);
  cfg->event_retention_delete = mode == 1;
  load_int(&l, &cfg->dead_letter_retention_days, "ESTD_DEAD_LETTER_RETENTION_DAYS", 90, 0, 36500);
  load_int(&l, &cfg->retention_interval_s, "ESTD_RETENTION_INTERVAL_S", 3600, 1, 7 * 86400);
  load_int(&l, &cfg->kafka_writers, "ESTD_KAFKA_WRITERS", 2, 1, 8);
  load_str(&l, &cfg->kafka_topic_parties, "ESTD_KAFKA_TOPIC_PARTIES", NULL);
  if (l.rc == EST_OK) load_kafka_props(&l, cfg);
  load_int(&l, &cfg->privacy_min_count, "ESTD_PRIVACY_MIN_COUNT", 3, 2, 1000);
  load_int(&l, &cfg->situation_cache_entries, "ESTD_SITUATION_CACHE_ENTRIES", 64, 0, 4096);
  static const char *const auth_modes[] = {"required", "off", NULL};
  int auth;
  load_choice(&l, &auth, "ESTD_AUTH", auth_modes);
  cfg->auth_required = auth == 0;
  load_int(&l, &cfg->hotspot_max_staleness_s, "ESTD_HOTSPOT_MAX_STALENESS_S", 5, 0, 3600);
  static const char *const situation_sources[] = {"rollup", "raw", NULL};
  int source;
  load_choice(&l, &source, "ESTD_SITUATION_SOURCE", situation_sources);
  cfg->situation_from_raw = source == 1;
  load_str(&l, &cfg->key_secret, "ESTD_KEY_SECRET", NULL);
  load_int(&l, &cfg->auth_cache_ttl_ms, "ESTD_AUTH_CACHE_TTL_MS", 5000, 0, 3600000);
  load_int(&l, &cfg->rate_limit_rps, "ESTD_RATE_LIMIT_RPS", 50, 0, 1000000);
  load_int(&l, &cfg->rate_limit_burst, "ESTD_RATE_LIMIT_BURST", 100, 1, 1000000);
  load_int(&l, &cfg->rate_limit_anon_rps, "ESTD_RATE_LIMIT_ANON_RPS", 5, 0, 1000000);
  load_int(&l, &cfg->rate_limit_anon_burst, "ESTD_RATE_LIMIT_ANON_BURST", 20, 1, 1000000);
  load_str(&l, &cfg->tls_cert_file, "ESTD_TLS_CERT_FILE", NULL);
  load_str(&l, &cfg->tls_key_file, "ESTD_TLS_KEY_FILE", NULL);
  load_int(&l, &cfg->max_query_bytes, "ESTD_MAX_QUERY_BYTES", 4096, 64, 65536);
  load_int(&l, &cfg->max_param_bytes, "ESTD_MAX_PARAM_BYTES", 1024, 16, 65536);
  load_str(&l, &cfg->web_dir, "ESTD_WEB_DIR", ESTD_DEFAULT_WEB_DIR);
  load_str(&l, &cfg->ui_basemap_url, "ESTD_UI_BASEMAP_URL", NULL);
  load_bool(&l, &cfg->public_page, "ESTD_PUBLIC_PAGE", false);
  load_str(&l, &cfg->public_url, "ESTD_PUBLIC_URL", NULL);
  if (l.rc == EST_OK && cfg->public_url) {
    char origin[480];
    size_t n = strlen(cfg->public_url);
    if (est_url_origin(cfg->public_url, origin, sizeof origin) != EST_OK || n == 0 || n > 256 ||
        cfg->public_url[n - 1] == '/' || strpbrk(cfg->public_url, "?#")) {
      snprintf(err, errlen,
               "ESTD_PUBLIC_URL must be an http(s) URL of at most 256 characters without a trailing '/', query, "
               "quotes, spaces, ';' or ','");
      l.rc = EST_ECONFIG;
    }
  }
  if (l.rc == EST_OK && cfg->ui_basemap_url) {
    char origin[480];
    if (est_url_origin(cfg->ui_basemap_url, origin, sizeof origin) != EST_OK) {
      snprintf(err, errlen, "ESTD_UI_BASEMAP_URL must be an http(s) URL without quotes, spaces, ';' or ','");
      l.rc = EST_ECONFIG;
    }
  }
  load_str(&l, &cfg->oidc_issuer, "ESTD_OIDC_ISSUER", NULL);
  load_str(&l, &cfg->oidc_audience, "ESTD_OIDC_AUDIENCE", NULL);
  load_str(&l, &cfg->oidc_algs, "ESTD_OIDC_ALGS", "RS256,ES256");
  load_int(&l, &cfg->oidc_skew_s, "ESTD_OIDC_SKEW_S", 60, 0, 600);
  load_int(&l, &cfg->oidc_max_token_bytes, "ESTD_OIDC_MAX_TOKEN_BYTES", 8192, 256, 65536);
  load_str(&l, &cfg->oidc_party_claim, "ESTD_OIDC_PARTY_CLAIM", "party");
  load_str(&l, &cfg->oidc_groups_claim, "ESTD_OIDC_GROUPS_CLAIM", "groups");
  load_str(&l, &cfg->oidc_party_groups, "ESTD_OIDC_PARTY_GROUPS", NULL);
  load_str(&l, &cfg->oidc_scope_claim, "ESTD_OIDC_SCOPE_CLAIM", "scope");
  load_str(&l, &cfg->oidc_scope_prefix, "ESTD_OIDC_SCOPE_PREFIX", NULL);
  load_str(&l, &cfg->oidc_scope_groups, "ESTD_OIDC_SCOPE_GROUPS", NULL);
  load_int(&l, &cfg->oidc_token_cache_size, "ESTD_OIDC_TOKEN_CACHE_SIZE", 4096, 0, 1000000);
  load_int(&l, &cfg->oidc_token_cache_ttl_s, "ESTD_OIDC_TOKEN_CACHE_TTL_S", 300, 1, 86400);
  load_int(&l, &cfg->oidc_jwks_refresh_s, "ESTD_OIDC_JWKS_REFRESH_S", 300, 1, 86400);
  load_int(&l, &cfg->oidc_jwks_max_age_s, "ESTD_OIDC_JWKS_MAX_AGE_S", 86400, 1, 30 * 86400);
  load_int(&l, &cfg->oidc_refresh_min_interval_ms, "ESTD_OIDC_REFRESH_MIN_INTERVAL_MS", 10000, 0, 3600000);
  load_int(&l, &cfg->oidc_fetch_timeout_ms, "ESTD_OIDC_FETCH_TIMEOUT_MS", 2000, 100, 60000);
  load_str(&l, &cfg->oidc_client_id, "ESTD_OIDC_CLIENT_ID", NULL);
  load_str(&l, &cfg->oidc_client_secret, "ESTD_OIDC_CLIENT_SECRET", NULL);
  load_str(&l, &cfg->oidc_redirect_uri, "ESTD_OIDC_REDIRECT_URI", NULL);
  load_str(&l, &cfg->oidc_login_scopes, "ESTD_OIDC_LOGIN_SCOPES",
           "openid read read-detail write-events write-commitments admin");
  load_str(&l, &cfg->oidc_login_resource, "ESTD_OIDC_LOGIN_RESOURCE", NULL);
  load_int(&l, &cfg->oidc_session_ttl_s, "ESTD_OIDC_SESSION_TTL_S", 28800, 60, 30 * 86400);
  load_str(&l, &cfg->cookie_secure, "ESTD_COOKIE_SECURE", "auto");
  if (l.rc == EST_OK && cfg->cookie_secure && strcmp(cfg->cookie_secure, "auto") != 0 &&
      strcmp(cfg->cookie_secure, "on") != 0 && strcmp(cfg->cookie_secure, "off") != 0) {
    snprintf(err, errlen, "ESTD_COOKIE_SECURE=%s is not one of auto, on, off", cfg->cookie_secure);
    l.rc = EST_ECONFIG;
  }
  if (l.rc == EST_OK && cfg->oidc_issuer && !cfg->oidc_audience) {
    snprintf(err, errlen, "ESTD_OIDC_ISSUER is set but ESTD_OIDC_AUDIENCE is not (the aud access tokens must carry)");
    l.rc = EST_ECONFIG;
  }
  if (l.rc == EST_OK && cfg->oidc_issuer && strncmp(cfg->oidc_issuer, "https://", 8) != 0 &&
      strncmp(cfg->oidc_issuer, "http://127.", 11) != 0 && strncmp(cfg->oidc_issuer, "http://localhost", 16) != 0) {
    snprintf(err, errlen, "ESTD_OIDC_ISSUER=%s must be an https:// URL (plain http only on loopback)",
             cfg->oidc_issuer);
    l.rc = EST_ECONFIG;
  }
  if (l.rc == EST_OK && cfg->oidc_issuer &&
      (!cfg->oidc_client_id != !cfg->oidc_client_secret || !cfg->oidc_client_id != !cfg->oidc_redirect_uri)) {
    snprintf(err, errlen,
             "ESTD_OIDC_CLIENT_ID, ESTD_OIDC_CLIENT_SECRET and ESTD_OIDC_REDIRECT_URI must be set together");
    l.rc = EST_ECONFIG;
  }
  load_str(&l, &cfg->police_feed_url, "ESTD_POLICE_FEED_URL", "https://polisen.se/api/events");
  load_str(&l, &cfg->police_feed_source, "ESTD_POLICE_FEED_SOURCE", "https://polisen.se/api/events");
  load_str(&l, &cfg->police_feed_party, "ESTD_POLICE_FEED_PARTY", NULL);
  load_str(&l, &cfg->police_feed_contact, "ESTD_POLICE_FEED_CONTACT", NULL);
  load_int(&l, &cfg->police_feed_interval_s, "ESTD_POLICE_FEED_INTERVAL_S", 300, 0, 86400);
  _Static_assert(EST_POLICE_FEED_MIN_INTERVAL_FLOOR_MS == 10000, "the default below is the floor");
  load_int(&l, &cfg->police_feed_min_interval_ms, "ESTD_POLICE_FEED_MIN_INTERVAL_MS", 10000, 1, 3600000);
  load_str(&l, &cfg->police_geocode_municipality, "ESTD_POLICE_GEOCODE_MUNICIPALITY", NULL);
  if (l.rc == EST_OK && strncmp(cfg->police_feed_url, "https://", 8) != 0 &&
      !est_url_is_loopback(cfg->police_feed_url)) {
    snprintf(err, errlen, "ESTD_POLICE_FEED_URL=%s must be an https:// URL (plain http only on loopback)",
             cfg->police_feed_url);
    l.rc = EST_ECONFIG;
  }
  /* The floor protects the real API: a shorter interval is for the tests'
   * recorded server on loopback only, never for a remote host. */
  if (l.rc == EST_OK && cfg->police_feed_min_interval_ms < EST_POLICE_FEED_MIN_INTERVAL_FLOOR_MS &&
      !est_url_is_loopback(cfg->police_feed_url)) {
    snprintf(err, errlen,
             "ESTD_POLICE_FEED_MIN_INTERVAL_MS=%d is below the API's floor of %d ms; lower values are allowed only "
             "when ESTD_POLICE_FEED_URL is a loopback address (tests)",
             cfg->police_feed_min_interval_ms, EST_POLICE_FEED_MIN_INTERVAL_FLOOR_MS);
    l.rc = EST_ECONFIG;
  }
  if (l.rc == EST_OK && (cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL)) {
    snprintf(err, errlen, "ESTD_TLS_CERT_FILE and ESTD_TLS_KEY_FILE must be set together");
    l.rc = EST_ECONFIG;
  }
  if (l.rc == EST_OK && cfg->page_default > cfg->page_max) {
    snprintf(err, errlen, "ESTD_PAGE_DEFAULT=%d exceeds ESTD_PAGE_MAX=%d", cfg->page_default, cfg->page_max);
    l.rc = EST_ECONFIG;
  }
  struct in_addr a;
  if (l.rc == EST_OK && inet_pton(AF_INET, cfg->listen_address, &a) != 1) {
    snprintf(err, errlen, "ESTD_LISTEN_ADDRESS=%s is not an IPv4 address", cfg->listen_address);
    l.rc = EST_ECONFIG;
  }
  if (l.rc != EST_OK) {
    if (l.rc == EST_ENOMEM) snprintf(err, errlen, "out of memory reading configuration");
    est_config_free(cfg);
  }
  return l.rc;
}

bool est_url_is_loopback(const char *url) {
  if (!url) return false;
  const char *h = strncmp(url, "http://", 7) == 0 ? url + 7 : strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
  if (!h) return false;
  size_t n = strcspn(h, "/?#");
  if (memchr(h, '@', n)) return false; /* no userinfo tricks */
  char host[64];
  if (h[0] == '[') {
    const char *e = memchr(h, ']', n);
    if (!e) return false;
    snprintf(host, sizeof host, "%.*s", (int)(e - h - 1), h + 1);
    if (e[1] != ':' && (size_t)(e + 1 - h) != n) return false;
    struct in6_addr a6;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  }
  size_t hl = strcspn(h, ":/?#");
  if (hl >= sizeof host) return false;
  snprintf(host, sizeof host, "%.*s", (int)hl, h);
  if (strcmp(host, "localhost") == 0) return true;
  struct in_addr a4;
  return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

void est_config_free(est_config *cfg) {
  free(cfg->database_url);
  free(cfg->database_read_url);
  free(cfg->listen_address);
  free(cfg->sql_dir);
  free(cfg->kafka_brokers);
  free(cfg->kafka_topics);
  free(cfg->kafka_group_id);
  free(cfg->kafka_topic_parties);
  for (size_t i = 0; i < cfg->n_kafka_props * 2; i++) free(cfg->kafka_props[i]);
  free(cfg->kafka_props);
  if (cfg->key_secret) explicit_bzero(cfg->key_secret, strlen(cfg->key_secret));
  free(cfg->key_secret);
  free(cfg->tls_cert_file);
  free(cfg->tls_key_file);
  free(cfg->web_dir);
  free(cfg->ui_basemap_url);
  free(cfg->police_feed_url);
  free(cfg->police_feed_source);
  free(cfg->police_feed_party);
  free(cfg->police_feed_contact);
  free(cfg->police_geocode_municipality);
  free(cfg->public_url);
  char **oidc[] = {&cfg->oidc_issuer,         &cfg->oidc_audience,     &cfg->oidc_algs,         &cfg->oidc_party_claim,
                   &cfg->oidc_groups_claim,   &cfg->oidc_party_groups, &cfg->oidc_scope_claim,  &cfg->oidc_scope_prefix,
                   &cfg->oidc_scope_groups,   &cfg->oidc_client_id,    &cfg->oidc_redirect_uri, &cfg->oidc_login_scopes,
                   &cfg->oidc_login_resource, &cfg->cookie_secure};
  for (size_t i = 0; i < sizeof oidc / sizeof *oidc; i++) free(*oidc[i]);
  if (cfg->oidc_client_secret) explicit_bzero(cfg->oidc_client_secret, strlen(cfg->oidc_client_secret));
  free(cfg->oidc_client_secret);
  memset(cfg, 0, sizeof *cfg);
}
