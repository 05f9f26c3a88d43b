/* police_feed.c - maps records shaped like the Swedish Police public events
 * feed (polisen.se/api/events) to intake events (see event.h). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/calendar.h"
#include "estd/event.h"
#include "estd/problem.h"

typedef struct {
  const char *police_type;
  const char *category;
} police_map;

/* Exact police event types; a type "X, försök" / "X, grov" etc. falls back to
 * its base "X". Anything else maps to "ovrigt" (docs/EVENTS.md). */
static const police_map g_map[] = {
    {"Skadegörelse", "skadegorelse"},
    {"Brand", "brand"},
    {"Narkotikabrott", "narkotika"},
    {"Misshandel", "hot_och_vald"},
    {"Olaga hot", "hot_och_vald"},
    {"Mord/dråp", "hot_och_vald"},
    {"Skottlossning", "hot_och_vald"},
    {"Sprängning", "hot_och_vald"},
    {"Detonation", "hot_och_vald"},
    {"Knivlagen", "hot_och_vald"},
    {"Vapenlagen", "hot_och_vald"},
    {"Rån", "hot_och_vald"},
    {"Rån väpnat", "hot_och_vald"},
    {"Rån övrigt", "hot_och_vald"},
    {"Våldtäkt", "hot_och_vald"},
    {"Olaga frihetsberövande", "hot_och_vald"},
    {"Våld/hot mot tjänsteman", "hot_vald_mot_anstalld"},
    {"Stöld", "inbrott_och_stold"},
    {"Inbrott", "inbrott_och_stold"},
    {"Stöld/inbrott", "inbrott_och_stold"},
    {"Larm inbrott", "inbrott_och_stold"},
    {"Motorfordon", "inbrott_och_stold"}, /* "Motorfordon, stöld" */
    {"Häleri", "inbrott_och_stold"},
    {"Bråk", "ordningsstorning"},
    {"Fylleri/LOB", "ordningsstorning"},
    {"Ofredande/förargelse", "ordningsstorning"},
    {"Ordningslagen", "ordningsstorning"},
    {"Ofog barn/ungdom", "ordningsstorning"},
    {"Olovlig körning", "olovlig_korning"},
    {"Trafikbrott", "olovlig_korning"},
    {"Rattfylleri", "olovlig_korning"},
    {NULL, NULL},
};

static const char *map_exact(const char *t, size_t n) {
  for (const police_map *m = g_map; m->police_type; m++)
    if (strlen(m->police_type) == n && strncmp(m->police_type, t, n) == 0) return m->category;
  return NULL;
}

const char *est_police_category(const char *police_type) {
  if (!police_type) return "ovrigt";
  const char *c = map_exact(police_type, strlen(police_type));
  if (c) return c;
  const char *comma = strchr(police_type, ',');
  if (comma && (c = map_exact(police_type, (size_t)(comma - police_type))) != NULL) {
    /* "Motorfordon, anträffat stulet" is a find, not a theft. */
    if (strstr(police_type, "anträffat")) return "ovrigt";
    return c;
  }
  return "ovrigt";
}

bool est_police_is_summary(const char *police_type) {
  return police_type && strncmp(police_type, "Sammanfattning", 14) == 0;
}

/* "2018-12-28 14:32:20 +01:00" (hour may have one digit) -> RFC 3339. */
static char *police_datetime(const char *s) {
  int y, mo, d, h, mi, se, oh, om;
  char sign;
  int n = 0;
  if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d %c%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &sign, &oh, &om, &n) != 9 ||
      s[n] != '\0' || (sign != '+' && sign != '-'))
    return NULL;
  char buf[40];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, se, sign, oh, om);
  if (!est_rfc3339_valid(buf)) return NULL;
  return strdup(buf);
}

static const char *const g_months[] = {"januari", "februari", "mars",      "april",   "maj",      "juni",
                                       "juli",    "augusti",  "september", "oktober", "november", "december"};

bool est_police_occurred_at(const char *name, const char *published, char *out, size_t n) {
  long long pub;
  if (!name || !published || !est_rfc3339_epoch(published, &pub)) return false;
  /* "28 december 14.32, Misshandel, Borås": day, month, H.MM (or H:MM), then a comma or the end. */
  const char *p = name;
  int day = 0, digits = 0;
  while (*p >= '0' && *p <= '9' && digits < 2) day = day * 10 + (*p++ - '0'), digits++;
  if (!digits || *p++ != ' ') return false;
  int month = 0;
  for (int i = 0; i < 12 && !month; i++) {
    size_t l = strlen(g_months[i]);
    if (strncmp(p, g_months[i], l) == 0 && p[l] == ' ') {
      month = i + 1;
      p += l + 1;
    }
  }
  int h = 0, mi = 0;
  digits = 0;
  while (*p >= '0' && *p <= '9' && digits < 2) h = h * 10 + (*p++ - '0'), digits++;
  if (!month || !digits || (*p != '.' && *p != ':')) return false;
  p++;
  if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9')) return false;
  mi = (p[0] - '0') * 10 + (p[1] - '0');
  p += 2;
  if ((*p != ',' && *p != '\0') || h > 23 || mi > 59) return false;
  /* The year is the publication's (in Stockholm), or the one before when
   * that would put the event after its publication: "31 december 23.50"
   * published on 1 January. An hour of slack covers clock differences. */
  est_date pd = est_stockholm_date((time_t)pub);
  for (int y = pd.y; y >= pd.y - 1; y--) {
    if (day < 1 || day > est_days_in_month(y, month)) continue;
    est_date d = {y, month, day};
    int off = est_stockholm_offset_local(d, h, mi);
    long long at = (long long)est_date_to_days(d) * 86400 + h * 3600 + mi * 60 - off;
    if (at > pub + 3600) continue;
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:00+%02d:00", y, month, day, h, mi, off / 3600);
    return est_rfc3339_valid(out);
  }
  return false;
}

