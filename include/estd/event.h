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

#include "estd/result.h"
#include "estd/util.h" /* est_rfc3339_valid */

/* Larger messages / events are rejected with EST_REASON_OVERSIZED. */
#define EST_EVENT_MAX_BYTES (256u * 1024u)
#define EST_EVENT_MAX_DESCRIPTION 4000 /* characters */
#define EST_EVENT_MAX_PLACE 512        /* characters */
#define EST_EVENT_MAX_SOURCE 512       /* characters */
#define EST_EVENT_MAX_ID 256           /* characters */
#define EST_EVENT_MAX_TRACK_POINTS 10000

/* The reason codes, in one table: DL(NAME, "code", what) for a reason a
 * dead letter may carry, NODL(...) for one it never carries. It generates
 * the enum (EST_REASON_<NAME>; EST_REASON_NONE = 0 is not in the table),
 * est_event_reason_name, est_event_reasons (every code a rejected event may
 * carry: IntakeReason in openapi.yaml) and est_event_dead_letter_reasons
 * (the `reason` filter of GET /v1/dead-letters, DeadLetterReason in
 * openapi.yaml, the CHECK of dead_letters.reason).
 * tests/integration/test_openapi.py compares the table (`estd reasons`)
 * with openapi.yaml and with the database constraint. */
#define EST_EVENT_REASONS(DL, NODL)                                                                 \
  DL(NOT_JSON, "not_json", "payload is not UTF-8 JSON")                                             \
  DL(NOT_CLOUDEVENT, "not_cloudevent", "JSON, but not a CloudEvents 1.0 envelope")                  \
  DL(SCHEMA, "schema", "missing/wrong attribute or data field")                                     \
  DL(UNSUPPORTED_TYPE, "unsupported_type", "type not one of the se.est.* / se.polisen.* types")     \
  DL(UNKNOWN_CATEGORY, "unknown_category", "category not in the closed list")                       \
  DL(BAD_COORDINATES, "bad_coordinates", "location or track outside the valid ranges")              \
  DL(OVERSIZED, "oversized", "larger than EST_EVENT_MAX_BYTES")                                     \
  DL(PARTY_MISMATCH, "party_mismatch", "party differs from the topic's / API key's party")          \
  DL(UNKNOWN_PARTY, "unknown_party", "party code not in parties")                                   \
  DL(UNKNOWN_SOURCE, "unknown_source", "(party, source) not in the source registry")                \
  DL(IMPLAUSIBLE_TIME, "implausible_time", "occurred_at too far in the future or before the floor") \
  DL(PERSONNUMMER, "personnummer", "a personal identity number where it cannot be redacted")        \
  NODL(SKIPPED_SUMMARY, "skipped_summary", "police summary record: skipped, not an error")          \
  DL(DATABASE, "rejected_by_database", "the database refused the row (isolated retry)")

#define EST_REASON_ENUM_(name, code, what) EST_REASON_##name,
typedef enum est_event_reason {
  EST_REASON_NONE = 0,
  EST_EVENT_REASONS(EST_REASON_ENUM_, EST_REASON_ENUM_)
} est_event_reason;
#undef EST_REASON_ENUM_

/* NULL-terminated code lists generated from EST_EVENT_REASONS. */
extern const char *const est_event_reasons[];
extern const char *const est_event_dead_letter_reasons[];

/* Stable snake_case name ("not_json", ...); "none" for EST_REASON_NONE. */
const char *est_event_reason_name(est_event_reason r);

enum {
  EST_EVENT_FLAG_PNR_REDACTED = 1u << 0, /* a personnummer was redacted from the description */
  EST_EVENT_FLAG_POLICE_FEED = 1u << 1,  /* mapped from a Police feed record */
};

