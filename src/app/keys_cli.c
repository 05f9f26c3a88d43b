/* keys_cli.c - `estd keys create|list|revoke`: API key administration
 * against ESTD_DATABASE_URL (see auth.h for the key format). The key is
 * printed once, on stdout, by `create`; nothing else ever prints or logs a
 * secret. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/auth.h"
#include "estd/cli.h"
#include "estd/config.h"
#include "estd/keys_cli.h"
#include "estd/pool.h"
#include "estd/store_keys.h"

static void keys_usage(FILE *f) {
  fprintf(f,
          "usage: estd keys <command>\n"
          "\n"
          "  create --party CODE --scopes SCOPE[,SCOPE...] [--name NAME] [--description TEXT]\n"
          "         creates a key bound to the party and prints it ONCE on stdout\n"
          "         (needs ESTD_KEY_SECRET, the same value the server uses)\n"
          "  list [--json]\n"
          "         lists keys (prefix, party, scopes, status); never prints secrets\n"
          "  revoke PREFIX|ID\n"
          "         revokes a key; servers stop accepting it within ESTD_AUTH_CACHE_TTL_MS\n"
          "\n"
          "scopes: read, read-detail, write-events, write-commitments, admin (implies all)\n");
}

static int keys_create(int argc, char **argv, const est_config *cfg) {
  const char *party = NULL, *scopes = NULL, *name = NULL, *desc = NULL;
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    if (est_cli_opt(argc, argv, &i, "--party", &v)) party = v;
    else if (est_cli_opt(argc, argv, &i, "--scopes", &v)) scopes = v;
    else if (est_cli_opt(argc, argv, &i, "--name", &v)) name = v;
    else if (est_cli_opt(argc, argv, &i, "--description", &v)) desc = v;
    else {
      fprintf(stderr, "estd: keys create: unknown argument '%s'\n", argv[i]);
      return 2;
    }
    if (!v) {
      fprintf(stderr, "estd: keys create: %s needs a value\n", argv[i]);
      return 2;
    }
  }
  if (!party || !*party || !scopes) {
    fprintf(stderr, "estd: keys create: --party CODE and --scopes LIST are required\n");
    return 2;
  }
  unsigned mask;
  char bad[80];
  if (est_scopes_parse(scopes, &mask, bad, sizeof bad) != EST_OK) {
    fprintf(stderr,
            "estd: keys create: unknown scope '%s' (allowed: read, read-detail, write-events, "
            "write-commitments, admin)\n",
            bad);
    return 2;
  }
  if (name && (!*name || strlen(name) > 200)) {
    fprintf(stderr, "estd: keys create: --name must have 1 to 200 characters\n");
    return 2;
  }
  if (desc && strlen(desc) > 2000) {
    fprintf(stderr, "estd: keys create: --description must have at most 2000 characters\n");
    return 2;
  }
  char err[256];
  if (est_key_secret_check(cfg->key_secret, err, sizeof err) != EST_OK) {
    fprintf(stderr, "estd: configuration error: %s\n", err);
    return 2;
  }
  char canon[128];
  est_scopes_format(mask, canon, sizeof canon);
  est_pool *pool;
  if (est_cli_pool(cfg, "keys", &pool)) return 1;
  est_actor who = {0};
  est_result rc = EST_ECONFLICT;
  char *token = NULL;
  char prefix[EST_KEY_PREFIX_LEN + 1];
  long long id = 0, party_id = 0;
  /* A prefix collision (2^48 space) is retried with a fresh key. */
  for (int attempt = 0; attempt < 3 && rc == EST_ECONFLICT; attempt++) {
    if (token) {
      explicit_bzero(token, strlen(token));
      free(token);
      token = NULL;
    }
    unsigned char hash[EST_KEY_HASH_LEN];
    rc = est_key_generate(&token, prefix);
    if (rc == EST_OK) rc = est_key_hash(cfg->key_secret, token, hash);
    if (rc == EST_OK) rc = store_key_create(pool, &who, party, canon, name, desc, prefix, hash, &id, &party_id);
    explicit_bzero(hash, sizeof hash);
  }
  est_pool_destroy(pool);
  int code = 0;
  if (rc == EST_OK) {
    printf("%s\n", token);
    fflush(stdout);
    fprintf(stderr,
            "created API key id=%lld prefix=%s party=%s (id %lld) scopes=%s\n"
            "store it now: it is shown only once and cannot be recovered\n",
            id, prefix, party, party_id, canon);
  } else if (rc == EST_ENOTFOUND) {
    fprintf(stderr, "estd: keys create: no party with code '%s'\n", party);
    code = 1;
  } else {
    fprintf(stderr, "estd: keys create failed: %s\n", est_result_str(rc));
    code = 1;
  }
  if (token) {
    explicit_bzero(token, strlen(token));
    free(token);
  }
  return code;
}

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "-";
}

