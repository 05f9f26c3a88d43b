/* event.c - CloudEvents 1.0 parsing and validation of intake events (see
 * event.h and docs/EVENTS.md). Pure: no I/O. */
#include "estd/event.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "estd/personnummer.h"
#include "estd/problem.h"
#include "estd/util.h"

const char *const est_event_categories[] = {"skadegorelse",      "klotter",          "brand",
                                            "nedskrapning",      "ordningsstorning", "otrygghetsskapande_samling",
                                            "narkotika",         "hot_och_vald",     "hot_vald_mot_anstalld",
                                            "inbrott_och_stold", "olovlig_korning",  "bristande_belysning",
                                            "otrygg_plats",      "ovrigt",           NULL};

static const char *const activity_types[] = {
    "trygghetsvandring", "informationstillfalle", "operativ_insats", "grannsamverkan", "natverksgrupp", "other", NULL};

#define TYPE_INCIDENT "se.est.incident.v1"
#define TYPE_PATROL "se.est.patrol.v1"
#define TYPE_ACTIVITY "se.est.activity.v1"
#define TYPE_POLICE "se.polisen.event.v1"

#define EST_REASON_CASE_(name, code, what) \
  case EST_REASON_##name: return code;
const char *est_event_reason_name(est_event_reason r) {
  switch (r) {
  case EST_REASON_NONE: return "none"; EST_EVENT_REASONS(EST_REASON_CASE_, EST_REASON_CASE_)
  }
  return "none";
}
#undef EST_REASON_CASE_

#define EST_REASON_CODE_(name, code, what) code,
#define EST_REASON_SKIP_(name, code, what)
const char *const est_event_reasons[] = {EST_EVENT_REASONS(EST_REASON_CODE_, EST_REASON_CODE_) NULL};
const char *const est_event_dead_letter_reasons[] = {EST_EVENT_REASONS(EST_REASON_CODE_, EST_REASON_SKIP_) NULL};
#undef EST_REASON_CODE_
#undef EST_REASON_SKIP_

static const char *lookup(const char *const *list, const char *s) {
  if (!s) return NULL;
  for (int i = 0; list[i]; i++)
    if (strcmp(list[i], s) == 0) return list[i];
  return NULL;
}

const char *est_event_category(const char *code) { return lookup(est_event_categories, code); }

const char *const est_event_precisions[] = {"point", "street", "district", "municipality", "county", NULL};

void est_event_free(est_event *ev) {
  if (!ev) return;
  free(ev->id);
  free(ev->source);
  free(ev->type);
  free(ev->subject);
  free(ev->party);
  free(ev->occurred_at);
  free(ev->place_name);
  free(ev->track);
  free(ev->description);
  free(ev->attributes);
  free(ev->published_at);
  memset(ev, 0, sizeof *ev);
  ev->duration_s = -1;
}

int est_event_flag_names(unsigned flags, const char *out[4]) {
  int n = 0;
  if (flags & EST_EVENT_FLAG_PNR_REDACTED) out[n++] = "pnr_redacted";
  if (flags & EST_EVENT_FLAG_POLICE_FEED) out[n++] = "police_feed";
  out[n] = NULL;
  return n;
}

/* ---- topic bindings ------------------------------------------------------ */

/* Calls fn for each "topic=party" entry (trimmed); stops when fn returns true. */
static bool topic_entries(const char *spec, bool (*fn)(const char *t, size_t tl, const char *p, size_t pl, void *arg),
                          void *arg, bool *malformed) {
  *malformed = false;
  if (!spec) return false;
  const char *s = spec;
  while (*s) {
    size_t len = strcspn(s, ",");
    const char *e = s, *end = s + len;
    while (e < end && *e == ' ') e++;
    const char *eq = memchr(e, '=', (size_t)(end - e));
    const char *te = eq, *ps = eq ? eq + 1 : NULL, *pe = end;
    if (eq) {
      while (te > e && te[-1] == ' ') te--;
      while (ps < pe && *ps == ' ') ps++;
      while (pe > ps && pe[-1] == ' ') pe--;
    }
    if (!eq || te == e || pe == ps) {
      if (end > e) *malformed = true;
    } else if (fn(e, (size_t)(te - e), ps, (size_t)(pe - ps), arg)) {
      return true;
    }
    s = *end ? end + 1 : end;
  }
  return false;
}

