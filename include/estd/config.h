/* config.h - process configuration, read from environment variables.
 *
 * Every variable is documented in README.md and docs/OPERATIONS.md with its
 * default. Loading is pure (the environment lookup is injected) so it is
 * unit-testable; errors name the variable in one clear line. */
#ifndef ESTD_CONFIG_H
#define ESTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "estd/result.h"

typedef const char *(*est_env_fn)(const char *name);

typedef struct est_config {
  char *database_url; /* ESTD_DATABASE_URL */
  char *
      database_read_url; /* ESTD_DATABASE_READ_URL: libpq URL of a streaming replica (hot standby) of the primary; list and situation reads go there while it is healthy (see "Read replica"); unset = every read on the primary */
  int db_read_pool_size; /* ESTD_DB_READ_POOL_SIZE: connections of the replica pool */
  int read_max_lag_ms; /* ESTD_READ_MAX_LAG_MS: replica lag (how long ago the primary was first seen past what the replica has replayed) beyond which reads go to the primary until it catches up */
  int read_check_interval_ms; /* ESTD_READ_CHECK_INTERVAL_MS: how often the replica monitor reads the primary's WAL position and the replica's replay position (own connections) */
  int doc_cache_entries; /* ESTD_DOC_CACHE_ENTRIES: documents by id kept in memory (direct-mapped slots, at most 32 MiB of bodies), invalidated by LISTEN/NOTIFY on one extra connection per instance (docs/ARCHITECTURE.md "Document cache"); 0 = off */
  int metrics_db_sample_ms; /* ESTD_METRICS_DB_SAMPLE_MS: how old the database-kept counts on /metrics (estd_police_feed_*) may be: read at most this often, so while the database is away at most one scrape in this time waits for it; 0 = at every scrape */
  int doc_cache_listen_retry_ms; /* ESTD_DOC_CACHE_LISTEN_RETRY_MS: delay before the document cache's listener reconnects after losing its connection (the cache is bypassed meanwhile) */
  char *listen_address;          /* ESTD_LISTEN_ADDRESS (IPv4 literal) */
  int port;                      /* ESTD_PORT */
  int http_max_connections;      /* ESTD_HTTP_MAX_CONNECTIONS */
  int http_timeout_s;            /* ESTD_HTTP_TIMEOUT_S: keep-alive idle timeout */
  int http_max_connections_per_ip; /* ESTD_HTTP_MAX_CONNECTIONS_PER_IP: 0 = no per-address limit */
  int http_header_timeout_s;       /* ESTD_HTTP_HEADER_TIMEOUT_S: request line + headers deadline */
  int http_body_timeout_s;         /* ESTD_HTTP_BODY_TIMEOUT_S: request body deadline (after the head's) */
  bool http_reuse_port;            /* ESTD_HTTP_REUSE_PORT: share the port (SO_REUSEPORT) on purpose */
  size_t max_body_bytes;           /* ESTD_MAX_BODY_KIB (in KiB): larger bodies get 413 */
  int db_pool_size;                /* ESTD_DB_POOL_SIZE */
  int db_acquire_timeout_ms;       /* ESTD_DB_ACQUIRE_TIMEOUT_MS: then 503 */
  int db_statement_timeout_ms;     /* ESTD_DB_STATEMENT_TIMEOUT_MS (server side) */
  int db_query_timeout_ms;         /* ESTD_DB_QUERY_TIMEOUT_MS: client deadline per statement (HTTP) */
  int db_intake_timeout_ms;        /* ESTD_DB_INTAKE_TIMEOUT_MS: client deadline per intake statement */
  int db_tcp_user_timeout_ms;      /* ESTD_DB_TCP_USER_TIMEOUT_MS: libpq tcp_user_timeout */
  int ready_timeout_ms;            /* ESTD_READY_TIMEOUT_MS: /readyz database ping deadline */
  int log_level;                   /* ESTD_LOG_LEVEL: debug|info|warn|error */
  char *sql_dir;                   /* ESTD_SQL_DIR: migrations and seed */
  bool migrate_on_start;           /* ESTD_MIGRATE_ON_START */
  int shutdown_grace_s;            /* ESTD_SHUTDOWN_GRACE_S */
  int shutdown_delay_ms;           /* ESTD_SHUTDOWN_DELAY_MS: readiness 503 before the listener closes */
  int page_default;                /* ESTD_PAGE_DEFAULT: default list page size */
  int page_max;                    /* ESTD_PAGE_MAX: maximum list page size */
  /* Kafka intake (off when kafka_brokers is NULL). */
  char *kafka_brokers;            /* ESTD_KAFKA_BROKERS */
  char *kafka_topics;             /* ESTD_KAFKA_TOPICS: comma-separated */
  char *kafka_group_id;           /* ESTD_KAFKA_GROUP_ID */
  int kafka_batch_max;            /* ESTD_KAFKA_BATCH_MAX: messages per transaction */
  int kafka_batch_wait_ms;        /* ESTD_KAFKA_BATCH_WAIT_MS: max wait to fill a batch */
  int kafka_writers;              /* ESTD_KAFKA_WRITERS: batches written concurrently */
  char *kafka_topic_parties;      /* ESTD_KAFKA_TOPIC_PARTIES: "topic=party-code,..." (NULL = none bound) */
  char **kafka_props;             /* ESTD_KAFKA_PROP_<NAME>=v: librdkafka property pairs {name, value, ...} */
  size_t n_kafka_props;           /* number of pairs in kafka_props (NAME lowercased, '_' -> '.') */
  int events_batch_max;           /* ESTD_EVENTS_BATCH_MAX: HTTP intake batch size limit */
  int event_retention_days;       /* ESTD_EVENT_RETENTION_DAYS: events older lose detail / are deleted (0 = keep) */
  bool event_retention_delete;    /* ESTD_EVENT_RETENTION_MODE: strip (false, default) | delete */
  int dead_letter_retention_days; /* ESTD_DEAD_LETTER_RETENTION_DAYS: older dead letters are deleted (0 = keep) */
  int retention_interval_s;       /* ESTD_RETENTION_INTERVAL_S: seconds between retention runs */
  int event_max_future_s;         /* ESTD_EVENT_MAX_FUTURE_S: occurred_at at most this far ahead (implausible_time) */
  int privacy_min_count;          /* ESTD_PRIVACY_MIN_COUNT: rounding base k of the disclosure control (2..1000) */
  int situation_cache_entries;    /* ESTD_SITUATION_CACHE_ENTRIES: cached situational pictures (LRU, 16 MiB), 0 = off */
  int hotspot_max_staleness_s; /* ESTD_HOTSPOT_MAX_STALENESS_S: hot spots may lag their buckets this long after they were last known current (0 = never) */
  bool situation_from_raw;     /* ESTD_SITUATION_SOURCE: rollup (default) | raw (counts from the raw events: check) */
  /* Security (docs/SECURITY.md). */
  bool auth_required;        /* ESTD_AUTH: required (default) | off */
  char *key_secret;          /* ESTD_KEY_SECRET: HMAC key for API key hashes (never logged) */
  int auth_cache_ttl_ms;     /* ESTD_AUTH_CACHE_TTL_MS: verified-key cache lifetime */
  int rate_limit_rps;        /* ESTD_RATE_LIMIT_RPS: per key, 0 = off */
  int rate_limit_burst;      /* ESTD_RATE_LIMIT_BURST: bucket size */
  int rate_limit_anon_rps;   /* ESTD_RATE_LIMIT_ANON_RPS: per client address, requests without a valid key */
  int rate_limit_anon_burst; /* ESTD_RATE_LIMIT_ANON_BURST */
  char *tls_cert_file;       /* ESTD_TLS_CERT_FILE: PEM certificate (chain); with the key enables TLS */
  char *tls_key_file;        /* ESTD_TLS_KEY_FILE: PEM private key */
  int max_query_bytes;       /* ESTD_MAX_QUERY_BYTES: longer query strings get 414 */
  int max_param_bytes;       /* ESTD_MAX_PARAM_BYTES: longer parameter values get 400 */
  char *web_dir;             /* ESTD_WEB_DIR: the web app's built assets (served under /app/) */
  char *ui_basemap_url;      /* ESTD_UI_BASEMAP_URL: map tile URL template (NULL = no basemap) */
  bool public_page;          /* ESTD_PUBLIC_PAGE: the public medborgarlöfte page and its API */
  char *
      public_url; /* ESTD_PUBLIC_URL: the http(s) URL clients reach estd at, for absolute links (OGC API); unset = from the request's Host */
  /* OpenID Connect (docs/SECURITY.md; off unless oidc_issuer is set). */
  char *oidc_issuer;                /* ESTD_OIDC_ISSUER: issuer URL (discovery at /.well-known/openid-configuration) */
  char *oidc_audience;              /* ESTD_OIDC_AUDIENCE: aud an access token must carry */
  char *oidc_algs;                  /* ESTD_OIDC_ALGS: accepted JWS algorithms */
  int oidc_skew_s;                  /* ESTD_OIDC_SKEW_S: clock skew on exp/nbf/iat */
  int oidc_max_token_bytes;         /* ESTD_OIDC_MAX_TOKEN_BYTES: longer bearer tokens get 401 */
  char *oidc_party_claim;           /* ESTD_OIDC_PARTY_CLAIM */
  char *oidc_groups_claim;          /* ESTD_OIDC_GROUPS_CLAIM: comma-separated claim names */
  char *oidc_party_groups;          /* ESTD_OIDC_PARTY_GROUPS: group=party-code,... */
  char *oidc_scope_claim;           /* ESTD_OIDC_SCOPE_CLAIM */
  char *oidc_scope_prefix;          /* ESTD_OIDC_SCOPE_PREFIX */
  char *oidc_scope_groups;          /* ESTD_OIDC_SCOPE_GROUPS: group=scope scope,... */
  int oidc_token_cache_size;        /* ESTD_OIDC_TOKEN_CACHE_SIZE: verified tokens kept, 0 = off */
  int oidc_token_cache_ttl_s;       /* ESTD_OIDC_TOKEN_CACHE_TTL_S: at most this long (and never past exp) */
  int oidc_jwks_refresh_s;          /* ESTD_OIDC_JWKS_REFRESH_S: background refresh period */
  int oidc_jwks_max_age_s;          /* ESTD_OIDC_JWKS_MAX_AGE_S: keys kept while the issuer is unreachable */
  int oidc_refresh_min_interval_ms; /* ESTD_OIDC_REFRESH_MIN_INTERVAL_MS: unknown-kid refresh rate bound */
  int oidc_fetch_timeout_ms;        /* ESTD_OIDC_FETCH_TIMEOUT_MS: discovery/JWKS fetch deadline */
  char *oidc_client_id;             /* ESTD_OIDC_CLIENT_ID: web sign-in (BFF) client */
  char *oidc_client_secret;         /* ESTD_OIDC_CLIENT_SECRET (never logged) */
  char *oidc_redirect_uri;          /* ESTD_OIDC_REDIRECT_URI: .../auth/callback registered at the provider */
  char *oidc_login_scopes;          /* ESTD_OIDC_LOGIN_SCOPES: scope parameter of the authorization request */
  char *oidc_login_resource;        /* ESTD_OIDC_LOGIN_RESOURCE: RFC 8707 resource sent at sign-in (NULL = none) */
  int oidc_session_ttl_s;           /* ESTD_OIDC_SESSION_TTL_S: a web session's lifetime */
  char *cookie_secure;              /* ESTD_COOKIE_SECURE: auto (with TLS) | on | off */
  /* `estd police-feed poll` and the geocoder (docs/OPERATIONS.md "Police feed poller") */
  char *police_feed_url;             /* ESTD_POLICE_FEED_URL: events API with its query; https (http on loopback) */
  char *police_feed_source;          /* ESTD_POLICE_FEED_SOURCE: CloudEvents source of the poller's events */
  char *police_feed_party;           /* ESTD_POLICE_FEED_PARTY: party of the poller's events (required to poll) */
  char *police_feed_contact;         /* ESTD_POLICE_FEED_CONTACT: e-mail/URL in the User-Agent (required to poll) */
  int police_feed_interval_s;        /* ESTD_POLICE_FEED_INTERVAL_S: polling period (0: as the API's rules allow) */
  int police_feed_min_interval_ms;   /* ESTD_POLICE_FEED_MIN_INTERVAL_MS: between calls; < 10000 only on loopback */
  char *police_geocode_municipality; /* ESTD_POLICE_GEOCODE_MUNICIPALITY: geocoder on for this municipality */
} est_config;

/* The polisen.se API's floor between two calls; lower only against a
 * loopback URL (tests' recorded server). */
#define EST_POLICE_FEED_MIN_INTERVAL_FLOOR_MS 10000
/* True for an http(s) URL whose host is localhost, [::1] or 127.x.y.z. */
bool est_url_is_loopback(const char *url);

/* Fills *cfg from the environment (env == NULL means getenv). On error
 * returns EST_ECONFIG and writes one line naming the variable into err.
 * The caller owns the strings; release them with est_config_free. */
est_result est_config_load(est_config *cfg, est_env_fn env, char *err, size_t errlen);
void est_config_free(est_config *cfg);

/* Parses "true/false/1/0/yes/no/on/off"; returns EST_EINVAL otherwise. */
est_result est_parse_bool(const char *s, bool *out);
/* Parses a decimal integer in [min,max], whole string; EST_EINVAL otherwise. */
est_result est_parse_int(const char *s, long min, long max, long *out);

#endif
