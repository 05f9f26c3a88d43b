/* log.h - structured logging: one JSON object per line on stdout.
 *
 * Thread-safe: each record is formatted into one buffer and written with a
 * single write(2). Secrets must never be passed as fields. */
#ifndef ESTD_LOG_H
#define ESTD_LOG_H

enum { EST_LOG_DEBUG = 0, EST_LOG_INFO = 1, EST_LOG_WARN = 2, EST_LOG_ERROR = 3 };

void est_log_set_level(int level);
/* Every text field of every log line (the message and each string value)
 * passes through fn, which may rewrite it in place keeping its length:
 * the app sets est_pnr_redact so no personal identity number reaches a log
 * line (core cannot call domain itself). NULL = none. */
typedef int (*est_log_redactor)(char *text);
void est_log_set_redactor(est_log_redactor fn);
int est_log_get_level(void);
/* Maps "debug|info|warn|error" to a level; -1 if unknown. */
int est_log_level_parse(const char *s);

/* Logs msg with extra fields given as a NULL-terminated list of
 * (const char *key, const char *value) pairs; values are JSON-escaped.
 * A key starting with '#' marks a value that is already a JSON number
 * (the '#' is stripped), e.g. est_log_kv(EST_LOG_INFO, "done", "#status", "200", NULL). */
void est_log_kv(int level, const char *msg, ...);

/* printf-style message with no extra fields. */
void est_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
