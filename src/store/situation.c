/* situation.c - the rows of the situational picture (see
 * store_situation.h); the route builds the document from them
 * (domain/situation.c).
 *
 * Time: every period bound is a local date turned into an instant with
 * AT TIME ZONE 'Europe/Stockholm', and every bucket (day, ISO week, weekday,
 * hour) is taken from occurred_at AT TIME ZONE 'Europe/Stockholm', so the
 * daylight-saving changes and ISO weeks across new year fall right.
 *
 * Counts, series, weekdays, hours, per-area counts, sources and presence
 * come from the rollups (sql/migrations/0090_situation_rollups.sql:
 * situation_hourly per (area, hour, kind), situation_daily per (area, local
 * day, kind, category, party); area 0 = every event, so events outside every
 * area count only in the all-areas view, as in event_areas/events). The only
 * raw-event reads left are the hot spots (their points, an index-only range
 * scan of the projected coordinates; the presence around them) and the
 * newest event of each source (one index probe into its newest day).
 *
 * q->from_raw (ESTD_SITUATION_SOURCE=raw) reads the same rows from the raw
 * events instead (the statements *_raw below): the check the rollups are
 * tested against (tests/integration/test_rollups.py: byte-identical
 * documents) and the same-run baseline of bench/situation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/buf.h"
#include "estd/disclosure.h"
#include "estd/situation_counts.h"
#include "estd/store_situation.h"
#include "estd/store_util.h"

#define TZ "'Europe/Stockholm'"
#define TS(n) "($" #n "::date::timestamp AT TIME ZONE " TZ ")"

/* ---- counts ------------------------------------------------------------
 * One pass over the three periods' incidents with GROUPING SETS. The
 * GROUPING(category, party_id, b, dow, hr) bitmask tells the sets apart:
 * 31 = (per), 15 = category, 23 = party, 27 = bucket, 29 = weekday, 30 = hour,
 * 28 = weekday x hour. "by_area" counts the period's incidents per area
 * (event_areas; all areas, or the one asked for) with their cell keys.
 * "sources" reads every kind of event (ALLSRC) of the current period per
 * party: how many and the newest occurred_at (the document shows both only
 * to the detail scope).
 * $1 area (or NULL), $2..$7 from/to of current, previous, year-ago, $8 bucket. */
/* A published count and its cell key (estd/disclosure.h): the sum of the
 * cell's record keys mod 2^31, as member "ck_<name>". */
#define CELL(name, cond)                                                                                             \
  "'" name "', COALESCE((SELECT n FROM g WHERE " cond "), 0), 'ck_" name "', COALESCE((SELECT ck FROM g WHERE " cond \
  "), 0)"
/* The same, joined: the cell of row alias A of g (one hash join per table instead of one scan of g per
 * cell), and the three periods' rows g0, g1, g2 of grouping code GS matching COND. */
#define JCELL(name, A) "'" name "', COALESCE(" A ".n, 0), 'ck_" name "', COALESCE(" A ".ck, 0)"
#define JOIN3(GS, COND)                                                                            \
  " LEFT JOIN g g0 ON g0.gs = " GS " AND g0.per = 0 AND g0." COND " LEFT JOIN g g1 ON g1.gs = " GS \
  " AND g1.per = 1 AND g1." COND " LEFT JOIN g g2 ON g2.gs = " GS " AND g2.per = 2 AND g2." COND
/* The document from the cells g (see COUNTS_SQL): BY_AREA the by_area array, SOURCES a relation
 * (party_id, n, latest) of the parties that reported in the current period. */
#define COUNTS_DOC(BY_AREA, SOURCES) \
  " SELECT json_build_object("                                                                                \
  "  'total', json_build_object(" CELL("count", "gs = 31 AND per = 0") ","                                    \
  "     " CELL("previous", "gs = 31 AND per = 1") ", " CELL("year_ago", "gs = 31 AND per = 2") "),"           \
  "  'by_category', (SELECT json_agg(json_build_object('code', c.code, 'label_sv', c.label_sv,"               \
  "     'label_en', c.label_en, " JCELL("count", "g0") ", " JCELL("previous", "g1") ", " JCELL("year_ago", "g2") ")" \
  "     ORDER BY c.ordinal) FROM event_categories c"                                                          \
  "     " JOIN3("15", "category = c.code") "),"                                                               \
  "  'by_party', (SELECT json_agg(json_build_object('party_id', p.id, 'code', p.code, 'name', p.name,"        \
  "     " JCELL("count", "g0") ", " JCELL("previous", "g1") ", " JCELL("year_ago", "g2") ")"                 \
  "     ORDER BY p.id) FROM parties p " JOIN3("23", "party_id = p.id") "),"                                  \
  "  'series', (SELECT json_agg(json_build_object('start', s.d::date, 'count', COALESCE(sg.n, 0),"          \
  "     'ck_count', COALESCE(sg.ck, 0)) ORDER BY s.d)"                                                        \
  "     FROM generate_series(CASE WHEN $8::text = 'week' THEN date_trunc('week', $2::date) ELSE $2::date END," \
  "       $3::date - 1, CASE WHEN $8::text = 'week' THEN interval '1 week' ELSE interval '1 day' END) s(d)"    \
  "     LEFT JOIN g sg ON sg.gs = 27 AND sg.per = 0 AND sg.b = s.d::date),"                                   \
  "  'by_weekday', (SELECT json_agg(json_build_object('weekday', w,"                                          \
  "     'name', (ARRAY['Mon','Tue','Wed','Thu','Fri','Sat','Sun'])[w],"                                       \
  "     " JCELL("count", "g0") ") ORDER BY w)"                                                                \
  "     FROM generate_series(1, 7) w LEFT JOIN g g0 ON g0.gs = 29 AND g0.per = 0 AND g0.dow = w),"          \
  "  'by_hour', (SELECT json_agg(json_build_object('hour', h, " JCELL("count", "g0") ") ORDER BY h)"         \
  "     FROM generate_series(0, 23) h LEFT JOIN g g0 ON g0.gs = 30 AND g0.per = 0 AND g0.hr = h),"          \
  "  'by_weekday_hour', (SELECT json_agg(json_build_object('weekday', w, 'hour', h, " JCELL("count", "g0") ")" \
  "     ORDER BY w, h) FROM generate_series(1, 7) w CROSS JOIN generate_series(0, 23) h"                      \
  "     LEFT JOIN g g0 ON g0.gs = 28 AND g0.per = 0 AND g0.dow = w AND g0.hr = h),"                           \
  "  'by_area', " BY_AREA ","                                                                                 \
  "  'sources', (SELECT json_agg(json_build_object('party_id', p.id, 'code', p.code, 'name', p.name,"         \
  "     'events', COALESCE(s.n, 0), 'latest_occurred_at', s.latest,"                                          \
  "     'latest_date', (s.latest AT TIME ZONE " TZ ")::date, 'reported', s.n IS NOT NULL) ORDER BY p.id)"     \
  "     FROM parties p LEFT JOIN " SOURCES " s ON s.party_id = p.id))::text"

