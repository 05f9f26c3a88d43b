/* sources_cli.c - `estd sources add|list|archive|restore`: the event source
 * registry against ESTD_DATABASE_URL, through the same store functions (and
 * audit rows) as /v1/sources. */
#include "estd/cli.h"
#include "estd/sources_cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/event.h"
#include "estd/pool.h"
#include "estd/store_sources.h"
#include "estd/util.h"
#include "estd/store_archive.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: estd sources <command>\n"
          "\n"
          "  add --party CODE --source URI [--description TEXT]\n"
          "         registers a source for the party; its events are admitted from now on\n"
          "  list [--party-id ID] [--archived] [--json]\n"
          "  archive ID     events from the source are refused (unknown_source) from now on\n"
          "  restore ID\n");
}

static int add(int argc, char **argv, const est_config *cfg) {
  const char *party = NULL, *source = NULL, *desc = NULL;
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    if (est_cli_opt(argc, argv, &i, "--party", &v)) party = v;
    else if (est_cli_opt(argc, argv, &i, "--source", &v)) source = v;
    else if (est_cli_opt(argc, argv, &i, "--description", &v)) desc = v;
    else {
      fprintf(stderr, "estd: sources add: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  json_t *body = json_pack("{s:s?,s:s?,s:s?}", "party", party, "source", source, "description", desc);
  char *norm = NULL;
  json_t *errors = NULL;
  est_result rc = est_source_validate(body, false, &norm, &errors);
  json_decref(body);
  if (rc != EST_OK) {
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
        fprintf(stderr, "estd: sources add: %s %s\n", json_string_value(json_object_get(e, "field")),
                json_string_value(json_object_get(e, "detail")));
    json_decref(errors);
    return 2;
  }
  est_pool *pool;
  if (est_cli_pool(cfg, "sources", &pool)) {
    free(norm);
    return 1;
  }
  est_actor who = {.request_id = "cli"};
  est_doc doc;
  long long id = 0;
  store_write_error fail = {"", ""};
  rc = store_source_create(pool, &who, norm, &doc, &id, &fail);
  free(norm);
  est_pool_destroy(pool);
  if (rc != EST_OK) {
    fprintf(stderr, "estd: sources add failed: %s%s%s\n", est_result_str(rc), fail.detail[0] ? ": " : "", fail.detail);
    return 1;
  }
  printf("%s\n", doc.json);
  est_doc_free(&doc);
  return 0;
}

static int list(int argc, char **argv, const est_config *cfg) {
  store_source_filter f = {0, NULL, false};
  bool as_json = false;
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    if (strcmp(argv[i], "--archived") == 0) f.archived = true;
    else if (strcmp(argv[i], "--json") == 0) as_json = true;
    else if (est_cli_opt(argc, argv, &i, "--party-id", &v) && v && est_parse_id(v, &f.party_id) == EST_OK) continue;
    else {
      fprintf(stderr, "estd: sources list: bad argument '%s'\n", argv[i]);
      return 2;
    }
  }
  est_pool *pool;
  if (est_cli_pool(cfg, "sources", &pool)) return 1;
  int code = 0;
  est_list_query q;
  memset(&q, 0, sizeof q);
  q.limit = 500;
  if (!as_json) printf("%-6s %-16s %-9s %s\n", "ID", "PARTY", "STATUS", "SOURCE");
  for (;;) {
    est_page page;
    est_result rc = store_sources_list(pool, &f, &q, &page);
    if (rc != EST_OK) {
      fprintf(stderr, "estd: sources list failed: %s\n", est_result_str(rc));
      code = 1;
      break;
    }
    json_t *arr = json_loads(page.items, 0, NULL);
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s) {
      if (as_json) {
        char *t = json_dumps(s, JSON_COMPACT);
        printf("%s\n", t ? t : "");
        free(t);
      } else {
        printf("%-6lld %-16s %-9s %s\n", (long long)json_integer_value(json_object_get(s, "id")),
               json_string_value(json_object_get(s, "party")) ? json_string_value(json_object_get(s, "party")) : "",
               json_is_null(json_object_get(s, "archived_at")) ? "active" : "archived",
               json_string_value(json_object_get(s, "source")));
      }
    }
    json_decref(arr);
    bool more = page.next_cursor != NULL;
    if (more) {
      q.has_after = est_cursor_decode(page.next_cursor, store_sources_sorts[0], &q.after) == EST_OK;
      more = q.has_after;
    }
    est_page_free(&page);
    if (!more) break;
  }
  est_pool_destroy(pool);
  return code;
}

static int set_archived(int argc, char **argv, const est_config *cfg, bool archive) {
  long long id;
  if (argc != 1 || est_parse_id(argv[0], &id) != EST_OK) {
    fprintf(stderr, "estd: sources %s: give one source id (estd sources list)\n", archive ? "archive" : "restore");
    return 2;
  }
  est_pool *pool;
  if (est_cli_pool(cfg, "sources", &pool)) return 1;
  est_actor who = {.request_id = "cli"};
  est_doc doc;
  est_result rc = store_archive_set(pool, &store_sources_archivable, &who, id, 0, archive, &doc);
  est_pool_destroy(pool);
  if (rc != EST_OK) {
    fprintf(stderr, "estd: sources %s %lld failed: %s\n", archive ? "archive" : "restore", id, est_result_str(rc));
    return 1;
  }
  printf("%s\n", doc.json);
  est_doc_free(&doc);
  return 0;
}

int est_sources_cli_run(int argc, char **argv, const est_config *cfg) {
  if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0) {
    usage(argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  if (strcmp(argv[0], "add") == 0) return add(argc - 1, argv + 1, cfg);
  if (strcmp(argv[0], "list") == 0) return list(argc - 1, argv + 1, cfg);
  if (strcmp(argv[0], "archive") == 0) return set_archived(argc - 1, argv + 1, cfg, true);
  if (strcmp(argv[0], "restore") == 0) return set_archived(argc - 1, argv + 1, cfg, false);
  fprintf(stderr, "estd: sources: unknown command '%s'\n", argv[0]);
  usage(stderr);
  return 2;
}
