/* result.c - descriptions of est_result codes. */
#include "estd/result.h"

const char *est_result_str(est_result rc) {
  switch (rc) {
  case EST_OK: return "success";
  case EST_ENOMEM: return "out of memory";
  case EST_EINVAL: return "invalid input";
  case EST_EPARSE: return "malformed input";
  case EST_ENOTFOUND: return "not found";
  case EST_ECONFLICT: return "conflict with existing data";
  case EST_EPRECONDITION: return "precondition failed";
  case EST_EUNAVAILABLE: return "service temporarily unavailable";
  case EST_ETOOLARGE: return "payload too large";
  case EST_EUNAUTHORIZED: return "authentication required";
  case EST_EFORBIDDEN: return "forbidden";
  case EST_ERATELIMIT: return "rate limit exceeded";
  case EST_EINTERNAL: return "internal error";
  case EST_ECONFIG: return "invalid configuration";
  case EST_EIO: return "I/O error";
  case EST_EUNSUPPORTED: return "unsupported";
  case EST_ETIMEOUT: return "timed out";
  case EST_ENOPRECOND: return "precondition required";
  case EST_EMETHOD: return "method not allowed";
  }
  return "unknown result";
}
