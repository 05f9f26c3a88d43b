/* metrics.h - process metrics rendered in the Prometheus text format.
 *
 * Counters are lock-free atomics so the hot path costs a few increments.
 * Routes are registered once at start (index = position in the route
 * table); index -1 is the "unmatched" bucket. */
#ifndef ESTD_METRICS_H
#define ESTD_METRICS_H

#include <stddef.h>
#include "estd/app.h"

void est_metrics_route_register(int index, const char *method, const char *path);
void est_metrics_http_observe(int route_index, int status, double seconds);

/* Intake counters (labels are small closed sets; unknown values go to "other"). */
void est_metrics_event_ingested(const char *source_kind, const char *category);
void est_metrics_event_rejected(const char *reason);
void est_metrics_event_deadlettered(void);
void est_metrics_consumer_batch(size_t messages, double commit_seconds);
/* Consumer lag per partition, set by the intake after each poll cycle. */
void est_metrics_consumer_lag_set(const char *topic, int partition, long long lag);

/* Renders every metric; the caller frees the string. */
char *est_metrics_render(est_app *app);

#endif