#define COUNTS_SQL(SRC, ALLSRC) \
  "WITH r AS ("                                                                                               \
  " SELECT 0 AS per, occurred_at, category, party_id, record_key AS rk FROM " SRC " AND occurred_at >= " TS(2) \
  "   AND occurred_at < " TS(3) " UNION ALL"                                                                  \
  " SELECT 1, occurred_at, category, party_id, record_key FROM " SRC " AND occurred_at >= " TS(4)             \
  "   AND occurred_at < " TS(5) " UNION ALL"                                                                  \
  " SELECT 2, occurred_at, category, party_id, record_key FROM " SRC " AND occurred_at >= " TS(6)             \
  "   AND occurred_at < " TS(7) "),"                                                                          \
  " x AS (SELECT per, category, party_id, rk,"                                                                \
  "   CASE WHEN $8::text = 'week' THEN date_trunc('week', lt)::date ELSE lt::date END AS b,"                  \
  "   extract(isodow FROM lt)::int AS dow, extract(hour FROM lt)::int AS hr"                                  \
  "   FROM (SELECT per, category, party_id, rk, CASE WHEN per = 0 THEN occurred_at AT TIME ZONE " TZ " END"   \
  "         AS lt FROM r) y),"                                                                                \
  " g AS MATERIALIZED (SELECT per, category, party_id, b, dow, hr, count(*) AS n,"                            \
  "   sum(rk) % 2147483648 AS ck, GROUPING(category, party_id, b, dow, hr) AS gs FROM x"                      \
  "   GROUP BY GROUPING SETS ((per), (per, category), (per, party_id), (per, b), (per, dow), (per, hr),"      \
  "   (per, dow, hr)))"                                                                                       \
  COUNTS_DOC(                                                                                                \
      "(SELECT json_agg(json_build_object('area_id', a.id, 'code', a.code, 'name', a.name,"                  \
      "     'count', COALESCE(s.n, 0), 'ck_count', COALESCE(s.ck, 0)) ORDER BY a.id) FROM areas a LEFT JOIN" \
      "     (SELECT area_id, count(*) AS n, sum(record_key) % 2147483648 AS ck FROM event_areas"             \
      "      WHERE kind = 'incident' AND occurred_at >= " TS(2) " AND occurred_at < " TS(3) " GROUP BY area_id) s" \
      "     ON s.area_id = a.id WHERE $1::bigint IS NULL OR a.id = $1)",                                     \
      "(SELECT party_id, count(*) AS n, max(occurred_at) AS latest FROM " ALLSRC                            \
      "       AND occurred_at >= " TS(2) " AND occurred_at < " TS(3) " GROUP BY party_id)")

static const est_stmt counts_area_raw = {
    "situation_counts_area_raw",
    COUNTS_SQL("event_areas WHERE area_id = $1 AND kind = 'incident'", "event_areas WHERE area_id = $1"), 8};
static const est_stmt counts_all_raw = {
    "situation_counts_all_raw",
    COUNTS_SQL("events WHERE $1::bigint IS NULL AND kind = 'incident'", "events WHERE $1::bigint IS NULL"), 8};

/* The same document from the rollups, built by the domain (est_counts_document,
 * domain/situation_counts.c) from these cells, one row each, told apart by t and
 * ordered by (t, o); columns t, o, per, s1, s2, s3, id, dow, hr, n, ck:
 *  t 0: incidents per period (per), category (s1) and party (id), from the daily rollup;
 *  t 1: the current period's incidents per local hour, from the hourly one (one UTC hour
 *       is one local hour): the bucket as days since 1970-01-01 (o), ISO weekday, hour;
 *  t 2: the areas (id, code s1, name s2; all, or the one asked for) with their incidents
 *       in the current period for all areas; n NULL for the one area (its counts are
 *       the period's total, which t 0 holds already);
 *  t 3: the parties that reported in the current period (id, n every kind), the newest
 *       occurred_at as JSON prints it (s1) and its local date (s2): one probe into the
 *       raw rows of the party's newest day (LATEST: $1 area, d.party_id, d.last the day;
 *       a lateral aggregate, so one probe for both columns).
 *       That day lies in the period: the period's bounds, repeated, let the executor
 *       prune the partitions outside the period before it starts (the day alone prunes
 *       only per probe, after every partition's scan was set up);
 *  t 4: the categories by ordinal (code s1, label_sv s2, label_en s3);
 *  t 5: the parties by id (code s1, name s2). */
#define RSUM "sum(n)::bigint AS n, (sum(rk) % 2147483648)::bigint AS ck"
#define ROLLUP_AREA "area_id = COALESCE($1::bigint, 0)"
#define DAYS(f, t) " AND day >= $" #f "::date AND day < $" #t "::date"
#define DAILY_PER(per, f, t)                                                                   \
  " SELECT " #per " AS per, category, party_id, n, rk FROM situation_daily WHERE " ROLLUP_AREA \
  " AND kind = 'incident'" DAYS(f, t)
#define COUNTS_CELLS_SQL(LATEST) \
  "SELECT 0 AS t, 0::bigint AS o, per, NULLIF(category, '') AS s1, NULL::text AS s2, NULL::text AS s3,"            \
  "   party_id AS id, NULL::int AS dow, NULL::int AS hr, " RSUM                                                     \
  " FROM (" DAILY_PER(0, 2, 3) " UNION ALL" DAILY_PER(1, 4, 5) " UNION ALL" DAILY_PER(2, 6, 7) ") d"                \
  " GROUP BY per, category, party_id"                                                                               \
  " UNION ALL SELECT 1, (b - DATE '1970-01-01')::bigint, 0, NULL, NULL, NULL, NULL, dow, hr, " RSUM                 \
  " FROM (SELECT n, rk, CASE WHEN $8::text = 'week' THEN date_trunc('week', lt)::date ELSE lt::date END AS b,"      \
  "   extract(isodow FROM lt)::int AS dow, extract(hour FROM lt)::int AS hr"                                        \
  "   FROM (SELECT n, rk, hour AT TIME ZONE " TZ " AS lt FROM situation_hourly WHERE " ROLLUP_AREA                  \
  "     AND kind = 'incident' AND hour >= " TS(2) " AND hour < " TS(3) ") y) h GROUP BY b, dow, hr"                 \
  " UNION ALL SELECT 2, a.id, 0, a.code, a.name, NULL, a.id, NULL, NULL,"                                           \
  "   CASE WHEN $1::bigint IS NULL THEN COALESCE(s.n, 0) END, CASE WHEN $1::bigint IS NULL THEN COALESCE(s.ck, 0) END" \
  " FROM areas a CROSS JOIN LATERAL (SELECT " RSUM " FROM situation_daily WHERE $1::bigint IS NULL"                 \
  "   AND area_id = a.id AND kind = 'incident'" DAYS(2, 3) ") s WHERE $1::bigint IS NULL OR a.id = $1"             \
  " UNION ALL SELECT 3, d.party_id, 0, to_json(l.latest) #>> '{}', (l.latest AT TIME ZONE " TZ ")::date::text,"    \
  "   NULL, d.party_id, NULL, NULL, d.n, NULL"                                                                      \
  " FROM (SELECT party_id, sum(n)::bigint AS n, max(day) AS last FROM situation_daily WHERE " ROLLUP_AREA           \
  DAYS(2, 3) " GROUP BY party_id) d"                                                                                \
  " CROSS JOIN LATERAL (SELECT max(occurred_at) AS latest FROM " LATEST " AND occurred_at >= (d.last::timestamp"   \
  "   AT TIME ZONE " TZ ") AND occurred_at < ((d.last + 1)::timestamp AT TIME ZONE " TZ ")"                         \
  "   AND occurred_at >= " TS(2) " AND occurred_at < " TS(3) ") l"                                                  \
  " UNION ALL SELECT 4, ordinal, 0, code, label_sv, label_en, NULL, NULL, NULL, NULL, NULL FROM event_categories"   \
  " UNION ALL SELECT 5, id, 0, code, name, NULL, id, NULL, NULL, NULL, NULL FROM parties"                           \
  " ORDER BY t, o"