typedef struct {
  const char *topic;
  char *out;
  size_t outlen;
} bind_q;

static bool bind_match(const char *t, size_t tl, const char *p, size_t pl, void *arg) {
  bind_q *q = arg;
  if (strlen(q->topic) != tl || strncmp(q->topic, t, tl) != 0) return false;
  snprintf(q->out, q->outlen, "%.*s", (int)pl, p);
  return true;
}

static bool bind_none(const char *t, size_t tl, const char *p, size_t pl, void *arg) {
  (void)t, (void)tl, (void)p, (void)pl, (void)arg;
  return false;
}

bool est_topic_bound_party(const char *spec, const char *topic, char *out, size_t outlen) {
  bind_q q = {topic, out, outlen};
  bool bad;
  return topic_entries(spec, bind_match, &q, &bad);
}

bool est_topic_parties_valid(const char *spec) {
  bool bad;
  topic_entries(spec, bind_none, NULL, &bad);
  return !bad;
}

/* ---- small helpers -------------------------------------------------------- */

/* Records reason (first one wins) and a field error. */
static est_event_reason fail(est_event_reason *cur, json_t **errors, est_event_reason r, const char *field,
                             const char *detail) {
  if (*cur == EST_REASON_NONE) *cur = r;
  est_problem_add_error(errors, field, detail);
  return *cur;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* CloudEvents source: a URI-reference; we require printable ASCII without spaces. */
static bool uri_reference_ok(const char *s) {
  if (!*s) return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p >= 0x7F || *p == '"' || *p == '<' || *p == '>' || *p == '\\') return false;
  return true;
}

bool est_event_source_valid(const char *s) {
  return s && est_utf8_length(s) <= EST_EVENT_MAX_SOURCE && uri_reference_ok(s);
}

static bool slug_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64 || s[0] == '-' || s[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && s[i + 1] != '-'))) return false;
  }
  return true;
}

/* Optional string member: returns false (and records an error) if present but not a string. */
static bool opt_string(const json_t *obj, const char *key, const char *field, const char **out, est_event_reason *r,
                       json_t **errors) {
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  if (!v || json_is_null(v)) return true;
  if (!json_is_string(v)) {
    fail(r, errors, EST_REASON_SCHEMA, field, "must be a string");
    return false;
  }
  *out = json_string_value(v);
  return true;
}

/* ---- location and track ------------------------------------------------- */

static bool num_member(const json_t *obj, const char *key, double *out, bool *present) {
  json_t *v = json_object_get(obj, key);
  *present = v != NULL;
  if (!v) return true;
  if (!json_is_number(v)) return false;
  *out = json_number_value(v);
  return isfinite(*out);
}

