/* actor.h - who performs a write (for the audit trail and party scoping). */
#ifndef ESTD_ACTOR_H
#define ESTD_ACTOR_H

/* Initialise with designated initializers ({.request_id = "cli"}): fields get added. */
typedef struct est_actor {
  long long key_id;       /* 0 = none (auth off, CLI, system) */
  long long party_id;     /* 0 = none */
  const char *request_id; /* may be NULL */
  const char *sub;        /* OpenID Connect subject (JWT or web session), NULL otherwise */
  const char *iss;        /* its issuer; set together with sub */
} est_actor;

#endif
