/* migrate.c - apply sql/migrations and sql/seed (see migrate.h). */
#include "estd/migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/db.h"
#include "estd/log.h"
#include "estd/store_util.h"

/* Arbitrary constant shared by every estd instance: "estd" in ASCII. */
#define MIGRATE_LOCK_KEY "1702065252"

typedef struct {
  char **names;
  size_t n;
} file_list;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void file_list_free(file_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->names[i]);
  free(l->names);
  l->names = NULL;
  l->n = 0;
}

/* Lists *.sql in dir, sorted. A missing directory is an empty list. */
static est_result list_sql(const char *dir, file_list *out) {
  out->names = NULL;
  out->n = 0;
  DIR *d = opendir(dir);
  if (!d) return EST_OK;
  struct dirent *e;
  size_t cap = 0;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0) continue;
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(out->names, cap * sizeof *nn);
      if (!nn) {
        closedir(d);
        file_list_free(out);
        return EST_ENOMEM;
      }
      out->names = nn;
    }
    out->names[out->n] = strdup(e->d_name);
    if (!out->names[out->n]) {
      closedir(d);
      file_list_free(out);
      return EST_ENOMEM;
    }
    out->n++;
  }
  closedir(d);
  if (out->n) qsort(out->names, out->n, sizeof *out->names, cmp_str);
  return EST_OK;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long len = ftell(f);
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) != NULL) {
      if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
      } else buf[len] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* Runs trusted SQL text from the repository (may hold several statements). */
static est_result exec_script(est_conn *c, const char *path) {
  char *sql = read_file(path);
  if (!sql) {
    est_log_kv(EST_LOG_ERROR, "cannot read SQL file", "path", path, NULL);
    return EST_EIO;
  }
  est_result rc = est_db_command(c, sql);
  free(sql);
  if (rc != EST_OK) {
    est_log_kv(EST_LOG_ERROR, "SQL file failed", "path", path, "error", est_conn_error(c), NULL);
  }
  return rc;
}

static const est_stmt st_create = {"migrate_create",
                                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                                   0};