static const est_stmt counts_area = {"situation_counts_area_cells",
                                     COUNTS_CELLS_SQL("event_areas WHERE area_id = $1 AND party_id = d.party_id"), 8};
static const est_stmt counts_all = {"situation_counts_all_cells",
                                    COUNTS_CELLS_SQL("events WHERE $1::bigint IS NULL AND party_id = d.party_id"), 8};

/* The all-areas picture's incidents whose position is only a municipality
 * or county centroid (the Police feed): in the total, in no area. Per
 * period and per precision, with cell keys; $1..$6 from/to of current,
 * previous, year-ago (partial index events_imprecise_idx, migration 0118). */
#define IMPRECISE_PER(per, a, b)                                                           \
  " SELECT " #per                                                                          \
  " AS per, location_precision AS p, record_key AS rk FROM events WHERE kind = 'incident'" \
  " AND location_precision IN ('municipality', 'county') AND occurred_at >= " TS(a) " AND occurred_at < " TS(b)
#define IMPRECISE_CELL(name, per, cond) /* a count and its cell key (EST_CK_PREFIX) */ \
  "'" name "', count(*) FILTER (WHERE per = " #per cond "), 'ck_" name                 \
  "', COALESCE(sum(rk) FILTER (WHERE "                                                 \
  "per = " #per cond "), 0) % 2147483648"
static const est_stmt counts_imprecise = {
    "situation_counts_imprecise",
    "WITH r AS (" IMPRECISE_PER(0, 1, 2) " UNION ALL" IMPRECISE_PER(1, 3, 4) " UNION ALL" IMPRECISE_PER(2, 5, 6) ")"
    " SELECT json_build_object(" IMPRECISE_CELL("count", 0, "") ", " IMPRECISE_CELL("previous", 1, "") ", "
    IMPRECISE_CELL("year_ago", 2, "") ", 'by_precision', json_build_array("
    "  (SELECT json_build_object('precision', 'municipality', " IMPRECISE_CELL("count", 0, " AND p = 'municipality'") ", "
    IMPRECISE_CELL("previous", 1, " AND p = 'municipality'") ", " IMPRECISE_CELL("year_ago", 2, " AND p = 'municipality'")
    ") FROM r),"
    "  (SELECT json_build_object('precision', 'county', " IMPRECISE_CELL("count", 0, " AND p = 'county'") ", "
    IMPRECISE_CELL("previous", 1, " AND p = 'county'") ", " IMPRECISE_CELL("year_ago", 2, " AND p = 'county'")
    ") FROM r)))::text FROM r",
    6};

/* ---- hot spots ----------------------------------------------------------
 * Weighted DBSCAN over grid cells (estd/hotspot.h) instead of
 * ST_ClusterDBSCAN over every incident, in one pass over the period's
 * incidents:
 *  1. points: the period's incidents in SWEREF 99 TM (EPSG:3006, metres) with
 *     their category ordinal;
 *  2. the route clusters them (est_situation_hotspots, domain): snaps them to
 *     cells of side eps / 4, clusters the cells (weighted DBSCAN, spatial
 *     hash) and gives the 50 largest clusters' count, centroid, category
 *     counts and convex hull vertices;
 *  3. details (SQL, store_situation_hotspots): the hull polygon, its
 *     presentation and the presence of patrols/activities around it.
 * The hull is the convex hull of the cluster's incidents, or a 25 m buffer
 * of it when it is not a polygon (fewer than 3 distinct or collinear
 * points). Without exact geometry (estd/disclosure.h) the caller sees the
 * grid-aligned rectangle around it and the centroid's grid square instead. Presence: patrols/activities of
 * the period whose point or track intersects the hull buffered by eps (the zone, EPSG:4326): those whose
 * point does (an index-only probe of events_presence_pt_idx, migration 0150: the native point of geom in
 * the zone's bounding box zbox, then the exact ST_Intersects), plus those whose track does and whose point
 * does not (events_presence_track_idx), so each counts once, as with one OR. */
/* An area row joined to its event: the period on both sides, so both
 * partitioned tables are pruned to the period's months when the statement
 * is planned (events and event_areas, migration 0120), and the join on
 * (id, occurred_at) probes one partition's primary key per row. */
#define EA_E_PERIOD(a, b)                                                                     \
  " AND ea.occurred_at >= " TS(a) " AND ea.occurred_at < " TS(b) " AND e.occurred_at >= " TS( \
      a) " AND e.occurred_at < " TS(b)
/* Only positions finer than a district make hot spots: a district,
 * municipality or county centroid (the Police feed) would pile up at one
 * spot. Rows from before 0080 (NULL) are points. */
#define HOTSPOT_PRECISE " AND COALESCE(e.location_precision, 'point') IN ('point', 'street')"
#define PTS_AREA                                                                         \
  "SELECT e.category, e.record_key, ST_Transform(e.geom, 3006) AS g FROM event_areas ea" \
  " JOIN events e ON e.id = ea.event_id AND e.occurred_at = ea.occurred_at"              \
  " WHERE ea.area_id = $1 AND ea.kind = 'incident'" EA_E_PERIOD(2, 3) " AND e.geom IS NOT NULL" HOTSPOT_PRECISE
#define PTS_ALL                                                                                               \
  "SELECT e.category, e.record_key, ST_Transform(e.geom, 3006) AS g FROM events e"                            \
  " WHERE $1::bigint IS NULL AND e.kind = 'incident' AND e.occurred_at >= " TS(2) " AND e.occurred_at < " TS( \
      3) " AND e.geom IS NOT NULL" HOTSPOT_PRECISE
/* $1 area, $2/$3 period: one bytea per category, in est_hotspot_unpack's format (the ordinal,
 * then x, y and the record key of each incident: point_send writes x and y as two float8send),
 * fetched in binary (est_db_item.binary). A week of all areas is ~66,000 incidents: a row each
 * cost libpq and estd more than the scan (BENCHMARKS, "packed points"), and grouping first joins
 * only one row per category to event_categories (incidents of no known category are left out).
 * G is the (category, record_key, p: the SWEREF 99 TM point) source. */
#define POINTS_SQL(G)                                                                              \
  "SELECT int4send(ec.ordinal::int4) || p.pts FROM (SELECT g.category, string_agg(point_send(g.p)" \
  " || int4send(g.record_key::int4), ''::bytea) AS pts FROM (" G                                   \
  ") g GROUP BY g.category) p"                                                                     \
  " JOIN event_categories ec ON ec.code = p.category"
#define PTS_POINT(PTS) "SELECT p.category, p.record_key, p.g::point AS p FROM (" PTS ") p"
static const est_stmt points_area_raw = {"situation_points_area_raw4", POINTS_SQL(PTS_POINT(PTS_AREA)), 3};
static const est_stmt points_all_raw = {"situation_points_all_raw4", POINTS_SQL(PTS_POINT(PTS_ALL)), 3};
/* The same rows from the points stored at intake (hs_xy, 0160: hs_pt of
 * 0090 as a native point, set exactly for the precise incidents with a
 * position, from the same ST_Transform; the scan returns it without a
 * function call): an index-only range scan of event_areas' primary key, for
 * all areas of events_hotspot_idx. */