static void parse_location(const json_t *loc, est_event *ev, est_event_reason *r, json_t **errors) {
  if (!json_is_object(loc)) {
    fail(r, errors, EST_REASON_SCHEMA, "/data/location", "must be an object");
    return;
  }
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)loc, key, val) {
    if (strcmp(key, "lat") && strcmp(key, "lon") && strcmp(key, "crs") && strcmp(key, "easting") &&
        strcmp(key, "northing") && strcmp(key, "name")) {
      char f[96];
      snprintf(f, sizeof f, "/data/location/%.64s", key);
      fail(r, errors, EST_REASON_SCHEMA, f, "unknown property");
    }
  }
  const char *name = NULL, *crs = NULL;
  opt_string(loc, "name", "/data/location/name", &name, r, errors);
  if (name) {
    size_t c = est_utf8_length(name);
    if (c == 0 || c > EST_EVENT_MAX_PLACE)
      fail(r, errors, EST_REASON_SCHEMA, "/data/location/name", "must be 1..512 characters");
    else if (!(ev->place_name = strdup(name)))
      fail(r, errors, EST_REASON_SCHEMA, "/data/location/name", "out of memory");
  }
  opt_string(loc, "crs", "/data/location/crs", &crs, r, errors);
  double lat = 0, lon = 0, e = 0, n = 0;
  bool has_lat, has_lon, has_e, has_n;
  /* Evaluate all four (no short-circuit) so every has_* is set. */
  bool ok_lat = num_member(loc, "lat", &lat, &has_lat), ok_lon = num_member(loc, "lon", &lon, &has_lon);
  bool ok_e = num_member(loc, "easting", &e, &has_e), ok_n = num_member(loc, "northing", &n, &has_n);
  bool ok = ok_lat && ok_lon && ok_e && ok_n;
  if (!ok) {
    fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location", "coordinates must be numbers");
    return;
  }
  int srid = 4326;
  if (crs) {
    if (strcmp(crs, "EPSG:4326") == 0) srid = 4326;
    else if (strcmp(crs, "EPSG:3006") == 0) srid = 3006;
    else if (strcmp(crs, "EPSG:3008") == 0) srid = 3008;
    else {
      fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location/crs",
           "must be EPSG:4326 (WGS84), EPSG:3006 (SWEREF 99 TM) or EPSG:3008 (SWEREF 99 13 30)");
      return;
    }
  }
  if (srid == 4326) {
    if (has_e || has_n) {
      fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location", "easting/northing need crs EPSG:3006 or EPSG:3008");
      return;
    }
    if (has_lat != has_lon) {
      fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location", "lat and lon must be given together");
      return;
    }
    if (!has_lat) {
      if (crs) fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location", "crs given without coordinates");
      else if (!name) fail(r, errors, EST_REASON_SCHEMA, "/data/location", "needs coordinates or a name");
      return;
    }
    if (lat < -90 || lat > 90) {
      fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location/lat", "must be within -90..90");
      return;
    }
    if (lon < -180 || lon > 180) {
      fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location/lon", "must be within -180..180");
      return;
    }
    ev->srid = 4326;
    ev->x = lon;
    ev->y = lat;
    return;
  }
  if (has_lat || has_lon) {
    fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location", "lat/lon need crs EPSG:4326");
    return;
  }
  if (!has_e || !has_n) {
    fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location", "easting and northing are required with crs");
    return;
  }
  /* Sweden in SWEREF 99 TM, and the usable band of the 13 30 local zone. */
  double emin = srid == 3006 ? 180000 : 0, emax = srid == 3006 ? 1000000 : 300000;
  if (e < emin || e > emax) {
    fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location/easting", "outside Sweden for this crs");
    return;
  }
  if (n < 6050000 || n > 7750000) {
    fail(r, errors, EST_REASON_BAD_COORDINATES, "/data/location/northing", "outside Sweden for this crs");
    return;
  }
  ev->srid = srid;
  ev->x = e;
  ev->y = n;
}

static void parse_track(const json_t *t, est_event *ev, est_event_reason *r, json_t **errors) {
  json_t *type = json_object_get(t, "type"), *coords = json_object_get(t, "coordinates");
  if (!json_is_object(t) || !json_is_string(type) || strcmp(json_string_value(type), "LineString") != 0 ||
      !json_is_array(coords)) {
    fail(r, errors, EST_REASON_SCHEMA, "/data/track", "must be a GeoJSON LineString");
    return;
  }
  size_t n = json_array_size(coords);
  if (n < 2 || n > EST_EVENT_MAX_TRACK_POINTS) {
    fail(r, errors, EST_REASON_SCHEMA, "/data/track/coordinates", "must have 2..10000 positions");
    return;
  }
  json_t *norm = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *pos = json_array_get(coords, i);
    size_t k = json_array_size(pos);
    char f[64];
    snprintf(f, sizeof f, "/data/track/coordinates/%zu", i);
    if (!json_is_array(pos) || k < 2 || k > 3 || !json_is_number(json_array_get(pos, 0)) ||
        !json_is_number(json_array_get(pos, 1))) {
      fail(r, errors, EST_REASON_SCHEMA, f, "must be [lon, lat]");
      json_decref(norm);
      return;
    }
    double lon = json_number_value(json_array_get(pos, 0)), lat = json_number_value(json_array_get(pos, 1));
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
      fail(r, errors, EST_REASON_BAD_COORDINATES, f, "must be WGS84 [lon, lat] within range");
      json_decref(norm);
      return;
    }
    json_array_append_new(norm, json_pack("[f,f]", lon, lat));
  }
  json_t *ls = json_pack("{s:s,s:o}", "type", "LineString", "coordinates", norm);
  ev->track = ls ? json_dumps(ls, JSON_COMPACT) : NULL;
  json_decref(ls);
}

