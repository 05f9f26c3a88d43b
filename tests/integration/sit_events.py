"""Inserting a fixed event set straight into a test database (the intake
is another module): events and event_areas consistently, with area
membership computed by ST_Contains against the seeded areas, and
occurred_at given as Europe/Stockholm local time."""
import itertools

import psycopg

from conftest import pg_url

_seq = itertools.count(1)

# Points inside the seeded (approximate) districts, lon/lat.
NORRBY = (12.9300, 57.7285)
HULTA = (12.9850, 57.7270)
HASSLEHOLMEN = (12.9750, 57.7370)
CENTRUM = (12.9400, 57.7200)
SJOBO = (12.9380, 57.7520)
KRISTINEBERG = (12.9250, 57.7080)
OUTSIDE = (12.9000, 57.6900)  # in Borås but in no seeded area

INSERT = """
WITH p AS (SELECT id FROM parties WHERE code = %(party)s),
     g AS (SELECT CASE WHEN %(lon)s::float8 IS NULL THEN NULL
                  ELSE ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) END AS geom),
     e AS (
  INSERT INTO events (source, source_event_id, party_id, kind, activity_type, category, occurred_at,
                      duration_s, geom, track, channel, area_ids)
  SELECT 'test', %(sid)s, p.id, %(kind)s, %(activity_type)s, %(category)s,
         %(local)s::timestamp AT TIME ZONE 'Europe/Stockholm', %(duration_s)s, g.geom,
         ST_GeomFromText(%(track)s, 4326), 'http',
         COALESCE((SELECT array_agg(a.id ORDER BY a.id) FROM areas a WHERE ST_Contains(a.geom, g.geom)), '{}')
  FROM p, g
  RETURNING id, geom, occurred_at, kind, category, party_id)
INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id)
SELECT e.id, a.id, e.occurred_at, e.kind, e.category, e.party_id FROM e JOIN areas a ON ST_Contains(a.geom, e.geom)
"""


def ev(kind, party, local, at=None, category=None, activity_type=None, duration_s=None, track=None, dx=0.0, dy=0.0):
    """One event row: kind incident|patrol|activity, party code, local
    Stockholm time 'YYYY-MM-DD HH:MM', position (lon, lat) + offset."""
    lon = lat = None
    if at is not None:
        lon, lat = at[0] + dx, at[1] + dy
    return {"kind": kind, "party": party, "local": local, "lon": lon, "lat": lat, "category": category,
            "activity_type": activity_type, "duration_s": duration_s, "track": track,
            "sid": "fixture-%d" % next(_seq)}


def insert(db, rows):
    with psycopg.connect(pg_url(db)) as c:
        with c.cursor() as cur:
            for r in rows:
                cur.execute(INSERT, r)
        c.commit()


def area_ids(server):
    return {code: i for i, code in server.sql("SELECT id, code FROM areas")}


def party_ids(server):
    return {code: i for i, code in server.sql("SELECT id, code FROM parties")}
