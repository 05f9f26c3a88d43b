/* http_server.h - the HTTP listener and the one dispatcher (http/server.c).
 *
 * The dispatcher wraps every handler of every route table (http.h): request
 * id, query and body limits, authentication and scopes (auth.h), the
 * problem+json rendering of failures, the access log and metrics. */
#ifndef ESTD_HTTP_SERVER_H
#define ESTD_HTTP_SERVER_H

#include "estd/app.h"
#include "estd/http.h"
#include "estd/http_guard.h"
#include "estd/result.h"

/* All route tables, NULL-terminated. */
extern const http_route *const *http_route_tables(void);

/* Status code for a result (the one place this mapping lives). */
int http_status_for_result(est_result rc);

/* Lifecycle: start listening with explicit MHD options; stop gracefully. */
typedef struct http_server http_server;
est_result http_server_start(http_server **out, est_app *app);
/* Closes the listen socket so new connections are refused; requests
 * already open go on. Idempotent; http_server_stop does it too. */
void http_server_quiesce(http_server *srv);
/* Cuts idle and slow connections (not requests in a handler) now and as
 * they become idle (SIGTERM drain). */
void http_server_drain(http_server *srv);
/* Stops accepting new connections, waits up to grace_ms for in-flight
 * requests, then stops the framework and frees everything. */
void http_server_stop(http_server *srv, int grace_ms);
/* The listener's connection counters (refusals, cuts) for /metrics;
 * zeros when no listener runs. */
void http_server_counters(http_guard_counters *out);

#endif