static est_event_reason err(est_event_reason *r, json_t **errors, est_event_reason why, const char *field,
                            const char *detail) {
  if (*r == EST_REASON_NONE) *r = why;
  est_problem_add_error(errors, field, detail);
  return *r;
}

/* Truncates s to at most max UTF-8 characters (in place). */
static void utf8_truncate(char *s, size_t max) {
  size_t chars = 0;
  for (char *p = s; *p; p++) {
    if (((unsigned char)*p & 0xC0) != 0x80) {
      if (chars == max) {
        *p = '\0';
        return;
      }
      chars++;
    }
  }
}

est_event_reason est_police_feed_map(const json_t *rec, est_event *ev, json_t **errors) {
  est_event_reason r = EST_REASON_NONE;
  if (!json_is_object(rec)) return err(&r, errors, EST_REASON_SCHEMA, "/data", "must be a police feed record");
  json_t *type = json_object_get(rec, "type"), *dt = json_object_get(rec, "datetime");
  json_t *name = json_object_get(rec, "name"), *summary = json_object_get(rec, "summary");
  json_t *url = json_object_get(rec, "url"), *pid = json_object_get(rec, "id");
  json_t *loc = json_object_get(rec, "location");
  if (!json_is_string(type) || !*json_string_value(type))
    return err(&r, errors, EST_REASON_SCHEMA, "/data/type", "is required (police event type)");
  const char *t = json_string_value(type);
  ev->kind = "incident";
  ev->flags |= EST_EVENT_FLAG_POLICE_FEED;
  if (est_police_is_summary(t)) return EST_REASON_SKIPPED_SUMMARY;
  ev->category = est_event_category(est_police_category(t));
  /* datetime is when the record was published; the event happened at the
   * time in name, when it has one (else the publication time stands in). */
  if (!json_is_string(dt) || !(ev->published_at = police_datetime(json_string_value(dt)))) {
    err(&r, errors, EST_REASON_SCHEMA, "/data/datetime", "must look like \"2018-12-28 14:32:20 +01:00\"");
  } else {
    char at[40];
    if (json_is_string(name) && est_police_occurred_at(json_string_value(name), ev->published_at, at, sizeof at))
      ev->occurred_at = strdup(at);
    else ev->occurred_at = strdup(ev->published_at);
  }
  if (summary && !json_is_null(summary)) {
    if (!json_is_string(summary)) err(&r, errors, EST_REASON_SCHEMA, "/data/summary", "must be a string");
    else if ((ev->description = strdup(json_string_value(summary))) != NULL)
      utf8_truncate(ev->description, EST_EVENT_MAX_DESCRIPTION);
  }
  if (loc && !json_is_null(loc)) {
    json_t *gps = json_object_get(loc, "gps"), *lname = json_object_get(loc, "name");
    if (!json_is_object(loc)) {
      err(&r, errors, EST_REASON_SCHEMA, "/data/location", "must be an object");
    } else {
      if (json_is_string(lname) && *json_string_value(lname)) {
        ev->place_name = strdup(json_string_value(lname));
        if (ev->place_name) utf8_truncate(ev->place_name, EST_EVENT_MAX_PLACE);
      }
      if (gps && !json_is_null(gps)) {
        double lat, lon;
        int n = 0;
        if (!json_is_string(gps) || sscanf(json_string_value(gps), "%lf,%lf%n", &lat, &lon, &n) != 2 ||
            json_string_value(gps)[n] != '\0')
          err(&r, errors, EST_REASON_BAD_COORDINATES, "/data/location/gps", "must be \"lat,lon\"");
        else if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
          err(&r, errors, EST_REASON_BAD_COORDINATES, "/data/location/gps", "lat,lon out of range");
        else {
          /* gps is the centroid of the municipality or county in name
           * ("Borås", "Västra Götalands län"), not the incident's place. */
          static const char lan[] = " län";
          size_t ln = json_is_string(lname) ? strlen(json_string_value(lname)) : 0;
          bool county = ln > sizeof lan - 1 && strcmp(json_string_value(lname) + ln - (sizeof lan - 1), lan) == 0;
          ev->srid = 4326;
          ev->x = lon;
          ev->y = lat;
          ev->precision = county ? "county" : "municipality";
        }
      }
    }
  }
  json_t *attrs = json_object();
  json_object_set_new(attrs, "police_type", json_string(t));
  if (json_is_string(name)) json_object_set(attrs, "police_name", name);
  if (json_is_string(url)) json_object_set(attrs, "police_url", url);
  if (json_is_integer(pid) || json_is_string(pid)) json_object_set(attrs, "police_id", pid);
  free(ev->attributes);
  ev->attributes = json_dumps(attrs, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(attrs);
  return r;
}