/* ---- data of se.est.* events -------------------------------------------- */

static void parse_data(const json_t *data, const char *kind, est_event *ev, est_event_reason *r, json_t **errors) {
  bool incident = strcmp(kind, "incident") == 0, patrol = strcmp(kind, "patrol") == 0,
       activity = strcmp(kind, "activity") == 0;
  ev->kind = incident ? "incident" : patrol ? "patrol" : "activity";
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)data, key, val) {
    bool known = !strcmp(key, "category") || !strcmp(key, "occurred_at") || !strcmp(key, "location") ||
                 !strcmp(key, "description") || !strcmp(key, "attributes") ||
                 (!incident && !strcmp(key, "duration_s")) || (patrol && !strcmp(key, "track")) ||
                 (activity && !strcmp(key, "activity_type"));
    if (!known) {
      char f[96];
      snprintf(f, sizeof f, "/data/%.64s", key);
      fail(r, errors, EST_REASON_SCHEMA, f, "unknown property for this event type");
    }
  }
  const char *s;
  if (opt_string(data, "category", "/data/category", &s, r, errors)) {
    if (s) {
      ev->category = est_event_category(s);
      if (!ev->category)
        fail(r, errors, EST_REASON_UNKNOWN_CATEGORY, "/data/category", "not a known category (see docs/EVENTS.md)");
    } else if (incident) {
      fail(r, errors, EST_REASON_SCHEMA, "/data/category", "is required for incidents");
    }
  }
  if (activity && opt_string(data, "activity_type", "/data/activity_type", &s, r, errors)) {
    if (!s) fail(r, errors, EST_REASON_SCHEMA, "/data/activity_type", "is required for activities");
    else if (!(ev->activity_type = lookup(activity_types, s)))
      fail(r, errors, EST_REASON_SCHEMA, "/data/activity_type",
           "must be one of trygghetsvandring, informationstillfalle, operativ_insats, grannsamverkan, "
           "natverksgrupp, other");
  }
  if (opt_string(data, "occurred_at", "/data/occurred_at", &s, r, errors) && s) {
    if (!est_rfc3339_valid(s))
      fail(r, errors, EST_REASON_SCHEMA, "/data/occurred_at", "must be an RFC 3339 date-time with offset");
    else {
      free(ev->occurred_at);
      ev->occurred_at = strdup(s);
    }
  }
  json_t *loc = json_object_get(data, "location");
  if (loc && !json_is_null(loc)) parse_location(loc, ev, r, errors);
  json_t *tr = json_object_get(data, "track");
  if (patrol && tr && !json_is_null(tr)) parse_track(tr, ev, r, errors);
  json_t *dur = json_object_get(data, "duration_s");
  if (!incident && dur && !json_is_null(dur)) {
    if (!json_is_integer(dur) || json_integer_value(dur) < 0 || json_integer_value(dur) > 7 * 86400)
      fail(r, errors, EST_REASON_SCHEMA, "/data/duration_s", "must be an integer 0..604800 (seconds)");
    else ev->duration_s = (long)json_integer_value(dur);
  }
  if (opt_string(data, "description", "/data/description", &s, r, errors) && s) {
    if (est_utf8_length(s) > EST_EVENT_MAX_DESCRIPTION)
      fail(r, errors, EST_REASON_SCHEMA, "/data/description", "must be at most 4000 characters");
    else ev->description = strdup(s);
  }
  json_t *attrs = json_object_get(data, "attributes");
  if (attrs && !json_is_null(attrs)) {
    if (!json_is_object(attrs)) fail(r, errors, EST_REASON_SCHEMA, "/data/attributes", "must be an object");
    else ev->attributes = json_dumps(attrs, JSON_COMPACT | JSON_ENSURE_ASCII);
  }
}

/* ---- envelope ------------------------------------------------------------ */