static const est_stmt points_area = {
    "situation_points_area5",
    POINTS_SQL("SELECT ea.category, ea.record_key, ea.hs_xy AS p FROM event_areas ea"
               " WHERE ea.area_id = $1 AND ea.kind = 'incident' AND ea.hs_xy IS NOT NULL"
               " AND ea.occurred_at >= " TS(2) " AND ea.occurred_at < " TS(3)),
    3};
static const est_stmt points_all = {
    "situation_points_all5",
    POINTS_SQL(
        "SELECT e.category, e.record_key, e.hs_xy AS p FROM events e"
        " WHERE $1::bigint IS NULL AND e.hs_xy IS NOT NULL AND e.occurred_at >= " TS(2) " AND e.occurred_at < " TS(3)),
    3};

/* $1/$2 period, $3 eps, $4 exact geometry (estd/disclosure.h); per hot spot: $5 rank, $6 incident
 * count, $7/$8 centroid x/y, $9 hull vertices (MULTIPOINT WKT, EPSG:3006), $13 cell key; per
 * (hot spot, category): $10 rank, $11 ordinal, $12 count, $14 cell key; $15 the grid (metres) on
 * which callers without exact geometry see the hot spot: the centroid becomes the centre of its
 * grid square, the hull the smallest grid-aligned rectangle around the cluster (no vertex or arc
 * of it is derived from one incident's position). Each geometry is computed once per hot spot
 * (materialized steps: a CTE or subquery referenced twice would be inlined and computed per use). */
static const est_stmt hotspot_details = {
    "situation_hotspot_details",
    "WITH h AS MATERIALIZED (SELECT u.*, ST_ConvexHull(ST_GeomFromText(u.pts, 3006)) AS hull"
    "   FROM unnest($5::int[], $6::int8[], $7::float8[], $8::float8[], $9::text[], $13::int8[])"
    "   AS u(rank, n, x, y, pts, ck)),"
    " hs2 AS MATERIALIZED (SELECT rank, n, ck, x, y,"
    "   CASE WHEN ST_GeometryType(hull) = 'ST_Polygon' THEN hull ELSE ST_Buffer(hull, 25, 8) END AS poly FROM h),"
    " hs3 AS MATERIALIZED (SELECT *, ST_Transform(ST_Buffer(poly, $3::float8, 8), 4326) AS zone FROM hs2),"
    " ranked AS MATERIALIZED (SELECT rank, n, ck,"
    "   ST_Transform(CASE WHEN $4::bool THEN ST_SetSRID(ST_MakePoint(x, y), 3006) ELSE ST_SetSRID(ST_MakePoint("
    "     floor(x / $15::float8) * $15::float8 + $15::float8 / 2.0,"
    "     floor(y / $15::float8) * $15::float8 + $15::float8 / 2.0), 3006) END, 4326) AS c4,"
    "   ST_AsGeoJSON(ST_Transform(CASE WHEN $4::bool THEN poly ELSE ST_MakeEnvelope("
    "     floor(ST_XMin(poly) / $15::float8) * $15::float8,"
    "     floor(ST_YMin(poly) / $15::float8) * $15::float8, floor(ST_XMax(poly) / $15::float8) * $15::float8 + $15::float8,"
    "     floor(ST_YMax(poly) / $15::float8) * $15::float8 + $15::float8, 3006) END, 4326), 6, 0)::json AS hull,"
    "   zone, box(point(ST_XMin(zone), ST_YMin(zone)), point(ST_XMax(zone), ST_YMax(zone))) AS zbox FROM hs3),"
    " bc AS MATERIALIZED (SELECT bc.rank, json_agg(json_build_object('code', ec.code, 'label_sv', ec.label_sv,"
    "   'label_en', ec.label_en, 'count', bc.n, 'ck_count', bc.ck) ORDER BY ec.ordinal) AS j"
    "   FROM unnest($10::int[], $11::int[], $12::int8[], $14::int8[]) AS bc(rank, ordinal, n, ck)"
    "   JOIN event_categories ec ON ec.ordinal = bc.ordinal WHERE bc.n > 0 GROUP BY bc.rank)"
    " SELECT COALESCE(json_agg(json_build_object("
    "   'rank', k.rank, 'incident_count', k.n, 'ck_incident_count', k.ck,"
    "   'centroid', json_build_object('lat', round(ST_Y(k.c4)::numeric, 6), 'lon', round(ST_X(k.c4)::numeric, 6)),"
    "   'hull', k.hull,"
    "   'by_category', bc.j,"
    "   'presence', (SELECT json_build_object("
    "       'patrols', json_build_object('count', count(*) FILTER (WHERE e.kind = 'patrol'),"
    "          'ck_count', COALESCE(sum(e.record_key) FILTER (WHERE e.kind = 'patrol'), 0) % 2147483648,"
    "          'duration_s', COALESCE(sum(e.duration_s) FILTER (WHERE e.kind = 'patrol'), 0)),"
    "       'activities', json_build_object('count', count(*) FILTER (WHERE e.kind = 'activity'),"
    "          'ck_count', COALESCE(sum(e.record_key) FILTER (WHERE e.kind = 'activity'), 0) % 2147483648,"
    "          'duration_s', COALESCE(sum(e.duration_s) FILTER (WHERE e.kind = 'activity'), 0)))"
    "     FROM (SELECT e.kind, e.record_key, e.duration_s FROM events e WHERE e.kind <> 'incident'"
    "       AND e.geom IS NOT NULL AND point(ST_X(e.geom), ST_Y(e.geom)) <@ k.zbox"
    "       AND e.occurred_at >= " TS(1) " AND e.occurred_at < " TS(2) " AND ST_Intersects(e.geom, k.zone)"
    "       UNION ALL SELECT e.kind, e.record_key, e.duration_s FROM events e WHERE e.kind <> 'incident'"
    "       AND e.track IS NOT NULL AND e.occurred_at >= " TS(1) " AND e.occurred_at < " TS(2)
    "       AND ST_Intersects(e.track, k.zone) AND NOT (e.geom IS NOT NULL AND ST_Intersects(e.geom, k.zone))) e)"
    "   ) ORDER BY k.rank), '[]')::text FROM ranked k LEFT JOIN bc ON bc.rank = k.rank",
    15};

/* An event time as the caller may see it: exact with $4 (exact times,
 * estd/disclosure.h), else the start of its local (Europe/Stockholm) day. */
#define SHOWN_TIME(x) \
  "(CASE WHEN $4::bool THEN " x " ELSE date_trunc('day', " x " AT TIME ZONE " TZ ") AT TIME ZONE " TZ " END)"

/* ---- context --------------------------------------------------------------
 * The area, patrol/activity presence per area (event_areas), the focuses
 * and commitments concerning the area (linked to it or to an area whose
 * interior overlaps it; all when no area), and open actions; freshness is
 * read with the data version (below), at request time.
 * $1 area (or NULL), $2/$3 period. */
#define CONCERNS(x)                                                    \
  "($1::bigint IS NULL OR " x                                          \
  " = $1 OR EXISTS (SELECT 1 FROM areas a1, areas a2 WHERE a1.id = $1" \
  " AND a2.id = " x " AND ST_Intersects(a1.geom, a2.geom) AND NOT ST_Touches(a1.geom, a2.geom)))"

