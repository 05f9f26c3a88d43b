/* web.c - the web app's asset table (see web.h). */
#include "estd/web.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEB_MAX_FILE_BYTES (8u << 20)
#define WEB_MAX_FILES 512
#define WEB_MAX_DEPTH 4

static const struct {
  const char *ext;
  const char *type;
} g_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *est_web_content_type(const char *name) {
  const char *dot = strrchr(name, '.');
  if (dot)
    for (size_t i = 0; i < sizeof g_types / sizeof g_types[0]; i++)
      if (strcmp(dot, g_types[i].ext) == 0) return g_types[i].type;
  return "application/octet-stream";
}

bool est_web_is_hashed(const char *name) {
  if (strncmp(name, "assets/", 7) != 0) return false;
  const char *dot = strrchr(name, '.'), *dash = strrchr(name, '-');
  if (!dot || !dash || dash > dot || dot - dash - 1 < 8) return false;
  for (const char *p = dash + 1; p < dot; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) return false;
  return true;
}

/* Reads a whole regular file (no symlink: O_NOFOLLOW) of at most
 * WEB_MAX_FILE_BYTES. */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= WEB_MAX_FILE_BYTES) {
    buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
      ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
      if (r <= 0) {
        free(buf);
        buf = NULL;
        break;
      }
      got += (size_t)r;
    }
    if (buf) {
      buf[got] = '\0';
      *len = got;
    }
  }
  close(fd);
  return buf;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static est_result add_file(est_web_assets *a, const char *root, const char *rel) {
  if (a->n >= WEB_MAX_FILES) return EST_ETOOLARGE;
  char path[4096];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path) return EST_ETOOLARGE;
  est_web_file f = {0};
  f.data[EST_WEB_IDENTITY] = slurp(path, &f.len[EST_WEB_IDENTITY]);
  if (!f.data[EST_WEB_IDENTITY]) return EST_EIO;
  static const char *const suffix[3] = {"", ".br", ".gz"};
  for (int e = EST_WEB_BR; e <= EST_WEB_GZIP; e++) {
    char vp[4200];
    snprintf(vp, sizeof vp, "%s%s", path, suffix[e]);
    f.data[e] = slurp(vp, &f.len[e]);
  }
  f.name = strdup(rel);
  f.type = est_web_content_type(rel);
  f.immutable = est_web_is_hashed(rel);
  est_web_file *nf = f.name ? realloc(a->files, (a->n + 1) * sizeof *nf) : NULL;
  if (!nf) {
    for (int e = 0; e < 3; e++) free(f.data[e]);
    free(f.name);
    return EST_ENOMEM;
  }
  a->files = nf;
  a->files[a->n++] = f;
  return EST_OK;
}

static est_result walk(est_web_assets *a, const char *root, const char *rel, int depth) {
  char dpath[4096];
  snprintf(dpath, sizeof dpath, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(dpath);
  if (!d) return EST_ENOTFOUND;
  est_result rc = EST_OK;
  struct dirent *de;
  while (rc == EST_OK && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue; /* ., .., dot files */
    char child[2048];
    if ((size_t)snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= sizeof child) continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (depth < WEB_MAX_DEPTH) rc = walk(a, root, child, depth + 1);
      if (rc == EST_ENOTFOUND) rc = EST_OK;
    } else if (S_ISREG(st.st_mode) && !ends_with(child, ".br") && !ends_with(child, ".gz")) {
      rc = add_file(a, root, child);
    }
  }
  closedir(d);
  return rc;
}

est_result est_web_load(const char *dir, est_web_assets *out) {
  memset(out, 0, sizeof *out);
  if (!dir) return EST_ENOTFOUND;
  est_result rc = walk(out, dir, "", 0);
  if (rc != EST_OK && rc != EST_ENOTFOUND) est_web_free(out);
  return rc;
}

void est_web_free(est_web_assets *a) {
  for (size_t i = 0; i < a->n; i++) {
    free(a->files[i].name);
    for (int e = 0; e < 3; e++) free(a->files[i].data[e]);
  }
  free(a->files);
  memset(a, 0, sizeof *a);
}

const est_web_file *est_web_find(const est_web_assets *a, const char *name) {
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->files[i].name, name) == 0) return &a->files[i];
  return NULL;
}

/* q-value of coding in an Accept-Encoding list: -1 absent, else 0..1000. */
static int coding_q(const char *ae, const char *coding) {
  size_t cl = strlen(coding);
  const char *p = ae;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    const char *tok = p;
    while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t') p++;
    size_t tl = (size_t)(p - tok);
    int q = 1000;
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *qs = p;
    while (qs < end && *qs != ';') qs++;
    if (qs < end) {
      const char *qv = qs + 1;
      while (qv < end && (*qv == ' ' || *qv == '\t')) qv++;
      if (qv + 1 < end && (qv[0] == 'q' || qv[0] == 'Q') && qv[1] == '=') {
        double d = strtod(qv + 2, NULL);
        q = d <= 0 ? 0 : d >= 1 ? 1000 : (int)(d * 1000.0 + 0.5);
      }
    }
    if (tl == cl && strncasecmp(tok, coding, cl) == 0) return q;
    p = end;
  }
  return -1;
}

int est_web_pick_encoding(const est_web_file *f, const char *ae) {
  if (!ae) return EST_WEB_IDENTITY;
  int qb = f->data[EST_WEB_BR] ? coding_q(ae, "br") : -1;
  int qg = f->data[EST_WEB_GZIP] ? coding_q(ae, "gzip") : -1;
  int qs = coding_q(ae, "*");
  if (f->data[EST_WEB_BR] && qb < 0) qb = qs;
  if (f->data[EST_WEB_GZIP] && qg < 0) qg = qs;
  if (qb > 0 && qb >= qg) return EST_WEB_BR;
  if (qg > 0) return EST_WEB_GZIP;
  return EST_WEB_IDENTITY;
}