est_event_reason est_event_from_json(const json_t *ce, est_event *ev, json_t **errors) {
  est_event_reason r = EST_REASON_NONE;
  ev->duration_s = -1;
  if (!json_is_object(ce))
    return fail(&r, errors, EST_REASON_NOT_CLOUDEVENT, "/", "a CloudEvent must be a JSON object");
  json_t *sv = json_object_get(ce, "specversion");
  if (!sv) return fail(&r, errors, EST_REASON_NOT_CLOUDEVENT, "/specversion", "is required (CloudEvents 1.0)");
  if (!json_is_string(sv) || strcmp(json_string_value(sv), "1.0") != 0)
    return fail(&r, errors, EST_REASON_NOT_CLOUDEVENT, "/specversion", "must be \"1.0\"");
  const char *id = NULL, *source = NULL, *type = NULL, *time = NULL, *dct = NULL, *subject = NULL, *party = NULL;
  /* id and source first: they name the event in results and dead letters. */
  if (opt_string(ce, "id", "/id", &id, &r, errors)) {
    if (!id || !*id || est_utf8_length(id) > EST_EVENT_MAX_ID) {
      fail(&r, errors, EST_REASON_SCHEMA, "/id", "is required, 1..256 characters");
      id = NULL;
    }
  }
  if (opt_string(ce, "source", "/source", &source, &r, errors)) {
    if (!est_event_source_valid(source)) {
      fail(&r, errors, EST_REASON_SCHEMA, "/source", "is required: a URI-reference of 1..512 characters");
      source = NULL;
    }
  }
  ev->id = dup_or_null(id);
  ev->source = dup_or_null(source);
  if (opt_string(ce, "type", "/type", &type, &r, errors)) {
    if (!type) fail(&r, errors, EST_REASON_SCHEMA, "/type", "is required");
    else ev->type = strdup(type);
  }
  if (opt_string(ce, "time", "/time", &time, &r, errors) && time && !est_rfc3339_valid(time)) {
    fail(&r, errors, EST_REASON_SCHEMA, "/time", "must be an RFC 3339 date-time with offset");
    time = NULL;
  }
  if (opt_string(ce, "datacontenttype", "/datacontenttype", &dct, &r, errors) && dct) {
    if (!est_media_type_is(dct, strlen(dct), "application/json"))
      fail(&r, errors, EST_REASON_SCHEMA, "/datacontenttype", "must be application/json");
  }
  if (opt_string(ce, "subject", "/subject", &subject, &r, errors) && subject) ev->subject = strdup(subject);
  if (opt_string(ce, "party", "/party", &party, &r, errors) && party) {
    if (!slug_ok(party)) fail(&r, errors, EST_REASON_SCHEMA, "/party", "must be a party code such as polisen-boras");
    else ev->party = strdup(party);
  }
  if (json_object_get(ce, "data_base64"))
    fail(&r, errors, EST_REASON_SCHEMA, "/data_base64", "binary data is not accepted; send JSON data");
  json_t *data = json_object_get(ce, "data");
  if (!json_is_object(data)) {
    fail(&r, errors, EST_REASON_SCHEMA, "/data", "is required and must be a JSON object");
    return r;
  }
  if (!type) return r;
  if (strcmp(type, TYPE_INCIDENT) == 0) parse_data(data, "incident", ev, &r, errors);
  else if (strcmp(type, TYPE_PATROL) == 0) parse_data(data, "patrol", ev, &r, errors);
  else if (strcmp(type, TYPE_ACTIVITY) == 0) parse_data(data, "activity", ev, &r, errors);
  else if (strcmp(type, TYPE_POLICE) == 0) {
    est_event_reason pr = est_police_feed_map(data, ev, errors);
    if (pr != EST_REASON_NONE && r == EST_REASON_NONE) r = pr;
  } else {
    return fail(&r, errors, EST_REASON_UNSUPPORTED_TYPE, "/type",
                "must be se.est.incident.v1, se.est.patrol.v1, se.est.activity.v1 or se.polisen.event.v1");
  }
  if (r != EST_REASON_NONE) return r;
  if (ev->srid && !ev->precision) ev->precision = "point";
  if (!ev->occurred_at && time) ev->occurred_at = strdup(time);
  if (!ev->occurred_at)
    return fail(&r, errors, EST_REASON_SCHEMA, "/data/occurred_at", "is required (or the CloudEvents time)");
  if (!ev->attributes) ev->attributes = strdup("{}");
  if (!ev->id || !ev->source || !ev->occurred_at || !ev->attributes)
    return fail(&r, errors, EST_REASON_SCHEMA, "/", "out of memory");
  return EST_REASON_NONE;
}

