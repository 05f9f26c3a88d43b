/* log.c - JSON-lines logger (see log.h). */
#include "estd/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = EST_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void est_log_set_level(int level) { atomic_store(&g_level, level); }
int est_log_get_level(void) { return atomic_load(&g_level); }

int est_log_level_parse(const char *s) {
  for (int i = 0; i < 4; i++)
    if (s && strcmp(s, level_names[i]) == 0) return i;
  if (s && strcmp(s, "warning") == 0) return EST_LOG_WARN;
  return -1;
}

static _Atomic(est_log_redactor) g_redactor;

void est_log_set_redactor(est_log_redactor fn) { atomic_store(&g_redactor, fn); }

/* A JSON string for v, passed through the redactor; bytes that are not
 * valid UTF-8 (a client's raw path, a library message) become '?' instead
 * of dropping the field. */
static json_t *log_string(const char *v) {
  char *copy = strdup(v);
  if (!copy) return json_string("?");
  est_log_redactor red = atomic_load(&g_redactor);
  if (red) red(copy);
  json_t *j = json_string(copy);
  if (!j) {
    for (unsigned char *p = (unsigned char *)copy; *p; p++)
      if (*p >= 0x80) *p = '?';
    j = json_string(copy);
  }
  free(copy);
  return j;
}

static void log_emit(int level, const char *msg, va_list ap) {
  if (level < EST_LOG_DEBUG) level = EST_LOG_DEBUG;
  if (level > EST_LOG_ERROR) level = EST_LOG_ERROR;
  struct timeval tv;
  struct tm tm;
  char ts[64];
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
  json_t *o = json_object();
  if (!o) return;
  json_object_set_new(o, "time", json_string(ts));
  json_object_set_new(o, "level", json_string(level_names[level]));
  json_object_set_new(o, "msg", log_string(msg ? msg : ""));
  const char *k;
  while ((k = va_arg(ap, const char *)) != NULL) {
    const char *v = va_arg(ap, const char *);
    if (!v) continue;
    if (k[0] == '#') {
      json_object_set_new(o, k + 1, json_real(strtod(v, NULL)));
      json_t *n = json_object_get(o, k + 1);
      double d = json_real_value(n);
      if (d == (double)(long long)d) json_object_set_new(o, k + 1, json_integer((long long)d));
    } else {
      json_object_set_new(o, k, log_string(v));
    }
  }
  char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
  json_decref(o);
  if (!line) return;
  size_t n = strlen(line);
  line[n] = '\n'; /* json_dumps leaves room for the terminator; reuse it */
  ssize_t w = write(STDOUT_FILENO, line, n + 1);
  (void)w;
  free(line);
}

void est_log_kv(int level, const char *msg, ...) {
  if (level < atomic_load(&g_level)) return;
  va_list ap;
  va_start(ap, msg);
  log_emit(level, msg, ap);
  va_end(ap);
}

static void log_emit_plain(int level, const char *msg, ...) {
  va_list ap;
  va_start(ap, msg);
  log_emit(level, msg, ap);
  va_end(ap);
}

void est_log(int level, const char *fmt, ...) {
  if (level < atomic_load(&g_level)) return;
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  log_emit_plain(level, buf, (const char *)NULL);
}