typedef struct est_event {
  char *id;                  /* CloudEvents id = source_event_id */
  char *source;              /* CloudEvents source (URI-reference) */
  char *type;                /* CloudEvents type */
  char *subject;             /* optional */
  char *party;               /* party code from the `party` extension; NULL if absent */
  long long party_id;        /* filled by the caller after resolving `party` (0 = unresolved) */
  const char *kind;          /* "incident" | "patrol" | "activity" (static) */
  const char *category;      /* code from the closed list (static) or NULL */
  const char *activity_type; /* static or NULL */
  char *occurred_at;         /* RFC 3339 with offset, calendar-valid */
  long duration_s;           /* -1 = absent */
  int srid;                  /* 0 = no point; 4326 (x=lon, y=lat), 3006 or 3008 (x=easting, y=northing) */
  double x, y;
  char *place_name;  /* optional */
  char *track;       /* GeoJSON LineString text (normalised) or NULL */
  char *description; /* optional */
  char *attributes;  /* JSON object text; "{}" when absent */
  unsigned flags;    /* EST_EVENT_FLAG_* */
  /* How exact the point is (static, one of est_event_precisions; NULL
   * without a point): "point" for producers' coordinates; the Police feed's
   * gps is a "municipality" or "county" centroid. Events coarser than
   * "district" are assigned to no area and to no hot spot (store). */
  const char *precision;
  char *published_at; /* RFC 3339; when the source published it (Police feed), else NULL */
} est_event;

/* The location precisions, finest first, NULL-terminated (events.location_precision). */
extern const char *const est_event_precisions[];

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

/* How POST /v1/events reads a request (CloudEvents HTTP binding 3.1:
 * the media type decides, then the ce-specversion header):
 * application/cloudevents-batch+json -> BATCH (a JSON array);
 * application/cloudevents+json -> STRUCTURED (one event);
 * otherwise a ce-specversion header -> BINARY (attributes in ce-*
 * headers, the body is data: JSON, declared as application/json or
 * undeclared, as the SDK sends it without a datacontenttype);
 * application/json or another +json type -> JSON (one structured event,
 * or an array as a batch); anything else -> UNSUPPORTED (415). */
typedef enum est_http_ce_mode {
  EST_HTTP_CE_UNSUPPORTED = 0,
  EST_HTTP_CE_STRUCTURED,
  EST_HTTP_CE_BATCH,
  EST_HTTP_CE_BINARY,
  EST_HTTP_CE_JSON,
} est_http_ce_mode;
est_http_ce_mode est_event_http_mode(const char *content_type, bool has_ce_specversion);
/* The media types POST /v1/events accepts, for the 415 message. */
#define EST_EVENT_HTTP_MEDIA_TYPES                                                                      \
  "application/cloudevents+json (structured mode), application/cloudevents-batch+json (batch mode) or " \
  "application/json (binary mode with ce-* headers, or a structured event or array)"

/* Parses an HTTP binary-mode CloudEvent: headers are the request's
 * headers (ce-* attributes, percent-decoded, and Content-Type, which must
 * be application/json when present), body the data. Same ownership and
 * reasons as est_event_from_message. */
est_event_reason est_event_from_http_binary(const void *body, size_t len, const est_event_header *headers,
                                            size_t nheaders, est_event *ev, json_t **errors);

/* Screens every text of ev for personnummer / samordningsnummer: id,
 * source, subject and party are refused on every path (reason
 * EST_REASON_PERSONNUMMER naming the field); description, place name and
 * attributes (any depth: strings, keys, integers) are refused with
 * redact=false (HTTP) and redacted with redact=true (Kafka), which sets
 * EST_EVENT_FLAG_PNR_REDACTED. Called by est_event_admit. */
est_event_reason est_event_screen(est_event *ev, bool redact, json_t **errors);

/* Flag names as stored in events.flags, NULL-terminated into out[0..3]. */
int est_event_flag_names(unsigned flags, const char *out[4]);

/* Looks topic up in an ESTD_KAFKA_TOPIC_PARTIES spec ("topic=party,...").
 * Returns true and copies the party code into out if the topic is bound. */
bool est_topic_bound_party(const char *spec, const char *topic, char *out, size_t outlen);
/* True if spec is well-formed (empty/NULL is well-formed). */
bool est_topic_parties_valid(const char *spec);
/* A CloudEvents source as estd takes it: 1..EST_EVENT_MAX_SOURCE printable ASCII
 * characters without space, '"', '<', '>' or '\\' (openapi.yaml SourceInput.source). */
bool est_event_source_valid(const char *s);
/* The characters of a Kafka topic name (Kafka's own rule; at most 249 of them). */
#define EST_KAFKA_TOPIC_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* Validates a POST /v1/sources body: {"party": code | "party_id": id,
 * "source": URI-reference (1..512, as the CloudEvents source),
 * "description"?: text <= 1000}; free text is screened for personnummer.
 * *normalized is the compact JSON to store (caller frees). EST_EINVAL with
 * field errors otherwise. Same shape as the http_resource validators. */