/* ---- Kafka messages ------------------------------------------------------ */

static const est_event_header *find_header(const est_event_header *h, size_t nh, const char *name) {
  for (size_t i = 0; i < nh; i++)
    if (h[i].name && strcasecmp(h[i].name, name) == 0) return &h[i];
  return NULL;
}

/* Decodes the percent-encoding of the HTTP binding (CloudEvents HTTP
 * binding 3.1.3.2: %XX for bytes outside printable ASCII, '"' and '%')
 * into out (at least len+1 bytes); false on a malformed escape. */
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool percent_decode(const char *v, size_t len, char *out, size_t *outlen) {
  size_t j = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] != '%') {
      out[j++] = v[i];
      continue;
    }
    if (len - i < 3) return false;
    int hi = hexval(v[i + 1]), lo = hexval(v[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out[j++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[j] = '\0';
  *outlen = j;
  return true;
}

/* Binary mode of a protocol binding: each attribute in a header named
 * prefix + attribute ("ce_" on Kafka, "ce-" over HTTP, any case), the
 * payload is data, its media type the content-type header (which must be
 * application/json when present). HTTP header values are percent-decoded. */
static est_event_reason from_binary(const void *payload, size_t len, const est_event_header *headers, size_t nheaders,
                                    const char *prefix, bool pct, est_event *ev, json_t **errors) {
  est_event_reason r = EST_REASON_NONE;
  const est_event_header *ct = find_header(headers, nheaders, "content-type");
  size_t plen = strlen(prefix);
  json_t *ce = json_object();
  if (!ce) return fail(&r, errors, EST_REASON_SCHEMA, "/", "out of memory");
  for (size_t i = 0; i < nheaders; i++) {
    const est_event_header *h = &headers[i];
    if (!h->name || strncasecmp(h->name, prefix, plen) != 0 || !h->name[plen]) continue;
    char attr[64];
    snprintf(attr, sizeof attr, "%s", h->name + plen);
    for (char *p = attr; *p; p++)
      if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    char f[80];
    snprintf(f, sizeof f, "/%s", attr);
    char *val = h->value ? malloc(h->len + 1) : NULL;
    size_t vlen = h->len;
    if (val && pct) {
      if (!percent_decode(h->value, h->len, val, &vlen)) {
        free(val);
        fail(&r, errors, EST_REASON_SCHEMA, f, "header value has a malformed percent-encoding");
        continue;
      }
    } else if (val) {
      memcpy(val, h->value, h->len);
    }
    if (!val || memchr(val, 0, vlen) || !est_utf8_valid(val, vlen)) {
      free(val);
      fail(&r, errors, EST_REASON_SCHEMA, f, "header value must be UTF-8 text");
      continue;
    }
    json_object_set_new(ce, attr, json_stringn(val, vlen));
    free(val);
  }
  if (ct && ct->value) {
    if (!est_media_type_is(ct->value, ct->len, "application/json"))
      fail(&r, errors, EST_REASON_SCHEMA, "/datacontenttype", "content-type must be application/json");
  }
  if (r != EST_REASON_NONE) {
    json_decref(ce);
    return r;
  }
  json_error_t jerr;
  json_t *data = len ? json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!data) {
    json_t *id = json_object_get(ce, "id"), *src = json_object_get(ce, "source");
    if (json_is_string(id)) ev->id = strdup(json_string_value(id));
    if (json_is_string(src)) ev->source = strdup(json_string_value(src));
    json_decref(ce);
    char d[200];
    snprintf(d, sizeof d, "data is not JSON: %s", len ? jerr.text : "empty value");
    return fail(&r, errors, EST_REASON_NOT_JSON, "/data", d);
  }
  json_object_set_new(ce, "data", data);
  r = est_event_from_json(ce, ev, errors);
  json_decref(ce);
  return r;
}

static est_event_reason check_size(size_t len, json_t **errors) {
  est_event_reason r = EST_REASON_NONE;
  if (len <= EST_EVENT_MAX_BYTES) return r;
  char d[96];
  snprintf(d, sizeof d, "message of %zu bytes exceeds %u bytes", len, EST_EVENT_MAX_BYTES);
  return fail(&r, errors, EST_REASON_OVERSIZED, "/", d);
}

est_event_reason est_event_from_http_binary(const void *body, size_t len, const est_event_header *headers,
                                            size_t nheaders, est_event *ev, json_t **errors) {
  ev->duration_s = -1;
  est_event_reason r = check_size(len, errors);
  if (r != EST_REASON_NONE) return r;
  return from_binary(body, len, headers, nheaders, "ce-", true, ev, errors);
}

est_http_ce_mode est_event_http_mode(const char *content_type, bool has_ce_specversion) {
  size_t n = content_type ? strlen(content_type) : 0;
  if (est_media_type_is(content_type, n, "application/cloudevents-batch+json")) return EST_HTTP_CE_BATCH;
  if (est_media_type_is(content_type, n, "application/cloudevents+json")) return EST_HTTP_CE_STRUCTURED;
  if (has_ce_specversion) return EST_HTTP_CE_BINARY;
  if (est_media_type_is_json(content_type, n)) return EST_HTTP_CE_JSON;
  return EST_HTTP_CE_UNSUPPORTED;
}

est_event_reason est_event_from_message(const void *payload, size_t len, const est_event_header *headers,
                                        size_t nheaders, est_event *ev, json_t **errors) {
  est_event_reason r = check_size(len, errors);
  ev->duration_s = -1;
  if (r != EST_REASON_NONE) return r;
  const est_event_header *ct = find_header(headers, nheaders, "content-type");
  if (find_header(headers, nheaders, "ce_specversion"))
    return from_binary(payload, len, headers, nheaders, "ce_", false, ev, errors);
  bool declared = false;
  if (ct && ct->value) {
    if (est_media_type_is(ct->value, ct->len, "application/cloudevents+json")) declared = true;
    else if (!est_media_type_is(ct->value, ct->len, "application/json"))
      return fail(&r, errors, EST_REASON_NOT_CLOUDEVENT, "/",
                  "content-type must be application/cloudevents+json (structured) or ce_* headers (binary)");
  }
  json_error_t jerr;
  json_t *ce = len ? json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!ce) {
    char d[200];
    snprintf(d, sizeof d, "not JSON: %s", len ? jerr.text : "empty value");
    return fail(&r, errors, EST_REASON_NOT_JSON, "/", d);
  }
  if (!declared && (!json_is_object(ce) || !json_object_get(ce, "specversion"))) {
    json_decref(ce);
    return fail(&r, errors, EST_REASON_NOT_CLOUDEVENT, "/", "JSON value is not a CloudEvent (no specversion)");
  }
  r = est_event_from_json(ce, ev, errors);
  json_decref(ce);
  return r;
}

