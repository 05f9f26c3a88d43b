"""Presence around a hot spot: the patrols and activities of the period
whose point or track intersects the hot spot's zone (its hull buffered by
eps_m, src/store/situation.c hotspot_details), each counted once.

The statement finds the points by an index-only probe of the zone's
bounding box (migration 0150) and the tracks separately; these fix what
that must keep: a point just inside / just outside the zone, a track
crossing the zone without a point, an event with both (point outside and
track through, point inside and track through: once), a point inside the
bounding box but outside the round zone, and the period's bounds.

Fixture: 6 incidents at one spot P in Hulta (2024-W30): one hot spot whose
hull is the spot itself, so its zone is P buffered by 25 m (the hull of a
point) and by eps = 150 m: a polygon between 174.2 m (the inscribed circle
of its 32-gon approximations) and 175 m around P. Positions are given as
offsets in metres in SWEREF 99 TM (EPSG:3006) from P."""
import pytest

from sit_events import HULTA, area_ids, ev, insert

WEEK = "2024-W30"  # 2024-07-22 .. 07-28
DAY = "2024-07-24"


def at(server, dx, dy):
    """(lon, lat) of P moved by (dx, dy) metres in EPSG:3006."""
    (lon, lat), = server.sql(
        "SELECT ST_X(t), ST_Y(t) FROM (SELECT ST_Transform(ST_Translate(ST_Transform("
        "ST_SetSRID(ST_MakePoint(%r, %r), 4326), 3006), %r, %r), 4326) t) s" % (HULTA[0], HULTA[1], dx, dy))
    return (lon, lat)


def track(server, *pts):
    return "LINESTRING(%s)" % ", ".join("%.9f %.9f" % at(server, dx, dy) for dx, dy in pts)


def patrol(server, t, dur, pt=None, tr=None, kind="patrol"):
    extra = {"activity_type": "trygghetsvandring"} if kind == "activity" else {}
    return ev(kind, "polisen-boras", t, at(server, *pt) if pt else None, duration_s=dur,
              track=track(server, *tr) if tr else None, **extra)


@pytest.fixture(scope="module")
def data(estd):
    s = estd
    rows = [ev("incident", "polisen-boras", "%s 2%d:00" % (DAY, i % 4), HULTA, "klotter") for i in range(6)]
    t = DAY + " 20:00"
    rows += [
        patrol(s, t, 1, pt=(172, 0)),                                # A: just inside (east)
        patrol(s, t, 2, pt=(0, -172)),                               # B: just inside (south)
        patrol(s, t, 4, pt=(178, 0)),                                # C: just outside
        patrol(s, t, 8, pt=(130, 130)),                              # D: in the bounding box, outside the zone
        patrol(s, t, 16, tr=((-400, 100), (400, 100))),              # E: track through, no point
        patrol(s, t, 32, pt=(300, 0), tr=((-400, -50), (400, -50))),  # F: point outside, track through: once
        patrol(s, t, 64, pt=(50, 0), tr=((-400, 0), (400, 0))),       # G: point inside, track through: once
        patrol(s, t, 128, tr=((-400, 300), (400, 300))),             # H: track past the zone
        patrol(s, "2024-07-29 00:30", 256, pt=(10, 0)),              # I: inside, the next week (local time)
        patrol(s, "2024-07-21 23:30", 512, pt=(10, 0)),              # J: inside, the week before
        patrol(s, "2024-07-22 00:05", 1024, pt=(-20, 0)),            # K: inside, the week's first minutes
        patrol(s, t, 2048, pt=(0, 100), kind="activity"),            # L: activity inside
        patrol(s, t, 4096, pt=(-178, 0), kind="activity"),           # M: activity just outside
        patrol(s, t, 8192, tr=((-100, -400), (-100, 400)), kind="activity"),  # N: activity track through
    ]
    insert(s.db, rows)
    return area_ids(s)


def hot_spot(estd, **params):
    r = estd.get("/v1/situation", params={"week": WEEK, **params})
    assert r.status_code == 200, r.text
    hs = r.json()["hot_spots"]
    assert len(hs) == 1 and hs[0]["incident_count"] == 6, hs
    return hs[0]


def test_presence_inside_the_zone_counted_once(estd, data):
    for params in ({"area_id": data["hulta"]}, {}):
        p = hot_spot(estd, **params)["presence"]
        # patrols A, B, E, F, G, K; activities L, N
        assert p["patrols"] == {"count": 6, "duration_s": 1 + 2 + 16 + 32 + 64 + 1024, "suppressed": False}, p
        assert p["activities"] == {"count": 2, "duration_s": 2048 + 8192, "suppressed": False}, p


def test_presence_zone_follows_eps(estd, data):
    # eps 200 m: the zone reaches ~225 m, so C (178 m), D (184 m), M (178 m) are in; H (300 m) still out.
    p = hot_spot(estd, area_id=data["hulta"], eps_m=200)["presence"]
    assert p["patrols"]["count"] == 8 and p["patrols"]["duration_s"] == 1 + 2 + 4 + 8 + 16 + 32 + 64 + 1024
    assert p["activities"]["count"] == 3 and p["activities"]["duration_s"] == 2048 + 4096 + 8192
    # eps 10 m: only G (its point, 50 m, is out, but its track passes P) and K (20 m), N's track at 100 m is out
    p = hot_spot(estd, area_id=data["hulta"], eps_m=10)["presence"]
    assert p["patrols"] == {"count": 2, "duration_s": 64 + 1024, "suppressed": False}, p
    assert p["activities"] == {"count": 0, "duration_s": 0, "suppressed": False}, p
