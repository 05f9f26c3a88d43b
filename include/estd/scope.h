/* scope.h - estd's five scopes (read, read-detail, write-events,
 * write-commitments, admin; admin implies every scope) as bits of a mask,
 * shared by API keys, JWT claim mapping and sessions. Pure. */
#ifndef ESTD_SCOPE_H
#define ESTD_SCOPE_H

#include <stddef.h>
#include "estd/result.h"

enum {
  EST_SCOPE_NONE = 0,
  EST_SCOPE_READ = 1u << 0,
  EST_SCOPE_READ_DETAIL = 1u << 1,
  EST_SCOPE_WRITE_EVENTS = 1u << 2,
  EST_SCOPE_WRITE_COMMITMENTS = 1u << 3,
  EST_SCOPE_ADMIN = 1u << 4,
};

/* EST_SCOPE_* bit of one scope name (len bytes), 0 if unknown. */
unsigned est_scope_bit(const char *name, size_t len);
/* Parses "read,write-events" into a mask. EST_EINVAL on an empty list or
 * an unknown name (the unknown name is written into bad, if given). */
est_result est_scopes_parse(const char *csv, unsigned *mask, char *bad, size_t badlen);
/* The scopes a credential with mask has: admin implies every scope. This is
 * the one place the implication lives; est_auth_check_request stores the
 * effective mask in ctx->who.scopes (keys, JWTs and sessions alike), so every
 * later check (route scopes, the disclosure policy) tests plain bits. */
unsigned est_scopes_effective(unsigned mask);
/* Writes the canonical comma-separated names of mask into buf. */
void est_scopes_format(unsigned mask, char *buf, size_t n);

#endif