est_result est_source_validate(const json_t *body, bool patch, char **normalized, json_t **errors);

/* The closed category list (0010_events.sql), NULL-terminated. */
extern const char *const est_event_categories[];
/* Static code if known, else NULL. */
const char *est_event_category(const char *code);

/* ---- Swedish Police public events feed (police_feed.c) ---- */

/* What estd does with a feed event type (est_police_types). */
typedef enum est_police_disposition {
  EST_POLICE_MAPPED = 0, /* to an estd category */
  EST_POLICE_UNMAPPED,   /* listed, deliberately "ovrigt" (accidents, searches, police activity, ...) */
  EST_POLICE_SUMMARY,    /* "Sammanfattning ..." bundle: skipped (skipped_summary) */
  EST_POLICE_UNKNOWN,    /* not in the list: "ovrigt" (or its listed base's category), counted */
} est_police_disposition;
typedef struct est_police_type {
  const char *type;     /* as the feed spells it */
  const char *category; /* estd category; NULL for summaries */
  est_police_disposition disposition;
} est_police_type;
/* The feed's event types (97), NULL-terminated. */
extern const est_police_type est_police_types[];
/* "mapped" | "unmapped" | "summary" | "unknown" (attributes.police_mapping). */
const char *est_police_disposition_name(est_police_disposition d);
/* Classifies a feed type (compared with Swedish case folding) and sets
 * *category (static; "ovrigt" for unmapped/unknown, NULL for summaries).
 * An unlisted "X, variant" of a listed X takes X's category but is UNKNOWN. */
est_police_disposition est_police_classify(const char *police_type, const char **category);
/* The list's spelling of a listed type (Swedish case folding: "Larm Inbrott"
 * -> "Larm inbrott"), NULL for a type the list does not have. */
const char *est_police_type_listed(const char *police_type);
/* Our category for a police event type ("Skadegörelse" -> "skadegorelse");
 * unknown types and summaries map to "ovrigt". Never NULL. */
const char *est_police_category(const char *police_type);
/* True for summary records ("Sammanfattning natt", ...). */
bool est_police_is_summary(const char *police_type);
/* Maps a police feed record (the data of a se.polisen.event.v1 CloudEvent)
 * into ev as an incident: datetime "2018-12-28 14:32:20 +01:00" ->
 * published_at, the time in name -> occurred_at (published_at when name has
 * none), location.gps "lat,lon" -> point of precision municipality (county
 * when location.name ends in " län"), location.name -> place,
 * summary -> description, type/name/url/id -> attributes (police_type,
 * police_name, police_url, police_id, police_mapping: the disposition of
 * the type, est_police_classify). Returns
 * EST_REASON_SKIPPED_SUMMARY for summary records. */
/* The occurrence time in a feed record's name ("28 december 14.32, Misshandel,
 * Borås"; H.MM or H:MM) as RFC 3339 in Stockholm local time with its offset
 * (CET/CEST), into out (n >= 26). The year is the publication's (published:
 * RFC 3339), or the year before when the time would otherwise lie more than
 * an hour after the publication (the turn of the year). False if name does
 * not start with such a time. */
bool est_police_occurred_at(const char *name, const char *published, char *out, size_t n);
est_event_reason est_police_feed_map(const json_t *rec, est_event *ev, json_t **errors);

struct est_place;
/* The optional geocoder (after est_police_feed_map). If ev is a feed event
 * at the centroid of the municipality `municipality` (precision
 * "municipality", place name equal to it, case-folded) and its summary
 * names exactly one of places[0..n) (est_place_find: "på Norrby"), moves
 * the event to that place's inner point with precision "district" (never
 * "point": the district, not the spot, is known) and records
 * police_geocoded {area_id, name} and the feed's police_gps in attributes.
 * The event is then assigned to that district only (est_event_area_ids)
 * and to no hot spot. Returns the place id, or 0 (ev unchanged). */
long long est_police_geocode(est_event *ev, const char *municipality, const struct est_place *places, size_t n);

#endif
