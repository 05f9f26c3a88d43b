/* scope.c - estd's scope names and masks (see scope.h). */
#include "estd/scope.h"

#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  unsigned bit;
} g_scopes[] = {
    {"read", EST_SCOPE_READ},
    {"read-detail", EST_SCOPE_READ_DETAIL},
    {"write-events", EST_SCOPE_WRITE_EVENTS},
    {"write-commitments", EST_SCOPE_WRITE_COMMITMENTS},
    {"admin", EST_SCOPE_ADMIN},
};
#define NSCOPES (sizeof g_scopes / sizeof g_scopes[0])

unsigned est_scope_bit(const char *name, size_t len) {
  for (size_t i = 0; i < NSCOPES; i++)
    if (strlen(g_scopes[i].name) == len && strncmp(g_scopes[i].name, name, len) == 0) return g_scopes[i].bit;
  return 0;
}

est_result est_scopes_parse(const char *csv, unsigned *mask, char *bad, size_t badlen) {
  *mask = 0;
  if (bad && badlen) bad[0] = '\0';
  if (!csv || !*csv) return EST_EINVAL;
  const char *p = csv;
  for (;;) {
    size_t n = strcspn(p, ",");
    unsigned bit = est_scope_bit(p, n);
    if (!bit) {
      if (bad && badlen) snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), p);
      return EST_EINVAL;
    }
    *mask |= bit;
    if (p[n] == '\0') break;
    p += n + 1;
  }
  return EST_OK;
}

unsigned est_scopes_effective(unsigned mask) {
  if (!(mask & EST_SCOPE_ADMIN)) return mask;
  unsigned all = 0;
  for (size_t i = 0; i < NSCOPES; i++) all |= g_scopes[i].bit;
  return all;
}

void est_scopes_format(unsigned mask, char *buf, size_t n) {
  size_t len = 0;
  if (n) buf[0] = '\0';
  for (size_t i = 0; i < NSCOPES; i++) {
    if (!(mask & g_scopes[i].bit)) continue;
    int w = snprintf(buf + len, n > len ? n - len : 0, "%s%s", len ? "," : "", g_scopes[i].name);
    if (w < 0 || (size_t)w >= n - len) {
      if (n > len) buf[len] = '\0'; /* never a partial name */
      break;
    }
    len += (size_t)w;
  }
}