static const est_stmt st_lock = {"migrate_lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0};
static const est_stmt st_unlock = {"migrate_unlock", "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0};
static const est_stmt st_is_applied = {"migrate_is_applied", "SELECT 1 FROM schema_migrations WHERE version = $1", 1};
static const est_stmt st_record = {"migrate_record", "INSERT INTO schema_migrations(version) VALUES ($1)", 1};
static const est_stmt st_exists = {"migrate_table_exists", "SELECT to_regclass('schema_migrations') IS NOT NULL", 0};

static est_result simple(est_conn *c, const est_stmt *s, const char *p1, int *ntuples) {
  const char *params[1] = {p1};
  PGresult *r;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  if (rc == EST_OK && ntuples) *ntuples = PQntuples(r);
  PQclear(r);
  return rc;
}

/* Strips ".sql": the version recorded is the file's base name. */
static void version_of(const char *file, char *out, size_t n) {
  snprintf(out, n, "%.*s", (int)(strlen(file) - 4), file);
}

/* The .sql files of a folder and a pooled connection to run them on. */
typedef struct scripts {
  char dir[4096]; /* sql_dir/sub */
  file_list files;
  est_conn *c;
} scripts;

/* Opens the scripts of sql_dir/sub (with required, none is EST_ECONFIG).
 * On failure nothing is left to free; else scripts_close. */
static est_result scripts_open(est_pool *pool, const char *sql_dir, const char *sub, bool required, scripts *s) {
  snprintf(s->dir, sizeof s->dir, "%s/%s", sql_dir, sub);
  est_result rc = list_sql(s->dir, &s->files);
  if (rc != EST_OK) return rc;
  if (required && s->files.n == 0) {
    est_log_kv(EST_LOG_ERROR, "no migrations found", "dir", s->dir, NULL); /* only migrations are required */
    rc = EST_ECONFIG;
  }
  if (rc == EST_OK) rc = est_pool_acquire(pool, &s->c);
  if (rc != EST_OK) file_list_free(&s->files);
  return rc;
}

static void scripts_close(est_pool *pool, scripts *s) {
  est_pool_release(pool, s->c);
  file_list_free(&s->files);
}

/* The version of migration file name (version, 256 bytes) and whether it
 * is still to apply: with no migrations table yet (table false) every one is. */
static est_result migration_pending(est_conn *c, const char *name, bool table, char *version, bool *pending) {
  version_of(name, version, 256);
  int n = 0;
  est_result rc = table ? simple(c, &st_is_applied, version, &n) : EST_OK;
  *pending = n == 0;
  return rc;
}

est_result est_migrate_apply(est_pool *pool, const char *sql_dir, int *applied) {
  scripts s;
  est_result rc = scripts_open(pool, sql_dir, "migrations", true, &s);
  if (rc != EST_OK) return rc;
  est_conn *c = s.c;
  est_conn_set_class(c, EST_DB_MAINT); /* DDL and the advisory lock may take long */
  int count = 0;
  rc = simple(c, &st_lock, NULL, NULL);
  if (rc == EST_OK) rc = simple(c, &st_create, NULL, NULL);
  for (size_t i = 0; rc == EST_OK && i < s.files.n; i++) {
    char version[256], path[4352];
    bool todo;
    if ((rc = migration_pending(c, s.files.names[i], true, version, &todo)) != EST_OK || !todo) continue;
    snprintf(path, sizeof path, "%s/%s", s.dir, s.files.names[i]);
    rc = store_tx_open(c, NULL);
    if (rc == EST_OK) rc = exec_script(c, path);
    if (rc == EST_OK) rc = simple(c, &st_record, version, NULL);
    rc = store_tx_close(c, rc);
    if (rc != EST_OK) {
      est_log_kv(EST_LOG_ERROR, "migration failed", "version", version, NULL);
    } else {
      count++;
      est_log_kv(EST_LOG_INFO, "migration applied", "version", version, NULL);
    }
  }
  (void)simple(c, &st_unlock, NULL, NULL);
  scripts_close(pool, &s);
  if (applied) *applied = count;
  return rc;
}

est_result est_migrate_pending(est_pool *pool, const char *sql_dir, int *pending) {
  scripts s;
  est_result rc = scripts_open(pool, sql_dir, "migrations", false, &s);
  if (rc != EST_OK) return rc;
  int count = 0;
  PGresult *r;
  rc = est_db_exec(s.c, &st_exists, NULL, &r, NULL);
  bool exists = rc == EST_OK && PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  for (size_t i = 0; rc == EST_OK && i < s.files.n; i++) {
    char version[256];
    bool todo;
    rc = migration_pending(s.c, s.files.names[i], exists, version, &todo);
    if (todo) count++;
  }
  scripts_close(pool, &s);
  if (rc == EST_OK) *pending = count;
  return rc;
}

est_result est_seed_apply(est_pool *pool, const char *sql_dir, bool dev) {
  est_result rc = est_seed_dir_apply(pool, sql_dir, "seed");
  if (rc == EST_OK && dev) rc = est_seed_dir_apply(pool, sql_dir, "seed-dev");
  return rc;
}

est_result est_seed_dir_apply(est_pool *pool, const char *sql_dir, const char *sub) {
  scripts s;
  est_result rc = scripts_open(pool, sql_dir, sub, false, &s);
  if (rc != EST_OK) return rc;
  est_conn_set_class(s.c, EST_DB_MAINT);
  rc = store_tx_open(s.c, NULL);
  for (size_t i = 0; rc == EST_OK && i < s.files.n; i++) {
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", s.dir, s.files.names[i]);
    rc = exec_script(s.c, path);
    if (rc == EST_OK) est_log_kv(EST_LOG_INFO, "seed applied", "file", s.files.names[i], NULL);
  }
  rc = store_tx_close(s.c, rc);
  scripts_close(pool, &s);
  return rc;
}
