/* problem.c - RFC 9457 problem documents (see problem.h). */
#include "estd/problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/personnummer.h"

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

/* A JSON string of s with personal identity numbers redacted: a problem
 * document echoes the request (path, parameters, field names), and no
 * number is ever served back. */
static json_t *redacted_string(const char *s) {
  char *copy = strdup(s);
  if (!copy) return json_string("");
  est_pnr_redact(copy);
  json_t *j = json_string(copy);
  free(copy);
  return j ? j : json_string("?");
}

json_t *est_problem_new(est_result rc, int status, const char *detail, const char *instance, json_t *errors) {
  char type[64];
  snprintf(type, sizeof type, "/problems/%s", est_problem_slug(rc));
  json_t *p = json_pack("{s:s, s:s, s:i}", "type", type, "title", est_problem_title(rc), "status", status);
  if (!p) {
    json_decref(errors);
    return NULL;
  }
  if (detail) json_object_set_new(p, "detail", redacted_string(detail));
  if (instance) json_object_set_new(p, "instance", redacted_string(instance));
  if (errors) {
    est_pnr_screen_json(errors, true, NULL, NULL);
    json_object_set_new(p, "errors", errors);
  }
  return p;
}

est_result est_problem_add_error(json_t **errors, const char *field, const char *detail) {
  if (!*errors) *errors = json_array();
  if (*errors) json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", field, "detail", detail));
  return EST_EINVAL;
}