/* PRESENCE: the patrols and activities of area a.id in the period: pc/pk/pd (patrols: count, cell
 * key, duration), ac/ak/ad (activities). */
#define PRESENCE_RAW                                                                                \
  "(SELECT count(*) FILTER (WHERE ea.kind = 'patrol') AS pc,"                                       \
  "       COALESCE(sum(ea.record_key) FILTER (WHERE ea.kind = 'patrol'), 0) % 2147483648 AS pk,"    \
  "       COALESCE(sum(ea.record_key) FILTER (WHERE ea.kind = 'activity'), 0) % 2147483648 AS ak,"  \
  "       COALESCE(sum(e.duration_s) FILTER (WHERE ea.kind = 'patrol'), 0) AS pd,"                  \
  "       count(*) FILTER (WHERE ea.kind = 'activity') AS ac,"                                      \
  "       COALESCE(sum(e.duration_s) FILTER (WHERE ea.kind = 'activity'), 0) AS ad"                 \
  "     FROM event_areas ea JOIN events e ON e.id = ea.event_id AND e.occurred_at = ea.occurred_at" \
  "     WHERE ea.area_id = a.id AND ea.kind IN ('patrol', 'activity')" EA_E_PERIOD(2, 3) ") pr"

#define PRESENCE_ROLLUP                                                                    \
  "(SELECT COALESCE(sum(n) FILTER (WHERE kind = 'patrol'), 0)::bigint AS pc,"              \
  "   (COALESCE(sum(rk) FILTER (WHERE kind = 'patrol'), 0) % 2147483648)::bigint AS pk,"   \
  "   (COALESCE(sum(rk) FILTER (WHERE kind = 'activity'), 0) % 2147483648)::bigint AS ak," \
  "   COALESCE(sum(dur) FILTER (WHERE kind = 'patrol'), 0)::bigint AS pd,"                 \
  "   COALESCE(sum(n) FILTER (WHERE kind = 'activity'), 0)::bigint AS ac,"                 \
  "   COALESCE(sum(dur) FILTER (WHERE kind = 'activity'), 0)::bigint AS ad"                \
  " FROM situation_daily WHERE area_id = a.id AND kind IN ('patrol', 'activity')" DAYS(2, 3) ") pr"

#define CONTEXT_SQL(PRESENCE) \
  "SELECT json_build_object(" \
    " 'area', (SELECT json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'kind', a.kind)" \
    "   FROM areas a WHERE a.id = $1)," \
    " 'presence', (SELECT COALESCE(json_agg(json_build_object('area_id', a.id, 'code', a.code, 'name', a.name," \
    "     'patrols', json_build_object('count', pr.pc, 'ck_count', pr.pk, 'duration_s', pr.pd)," \
    "     'activities', json_build_object('count', pr.ac, 'ck_count', pr.ak, 'duration_s', pr.ad)) ORDER BY a.id), '[]')" \
    "   FROM areas a CROSS JOIN LATERAL " PRESENCE \
    "   WHERE $1::bigint IS NULL OR a.id = $1)," \
    " 'focuses', (SELECT COALESCE(json_agg(json_build_object('id', f.id, 'code', f.code, 'area_id', f.area_id," \
    "     'agreement_id', f.agreement_id, 'party_id', f.party_id, 'reason', f.reason, 'priority', f.priority," \
    "     'valid_from', f.valid_from, 'valid_to', f.valid_to," \
    "     'active', f.valid_from < $3::date AND (f.valid_to IS NULL OR f.valid_to >= $2::date))" \
    "     ORDER BY f.priority, f.id), '[]') FROM area_focuses f WHERE " CONCERNS("f.area_id") ")," \
    " 'commitments', (SELECT COALESCE(json_agg(json_build_object('id', c.id, 'code', c.code, 'text', c.text," \
    "     'status', c.status, 'agreement_id', c.agreement_id," \
    "     'area_ids', (SELECT json_agg(x.area_id ORDER BY x.area_id) FROM commitment_areas x" \
    "                  WHERE x.commitment_id = c.id)) ORDER BY c.id), '[]')" \
    "   FROM commitments c WHERE EXISTS (SELECT 1 FROM commitment_areas ca WHERE ca.commitment_id = c.id" \
    "     AND " CONCERNS("ca.area_id") "))," \
    /* Open actions (planned or ongoing) per area concerned: the action's area or its focus's. */ \
    " 'open_actions', (SELECT COALESCE(json_agg(json_build_object('area_id', q.aid, 'count', q.n, 'href'," \
    "   '/v1/actions?area_id=' || q.aid || '&open=true') ORDER BY q.aid), '[]') FROM (SELECT" \
    "   COALESCE(x.area_id, f.area_id) AS aid, count(*) AS n FROM actions x LEFT JOIN area_focuses f ON f.id =" \
    "   x.area_focus_id WHERE x.archived_at IS NULL AND x.status IN ('planned', 'ongoing') GROUP BY 1) q" \
    "   WHERE " CONCERNS("q.aid") ")," \
    " 'freshness', NULL)::text"
static const est_stmt context_raw = {"situation_context_raw", CONTEXT_SQL(PRESENCE_RAW), 3};
static const est_stmt context_stmt = {"situation_context_rollup", CONTEXT_SQL(PRESENCE_ROLLUP), 3};

/* ---- data version -----------------------------------------------------------
 * What a cached picture depends on (sql/migrations/0070_situation_versions.sql,
 * estd/situation.h est_situation_buckets): the version of the other inputs
 * (situation_meta) and the sum of the counters of the picture's buckets
 * ($1 areas, $2/$3 day ranges [from, to)), read from two primary keys. The
 * counters are bumped in the writing transactions and only grow, so two
 * reads give the same text exactly when no write to those buckets committed
 * in between. Second column: the freshness block, which is about all events
 * (and the area's newest) and so is not cached but read here at request
 * time. $4 exact times (estd/disclosure.h, SHOWN_TIME), $5 area (or NULL).
 * Third column: the same version of the hot spots' buckets ($6..$8,
 * est_situation_hotspot_buckets), second in the text. The freshness values
 * come from situation_freshness (migration 0145, kept exact by triggers), so
 * the statement reads a few primary-key rows and no partitioned table: it
 * runs on every request, cached or not. Fourth column: whether area $5
 * exists (true for all areas). */
/* The version text of the bucket ranges of arrays A (areas), F, T (days [from, to)). */
#define VERSION_OF(A, F, T)                                                                           \
  "(SELECT version FROM situation_meta WHERE id = 1)::text || ':' || COALESCE((SELECT sum(v.version)" \
  "   FROM unnest(" A "::bigint[], " F "::date[], " T                                                 \
  "::date[]) b(a, f, t)"                                                                              \
  "   JOIN situation_versions v ON v.area_id = b.a AND v.day >= b.f AND v.day < b.t), 0)::text"
static const est_stmt version_stmt = {
    "situation_data_version4",
    "SELECT " VERSION_OF("$1", "$2", "$3") ", " VERSION_OF("$6", "$7", "$8") ","
    " json_build_object("
    "   'newest_occurred_at', " SHOWN_TIME("f0.newest_occurred_at") ","
    "   'newest_received_at', " SHOWN_TIME("f0.newest_received_at") ","
    "   'area_newest_occurred_at', " SHOWN_TIME("(SELECT newest_occurred_at FROM situation_freshness"
                                                " WHERE area_id = $5::bigint AND $5::bigint <> 0)") ","
    "   'consumer_lag', NULL::bigint,"
    "   'consumer_lag_note', 'consumer lag per partition is exported as estd_consumer_lag_messages on /metrics')::text,"
    " $5::bigint IS NULL OR EXISTS (SELECT 1 FROM areas WHERE id = $5::bigint)"
    " FROM (SELECT 1) one LEFT JOIN situation_freshness f0 ON f0.area_id = 0",
    8};

