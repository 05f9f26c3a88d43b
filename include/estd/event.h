/* event.h - CloudEvents 1.0 intake: parsing, validation and mapping of
 * incident, patrol and activity events (and Swedish Police feed records)
 * to est_event (pure: no I/O; coordinates are converted in SQL).
 *
 * Contract: a successfully parsed est_event holds only values the events
 * table accepts (lengths, ranges, closed lists, calendar-valid timestamps),
 * so a batch insert never fails because of one event's content. Every
 * failure carries a reason code (dead-letter / HTTP result) and an array of
 * {field, detail} (fields are JSON pointers into the CloudEvent, e.g.
 * "/data/category"). See docs/EVENTS.md for the wire format. */
#ifndef ESTD_EVENT_H
#define ESTD_EVENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/util.h" /* est_rfc3339_valid */

/* Larger messages / events are rejected with EST_REASON_OVERSIZED. */
#define EST_EVENT_MAX_BYTES (256u * 1024u)
#define EST_EVENT_MAX_DESCRIPTION 4000 /* characters */
#define EST_EVENT_MAX_PLACE 512        /* characters */
#define EST_EVENT_MAX_SOURCE 512       /* characters */
#define EST_EVENT_MAX_ID 256           /* characters */
#define EST_EVENT_MAX_TRACK_POINTS 10000

typedef enum est_event_reason {
  EST_REASON_NONE = 0,
  EST_REASON_NOT_JSON,         /* payload is not UTF-8 JSON */
  EST_REASON_NOT_CLOUDEVENT,   /* JSON, but not a CloudEvents 1.0 envelope */
  EST_REASON_SCHEMA,           /* missing/wrong attribute or data field */
  EST_REASON_UNSUPPORTED_TYPE, /* type not one of the se.est.* / se.polisen.* types */
  EST_REASON_UNKNOWN_CATEGORY, /* category not in the closed list */
  EST_REASON_BAD_COORDINATES,  /* location or track outside the valid ranges */
  EST_REASON_OVERSIZED,        /* > EST_EVENT_MAX_BYTES */
  EST_REASON_PARTY_MISMATCH,   /* party differs from the topic's / API key's party */
  EST_REASON_UNKNOWN_PARTY,    /* party code not in parties */
  EST_REASON_PERSONNUMMER,     /* description holds a personnummer (HTTP only) */
  EST_REASON_SKIPPED_SUMMARY,  /* police "Sammanfattning ..." record: skipped, not an error */
  EST_REASON_DATABASE,         /* the database refused the row (isolated retry) */
} est_event_reason;

/* Stable snake_case name ("not_json", ...); "none" for EST_REASON_NONE. */
const char *est_event_reason_name(est_event_reason r);

enum {
  EST_EVENT_FLAG_PNR_REDACTED = 1u << 0, /* a personnummer was redacted from the description */
  EST_EVENT_FLAG_POLICE_FEED = 1u << 1,  /* mapped from a Police feed record */
};

typedef struct est_event {
  char *id;          /* CloudEvents id = source_event_id */
  char *source;      /* CloudEvents source (URI-reference) */
  char *type;        /* CloudEvents type */
  char *subject;     /* optional */
  char *party;       /* party code from the `party` extension; NULL if absent */
  long long party_id;/* filled by the caller after resolving `party` (0 = unresolved) */
  const char *kind;          /* "incident" | "patrol" | "activity" (static) */
  const char *category;      /* code from the closed list (static) or NULL */
  const char *activity_type; /* static or NULL */
  char *occurred_at; /* RFC 3339 with offset, calendar-valid */
  long duration_s;   /* -1 = absent */
  int srid;          /* 0 = no point; 4326 (x=lon, y=lat), 3006 or 3008 (x=easting, y=northing) */
  double x, y;
  char *place_name;  /* optional */
  char *track;       /* GeoJSON LineString text (normalised) or NULL */
  char *description; /* optional */
  char *attributes;  /* JSON object text; "{}" when absent */
  unsigned flags;    /* EST_EVENT_FLAG_* */
} est_event;

/* One Kafka header (value bytes are not NUL-terminated; value may be NULL). */
typedef struct est_event_header {
  const char *name;
  const void *value;
  size_t len;
} est_event_header;

/* Frees the strings of ev (not ev itself) and zeroes it. */
void est_event_free(est_event *ev);

/* Parses a structured-mode CloudEvent (a JSON object) into ev, which must
 * be zeroed ({0}) before the call. On failure returns
 * the reason and appends to *errors (created if NULL; caller frees). ev
 * is filled as far as parsing got (id/source may be set for reporting);
 * the caller always calls est_event_free. */
est_event_reason est_event_from_json(const json_t *ce, est_event *ev, json_t **errors);

/* Parses a Kafka message: binary mode when a ce_specversion header is
 * present, else structured mode (content-type application/cloudevents+json,
 * or no content-type and the value is a CloudEvent). Same ownership as
 * est_event_from_json. */
est_event_reason est_event_from_message(const void *payload, size_t len, const est_event_header *headers,
                                        size_t nheaders, est_event *ev, json_t **errors);

/* Screens the free-text fields (description and location name) for
 * personnummer / samordningsnummer. With redact=false (HTTP) a match is
 * EST_REASON_PERSONNUMMER with one error per field (/data/description,
 * /data/location/name); with redact=true (Kafka) the digits are replaced
 * and EST_EVENT_FLAG_PNR_REDACTED is set. */
est_event_reason est_event_screen(est_event *ev, bool redact, json_t **errors);

/* Flag names as stored in events.flags, NULL-terminated into out[0..3]. */
int est_event_flag_names(unsigned flags, const char *out[4]);

/* Looks topic up in an ESTD_KAFKA_TOPIC_PARTIES spec ("topic=party,...").
 * Returns true and copies the party code into out if the topic is bound. */
bool est_topic_bound_party(const char *spec, const char *topic, char *out, size_t outlen);
/* True if spec is well-formed (empty/NULL is well-formed). */
bool est_topic_parties_valid(const char *spec);


/* The closed category list (0010_events.sql), NULL-terminated. */
extern const char *const est_event_categories[];
/* Static code if known, else NULL. */
const char *est_event_category(const char *code);

/* ---- Swedish Police public events feed (police_feed.c) ---- */

/* Our category for a police event type ("Skadegörelse" -> "skadegorelse");
 * unknown types map to "ovrigt". Never NULL. */
const char *est_police_category(const char *police_type);
/* True for summary records ("Sammanfattning natt", ...). */
bool est_police_is_summary(const char *police_type);
/* Maps a police feed record (the data of a se.polisen.event.v1 CloudEvent)
 * into ev as an incident: datetime "2018-12-28 14:32:20 +01:00" ->
 * occurred_at, location.gps "lat,lon" -> point, location.name -> place,
 * summary -> description, type/name/url/id -> attributes. Returns
 * EST_REASON_SKIPPED_SUMMARY for summary records. */
est_event_reason est_police_feed_map(const json_t *rec, est_event *ev, json_t **errors);

#endif
