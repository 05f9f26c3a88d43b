/* situation.c - SQL of the situational picture (see store_situation.h).
 *
 * Time: every period bound is a local date turned into an instant with
 * AT TIME ZONE 'Europe/Stockholm', and every bucket (day, ISO week, weekday,
 * hour) is taken from occurred_at AT TIME ZONE 'Europe/Stockholm', so the
 * daylight-saving changes and ISO weeks across new year fall right.
 *
 * Per area the queries read event_areas (covering index on (area_id,
 * occurred_at)); the all-areas view reads events (partial covering index of
 * incidents on occurred_at), so events outside every area count only there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/store_situation.h"
#include "estd/store_util.h"

#define TZ "'Europe/Stockholm'"
#define TS(n) "($" #n "::date::timestamp AT TIME ZONE " TZ ")"

/* ---- counts ------------------------------------------------------------
 * One pass over the three periods' incidents with GROUPING SETS. The
 * GROUPING(category, party_id, b, dow, hr) bitmask tells the sets apart:
 * 31 = (per), 15 = category, 23 = party, 27 = bucket, 29 = weekday, 30 = hour.
 * $1 area (or NULL), $2..$7 from/to of current, previous, year-ago, $8 bucket. */
#define COUNTS_SQL(SRC)                                                                                       \
  "WITH r AS ("                                                                                               \
  " SELECT 0 AS per, occurred_at, category, party_id FROM " SRC " AND occurred_at >= " TS(2)                  \
  "   AND occurred_at < " TS(3) " UNION ALL"                                                                  \
  " SELECT 1, occurred_at, category, party_id FROM " SRC " AND occurred_at >= " TS(4) " AND occurred_at < " TS( \
      5) " UNION ALL"                                                                                         \
  " SELECT 2, occurred_at, category, party_id FROM " SRC " AND occurred_at >= " TS(6) " AND occurred_at < " TS( \
      7) "),"                                                                                                 \
  " x AS (SELECT per, category, party_id,"                                                                    \
  "   CASE WHEN $8::text = 'week' THEN date_trunc('week', lt)::date ELSE lt::date END AS b,"                  \
  "   extract(isodow FROM lt)::int AS dow, extract(hour FROM lt)::int AS hr"                                  \
  "   FROM (SELECT per, category, party_id, CASE WHEN per = 0 THEN occurred_at AT TIME ZONE " TZ " END AS lt" \
  "         FROM r) y),"                                                                                      \
  " g AS MATERIALIZED (SELECT per, category, party_id, b, dow, hr, count(*) AS n,"                            \
  "   GROUPING(category, party_id, b, dow, hr) AS gs FROM x"                                                  \
  "   GROUP BY GROUPING SETS ((per), (per, category), (per, party_id), (per, b), (per, dow), (per, hr)))"     \
  " SELECT json_build_object("                                                                                \
  "  'total', json_build_object("                                                                             \
  "     'count', COALESCE((SELECT n FROM g WHERE gs = 31 AND per = 0), 0),"                                   \
  "     'previous', COALESCE((SELECT n FROM g WHERE gs = 31 AND per = 1), 0),"                                \
  "     'year_ago', COALESCE((SELECT n FROM g WHERE gs = 31 AND per = 2), 0)),"                               \
  "  'by_category', (SELECT json_agg(json_build_object('code', c.code, 'label_sv', c.label_sv,"               \
  "     'label_en', c.label_en,"                                                                              \
  "     'count', COALESCE((SELECT n FROM g WHERE gs = 15 AND per = 0 AND g.category = c.code), 0),"           \
  "     'previous', COALESCE((SELECT n FROM g WHERE gs = 15 AND per = 1 AND g.category = c.code), 0),"        \
  "     'year_ago', COALESCE((SELECT n FROM g WHERE gs = 15 AND per = 2 AND g.category = c.code), 0))"        \
  "     ORDER BY c.ordinal) FROM event_categories c),"                                                        \
  "  'by_party', (SELECT json_agg(json_build_object('party_id', p.id, 'code', p.code, 'name', p.name,"        \
  "     'count', COALESCE((SELECT n FROM g WHERE gs = 23 AND per = 0 AND g.party_id = p.id), 0),"             \
  "     'previous', COALESCE((SELECT n FROM g WHERE gs = 23 AND per = 1 AND g.party_id = p.id), 0),"          \
  "     'year_ago', COALESCE((SELECT n FROM g WHERE gs = 23 AND per = 2 AND g.party_id = p.id), 0))"          \
  "     ORDER BY p.id) FROM parties p),"                                                                      \
  "  'series', (SELECT json_agg(json_build_object('start', s.d::date,"                                        \
  "     'count', COALESCE((SELECT n FROM g WHERE gs = 27 AND per = 0 AND g.b = s.d::date), 0)) ORDER BY s.d)" \
  "     FROM generate_series(CASE WHEN $8::text = 'week' THEN date_trunc('week', $2::date) ELSE $2::date END," \
  "       $3::date - 1, CASE WHEN $8::text = 'week' THEN interval '1 week' ELSE interval '1 day' END) s(d)),"  \
  "  'by_weekday', (SELECT json_agg(json_build_object('weekday', w,"                                          \
  "     'name', (ARRAY['Mon','Tue','Wed','Thu','Fri','Sat','Sun'])[w],"                                       \
  "     'count', COALESCE((SELECT n FROM g WHERE gs = 29 AND per = 0 AND g.dow = w), 0)) ORDER BY w)"         \
  "     FROM generate_series(1, 7) w),"                                                                       \
  "  'by_hour', (SELECT json_agg(json_build_object('hour', h,"                                                \
  "     'count', COALESCE((SELECT n FROM g WHERE gs = 30 AND per = 0 AND g.hr = h), 0)) ORDER BY h)"          \
  "     FROM generate_series(0, 23) h))::text"