/* ---- GeoJSON parts -------------------------------------------------------- */
static const est_stmt geo_areas = {
    "situation_geo_areas",
    "SELECT COALESCE(json_agg(json_build_object('type', 'Feature', 'id', 'area-' || a.id,"
    " 'geometry', ST_AsGeoJSON(a.geom, 6, 0)::json,"
    " 'properties', json_build_object('feature_type', 'area', 'area_id', a.id, 'code', a.code, 'name', a.name,"
    "   'kind', a.kind, 'approximate', a.approximate)) ORDER BY a.id), '[]')::text"
    " FROM areas a WHERE $1::bigint IS NULL OR a.id = $1",
    1};

#define GEO_EVENT_JSON                                                                                         \
  "json_build_object('type', 'Feature', 'id', 'event-' || e.id, 'geometry', ST_AsGeoJSON(e.geom, 6, 0)::json," \
  " 'properties', json_build_object('feature_type', 'event', 'event_id', e.id, 'kind', e.kind,"                \
  "   'category', e.category, 'activity_type', e.activity_type, 'party_id', e.party_id,"                       \
  "   'occurred_at', e.occurred_at, 'duration_s', e.duration_s))"

/* $1 area, $2/$3 period, $4 limit, $5 the only party whose events may be
 * shown (NULL = all, 0 = none; estd/disclosure.h). */
#define GEO_EVENTS_SQL(SRC, COND, ORDER)                                                \
  "SELECT COALESCE(json_agg(j ORDER BY o, i), '[]')::text FROM (SELECT " GEO_EVENT_JSON \
  " AS j,"                                                                              \
  " e.occurred_at AS o, e.id AS i FROM " SRC " WHERE " COND                             \
  " AND e.geom IS NOT NULL AND ($5::bigint IS NULL OR e.party_id = $5) ORDER BY " ORDER " LIMIT $4) s"
static const est_stmt geo_events_area = {
    "situation_geo_events_area",
    GEO_EVENTS_SQL("event_areas ea JOIN events e ON e.id = ea.event_id AND e.occurred_at = ea.occurred_at",
                   "ea.area_id = $1" EA_E_PERIOD(2, 3), "ea.occurred_at, e.id"),
    5};
static const est_stmt geo_events_all = {
    "situation_geo_events_all",
    GEO_EVENTS_SQL("events e", "$1::bigint IS NULL AND e.occurred_at >= " TS(2) " AND e.occurred_at < " TS(3),
                   "e.occurred_at, e.id"),
    5};

/* Takes the single text value of result r's single row (r is cleared). */
static est_result take_text(PGresult *r, char **out) {
  *out = NULL;
  if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
    PQclear(r);
    return EST_EINTERNAL;
  }
  *out = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  return *out ? EST_OK : EST_ENOMEM;
}

/* Runs s and takes the single text value of its single row. */
static est_result exec_text(est_conn *c, const est_stmt *s, const char *const *params, char **out) {
  PGresult *r;
  *out = NULL;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  return rc == EST_OK ? take_text(r, out) : rc;
}

struct store_situation_snap {
  est_pool *pool;
  est_conn *c;
  char area_buf[24];
  const char *area;  /* the area id as text, NULL = all areas */
  char *hot_version; /* the hot spots' data version in this snapshot */
  /* read by store_situation_open with the version, until taken: */
  PGresult *cells; /* the counts' cells (COUNTS_CELLS_SQL) */
  char *counts;    /* or the counts document (from_raw: COUNTS_SQL) */
  char *imprecise; /* all areas: the "imprecise" member */
  char *context;
};

/* Array literals of the bucket ranges b[0..n): areas, from, to (est_buf, caller frees). */
static void bucket_arrays(const est_situation_bucket *b, size_t n, est_buf out[3]) {
  for (int k = 0; k < 3; k++) {
    out[k] = (est_buf)EST_BUF_INIT;
    est_buf_puts(&out[k], "{");
  }
  for (size_t i = 0; i < n; i++) {
    char f[11], t[11];
    est_date_format(b[i].from, f, sizeof f);
    est_date_format(b[i].to, t, sizeof t);
    est_buf_printf(&out[0], "%s%lld", i ? "," : "", b[i].area);
    est_buf_printf(&out[1], "%s%s", i ? "," : "", f);
    est_buf_printf(&out[2], "%s%s", i ? "," : "", t);
  }
  for (int k = 0; k < 3; k++) est_buf_puts(&out[k], "}");
}

/* The parameters of version_stmt for q (version_params_free). */
typedef struct version_params {
  est_buf a[3], h[3];
  char ab[24];
  const char *p[8];
} version_params;

static void version_params_free(version_params *vp) {
  for (int k = 0; k < 3; k++) {
    est_buf_free(&vp->a[k]);
    est_buf_free(&vp->h[k]);
  }
}

static est_result version_params_make(const est_situation_query *q, version_params *vp) {
  est_situation_bucket b[EST_SITUATION_BUCKETS_MAX], hb[EST_SITUATION_BUCKETS_MAX];
  bucket_arrays(b, est_situation_buckets(q, b), vp->a);
  bucket_arrays(hb, est_situation_hotspot_buckets(q, hb), vp->h);
  bool oom = false;
  for (int k = 0; k < 3; k++) oom = oom || vp->a[k].oom || vp->h[k].oom;
  if (oom) {
    version_params_free(vp);
    return EST_ENOMEM;
  }
  const char *p[8] = {vp->a[0].data,
                      vp->a[1].data,
                      vp->a[2].data,
                      q->detail ? "true" : "false",
                      q->area_id ? store_lld(vp->ab, q->area_id) : NULL,
                      vp->h[0].data,
                      vp->h[1].data,
                      vp->h[2].data};
  memcpy(vp->p, p, sizeof p);
  return EST_OK;
}

/* Takes the version row r (cleared): the data version, freshness and (hot
 * non-NULL) the hot spots' version; *area_ok (when non-NULL): whether the
 * query's area exists. */
static est_result version_take(PGresult *r, char **version, char **freshness, char **hot, bool *area_ok) {
  *version = *freshness = NULL;
  if (hot) *hot = NULL;
  est_result rc = EST_OK;
  if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0) || PQgetisnull(r, 0, 1) || PQgetisnull(r, 0, 2) ||
      PQgetisnull(r, 0, 3)) {
    rc = EST_EINTERNAL;
  } else {
    if (area_ok) *area_ok = PQgetvalue(r, 0, 3)[0] == 't';
    *version = strdup(PQgetvalue(r, 0, 0));
    *freshness = strdup(PQgetvalue(r, 0, 2));
    if (hot) *hot = strdup(PQgetvalue(r, 0, 1));
    if (!*version || !*freshness || (hot && !*hot)) {
      free(*version);
      free(*freshness);
      if (hot) free(*hot);
      *version = *freshness = NULL;
      if (hot) *hot = NULL;
      rc = EST_ENOMEM;
    }
  }
  PQclear(r);
  return rc;
}

