/* intake.h - the Kafka event consumer running inside `estd serve`.
 *
 * Contract: offsets are stored only after the database transaction that
 * holds the messages has committed (at-least-once delivery, made
 * exactly-once in effect by ON CONFLICT on the event's (source, id)). */
#ifndef ESTD_INTAKE_H
#define ESTD_INTAKE_H

#include <stdbool.h>
#include "estd/app.h"
#include "estd/result.h"

typedef struct est_intake est_intake;

/* Starts the consumer thread (config from app->cfg). */
est_result est_intake_start(est_intake **out, est_app *app);
/* True once the group has assigned this consumer at least one partition
 * (or an empty assignment after a completed rebalance). */
bool est_intake_has_assignment(est_intake *in);
/* Intake health, reported apart from readiness (/readyz body,
 * /healthz/intake, metrics): an alert on it catches a stalled intake
 * without taking the REST API out of the load balancer. */
typedef struct est_intake_status {
  const char *state;       /* "ok", "off", "starting", "no_assignment", "broker_unreachable",
                              "database_unavailable" (static) */
  bool assigned;           /* the group gave this consumer its partitions */
  int brokers_up;          /* brokers connected (-1 = not known yet) */
  long long consumer_lag;  /* messages behind the partitions' ends (-1 = not known) */
  double last_batch_age_s; /* since the last committed batch (-1 = none yet) */
  double db_failing_s;     /* how long writes have been failing (0 = they are not) */
  double uptime_s;         /* since the consumer started */
} est_intake_status;

/* Fills *h (in == NULL: state "off"). Thread-safe. */
void est_intake_health(est_intake *in, est_intake_status *h);
/* Finishes the current batch, commits, leaves the group, frees. */
void est_intake_stop(est_intake *in, int grace_ms);

#endif
