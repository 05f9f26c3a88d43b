/* web.h - the web app's static assets (http/routes_web.c).
 *
 * The files under ESTD_WEB_DIR (built by scripts/build.sh from web/) are
 * read into memory once, at the first request: a request is answered by an
 * exact name lookup in that table, never by opening a path built from the
 * URL, so no request can reach a file outside the table (no traversal, no
 * symlink following: symbolic links and dot files are skipped when the
 * table is built). A file X with siblings X.br / X.gz is served
 * precompressed when Accept-Encoding allows it. */
#ifndef ESTD_WEB_H
#define ESTD_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "estd/result.h"

typedef struct est_web_file {
  char *name;       /* path relative to the web dir, e.g. "assets/app-3F2A1B9C.js" */
  const char *type; /* Content-Type */
  bool immutable;   /* hashed name: cache for a year */
  char *data[3];    /* identity, br, gzip (NULL when absent) */
  size_t len[3];
} est_web_file;

typedef struct est_web_assets {
  est_web_file *files;
  size_t n;
} est_web_assets;

enum { EST_WEB_IDENTITY = 0, EST_WEB_BR = 1, EST_WEB_GZIP = 2 };

/* Reads every regular file under dir (depth <= 4) into *out. EST_ENOTFOUND
 * when dir cannot be opened (the table is then empty). */
est_result est_web_load(const char *dir, est_web_assets *out);
void est_web_free(est_web_assets *a);
/* The file with exactly this relative name, or NULL. */
const est_web_file *est_web_find(const est_web_assets *a, const char *name);
/* Which encoding to send for an Accept-Encoding header value, given the
 * variants the file has: br before gzip, a coding with q=0 is refused. */
int est_web_pick_encoding(const est_web_file *f, const char *accept_encoding);
/* Content-Type for a file name by its extension (octet-stream if unknown). */
const char *est_web_content_type(const char *name);
/* True for names the build hashes: "<stem>-<8+ hex/base32 chars>.<ext>"
 * under assets/. */
bool est_web_is_hashed(const char *name);
#endif
