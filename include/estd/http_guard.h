/* http_guard.h - per-connection deadlines and the connection budget of the
 * HTTP listener (http/guard.c; wired into MHD by http/server.c).
 *
 * MHD 0.9.75 has one inactivity timeout per connection, which a client
 * sending a byte now and then never trips (slowloris). The guard keeps an
 * absolute deadline per connection phase and cuts (shutdown(2)) a
 * connection that passes it:
 *   open      -> request line and headers complete: header_ms after accept;
 *   idle      -> next request line: idle_ms after the previous response;
 *                later request heads: header_ms after their request line;
 *   head      -> body complete: + body_ms, for paths that take a body
 *                (takes_body); others must be in their handler by then;
 *   handler   -> no deadline (handlers are bounded by the database
 *                deadlines); the response is bounded by MHD's inactivity
 *                timeout.
 * Accepting: at max_connections open connections a new one is closed at
 * once (MHD's own limit is set above ours, so MHD never stops accepting
 * and leaves connections waiting in the kernel backlog).
 * Draining (http_guard_drain): idle connections (no request started, or
 * keep-alive between requests) are cut at once, a request still arriving
 * gets at most 2 s more (or its own head deadline), a request in its
 * handler finishes, and every connection is cut once its response is sent.
 *
 * Threading: MHD runs one thread per connection (server.c). The request
 * line and handler hooks run on the connection's own thread (a thread-
 * local remembers the connection between them); the watchdog runs on its
 * own thread and holds the guard lock while it cuts, and MHD reports a
 * connection closed (under the same lock) before it closes the socket, so
 * a descriptor is never cut after it was reused. */
#ifndef ESTD_HTTP_GUARD_H
#define ESTD_HTTP_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

#include "estd/metrics.h"

typedef struct http_guard http_guard;

typedef struct http_guard_limits {
  int header_ms, body_ms, idle_ms;
  int max_connections;
  bool (*takes_body)(void *cls, const char *path); /* may the path carry a request body? */
  void *takes_body_cls;
} http_guard_limits;

/* The counters (open, refused_total, cut_*_total) as /metrics shows them. */
typedef est_metrics_connections http_guard_counters;

/* Starts the watchdog thread; NULL on failure. */
http_guard *http_guard_create(const http_guard_limits *lim);
/* Stops the watchdog; call after MHD has stopped. NULL is a no-op. */
void http_guard_destroy(http_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback: cls is the guard. */
void http_guard_notify(void *cls, struct MHD_Connection *con, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* Hooks from server.c's request callbacks. */
void http_guard_request_line(http_guard *g, struct MHD_Connection *con, const char *uri);
void http_guard_handler(http_guard *g);
void http_guard_request_done(http_guard *g, struct MHD_Connection *con);

/* Starts the drain (see above; SIGTERM). Idempotent. */
void http_guard_drain(http_guard *g);
void http_guard_counters_get(http_guard *g, http_guard_counters *out);

#endif