static int keys_list(int argc, char **argv, const est_config *cfg) {
  bool as_json = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      as_json = true;
    } else {
      fprintf(stderr, "estd: keys list: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  est_pool *pool;
  if (est_cli_pool(cfg, "keys", &pool)) return 1;
  char *text = NULL;
  est_result rc = store_keys_list(pool, &text);
  est_pool_destroy(pool);
  if (rc != EST_OK) {
    fprintf(stderr, "estd: keys list failed: %s\n", est_result_str(rc));
    return 1;
  }
  if (as_json) {
    printf("%s\n", text);
    free(text);
    return 0;
  }
  json_t *arr = json_loads(text, 0, NULL);
  free(text);
  if (!json_is_array(arr)) {
    json_decref(arr);
    fprintf(stderr, "estd: keys list: unexpected result\n");
    return 1;
  }
  printf("%-6s %-12s %-16s %-8s %-40s %-26s %s\n", "ID", "PREFIX", "PARTY", "STATUS", "SCOPES", "LAST_USED", "NAME");
  size_t i;
  json_t *k;
  json_array_foreach(arr, i, k) {
    char scopes[160] = "";
    size_t j;
    json_t *s;
    json_array_foreach(json_object_get(k, "scopes"), j, s) {
      size_t len = strlen(scopes);
      snprintf(scopes + len, sizeof scopes - len, "%s%s", j ? "," : "",
               json_string_value(s) ? json_string_value(s) : "");
    }
    printf("%-6lld %-12s %-16s %-8s %-40s %-26s %s\n", (long long)json_integer_value(json_object_get(k, "id")),
           jstr(k, "prefix"), jstr(k, "party_code"),
           json_is_null(json_object_get(k, "revoked_at")) ? "active" : "revoked", scopes, jstr(k, "last_used_at"),
           jstr(k, "name"));
  }
  json_decref(arr);
  return 0;
}

static int keys_revoke(int argc, char **argv, const est_config *cfg) {
  if (argc != 1 || !*argv[0]) {
    fprintf(stderr, "estd: keys revoke: give exactly one key PREFIX or ID\n");
    return 2;
  }
  const char *which = argv[0];
  /* A whole key pasted by mistake: use its prefix, never echo the secret. */
  char prefix[EST_KEY_PREFIX_LEN + 1];
  if (strncmp(which, "estd_", 5) == 0) {
    if (est_key_parse(which, prefix) != EST_OK) {
      fprintf(stderr, "estd: keys revoke: that is not a valid key; give its prefix or id\n");
      return 2;
    }
    which = prefix;
  }
  est_pool *pool;
  if (est_cli_pool(cfg, "keys", &pool)) return 1;
  est_actor who = {0};
  char *json = NULL;
  est_result rc = store_key_revoke(pool, &who, which, &json);
  est_pool_destroy(pool);
  int code = 0;
  if (rc == EST_OK) {
    printf("revoked %s\n", json ? json : which);
  } else if (rc == EST_ENOTFOUND) {
    fprintf(stderr, "estd: keys revoke: no key with prefix or id '%s'\n", which);
    code = 1;
  } else if (rc == EST_ECONFLICT) {
    fprintf(stderr, "estd: keys revoke: key '%s' is already revoked\n", which);
    code = 1;
  } else {
    fprintf(stderr, "estd: keys revoke failed: %s\n", est_result_str(rc));
    code = 1;
  }
  free(json);
  return code;
}

int est_keys_cli_run(int argc, char **argv, const est_config *cfg) {
  if (argc < 1) {
    keys_usage(stderr);
    return 2;
  }
  const char *sub = argv[0];
  if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
    keys_usage(stdout);
    return 0;
  }
  if (strcmp(sub, "create") == 0) return keys_create(argc - 1, argv + 1, cfg);
  if (strcmp(sub, "list") == 0) return keys_list(argc - 1, argv + 1, cfg);
  if (strcmp(sub, "revoke") == 0) return keys_revoke(argc - 1, argv + 1, cfg);
  fprintf(stderr, "estd: keys: unknown command '%s'\n", sub);
  keys_usage(stderr);
  return 2;
}