typedef struct {
  json_t **errors;
  const char *prefix;
} screen_report;

static void report_field(void *arg, const char *pointer) {
  screen_report *r = arg;
  char f[600];
  snprintf(f, sizeof f, "%s%s", r->prefix, pointer);
  est_pnr_redact(f); /* a key may be the number itself: never echo it */
  est_problem_add_error(r->errors, f, EST_PNR_DETAIL);
}

/* Every text of an event is screened. The identifying attributes (id,
 * source, subject) are refused on every path: redacting them would change
 * the idempotency key. Free text (description, place name, attributes at
 * any depth) is refused over HTTP and redacted on Kafka. */
est_event_reason est_event_screen(est_event *ev, bool redact, json_t **errors) {
  est_event_reason r = EST_REASON_NONE;
  struct {
    const char *text;
    const char *field;
  } ids[] = {{ev->id, "/id"}, {ev->source, "/source"}, {ev->subject, "/subject"}, {ev->party, "/party"}};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
    if (!ids[i].text || !est_pnr_contains(ids[i].text)) continue;
    est_problem_add_error(errors, ids[i].field, EST_PNR_DETAIL " (an identifier is never redacted)");
    r = EST_REASON_PERSONNUMMER;
  }
  struct {
    char *text;
    const char *field;
  } texts[] = {{ev->description, "/data/description"}, {ev->place_name, "/data/location/name"}};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    if (!texts[i].text || !est_pnr_contains(texts[i].text)) continue;
    if (!redact) {
      est_problem_add_error(errors, texts[i].field, EST_PNR_DETAIL);
      r = EST_REASON_PERSONNUMMER;
    } else {
      est_pnr_redact(texts[i].text);
      ev->flags |= EST_EVENT_FLAG_PNR_REDACTED;
    }
  }
  if (ev->attributes) {
    json_t *attrs = json_loads(ev->attributes, 0, NULL);
    screen_report rep = {errors, "/data/attributes"};
    if (attrs && est_pnr_screen_json(attrs, false, redact ? NULL : report_field, &rep) > 0) {
      if (!redact) {
        r = EST_REASON_PERSONNUMMER;
      } else {
        est_pnr_screen_json(attrs, true, NULL, NULL);
        char *text = json_dumps(attrs, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (text) {
          free(ev->attributes);
          ev->attributes = text;
          ev->flags |= EST_EVENT_FLAG_PNR_REDACTED;
        } else {
          est_problem_add_error(errors, "/data/attributes", "out of memory");
          r = EST_REASON_PERSONNUMMER;
        }
      }
    }
    json_decref(attrs);
  }
  return r;
}