/* The counts and context statements of q (see store_situation_counts). */
static const est_stmt *counts_stmt(const store_situation_snap *s, const est_situation_query *q) {
  return q->from_raw ? (s->area ? &counts_area_raw : &counts_all_raw) : s->area ? &counts_area : &counts_all;
}
static const est_stmt *context_of(const est_situation_query *q) { return q->from_raw ? &context_raw : &context_stmt; }

est_result store_situation_open(est_pool *pool, const est_situation_query *q, bool rows, store_situation_snap **out,
                                char **version, char **freshness) {
  *out = NULL;
  *version = *freshness = NULL;
  store_situation_snap *s = calloc(1, sizeof *s);
  if (!s) return EST_ENOMEM;
  s->pool = pool;
  s->area = q->area_id ? store_lld(s->area_buf, q->area_id) : NULL;
  version_params vp;
  est_result rc = version_params_make(q, &vp);
  if (rc != EST_OK) {
    free(s);
    return rc;
  }
  if ((rc = est_pool_acquire(pool, &s->c)) != EST_OK) {
    version_params_free(&vp);
    free(s);
    return rc;
  }
  /* One snapshot: the version, counts, hot spots, context and GeoJSON parts
   * agree with each other; the version (first statement) names the snapshot.
   * One round trip (a pipeline) opens it and reads the version, the counts
   * and the context, which every picture needs: under intake each batch
   * changes the picture, and on a busy machine every round trip waits to be
   * scheduled on both sides. With it: no parallel workers (on the measured
   * 2-core machine their start-up cost more than they saved: a few thousand
   * rows per statement, and concurrent requests already use every core), and
   * generic plans: the picture's statements are prepared once per connection,
   * and a custom plan re-planned them per request (about 1 ms each, most of it
   * considering every monthly partition before pruning); a generic plan
   * prunes the partitions of the period's bounds when it starts. */
  const char *cp[8] = {s->area, q->from, q->to, q->prev_from, q->prev_to, q->ya_from, q->ya_to, q->bucket};
  const char *xp[3] = {s->area, q->from, q->to};
  est_db_item it[] = {
      {.sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"},
      {.sql = "SET LOCAL max_parallel_workers_per_gather = 0"},
      {.sql = "SET LOCAL plan_cache_mode = force_generic_plan"},
      {.stmt = &version_stmt, .params = vp.p},
      {.stmt = counts_stmt(s, q), .params = cp},
      {.stmt = context_of(q), .params = xp},
      {.stmt = &counts_imprecise, .params = cp + 1}, /* all areas only */
  };
  size_t n = !rows ? 4 : sizeof it / sizeof *it - (s->area ? 1 : 0);
  rc = est_db_exec_batch(s->c, it, n, NULL);
  version_params_free(&vp);
  for (int i = 0; i < 3; i++) PQclear(it[i].out);
  bool area_ok = false;
  if (rc == EST_OK) {
    rc = version_take(it[3].out, version, freshness, &s->hot_version, &area_ok);
    if (rows) {
      est_result rc2 = EST_OK;
      if (q->from_raw) rc2 = take_text(it[4].out, &s->counts);
      else s->cells = it[4].out;
      est_result rc3 = take_text(it[5].out, &s->context);
      est_result rc4 = n > 6 ? take_text(it[6].out, &s->imprecise) : EST_OK;
      if (rc == EST_OK) rc = rc2 != EST_OK ? rc2 : rc3 != EST_OK ? rc3 : rc4;
    }
  }
  if (rc == EST_OK && !area_ok) rc = EST_ENOTFOUND;
  if (rc != EST_OK) {
    free(*version);
    free(*freshness);
    *version = *freshness = NULL;
    return store_situation_close(s, rc);
  }
  *out = s;
  return EST_OK;
}

est_result store_situation_close(store_situation_snap *s, est_result rc) {
  if (!s) return rc;
  rc = s->c ? store_tx_end(s->pool, s->c, rc) : rc;
  free(s->hot_version);
  PQclear(s->cells);
  free(s->counts);
  free(s->imprecise);
  free(s->context);
  free(s);
  return rc;
}

const char *store_situation_hot_version(const store_situation_snap *s) { return s->hot_version; }

/* Hands over a text read by store_situation_open. */
static est_result take_read(char **slot, char **out) {
  *out = *slot;
  *slot = NULL;
  return *out ? EST_OK : EST_EINTERNAL;
}

/* A text column of the cells, NULL for SQL NULL. */
static const char *cell_text(const PGresult *r, int i, int col) {
  return PQgetisnull(r, i, col) ? NULL : PQgetvalue(r, i, col);
}
static long long cell_ll(const PGresult *r, int i, int col) {
  return PQgetisnull(r, i, col) ? 0 : strtoll(PQgetvalue(r, i, col), NULL, 10);
}

/* The counts document of the cells r (COUNTS_CELLS_SQL) of query q. */
static est_result counts_from_cells(const PGresult *r, const est_situation_query *q, json_t **out) {
  enum { T, O, PER, S1, S2, S3, ID, DOW, HR, N, CK };
  int rows = PQntuples(r);
  size_t cap = (size_t)rows + 1;
  est_counts_cell *cells = calloc(cap, sizeof *cells);
  est_counts_hour *hours = calloc(cap, sizeof *hours);
  est_counts_area *areas = calloc(cap, sizeof *areas);
  est_counts_source *sources = calloc(cap, sizeof *sources);
  est_counts_category *cats = calloc(cap, sizeof *cats);
  est_counts_party *parties = calloc(cap, sizeof *parties);
  est_counts_rows in = {.cells = cells,
                        .hours = hours,
                        .areas = areas,
                        .sources = sources,
                        .categories = cats,
                        .parties = parties,
                        .by_week = strcmp(q->bucket, "week") == 0,
                        .from = q->period.from,
                        .to = q->period.to};
  est_result rc = cells && hours && areas && sources && cats && parties ? EST_OK : EST_ENOMEM;
  for (int i = 0; rc == EST_OK && i < rows; i++) {
    long long id = cell_ll(r, i, ID), n = cell_ll(r, i, N), ck = cell_ll(r, i, CK);
    switch (cell_ll(r, i, T)) {
    case 0: cells[in.ncells++] = (est_counts_cell){(int)cell_ll(r, i, PER), cell_text(r, i, S1), id, n, ck}; break;
    case 1:
      hours[in.nhours++] = (est_counts_hour){est_date_from_days((long)cell_ll(r, i, O)), (int)cell_ll(r, i, DOW),
                                             (int)cell_ll(r, i, HR), n, ck};
      break;
    case 2:
      areas[in.nareas++] =
          (est_counts_area){id, cell_text(r, i, S1), cell_text(r, i, S2), !PQgetisnull(r, i, N), n, ck};
      break;
    case 3: sources[in.nsources++] = (est_counts_source){id, n, cell_text(r, i, S1), cell_text(r, i, S2)}; break;
    case 4:
      cats[in.ncategories++] = (est_counts_category){cell_text(r, i, S1), cell_text(r, i, S2), cell_text(r, i, S3)};
      break;
    case 5: parties[in.nparties++] = (est_counts_party){id, cell_text(r, i, S1), cell_text(r, i, S2)}; break;
    default: rc = EST_EINTERNAL;
    }
  }
  if (rc == EST_OK) rc = est_counts_document(&in, out);
  free(cells);
  free(hours);
  free(areas);
  free(sources);
  free(cats);
  free(parties);
  return rc;
}

est_result store_situation_counts(store_situation_snap *s, const est_situation_query *q, json_t **out) {
  *out = NULL;
  est_result rc = EST_EINTERNAL;
  if (s->cells) {
    rc = counts_from_cells(s->cells, q, out);
    PQclear(s->cells);
    s->cells = NULL;
  } else if (s->counts) {
    *out = json_loads(s->counts, 0, NULL);
    rc = json_is_object(*out) ? EST_OK : EST_EINTERNAL;
    free(s->counts);
    s->counts = NULL;
  }
  if (rc == EST_OK && s->imprecise) { /* all areas */
    json_t *imp = json_loads(s->imprecise, 0, NULL);
    rc = imp && json_object_set_new(*out, "imprecise", imp) == 0 ? EST_OK : EST_EINTERNAL;
  }
  free(s->imprecise);
  s->imprecise = NULL;
  if (rc != EST_OK) {
    json_decref(*out);
    *out = NULL;
  }
  return rc;
}

est_result store_situation_points(store_situation_snap *s, const est_situation_query *q, est_hs_point **pts, size_t *n,
                                  int *ncat) {
  *pts = NULL;
  *n = 0;
  *ncat = 0;
  const char *pp[3] = {s->area, q->from, q->to};
  const est_stmt *st = q->from_raw ? (s->area ? &points_area_raw : &points_all_raw)
                       : s->area   ? &points_area
                                   : &points_all;
  est_db_item it = {.stmt = st, .params = pp, .binary = true};
  est_result rc = est_db_exec_batch(s->c, &it, 1, NULL);
  if (rc != EST_OK) return rc;
  PGresult *r = it.out;
  int rows = PQntuples(r);
  bool shape = PQnfields(r) == 1 && PQfformat(r, 0) == 1;
  size_t total = 0;
  for (int i = 0; shape && i < rows; i++) {
    int len = PQgetlength(r, i, 0);
    shape = !PQgetisnull(r, i, 0) && len >= 4;
    total += shape ? (size_t)(len - 4) / EST_HS_PACKED : 0;
  }
  est_hs_point *v = shape ? malloc((total ? total : 1) * sizeof *v) : NULL;
  size_t kept = 0;
  int nc = 0;
  for (int i = 0; v && i < rows; i++) {
    long long got =
        est_hotspot_unpack((const unsigned char *)PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0), v + kept);
    if (got < 0) {
      shape = false;
      break;
    }
    if (got > 0 && v[kept].cat >= nc) nc = v[kept].cat + 1;
    kept += (size_t)got;
  }
  PQclear(r);
  if (!shape) {
    free(v);
    return EST_EINTERNAL;
  }
  if (!v) return EST_ENOMEM;
  *pts = v;
  *n = kept;
  *ncat = nc;
  return EST_OK;
}

