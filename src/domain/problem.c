/* problem.c - RFC 9457 problem documents (see problem.h). */
#include "estd/problem.h"

#include <stdio.h>

const char *est_problem_slug(est_result rc) {
  switch (rc) {
  case EST_EINVAL: return "validation-error";
  case EST_EPARSE: return "malformed-request";
  case EST_ENOTFOUND: return "not-found";
  case EST_ECONFLICT: return "conflict";
  case EST_EPRECONDITION: return "precondition-failed";
  case EST_EUNAVAILABLE: return "service-unavailable";
  case EST_ETOOLARGE: return "payload-too-large";
  case EST_EUNAUTHORIZED: return "unauthorized";
  case EST_EFORBIDDEN: return "forbidden";
  case EST_ERATELIMIT: return "rate-limited";
  case EST_EUNSUPPORTED: return "unsupported";
  case EST_ETIMEOUT: return "timeout";
  case EST_ENOPRECOND: return "precondition-required";
  case EST_EMETHOD: return "method-not-allowed";
  default: return "internal-error";
  }
}

const char *est_problem_title(est_result rc) {
  switch (rc) {
  case EST_EINVAL: return "The request failed validation";
  case EST_EPARSE: return "The request is malformed";
  case EST_ENOTFOUND: return "Resource not found";
  case EST_ECONFLICT: return "Conflict with the current state";
  case EST_EPRECONDITION: return "Precondition failed";
  case EST_EUNAVAILABLE: return "Service temporarily unavailable";
  case EST_ETOOLARGE: return "Payload too large";
  case EST_EUNAUTHORIZED: return "Authentication required";
  case EST_EFORBIDDEN: return "Forbidden";
  case EST_ERATELIMIT: return "Too many requests";
  case EST_EUNSUPPORTED: return "Unsupported request";
  case EST_ETIMEOUT: return "The operation timed out";
  case EST_ENOPRECOND: return "Precondition required";
  case EST_EMETHOD: return "Method not allowed";
  default: return "Internal server error";
  }
}

json_t *est_problem_new(est_result rc, int status, const char *detail, const char *instance,
                        json_t *errors) {
  char type[64];
  snprintf(type, sizeof type, "/problems/%s", est_problem_slug(rc));
  json_t *p = json_pack("{s:s, s:s, s:i}", "type", type, "title", est_problem_title(rc), "status", status);
  if (!p) {
    json_decref(errors);
    return NULL;
  }
  if (detail) json_object_set_new(p, "detail", json_string(detail));
  if (instance) json_object_set_new(p, "instance", json_string(instance));
  if (errors) json_object_set_new(p, "errors", errors);
  return p;
}

est_result est_problem_add_error(json_t **errors, const char *field, const char *detail) {
  if (!*errors) *errors = json_array();
  if (*errors) json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", field, "detail", detail));
  return EST_EINVAL;
}
