/* police_feed.c - maps records shaped like the Swedish Police public events
 * feed (polisen.se/api/events) to intake events (see event.h). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/calendar.h"
#include "estd/place.h"
#include "estd/event.h"
#include "estd/problem.h"

#define M EST_POLICE_MAPPED
#define U EST_POLICE_UNMAPPED
#define S EST_POLICE_SUMMARY
/* Every event type the feed publishes (97, polisen.se's list as public
 * clients of the API spell it), each with an explicit decision: MAPPED to
 * an estd category, UNMAPPED (kept as "ovrigt": not a place-based
 * crime-prevention matter, e.g. accidents, searches, police activity) or
 * SUMMARY ("Sammanfattning ...": bundles of other events, skipped).
 * docs/EVENTS.md has the same table; tests/unit/test_police_feed.c checks
 * its size and that every category is in the closed list. */
const est_police_type est_police_types[] = {
    {"Alkohollagen", "ordningsstorning", M},
    {"Anträffad död", "ovrigt", U},
    {"Anträffat gods", "ovrigt", U},
    {"Arbetsplatsolycka", "ovrigt", U},
    {"Bedrägeri", "ovrigt", U},
    {"Bombhot", "hot_och_vald", M},
    {"Brand", "brand", M},
    {"Brand automatlarm", "ovrigt", U},
    {"Bråk", "ordningsstorning", M},
    {"Detonation", "hot_och_vald", M},
    {"Djur", "ovrigt", U},
    {"Djur skadat/omhändertaget", "ovrigt", U},
    {"Efterlyst person", "ovrigt", U},
    {"Ekobrott", "ovrigt", U},
    {"Farligt föremål, misstänkt", "ovrigt", U},
    {"Fjällräddning", "ovrigt", U},
    {"Fylleri/LOB", "ordningsstorning", M},
    {"Förfalskningsbrott", "ovrigt", U},
    {"Försvunnen person", "ovrigt", U},
    {"Gränskontroll", "ovrigt", U},
    {"Häleri", "inbrott_och_stold", M},
    {"Hemfridsbrott", "ordningsstorning", M},
    {"Inbrott", "inbrott_och_stold", M},
    {"Inbrott, försök", "inbrott_och_stold", M},
    {"Knivlagen", "hot_och_vald", M},
    {"Kontroll person/fordon", "ovrigt", U},
    {"Lagen om hundar och katter", "ovrigt", U},
    {"Larm inbrott", "inbrott_och_stold", M},
    {"Larm överfall", "hot_och_vald", M},
    {"Luftfartslagen", "ovrigt", U},
    {"Miljöbrott", "ovrigt", U},
    {"Missbruk av urkund", "ovrigt", U},
    {"Misshandel", "hot_och_vald", M},
    {"Misshandel, grov", "hot_och_vald", M},
    {"Mord/dråp", "hot_och_vald", M},
    {"Mord/dråp, försök", "hot_och_vald", M},
    {"Motorfordon, anträffat stulet", "ovrigt", U},
    {"Motorfordon, stöld", "inbrott_och_stold", M},
    {"Narkotikabrott", "narkotika", M},
    {"Naturkatastrof", "ovrigt", U},
    {"Ofog barn/ungdom", "ordningsstorning", M},
    {"Ofredande/förargelse", "ordningsstorning", M},
    {"Olaga frihetsberövande", "hot_och_vald", M},
    {"Olaga frihetsberövande/människorov", "hot_och_vald", M},
    {"Olaga hot", "hot_och_vald", M},
    {"Olaga intrång", "ordningsstorning", M},
    {"Olaga intrång/hemfridsbrott", "ordningsstorning", M},
    {"Olovlig körning", "olovlig_korning", M},
    {"Ordningslagen", "ordningsstorning", M},
    {"Polisinsats/kommendering", "ovrigt", U},
    {"Rattfylleri", "olovlig_korning", M},
    {"Rån", "hot_och_vald", M},
    {"Rån väpnat", "hot_och_vald", M},
    {"Rån övrigt", "hot_och_vald", M},
    {"Rån, försök", "hot_och_vald", M},
    {"Räddningsinsats", "ovrigt", U},
    {"Sabotage mot blåljusverksamhet", "hot_vald_mot_anstalld", M},
    {"Sammanfattning dag", NULL, S},
    {"Sammanfattning dygn", NULL, S},
    {"Sammanfattning eftermiddag", NULL, S},
    {"Sammanfattning förmiddag", NULL, S},
    {"Sammanfattning helg", NULL, S},
    {"Sammanfattning kväll", NULL, S},
    {"Sammanfattning kväll och natt", NULL, S},
    {"Sammanfattning natt", NULL, S},
    {"Sammanfattning vecka", NULL, S},
    {"Sedlighetsbrott", "hot_och_vald", M},
    {"Sjukdom/olycksfall", "ovrigt", U},
    {"Sjölagen", "ovrigt", U},
    {"Skadegörelse", "skadegorelse", M},
    {"Skottlossning", "hot_och_vald", M},
    {"Skottlossning, misstänkt", "hot_och_vald", M},
    {"Skyddslagen", "ovrigt", U},
    {"Spridning smittsamma kemikalier", "ovrigt", U},
    {"Stöld", "inbrott_och_stold", M},
    {"Stöld, försök", "inbrott_och_stold", M},
    {"Stöld, ringa", "inbrott_och_stold", M},
    {"Stöld/inbrott", "inbrott_och_stold", M},
    {"Tillfälligt obemannat", "ovrigt", U},
    {"Trafikbrott", "olovlig_korning", M},
    {"Trafikhinder", "ovrigt", U},
    {"Trafikkontroll", "ovrigt", U},
    {"Trafikolycka", "ovrigt", U},
    {"Trafikolycka, personskada", "ovrigt", U},
    {"Trafikolycka, singel", "ovrigt", U},
    {"Trafikolycka, smitning från", "ovrigt", U},
    {"Trafikolycka, vilt", "ovrigt", U},
    {"Uppdatering", "ovrigt", U},
    {"Utlänningslagen", "ovrigt", U},
    {"Vapenlagen", "hot_och_vald", M},
    {"Varningslarm/haveri", "ovrigt", U},
    {"Våld/hot mot tjänsteman", "hot_vald_mot_anstalld", M},
    {"Våldtäkt", "hot_och_vald", M},
    {"Våldtäkt, försök", "hot_och_vald", M},
    {"Vållande till kroppsskada", "ovrigt", U},
    {"Åldringsbrott", "ovrigt", U},
    {"Övrigt", "ovrigt", U},
    {NULL, NULL, 0},
};
#undef M
#undef U
#undef S