est_result store_situation_hotspots(store_situation_snap *s, const est_situation_query *q, const est_hs_cluster *cl,
                                    int k, int ncat, char **out) {
  if (k <= 0) {
    *out = strdup("[]");
    return *out ? EST_OK : EST_ENOMEM;
  }
  /* Array literals: one element per hot spot, and per (hot spot, category). */
  est_buf rank = EST_BUF_INIT, cnt = EST_BUF_INIT, cx = EST_BUF_INIT, cy = EST_BUF_INIT, hull = EST_BUF_INIT;
  est_buf crank = EST_BUF_INIT, cord = EST_BUF_INIT, ccnt = EST_BUF_INIT, ck = EST_BUF_INIT, cck = EST_BUF_INIT;
  est_buf *all[] = {&rank, &cnt, &cx, &cy, &hull, &crank, &cord, &ccnt, &ck, &cck};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) est_buf_puts(all[i], "{");
  bool cfirst = true;
  for (int h = 0; h < k; h++) {
    const char *sep = h ? "," : "";
    est_buf_printf(&rank, "%s%d", sep, h + 1);
    est_buf_printf(&cnt, "%s%lld", sep, cl[h].n);
    est_buf_printf(&ck, "%s%u", sep, cl[h].ck);
    est_buf_printf(&cx, "%s%.17g", sep, cl[h].cx);
    est_buf_printf(&cy, "%s%.17g", sep, cl[h].cy);
    est_buf_printf(&hull, "%s\"MULTIPOINT(", sep);
    for (size_t v = 0; v < cl[h].hull_n; v++)
      est_buf_printf(&hull, "%s%.17g %.17g", v ? "," : "", cl[h].hull[2 * v], cl[h].hull[2 * v + 1]);
    est_buf_puts(&hull, ")\"");
    for (int cat = 0; cat < ncat; cat++) {
      if (cl[h].cat_counts[cat] == 0) continue;
      const char *cs = cfirst ? "" : ",";
      est_buf_printf(&crank, "%s%d", cs, h + 1);
      est_buf_printf(&cord, "%s%d", cs, cat);
      est_buf_printf(&ccnt, "%s%lld", cs, cl[h].cat_counts[cat]);
      est_buf_printf(&cck, "%s%u", cs, cl[h].cat_ck[cat]);
      cfirst = false;
    }
  }
  bool oom = false;
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    est_buf_puts(all[i], "}");
    oom = oom || all[i]->oom;
  }
  char eps[32], grid[16];
  snprintf(eps, sizeof eps, "%.3f", q->eps_m);
  snprintf(grid, sizeof grid, "%d", EST_DISCLOSURE_GRID_M);
  est_result rc;
  if (oom) {
    rc = EST_ENOMEM;
  } else {
    const char *p[15] = {q->from,   q->to,      eps,       q->detail ? "true" : "false",
                         rank.data, cnt.data,   cx.data,   cy.data,
                         hull.data, crank.data, cord.data, ccnt.data,
                         ck.data,   cck.data,   grid};
    rc = exec_text(s->c, &hotspot_details, p, out);
  }
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) est_buf_free(all[i]);
  return rc;
}

est_result store_situation_context(store_situation_snap *s, char **out) { return take_read(&s->context, out); }

est_result store_situation_geo_areas(store_situation_snap *s, const est_situation_query *q, char **out) {
  (void)q;
  const char *p[1] = {s->area};
  return exec_text(s->c, &geo_areas, p, out);
}

est_result store_situation_geo_events(store_situation_snap *s, const est_situation_query *q, int limit, char **out) {
  char lim[24], vb[24];
  const char *vis = q->rows == EST_ROWS_ALL ? NULL : store_lld(vb, q->rows == EST_ROWS_PARTY ? q->rows_party : 0);
  const char *p[5] = {s->area, q->from, q->to, store_lld(lim, (long long)limit), vis};
  return exec_text(s->c, s->area ? &geo_events_area : &geo_events_all, p, out);
}

est_result store_situation_version(est_pool *pool, const est_situation_query *q, char **version, char **freshness) {
  *version = *freshness = NULL;
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc == EST_OK) {
    version_params vp;
    rc = version_params_make(q, &vp);
    PGresult *r = NULL;
    if (rc == EST_OK) {
      rc = est_db_exec(c, &version_stmt, vp.p, &r, NULL);
      version_params_free(&vp);
    }
    if (rc == EST_OK) rc = version_take(r, version, freshness, NULL, NULL);
    est_pool_release(pool, c);
  }
  return rc;
}
