/* cursor.c - keyset cursors and sort parameters (see cursor.h). */
#include "estd/cursor.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/util.h"

char *est_cursor_encode(const char *sort, const char *value, long long id) {
  json_t *j = json_pack("{s:s, s:s, s:I}", "s", sort, "v", value ? value : "", "i", (json_int_t)id);
  char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!txt) return NULL;
  char *out = est_b64url_encode((const unsigned char *)txt, strlen(txt));
  free(txt);
  return out;
}

est_result est_cursor_decode(const char *s, const char *expected_sort, est_cursor *out) {
  if (!s || strlen(s) > 512) return EST_EINVAL;
  size_t len;
  unsigned char *raw = est_b64url_decode(s, &len);
  if (!raw) return EST_EINVAL;
  json_t *j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
  free(raw);
  const char *sort = NULL, *value = NULL;
  json_int_t id = 0;
  est_result rc = EST_EINVAL;
  if (j && json_unpack(j, "{s:s, s:s, s:I !}", "s", &sort, "v", &value, "i", &id) == 0 && id >= 0 &&
      strcmp(sort, expected_sort) == 0 && strlen(value) < sizeof out->value) {
    snprintf(out->sort, sizeof out->sort, "%s", sort);
    snprintf(out->value, sizeof out->value, "%s", value);
    out->id = (long long)id;
    rc = EST_OK;
  }
  json_decref(j);
  return rc;
}

est_result est_sort_parse(const char *param, const char *const *allowed, int *index, bool *desc) {
  *index = 0;
  *desc = allowed[0] && allowed[0][0] == '-';
  if (!param) return EST_OK;
  *desc = false;
  const char *name = param;
  if (*name == '-') {
    *desc = true;
    name++;
  }
  for (int i = 0; allowed[i]; i++) {
    const char *a = allowed[i];
    if (*a == '-' && !*desc) continue; /* descending only */
    if (*a == '-') a++;
    if (strcmp(a, name) == 0) {
      *index = i;
      return EST_OK;
    }
  }
  return EST_EINVAL;
}