static const char *const g_dispositions[] = {"mapped", "unmapped", "summary", "unknown"};

const char *est_police_disposition_name(est_police_disposition d) {
  return (unsigned)d < sizeof g_dispositions / sizeof g_dispositions[0] ? g_dispositions[d] : "unknown";
}

/* The listed type whose name equals t[0..n) under Swedish case folding
 * (the feed spells some types "Larm Inbrott" / "Larm inbrott"). */
static const est_police_type *listed(const char *t, size_t n) {
  for (const est_police_type *e = est_police_types; e->type; e++)
    if (est_fold_equal(e->type, strlen(e->type), t, n)) return e;
  return NULL;
}

const char *est_police_type_listed(const char *police_type) {
  const est_police_type *e = police_type ? listed(police_type, strlen(police_type)) : NULL;
  return e ? e->type : NULL;
}

est_police_disposition est_police_classify(const char *police_type, const char **category) {
  *category = "ovrigt";
  if (!police_type) return EST_POLICE_UNKNOWN;
  if (est_fold_prefix(police_type, "Sammanfattning")) {
    *category = NULL;
    return EST_POLICE_SUMMARY; /* listed or a new bundle type alike */
  }
  const est_police_type *e = listed(police_type, strlen(police_type));
  if (e) {
    *category = e->category;
    return e->disposition;
  }
  /* An unlisted variant "X, something" of a listed X maps like X ("Inbrott,
   * grovt"), still reported as unknown so the list can be completed; but
   * "anträffat" (found) is never the offence itself. */
  const char *comma = strchr(police_type, ',');
  if (comma && (e = listed(police_type, (size_t)(comma - police_type))) != NULL && e->category &&
      !strstr(police_type, "anträffat"))
    *category = e->category;
  return EST_POLICE_UNKNOWN;
}

const char *est_police_category(const char *police_type) {
  const char *c;
  est_police_classify(police_type, &c);
  return c ? c : "ovrigt";
}

bool est_police_is_summary(const char *police_type) {
  const char *c;
  return est_police_classify(police_type, &c) == EST_POLICE_SUMMARY;
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
  const char *cat;
  est_police_disposition disp = est_police_classify(t, &cat);
  if (disp == EST_POLICE_SUMMARY) return EST_REASON_SKIPPED_SUMMARY;
  ev->category = est_event_category(cat);
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
  json_object_set_new(attrs, "police_mapping", json_string(est_police_disposition_name(disp)));
  if (json_is_string(name)) json_object_set(attrs, "police_name", name);
  if (json_is_string(url)) json_object_set(attrs, "police_url", url);
  if (json_is_integer(pid) || json_is_string(pid)) json_object_set(attrs, "police_id", pid);
  free(ev->attributes);
  ev->attributes = json_dumps(attrs, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(attrs);
  return r;
}

long long est_police_geocode(est_event *ev, const char *municipality, const est_place *places, size_t n) {
  if (!municipality || !*municipality || !ev->precision || strcmp(ev->precision, "municipality") != 0 ||
      !ev->place_name || !est_fold_equal(ev->place_name, strlen(ev->place_name), municipality, strlen(municipality)) ||
      !ev->description)
    return 0;
  long long id = est_place_find(ev->description, places, n, NULL);
  const est_place *hit = NULL;
  for (size_t i = 0; i < n && id && !hit; i++)
    if (places[i].id == id) hit = &places[i];
  if (!hit) return 0;
  json_t *attrs = ev->attributes ? json_loads(ev->attributes, 0, NULL) : json_object();
  if (!json_is_object(attrs)) {
    json_decref(attrs);
    return 0;
  }
  char gps[64];
  snprintf(gps, sizeof gps, "%.6f,%.6f", ev->y, ev->x);
  json_object_set_new(attrs, "police_gps", json_string(gps));
  json_object_set_new(attrs, "police_geocoded", json_pack("{s:I,s:s}", "area_id", (json_int_t)id, "name", hit->name));
  char *text = json_dumps(attrs, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(attrs);
  if (!text) return 0;
  free(ev->attributes);
  ev->attributes = text;
  ev->srid = 4326;
  ev->x = hit->lon;
  ev->y = hit->lat;
  ev->precision = "district";
  return id;
}