/* ---- the source registry (POST /v1/sources) ------------------------------- */

est_result est_source_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  *normalized = NULL;
  (void)patch; /* a source is created and archived, never changed */
  if (!json_is_object(body)) {
    est_problem_add_error(errors, "/", "must be a JSON object");
    return EST_EINVAL;
  }
  bool bad = false;
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)body, key, val) {
    if (strcmp(key, "party_id") && strcmp(key, "party") && strcmp(key, "source") && strcmp(key, "description")) {
      char f[96];
      snprintf(f, sizeof f, "/%.64s", key);
      est_pnr_redact(f);
      est_problem_add_error(errors, f, "unknown field");
      bad = true;
    }
  }
  json_t *out = json_object();
  json_t *pid = json_object_get(body, "party_id"), *pcode = json_object_get(body, "party");
  if (pid && !(json_is_integer(pid) && json_integer_value(pid) >= 1)) {
    est_problem_add_error(errors, "/party_id", "must be a positive integer id");
    bad = true;
  } else if (pid) {
    json_object_set(out, "party_id", pid);
  }
  if (pcode && !(json_is_string(pcode) && slug_ok(json_string_value(pcode)))) {
    est_problem_add_error(errors, "/party", "must be a party code such as polisen-boras");
    bad = true;
  } else if (pcode) {
    json_object_set(out, "party", pcode);
  }
  if (!pid && !pcode) {
    est_problem_add_error(errors, "/party", "party (code) or party_id is required");
    bad = true;
  }
  json_t *src = json_object_get(body, "source");
  const char *s = json_is_string(src) ? json_string_value(src) : NULL;
  if (!est_event_source_valid(s)) {
    est_problem_add_error(errors, "/source",
                          "is required: the CloudEvents source, a URI-reference of 1..512 printable characters");
    bad = true;
  } else if (est_pnr_contains(s)) {
    est_problem_add_error(errors, "/source", EST_PNR_DETAIL);
    bad = true;
  } else {
    json_object_set(out, "source", src);
  }
  json_t *d = json_object_get(body, "description");
  if (d && !json_is_null(d)) {
    const char *ds = json_is_string(d) ? json_string_value(d) : NULL;
    if (!ds || est_utf8_length(ds) > 1000) {
      est_problem_add_error(errors, "/description", "must be a string of at most 1000 characters");
      bad = true;
    } else if (est_pnr_contains(ds)) {
      est_problem_add_error(errors, "/description", EST_PNR_DETAIL);
      bad = true;
    } else {
      json_object_set(out, "description", d);
    }
  }
  if (!bad) *normalized = json_dumps(out, JSON_COMPACT);
  json_decref(out);
  if (bad) return EST_EINVAL;
  return *normalized ? EST_OK : EST_ENOMEM;
}
