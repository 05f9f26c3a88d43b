/* result.c - names and descriptions of est_result codes. */
#include "estd/result.h"

const char *est_result_name(est_result rc) {
  switch (rc) {
  case EST_OK: return "EST_OK";
  case EST_ENOMEM: return "EST_ENOMEM";
  case EST_EINVAL: return "EST_EINVAL";
  case EST_EPARSE: return "EST_EPARSE";
  case EST_ENOTFOUND: return "EST_ENOTFOUND";
  case EST_ECONFLICT: return "EST_ECONFLICT";
  case EST_EPRECONDITION: return "EST_EPRECONDITION";
  case EST_EUNAVAILABLE: return "EST_EUNAVAILABLE";
  case EST_ETOOLARGE: return "EST_ETOOLARGE";
  case EST_EUNAUTHORIZED: return "EST_EUNAUTHORIZED";
  case EST_EFORBIDDEN: return "EST_EFORBIDDEN";
  case EST_ERATELIMIT: return "EST_ERATELIMIT";
  case EST_EINTERNAL: return "EST_EINTERNAL";
  case EST_ECONFIG: return "EST_ECONFIG";
  case EST_EIO: return "EST_EIO";
  case EST_EUNSUPPORTED: return "EST_EUNSUPPORTED";
  case EST_ETIMEOUT: return "EST_ETIMEOUT";
  case EST_ENOPRECOND: return "EST_ENOPRECOND";
  case EST_EMETHOD: return "EST_EMETHOD";
  }
  return "EST_EUNKNOWN";
}

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