static const est_stmt counts_area = {
    "situation_counts_area", COUNTS_SQL("event_areas WHERE area_id = $1 AND kind = 'incident'"), 8};
static const est_stmt counts_all = {
    "situation_counts_all", COUNTS_SQL("events WHERE $1::bigint IS NULL AND kind = 'incident'"), 8};

/* ---- hot spots ----------------------------------------------------------
 * DBSCAN over the period's incidents in SWEREF 99 TM (EPSG:3006, metres).
 * The hull is the convex hull of the cluster, or a 25 m buffer of it when it
 * is not a polygon (fewer than 3 distinct or collinear points). Without the
 * detail scope it is shown buffered by another 25 m, so its vertices are not
 * incident locations. Presence: patrols/activities of the period whose point
 * or track intersects the hull buffered by eps.
 * $1 area, $2/$3 period, $4 eps, $5 minpoints, $6 detail. */
#define HOTSPOT_SQL(PTS)                                                                                       \
  "WITH pts AS (" PTS "),"                                                                                     \
  " cl AS MATERIALIZED (SELECT id, category, g,"                                                               \
  "   ST_ClusterDBSCAN(g, eps := $4::float8, minpoints := $5::int) OVER () AS cid FROM pts),"                  \
  " hs AS (SELECT cid, count(*) AS n, ST_ConvexHull(ST_Collect(g)) AS hull, ST_Centroid(ST_Collect(g)) AS c"   \
  "   FROM cl WHERE cid IS NOT NULL GROUP BY cid),"                                                            \
  " hs2 AS (SELECT cid, n, c, CASE WHEN ST_GeometryType(hull) = 'ST_Polygon' THEN hull"                        \
  "   ELSE ST_Buffer(hull, 25, 8) END AS poly FROM hs),"                                                       \
  " ranked AS (SELECT cid, n, c, row_number() OVER (ORDER BY n DESC, cid) AS rank,"                            \
  "   CASE WHEN $6::bool THEN poly ELSE ST_Buffer(poly, 25, 4) END AS shown,"                                  \
  "   ST_Transform(ST_Buffer(poly, $4::float8, 8), 4326) AS zone FROM hs2)"                                    \
  " SELECT COALESCE(json_agg(json_build_object("                                                               \
  "   'rank', k.rank, 'incident_count', k.n,"                                                                  \
  "   'centroid', json_build_object('lat', round(ST_Y(ST_Transform(k.c, 4326))::numeric, 6),"                  \
  "                                 'lon', round(ST_X(ST_Transform(k.c, 4326))::numeric, 6)),"                 \
  "   'hull', ST_AsGeoJSON(ST_Transform(k.shown, 4326), 6, 0)::json,"                                          \
  "   'by_category', (SELECT json_agg(json_build_object('code', ec.code, 'label_sv', ec.label_sv,"             \
  "       'label_en', ec.label_en, 'count', bc.n) ORDER BY ec.ordinal)"                                        \
  "     FROM (SELECT category, count(*) AS n FROM cl WHERE cl.cid = k.cid GROUP BY category) bc"               \
  "     JOIN event_categories ec ON ec.code = bc.category),"                                                   \
  "   'presence', (SELECT json_build_object("                                                                  \
  "       'patrols', json_build_object('count', count(*) FILTER (WHERE e.kind = 'patrol'),"                    \
  "          'duration_s', COALESCE(sum(e.duration_s) FILTER (WHERE e.kind = 'patrol'), 0)),"                  \
  "       'activities', json_build_object('count', count(*) FILTER (WHERE e.kind = 'activity'),"               \
  "          'duration_s', COALESCE(sum(e.duration_s) FILTER (WHERE e.kind = 'activity'), 0)))"                \
  "     FROM events e WHERE e.kind <> 'incident' AND e.occurred_at >= " TS(2) " AND e.occurred_at < " TS(3)      \
  "       AND (ST_Intersects(e.geom, k.zone) OR (e.track IS NOT NULL AND ST_Intersects(e.track, k.zone))))"    \
  "   ) ORDER BY k.rank), '[]')::text FROM ranked k WHERE k.rank <= 50"

