/* log_bridge.c - routes the diagnostics of the libraries under Ulfius
 * (yder) into the JSON-lines log, so `estd serve` writes nothing but JSON. */
#include <stdio.h>
#include <time.h>
#include <yder.h>

#include "estd/log_bridge.h"
#include "estd/log.h"

static void yder_to_log(void *cls, const char *app, const time_t date, const unsigned long level, const char *message) {
  (void)cls;
  (void)app;
  (void)date;
  int lv = EST_LOG_DEBUG;
  if (level & Y_LOG_LEVEL_ERROR) lv = EST_LOG_ERROR;
  else if (level & Y_LOG_LEVEL_WARNING) lv = EST_LOG_WARN;
  else if (level & Y_LOG_LEVEL_INFO) lv = EST_LOG_INFO;
  est_log_kv(lv, message ? message : "", "component", "ulfius", NULL);
}

void est_log_bridge_init(void) {
  /* Ulfius logs every request at DEBUG and its errors at ERROR; the access
   * log is our own, so take warnings and errors only. */
  if (y_init_logs("estd", Y_LOG_MODE_CALLBACK, Y_LOG_LEVEL_WARNING, NULL, NULL) == 1)
    y_set_logs_callback(yder_to_log, NULL, NULL);
}

void est_log_bridge_close(void) { y_close_logs(); }
