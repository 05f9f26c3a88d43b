/* result.h - the one vocabulary of result codes shared by every estd module.
 *
 * Contract: EST_OK is zero, every failure is negative (libuv style), so
 * `if (rc < 0)` is the only test callers need. http/ maps these to HTTP
 * status codes in exactly one place (http_status_for_result). */
#ifndef ESTD_RESULT_H
#define ESTD_RESULT_H

typedef enum est_result {
  EST_OK = 0,
  EST_ENOMEM = -1,        /* allocation failed */
  EST_EINVAL = -2,        /* input failed validation (422 / 400) */
  EST_EPARSE = -3,        /* input is not well-formed (bad JSON, bad UTF-8) */
  EST_ENOTFOUND = -4,     /* no such resource */
  EST_ECONFLICT = -5,     /* unique/foreign-key conflict, resource in use */
  EST_EPRECONDITION = -6, /* If-Match did not match the current version */
  EST_EUNAVAILABLE = -7,  /* database or broker unreachable; retry later */
  EST_ETOOLARGE = -8,     /* body or batch over the documented limit */
  EST_EUNAUTHORIZED = -9, /* no or bad credentials */
  EST_EFORBIDDEN = -10,   /* credentials lack scope or party */
  EST_ERATELIMIT = -11,   /* too many requests for this key */
  EST_EINTERNAL = -12,    /* a bug or an unexpected database error */
  EST_ECONFIG = -13,      /* invalid configuration */
  EST_EIO = -14,          /* file or socket I/O failed */
  EST_EUNSUPPORTED = -15, /* media type or operation not supported */
  EST_ETIMEOUT = -16,     /* an operation ran out of time */
  EST_ENOPRECOND = -17,   /* a conditional request lacks If-Match (428) */
  EST_EMETHOD = -18       /* the route exists, the method does not (405) */
} est_result;

/* Static, never-NULL, human-readable description. */
const char *est_result_str(est_result rc);

#endif