static const est_stmt hotspots_area = {
    "situation_hotspots_area",
    HOTSPOT_SQL("SELECT e.id, e.category, ST_Transform(e.geom, 3006) AS g FROM event_areas ea"
                " JOIN events e ON e.id = ea.event_id WHERE ea.area_id = $1 AND ea.kind = 'incident'"
                " AND ea.occurred_at >= " TS(2) " AND ea.occurred_at < " TS(3) " AND e.geom IS NOT NULL"),
    6};
static const est_stmt hotspots_all = {
    "situation_hotspots_all",
    HOTSPOT_SQL("SELECT e.id, e.category, ST_Transform(e.geom, 3006) AS g FROM events e"
                " WHERE $1::bigint IS NULL AND e.kind = 'incident' AND e.occurred_at >= " TS(2)
                " AND e.occurred_at < " TS(3) " AND e.geom IS NOT NULL"),
    6};

/* ---- context --------------------------------------------------------------
 * The area, patrol/activity presence per area (event_areas), the focuses
 * and commitments concerning the area (linked to it or to an area whose
 * interior overlaps it; all when no area), and data freshness.
 * $1 area (or NULL), $2/$3 period. */
#define CONCERNS(x)                                                                                            \
  "($1::bigint IS NULL OR " x " = $1 OR EXISTS (SELECT 1 FROM areas a1, areas a2 WHERE a1.id = $1"            \
  " AND a2.id = " x " AND ST_Intersects(a1.geom, a2.geom) AND NOT ST_Touches(a1.geom, a2.geom)))"

static const est_stmt context_stmt = {
    "situation_context",
    "SELECT json_build_object("
    " 'area', (SELECT json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'kind', a.kind)"
    "   FROM areas a WHERE a.id = $1),"
    " 'presence', (SELECT COALESCE(json_agg(json_build_object('area_id', a.id, 'code', a.code, 'name', a.name,"
    "     'patrols', json_build_object('count', pr.pc, 'duration_s', pr.pd),"
    "     'activities', json_build_object('count', pr.ac, 'duration_s', pr.ad)) ORDER BY a.id), '[]')"
    "   FROM areas a CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE ea.kind = 'patrol') AS pc,"
    "       COALESCE(sum(e.duration_s) FILTER (WHERE ea.kind = 'patrol'), 0) AS pd,"
    "       count(*) FILTER (WHERE ea.kind = 'activity') AS ac,"
    "       COALESCE(sum(e.duration_s) FILTER (WHERE ea.kind = 'activity'), 0) AS ad"
    "     FROM event_areas ea JOIN events e ON e.id = ea.event_id"
    "     WHERE ea.area_id = a.id AND ea.kind IN ('patrol', 'activity')"
    "       AND ea.occurred_at >= " TS(2) " AND ea.occurred_at < " TS(3) ") pr"
    "   WHERE $1::bigint IS NULL OR a.id = $1),"
    " 'focuses', (SELECT COALESCE(json_agg(json_build_object('id', f.id, 'code', f.code, 'area_id', f.area_id,"
    "     'agreement_id', f.agreement_id, 'party_id', f.party_id, 'reason', f.reason, 'priority', f.priority,"
    "     'valid_from', f.valid_from, 'valid_to', f.valid_to,"
    "     'active', f.valid_from < $3::date AND (f.valid_to IS NULL OR f.valid_to >= $2::date))"
    "     ORDER BY f.priority, f.id), '[]') FROM area_focuses f WHERE " CONCERNS("f.area_id") "),"
    " 'commitments', (SELECT COALESCE(json_agg(json_build_object('id', c.id, 'code', c.code, 'text', c.text,"
    "     'status', c.status, 'agreement_id', c.agreement_id,"
    "     'area_ids', (SELECT json_agg(x.area_id ORDER BY x.area_id) FROM commitment_areas x"
    "                  WHERE x.commitment_id = c.id)) ORDER BY c.id), '[]')"
    "   FROM commitments c WHERE EXISTS (SELECT 1 FROM commitment_areas ca WHERE ca.commitment_id = c.id"
    "     AND " CONCERNS("ca.area_id") ")),"
    " 'freshness', json_build_object("
    "   'newest_occurred_at', (SELECT max(occurred_at) FROM events),"
    "   'newest_received_at', (SELECT received_at FROM events ORDER BY id DESC LIMIT 1),"
    "   'area_newest_occurred_at', (SELECT max(occurred_at) FROM event_areas WHERE area_id = $1),"
    "   'consumer_lag', NULL::bigint,"
    "   'consumer_lag_note', 'consumer lag per partition is exported as estd_consumer_lag_messages on /metrics')"
    ")::text",
    3};

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

static const est_stmt geo_events_area = {
    "situation_geo_events_area",
    "SELECT COALESCE(json_agg(j ORDER BY o, i), '[]')::text FROM (SELECT " GEO_EVENT_JSON " AS j,"
    " e.occurred_at AS o, e.id AS i FROM event_areas ea JOIN events e ON e.id = ea.event_id"
    " WHERE ea.area_id = $1 AND ea.occurred_at >= " TS(2) " AND ea.occurred_at < " TS(3)
    " AND e.geom IS NOT NULL ORDER BY ea.occurred_at, e.id LIMIT $4) s",
    4};
static const est_stmt geo_events_all = {
    "situation_geo_events_all",
    "SELECT COALESCE(json_agg(j ORDER BY o, i), '[]')::text FROM (SELECT " GEO_EVENT_JSON " AS j,"
    " e.occurred_at AS o, e.id AS i FROM events e"
    " WHERE $1::bigint IS NULL AND e.occurred_at >= " TS(2) " AND e.occurred_at < " TS(3)
    " AND e.geom IS NOT NULL ORDER BY e.occurred_at, e.id LIMIT $4) s",
    4};

static const est_stmt area_exists = {"situation_area_exists", "SELECT 1 FROM areas WHERE id = $1", 1};

/* Runs s and takes the single text value of its single row. */
static est_result exec_text(est_conn *c, const est_stmt *s, const char *const *params, char **out) {
  PGresult *r;
  *out = NULL;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  if (rc != EST_OK) return rc;
  if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
    PQclear(r);
    return EST_EINTERNAL;
  }
  *out = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  return *out ? EST_OK : EST_ENOMEM;
}

static est_result check_area(est_conn *c, const char *area) {
  if (!area) return EST_OK;
  PGresult *r;
  const char *p[1] = {area};
  est_result rc = est_db_exec(c, &area_exists, p, &r, NULL);
  if (rc != EST_OK) return rc;
  int n = PQntuples(r);
  PQclear(r);
  return n == 1 ? EST_OK : EST_ENOTFOUND;
}

est_result store_situation_get(est_pool *pool, const store_situation_query *q, char **counts, char **hotspots,
                               char **context) {
  *counts = *hotspots = *context = NULL;
  char ab[24], eps[32], mp[24];
  const char *area = q->area_id ? store_lld(ab, q->area_id) : NULL;
  snprintf(eps, sizeof eps, "%.3f", q->eps_m);
  store_lld(mp, q->min_points);
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  /* One snapshot: the counts, hot spots and freshness agree with each other. */
  rc = est_db_command(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (rc == EST_OK) rc = check_area(c, area);
  if (rc == EST_OK) {
    const char *p[8] = {area, q->from, q->to, q->prev_from, q->prev_to, q->ya_from, q->ya_to, q->bucket};
    rc = exec_text(c, area ? &counts_area : &counts_all, p, counts);
  }
  if (rc == EST_OK) {
    const char *p[6] = {area, q->from, q->to, eps, mp, q->detail ? "true" : "false"};
    rc = exec_text(c, area ? &hotspots_area : &hotspots_all, p, hotspots);
  }
  if (rc == EST_OK) {
    const char *p[3] = {area, q->from, q->to};
    rc = exec_text(c, &context_stmt, p, context);
  }
  if (rc == EST_OK) rc = est_db_command(c, "COMMIT");
  est_pool_release(pool, c); /* rolls back anything left open */
  if (rc != EST_OK) {
    free(*counts);
    free(*hotspots);
    free(*context);
    *counts = *hotspots = *context = NULL;
  }
  return rc;
}

est_result store_situation_geo(est_pool *pool, const store_situation_query *q, char **areas, char **events) {
  *areas = NULL;
  if (events) *events = NULL;
  char ab[24], lim[24];
  const char *area = q->area_id ? store_lld(ab, q->area_id) : NULL;
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  rc = check_area(c, area);
  if (rc == EST_OK) {
    const char *p[1] = {area};
    rc = exec_text(c, &geo_areas, p, areas);
  }
  if (rc == EST_OK && events && q->events_limit > 0) {
    const char *p[4] = {area, q->from, q->to, store_lld(lim, (long long)q->events_limit + 1)};
    rc = exec_text(c, area ? &geo_events_area : &geo_events_all, p, events);
  }
  est_pool_release(pool, c);
  if (rc != EST_OK) {
    free(*areas);
    *areas = NULL;
    if (events) {
      free(*events);
      *events = NULL;
    }
  }
  return rc;
}
