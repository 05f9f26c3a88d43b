"""The situational picture (lägesbild): counts, CompStat changes, time zone
bucketing, hot spots, presence, GeoJSON and disclosure control, over a
fixed event set inserted with SQL (expected values computed by hand below).

Fixture (Europe/Stockholm local times):
  2024-W10 (Mon 03-04 .. Sun 03-10), Norrby:
    cluster of 8 incidents within ~25 m of NORRBY:
      skadegorelse x5: police 03-04 22:15, 03-05 22:40, 03-06 23:10; boras-stad 03-08 22:05, 03-09 21:30
      klotter x3: ab-bostader 03-09 02:00, 03-10 02:30, 03-10 14:00
    narkotika x1 police 03-07 12:00 at the far corner of Norrby (~300 m from the cluster)
  2024-W10 elsewhere: Hulta 2 ordningsstorning (boras-stad, ~300 m apart), Centrum 1 narkotika (police),
    1 brand outside every area (police)
  2024-W09 Norrby: skadegorelse x2 (police), klotter x3 (ab-bostader), scattered
  2023-W10 Norrby: skadegorelse x10 (police), Mon..Fri
  presence W10: patrol P1 point at NORRBY 3600 s, patrol P2 track through the cluster (no point) 1800 s,
    patrol P3 at Hulta 600 s, activity A1 trygghetsvandring at the cluster 5400 s (boras-stad);
    patrol P4 at NORRBY in W09 999 s
  DST, Sjöbo, ovrigt: 2024-03-24 23:30 (W12), 03-25 00:30, 03-31 00:30, 03-31 03:30, 03-31 23:30 (W13),
    04-01 00:30 (W14)
  New year, Kristineberg, klotter: 2023-12-31 12:00 (2023-W52), 2024-01-03 12:00 (2024-W01),
    2024-12-29 23:59 (2024-W52), 2024-12-30 10:00 and 2025-01-05 23:59 (2025-W01), 2025-01-06 00:00 (2025-W02)
"""
import os
import re
import subprocess
from datetime import datetime, timezone

import pytest

from conftest import ESTD_BIN, SQL_DIR, Estd, assert_problem, pg_url
from sit_events import (CENTRUM, HULTA, KRISTINEBERG, NORRBY, OUTSIDE, SJOBO, area_ids, ev, insert, party_ids)

CORNER = (12.9255, 57.7300)  # inside Norrby, ~300 m from NORRBY
CLUSTER = [(-0.0003, -0.0002), (-0.00015, 0.0001), (0.0, 0.0), (0.00015, -0.0001), (0.0003, 0.0002),
           (0.0001, 0.0002), (-0.0002, 0.00015), (0.0002, -0.0002)]


def fixture_rows():
    rows = []
    skad = [("polisen-boras", "2024-03-04 22:15"), ("polisen-boras", "2024-03-05 22:40"),
            ("polisen-boras", "2024-03-06 23:10"), ("boras-stad", "2024-03-08 22:05"),
            ("boras-stad", "2024-03-09 21:30")]
    klot = ["2024-03-09 02:00", "2024-03-10 02:30", "2024-03-10 14:00"]
    for i, (party, t) in enumerate(skad):
        dx, dy = CLUSTER[i]
        rows.append(ev("incident", party, t, NORRBY, "skadegorelse", dx=dx, dy=dy))
    for i, t in enumerate(klot):
        dx, dy = CLUSTER[5 + i]
        rows.append(ev("incident", "ab-bostader", t, NORRBY, "klotter", dx=dx, dy=dy))
    rows.append(ev("incident", "polisen-boras", "2024-03-07 12:00", CORNER, "narkotika"))
    rows.append(ev("incident", "boras-stad", "2024-03-05 19:00", HULTA, "ordningsstorning"))
    rows.append(ev("incident", "boras-stad", "2024-03-06 19:00", HULTA, "ordningsstorning", dx=0.005))
    rows.append(ev("incident", "polisen-boras", "2024-03-06 13:00", CENTRUM, "narkotika"))
    rows.append(ev("incident", "polisen-boras", "2024-03-08 13:00", OUTSIDE, "brand"))
    # W09 Norrby, scattered (no cluster)
    w09 = [(-0.004, 0.0), (0.004, 0.0), (0.0, 0.0012), (-0.003, 0.0015), (0.003, -0.0015)]
    for i, (dx, dy) in enumerate(w09):
        cat, party = ("skadegorelse", "polisen-boras") if i < 2 else ("klotter", "ab-bostader")
        rows.append(ev("incident", party, "2024-02-2%d 12:00" % (6 + i % 3), NORRBY, cat, dx=dx, dy=dy))
    # 2023-W10 Norrby: 10 x skadegorelse, Mon 03-06 .. Fri 03-10
    for i in range(10):
        rows.append(ev("incident", "polisen-boras", "2023-03-%02d 1%d:00" % (6 + i % 5, i), NORRBY, "skadegorelse",
                       dx=0.00001 * i))
    # presence
    rows.append(ev("patrol", "polisen-boras", "2024-03-05 20:00", NORRBY, duration_s=3600))
    rows.append(ev("patrol", "polisen-boras", "2024-03-06 20:00", None, duration_s=1800,
                   track="LINESTRING(12.9260 57.7285, 12.9340 57.7285)"))
    rows.append(ev("patrol", "polisen-boras", "2024-03-06 21:00", HULTA, duration_s=600))
    rows.append(ev("activity", "boras-stad", "2024-03-07 18:00", NORRBY, activity_type="trygghetsvandring",
                   duration_s=5400, dx=0.0001))
    rows.append(ev("patrol", "polisen-boras", "2024-02-28 20:00", NORRBY, duration_s=999))
    # DST (Sjöbo)
    for t in ["2024-03-24 23:30", "2024-03-25 00:30", "2024-03-31 00:30", "2024-03-31 03:30", "2024-03-31 23:30",
              "2024-04-01 00:30"]:
        rows.append(ev("incident", "polisen-boras", t, SJOBO, "ovrigt"))
    # New year (Kristineberg)
    for t in ["2023-12-31 12:00", "2024-01-03 12:00", "2024-12-29 23:59", "2024-12-30 10:00", "2025-01-05 23:59",
              "2025-01-06 00:00"]:
        rows.append(ev("incident", "boras-stad", t, KRISTINEBERG, "klotter"))
    return rows


@pytest.fixture(scope="module")
def data(estd):
    insert(estd.db, fixture_rows())
    return {"area": area_ids(estd), "party": party_ids(estd)}


def sit(estd, **params):
    r = estd.get("/v1/situation", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def parse_ts(s):
    return datetime.fromisoformat(s)


def by(items, key):
    return {i[key]: i for i in items}


# ---- counts and changes ----------------------------------------------------------

def test_norrby_week_counts_and_changes(estd, data):
    doc = sit(estd, area_id=data["area"]["norrby"], week="2024-W10")
    assert doc["area"]["code"] == "norrby"
    assert doc["period"] == {"from": "2024-03-04", "to": "2024-03-11", "week": "2024-W10", "to_exclusive": True,
                             "time_zone": "Europe/Stockholm", "days": 7}
    assert doc["previous_period"] == {"from": "2024-02-26", "to": "2024-03-04", "week": "2024-W09"}
    assert doc["year_ago_period"] == {"from": "2023-03-06", "to": "2023-03-13", "week": "2023-W10"}
    assert doc["privacy"]["suppression_applied"] is False
    inc = doc["incidents"]
    t = inc["total"]
    assert (t["count"], t["previous"], t["year_ago"]) == (9, 5, 10)
    assert t["change_previous"] == {"absolute": 4, "percent": 80.0, "z": 1.53, "significant": False}
    assert t["change_year_ago"] == {"absolute": -1, "percent": -10.0, "z": -0.32, "significant": False}
    cats = by(inc["by_category"], "code")
    assert len(cats) == 14 and [c["code"] for c in inc["by_category"]][:2] == ["skadegorelse", "klotter"]
    assert cats["skadegorelse"]["label_sv"] == "Skadegörelse" and cats["skadegorelse"]["label_en"].startswith("Vandalism")
    s = cats["skadegorelse"]
    assert (s["count"], s["previous"], s["year_ago"]) == (5, 2, 10)
    assert s["change_previous"] == {"absolute": 3, "percent": 150.0, "z": 1.64, "significant": False}
    assert s["change_year_ago"] == {"absolute": -5, "percent": -50.0, "z": -1.85, "significant": False}
    k = cats["klotter"]
    assert (k["count"], k["previous"], k["year_ago"]) == (3, 3, 0)
    assert k["change_previous"] == {"absolute": 0, "percent": 0.0, "z": 0.0, "significant": False}
    assert k["change_year_ago"] == {"absolute": 3, "percent": None, "z": 3.46, "significant": True}  # zero baseline
    n = cats["narkotika"]
    assert (n["count"], n["previous"], n["year_ago"]) == (1, 0, 0)
    assert n["change_previous"] == {"absolute": 1, "percent": None, "z": 2.0, "significant": True}
    assert cats["brand"]["count"] == 0 and cats["brand"]["change_previous"] == {"absolute": 0, "percent": None, "z": 0.0, "significant": False}
    assert sum(c["count"] for c in inc["by_category"]) == 9
    # Poisson square-root test: 9 vs 5 is chance (z 1.53), 3 vs 0 is not (z 3.46 > 1.96).
    assert t["change_previous"]["significant"] is False and k["change_year_ago"]["significant"] is True
    # The weekday x hour table adds up to the total; every party is listed as a source.
    assert len(doc["by_weekday_hour"]) == 168 and sum(c["count"] for c in doc["by_weekday_hour"]) == 9
    for wd in doc["by_weekday"]:
        assert wd["count"] == sum(c["count"] for c in doc["by_weekday_hour"] if c["weekday"] == wd["weekday"])
    assert [a["code"] for a in doc["by_area"]] == ["norrby"] and doc["by_area"][0]["count"] == 9
    assert {src["code"] for src in doc["sources"]} == {"polisen-boras", "boras-stad", "ab-bostader"}
    parties = {p["code"]: (p["count"], p["previous"], p["year_ago"]) for p in inc["by_party"]}
    assert parties == {"polisen-boras": (4, 2, 10), "boras-stad": (2, 0, 0), "ab-bostader": (3, 3, 0)}


def test_norrby_week_series_weekday_hour(estd, data):
    doc = sit(estd, area_id=data["area"]["norrby"], week="2024-W10")
    assert doc["series"]["bucket"] == "day"
    assert [(i["start"], i["count"]) for i in doc["series"]["items"]] == [
        ("2024-03-04", 1), ("2024-03-05", 1), ("2024-03-06", 1), ("2024-03-07", 1), ("2024-03-08", 1),
        ("2024-03-09", 2), ("2024-03-10", 2)]
    assert [(w["weekday"], w["name"], w["count"]) for w in doc["by_weekday"]] == [
        (1, "Mon", 1), (2, "Tue", 1), (3, "Wed", 1), (4, "Thu", 1), (5, "Fri", 1), (6, "Sat", 2), (7, "Sun", 2)]
    hours = {h["hour"]: h["count"] for h in doc["by_hour"]}
    assert len(hours) == 24
    assert {h: c for h, c in hours.items() if c} == {2: 2, 12: 1, 14: 1, 21: 1, 22: 3, 23: 1}


def test_all_areas_counts_include_events_outside_areas(estd, data):
    doc = sit(estd, week="2024-W10")
    assert doc["area"] is None
    t = doc["incidents"]["total"]
    assert (t["count"], t["previous"], t["year_ago"]) == (13, 5, 10)
    cats = {c["code"]: c["count"] for c in doc["incidents"]["by_category"] if c["count"]}
    assert cats == {"skadegorelse": 5, "klotter": 3, "narkotika": 2, "ordningsstorning": 2, "brand": 1}
    # Hulta's incidents also count in the särskilt utsatt område that contains Hulta.
    suo = sit(estd, area_id=data["area"]["hassleholmen-hulta"], week="2024-W10")
    assert suo["incidents"]["total"]["count"] == 2


def test_from_to_is_inclusive_exclusive(estd, data):
    doc = sit(estd, area_id=data["area"]["norrby"], **{"from": "2024-03-04", "to": "2024-03-11"})
    assert doc["period"]["week"] is None and doc["period"]["days"] == 7
    assert doc["previous_period"] == {"from": "2024-02-26", "to": "2024-03-04", "week": None}
    assert doc["year_ago_period"] == {"from": "2023-03-04", "to": "2023-03-11", "week": None}
    t = doc["incidents"]["total"]
    assert (t["count"], t["previous"], t["year_ago"]) == (9, 5, 10)
    # to is exclusive: ending on Sunday 03-10 drops Sunday's two incidents.
    doc = sit(estd, area_id=data["area"]["norrby"], **{"from": "2024-03-04", "to": "2024-03-10"})
    assert doc["incidents"]["total"]["count"] == 7


def test_long_period_buckets_by_week(estd, data):
    doc = sit(estd, area_id=data["area"]["norrby"], **{"from": "2024-01-01", "to": "2024-04-01"})
    assert doc["series"]["bucket"] == "week"
    items = doc["series"]["items"]
    assert len(items) == 13 and items[0]["start"] == "2024-01-01" and items[-1]["start"] == "2024-03-25"
    assert {i["start"]: i["count"] for i in items if i["count"]} == {"2024-02-26": 5, "2024-03-04": 9}
    daily = sit(estd, area_id=data["area"]["norrby"], bucket="day", **{"from": "2024-01-01", "to": "2024-04-01"})
    assert len(daily["series"]["items"]) == 91


def test_daylight_saving_change_buckets(estd, data):
    doc = sit(estd, area_id=data["area"]["sjobo"], week="2024-W13")
    assert (doc["period"]["from"], doc["period"]["to"]) == ("2024-03-25", "2024-04-01")
    t = doc["incidents"]["total"]
    assert (t["count"], t["previous"]) == (4, 1)
    days = {i["start"]: i["count"] for i in doc["series"]["items"] if i["count"]}
    assert days == {"2024-03-25": 1, "2024-03-31": 3}
    hours = {h["hour"]: h["count"] for h in doc["by_hour"] if h["count"]}
    assert hours == {0: 2, 3: 1, 23: 1}
    assert {w["weekday"]: w["count"] for w in doc["by_weekday"] if w["count"]} == {1: 1, 7: 3}
    # 2024-04-01 00:30 CEST is 2024-03-31 22:30 UTC: it belongs to W14, Monday, hour 0.
    w14 = sit(estd, area_id=data["area"]["sjobo"], week="2024-W14")
    assert (w14["incidents"]["total"]["count"], w14["incidents"]["total"]["previous"]) == (1, 4)
    assert {h["hour"]: h["count"] for h in w14["by_hour"] if h["count"]} == {0: 1}


def test_iso_week_across_new_year(estd, data):
    doc = sit(estd, area_id=data["area"]["kristineberg"], week="2025-W01")
    assert (doc["period"]["from"], doc["period"]["to"]) == ("2024-12-30", "2025-01-06")
    assert doc["previous_period"]["week"] == "2024-W52"
    assert doc["year_ago_period"] == {"from": "2024-01-01", "to": "2024-01-08", "week": "2024-W01"}
    t = doc["incidents"]["total"]
    assert (t["count"], t["previous"], t["year_ago"]) == (2, 1, 1)
    days = {i["start"]: i["count"] for i in doc["series"]["items"] if i["count"]}
    assert days == {"2024-12-30": 1, "2025-01-05": 1}
    # 2020 has an ISO week 53; its year-ago week is 2019-W52.
    w53 = sit(estd, week="2020-W53")
    assert (w53["period"]["from"], w53["period"]["to"]) == ("2020-12-28", "2021-01-04")
    assert w53["year_ago_period"]["week"] == "2019-W52"


def test_default_period_is_current_iso_week(estd, data):
    doc = sit(estd)
    assert re.fullmatch(r"\d{4}-W\d{2}", doc["period"]["week"])
    assert doc["period"]["days"] == 7


def test_bad_parameters(estd, data):
    norrby = data["area"]["norrby"]
    for params, field in [({"week": "2024-W53"}, "week"), ({"week": "2024-13"}, "week"),
                          ({"week": "2024-W10", "from": "2024-03-04"}, "from"), ({"from": "2024-03-04"}, "to"),
                          ({"from": "2024-03-04", "to": "2024-03-04"}, "to"),
                          ({"from": "2024-02-30", "to": "2024-03-04"}, "from"),
                          ({"from": "2020-01-01", "to": "2024-01-01"}, "to"), ({"bucket": "month"}, "bucket"),
                          ({"eps_m": "5"}, "eps_m"), ({"eps_m": "abc"}, "eps_m"), ({"min_points": "1"}, "min_points"),
                          ({"min_count": "2"}, "min_count"), ({"min_count": "x"}, "min_count"),
                          ({"area_id": "abc"}, "area_id"), ({"include": "events"}, "include")]:
        assert_problem(estd.get("/v1/situation", params=params), 400, field)
    assert_problem(estd.get("/v1/situation", params={"area_id": 999999}), 422, "area_id")
    assert sit(estd, area_id=norrby, min_count=3)["privacy"]["min_count"] == 3


# ---- hot spots and presence ------------------------------------------------------

def test_hot_spot_found_where_incidents_cluster(estd, data):
    for params in ({"area_id": data["area"]["norrby"]}, {}):
        doc = sit(estd, week="2024-W10", **params)
        assert doc["hot_spots_parameters"]["eps_m"] == 150 and doc["hot_spots_parameters"]["min_points"] == 5
        hs = doc["hot_spots"]
        assert len(hs) == 1, hs
        h = hs[0]
        assert h["rank"] == 1 and h["incident_count"] == 8
        assert {c["code"]: c["count"] for c in h["by_category"]} == {"skadegorelse": 5, "klotter": 3}
        mean_lon = NORRBY[0] + sum(dx for dx, _ in CLUSTER) / 8
        mean_lat = NORRBY[1] + sum(dy for _, dy in CLUSTER) / 8
        assert abs(h["centroid"]["lon"] - mean_lon) < 2e-5 and abs(h["centroid"]["lat"] - mean_lat) < 2e-5
        hull = h["hull"]
        assert hull["type"] == "Polygon"
        ring = hull["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        for dx, dy in CLUSTER:  # every incident is inside the hull's envelope
            assert min(xs) - 1e-6 <= NORRBY[0] + dx <= max(xs) + 1e-6
            assert min(ys) - 1e-6 <= NORRBY[1] + dy <= max(ys) + 1e-6
        # Patrol presence inside the hot spot: P1 (point) and P2 (track through it), activity A1.
        assert h["presence"] == {"patrols": {"count": 2, "duration_s": 5400, "suppressed": False},
                                 "activities": {"count": 1, "duration_s": 5400, "suppressed": False}}
    # Stricter parameters: no cluster of 9.
    assert sit(estd, week="2024-W10", min_points=9)["hot_spots"] == []
    # The scattered W09 incidents form no hot spot.
    assert sit(estd, week="2024-W09", area_id=data["area"]["norrby"])["hot_spots"] == []


def test_presence_per_area(estd, data):
    doc = sit(estd, week="2024-W10")
    pres = {p["code"]: (p["patrols"], p["activities"]) for p in doc["presence"]}
    for k in pres:
        for x in pres[k]:
            assert x.pop("suppressed") is False  # auth off: exact
    assert pres["norrby"] == ({"count": 1, "duration_s": 3600}, {"count": 1, "duration_s": 5400})
    assert pres["hulta"] == ({"count": 1, "duration_s": 600}, {"count": 0, "duration_s": 0})
    assert pres["hassleholmen-hulta"] == ({"count": 1, "duration_s": 600}, {"count": 0, "duration_s": 0})
    assert pres["centrum"] == ({"count": 0, "duration_s": 0}, {"count": 0, "duration_s": 0})
    one = sit(estd, week="2024-W10", area_id=data["area"]["norrby"])
    assert [p["code"] for p in one["presence"]] == ["norrby"]


def test_focuses_commitments_and_freshness(estd, data):
    doc = sit(estd, week="2024-W10", area_id=data["area"]["norrby"])
    codes = {c["code"] for c in doc["commitments"]}
    # Linked to Norrby directly (ml-2, ml-6, ...); not Sjöbo-only ones.
    assert {"ml-1", "ml-2", "ml-6", "so-3-polisen-1", "so-3-boras-stad-2"} <= codes
    assert all(c["status"] and c["text"] for c in doc["commitments"])
    fcodes = {f["code"] for f in doc["focuses"]}
    assert {"so-2018-suo-norrby", "ml-2018-norrby", "so-2018-trygghetssatsning-norrby"} <= fcodes
    assert "so-2018-motesplats-sjobo" not in fcodes
    assert all(f["active"] is False for f in doc["focuses"])  # the 2018-2020 focuses are over in 2024
    fr = doc["freshness"]
    # Newest event: 2025-01-06 00:00 CET = 2025-01-05 23:00 UTC; in Norrby: 2024-03-10 14:00 CET.
    assert parse_ts(fr["newest_occurred_at"]) == datetime(2025, 1, 5, 23, 0, tzinfo=timezone.utc)
    assert parse_ts(fr["area_newest_occurred_at"]) == datetime(2024, 3, 10, 13, 0, tzinfo=timezone.utc)
    assert fr["newest_received_at"] is not None and "consumer_lag" in fr


# ---- privacy ---------------------------------------------------------------------

def rounded(c, ck, k=3):
    """The cell key rounding of docs/SECURITY.md, independently written:
    up with probability (c mod k)/k, decided by u = ck / 2^31."""
    if k <= 1 or c % k == 0:
        return c
    return c - c % k + (k if ck * k < (c % k) * 2 ** 31 else 0)


def published(c, ck, k=3):
    r = rounded(c, ck, k)
    return None if r == 0 else r


def norrby_w10_cells(server, norrby, column):
    """{value: (count, cell key)} of Norrby's 2024-W10 incidents by column."""
    rows = server.sql(
        "SELECT " + column + ", count(*), sum(record_key) %% 2147483648 FROM event_areas"
        " WHERE area_id = %s AND kind = 'incident' AND occurred_at >= '2024-03-04 00:00+01'"
        " AND occurred_at < '2024-03-11 00:00+01' GROUP BY 1", (norrby,))
    return {r[0]: (r[1], int(r[2])) for r in rows}


def check_protected_norrby(server, doc, norrby, k=3):
    """Every count is the cell-key rounding of the true count (or null for a
    rounded 0, flagged suppressed), checked against the database."""
    cats = by(doc["incidents"]["by_category"], "code")
    truth = norrby_w10_cells(server, norrby, "category")
    assert truth["skadegorelse"][0] == 5 and truth["klotter"][0] == 3 and truth["narkotika"][0] == 1
    for code, c in cats.items():
        n, ck = truth.get(code, (0, 0))
        assert c["count"] == published(n, ck, k), (code, n, c)
        assert c["suppressed"] is (c["count"] is None)
    assert cats["klotter"]["count"] == 3  # a multiple of k is published as it is
    assert cats["brand"]["count"] is None and cats["brand"]["suppressed"] is True  # a true zero: "< k" as well
    pids = party_ids(server)
    ptruth = norrby_w10_cells(server, norrby, "party_id")
    for p in doc["incidents"]["by_party"]:
        n, ck = ptruth.get(pids[p["code"]], (0, 0))
        assert p["count"] == published(n, ck, k), (p, n)
    t = doc["incidents"]["total"]
    assert t["count"] == 9 and t["suppressed"] is False
    # Every published value is a multiple of k, so differences are too.
    for table in (doc["incidents"]["by_category"], doc["incidents"]["by_party"], doc["series"]["items"],
                  doc["by_weekday"], doc["by_hour"], [t]):
        for c in table:
            for key in ("count", "previous", "year_ago"):
                if key in c:
                    assert c[key] is None or (c[key] > 0 and c[key] % k == 0), c
                    flag = "suppressed" if key == "count" else key + "_suppressed"
                    assert c[flag] is (c[key] is None), c
    assert cats["skadegorelse"]["year_ago"] == published(10, int(server.sql(
        "SELECT sum(record_key) %% 2147483648 FROM event_areas WHERE area_id = %s AND occurred_at >= "
        "'2023-03-06 00:00+01' AND occurred_at < '2023-03-13 00:00+01'", (norrby,))[0][0]), k)
    # The hot spot's counts are protected the same way.
    for c in doc["hot_spots"][0]["by_category"]:
        assert c["count"] is None or c["count"] % k == 0
    assert "ck_" not in str(doc)


def test_min_count_rounds_small_counts(estd, data):
    doc = sit(estd, week="2024-W10", area_id=data["area"]["norrby"], min_count=3)
    assert doc["privacy"] == {"min_count": 3, "suppression_applied": True, "detail_scope": True,
                              "protection": {"method": "cell-key-rounding", "base": 3}}
    check_protected_norrby(estd, doc, data["area"]["norrby"])
    # A larger base: the hot spot of 8 becomes 0 (dropped) or 9.
    doc = sit(estd, week="2024-W10", area_id=data["area"]["norrby"], min_count=9)
    assert [h["incident_count"] for h in doc["hot_spots"]] in ([], [9])
    t = doc["incidents"]["total"]
    assert t["count"] == 9 and t["previous"] in (None, 9) and t["previous_suppressed"] is (t["previous"] is None)


SECRET = "situation-key-secret-" + "0123456789abcdef" * 3


def make_key(db, scopes):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_KEY_SECRET=SECRET,
               ESTD_LOG_LEVEL="warn")
    r = subprocess.run([ESTD_BIN, "keys", "create", "--party", "boras-stad", "--scopes", scopes], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_suppression_without_detail_scope_with_auth_on(estd, data):
    read = make_key(estd.db, "read")
    detail = make_key(estd.db, "read,read-detail")
    sec = Estd(estd.db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_RPS": "0"}).start()
    try:
        params = {"week": "2024-W10", "area_id": data["area"]["norrby"]}
        assert_problem(sec.get("/v1/situation", params=params), 401)
        r = sec.get("/v1/situation", params=params, headers={"Authorization": "Bearer " + read})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["privacy"] == {"min_count": 3, "suppression_applied": True, "detail_scope": False,
                                  "protection": {"method": "cell-key-rounding", "base": 3}}
        check_protected_norrby(estd, doc, data["area"]["norrby"])
        # Without detail the hull is the grid rectangle around the cluster, larger than the exact one.
        r = sec.get("/v1/situation", params=params, headers={"Authorization": "Bearer " + detail})
        full = r.json()
        assert full["privacy"]["suppression_applied"] is False and full["privacy"]["protection"] is None
        assert by(full["incidents"]["by_category"], "code")["narkotika"]["count"] == 1

        def width(d):
            xs = [p[0] for p in d["hot_spots"][0]["hull"]["coordinates"][0]]
            return max(xs) - min(xs)
        assert width(doc) > width(full)
        # A read key of boras-stad lists only boras-stad's events.
        gj = {**params, "include": "events"}
        r = sec.get("/v1/situation/geojson", params=gj, headers={"Authorization": "Bearer " + read})
        assert r.status_code == 200, r.text
        own = [f for f in r.json()["features"] if f["properties"]["feature_type"] == "event"]
        bs = party_ids(estd)["boras-stad"]
        assert own and all(f["properties"]["party_id"] == bs for f in own)
        assert len(own) == 3  # skadegorelse x2 and activity A1
        r = sec.get("/v1/situation/geojson", params=gj, headers={"Authorization": "Bearer " + detail})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/geo+json")
        events = [f for f in r.json()["features"] if f["properties"]["feature_type"] == "event"]
        assert len(events) == 9 + 2  # 9 incidents, patrol P1, activity A1 (P2 has no point)
    finally:
        assert sec.stop() == 0, sec.read_log()[-3000:]


# ---- GeoJSON ---------------------------------------------------------------------

def check_position(p):
    assert isinstance(p, list) and len(p) in (2, 3), p
    lon, lat = p[0], p[1]
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    # Borås: lon ~12.9, lat ~57.7; catches swapped axes.
    assert 12.5 < lon < 13.5 and 57.5 < lat < 58.0, p


def check_ring(ring):
    assert len(ring) >= 4 and ring[0] == ring[-1], ring
    for p in ring:
        check_position(p)


def check_geometry(g):
    t = g["type"]
    assert t in ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
                 "GeometryCollection"), t
    c = g["coordinates"]
    if t == "Point":
        check_position(c)
    elif t == "Polygon":
        assert len(c) >= 1
        for ring in c:
            check_ring(ring)
    elif t == "MultiPolygon":
        for poly in c:
            for ring in poly:
                check_ring(ring)
    else:
        raise AssertionError("unexpected geometry type " + t)


def check_feature_collection(doc):
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert isinstance(doc["features"], list)
    for f in doc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        assert "crs" not in f
        assert isinstance(f.get("id", ""), (str, int))
        check_geometry(f["geometry"])


def test_geojson_feature_collection(estd, data):
    params = {"week": "2024-W10", "area_id": data["area"]["norrby"], "include": "events"}
    r = estd.get("/v1/situation/geojson", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/geo+json"
    doc = r.json()
    check_feature_collection(doc)
    kinds = [f["properties"]["feature_type"] for f in doc["features"]]
    assert kinds.count("area") == 1 and kinds.count("hot_spot") == 1 and kinds.count("event") == 11
    area = next(f for f in doc["features"] if f["properties"]["feature_type"] == "area")
    assert area["geometry"]["type"] == "MultiPolygon" and area["properties"]["code"] == "norrby"
    hs = next(f for f in doc["features"] if f["properties"]["feature_type"] == "hot_spot")
    assert hs["geometry"]["type"] == "Polygon" and hs["properties"]["incident_count"] == 8
    pts = [f for f in doc["features"] if f["properties"]["feature_type"] == "event"]
    assert all(f["geometry"]["type"] == "Point" for f in pts)
    assert doc["events_truncated"] is False
    # Same document through content negotiation on /v1/situation.
    r2 = estd.get("/v1/situation", params=params, headers={"Accept": "application/geo+json"})
    assert r2.status_code == 200 and r2.headers["Content-Type"] == "application/geo+json"
    assert len(r2.json()["features"]) == len(doc["features"])
    # All areas, no events.
    doc = estd.get("/v1/situation/geojson", params={"week": "2024-W10"}).json()
    check_feature_collection(doc)
    assert sum(f["properties"]["feature_type"] == "area" for f in doc["features"]) == 8
    assert not any(f["properties"]["feature_type"] == "event" for f in doc["features"])


def test_hot_spot_saved_as_area(estd, data):
    doc = sit(estd, week="2024-W10", area_id=data["area"]["norrby"])
    hull = doc["hot_spots"][0]["hull"]
    r = estd.post("/v1/areas", {"name": "Hot spot Norrby v10", "kind": "hot_spot", "geometry": hull})
    if r.status_code == 404 or r.status_code == 405:
        pytest.skip("POST /v1/areas is not available")
    assert r.status_code == 201, r.text
    saved = estd.get("/v1/areas/%d" % r.json()["id"]).json()
    assert saved["kind"] == "hot_spot"
    ring = saved["geometry"]["coordinates"][0][0]
    assert sorted(map(tuple, ring)) == sorted(map(tuple, hull["coordinates"][0]))


# ---- response cache ----------------------------------------------------------------

def cache_counts(server):
    text = server.get("/metrics").text
    out = {}
    for result in ("hit", "miss"):
        m = re.search(r'^estd_situation_cache_requests_total\{result="%s"\} (\d+)$' % result, text, re.M)
        out[result] = int(m.group(1)) if m else None
    return out


def test_cache_etag_304_and_hit(estd, data):
    params = {"week": "2024-W10", "area_id": data["area"]["norrby"]}
    r = estd.get("/v1/situation", params=params)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, max-age=0"
    etag = r.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
    r2 = estd.get("/v1/situation", params=params, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b"" and r2.headers["ETag"] == etag
    assert estd.get("/v1/situation", params=params, headers={"If-None-Match": '"0000000000000000"'}).status_code == 200
    # Served from the cache: a hit is counted (retried: a write anywhere in the shared
    # PostgreSQL cluster between the two requests legitimately invalidates).
    for _ in range(20):
        before = cache_counts(estd)
        again = estd.get("/v1/situation", params=params)
        after = cache_counts(estd)
        assert again.content == r.content and again.headers["ETag"] == etag
        if after["hit"] == before["hit"] + 1:
            break
    else:
        raise AssertionError("no cache hit: %s -> %s" % (before, after))
    # GeoJSON is another entry with its own ETag.
    g = estd.get("/v1/situation/geojson", params=params)
    assert g.status_code == 200 and g.headers["ETag"] != etag
    assert g.headers["Content-Type"] == "application/geo+json"


def test_cache_new_event_invalidates(estd, data):
    # An otherwise empty week so the other tests' expectations are untouched.
    params = {"week": "2024-W30", "area_id": data["area"]["centrum"]}
    first = sit(estd, **params)
    assert first["incidents"]["total"]["count"] == 0
    etag = estd.get("/v1/situation", params=params).headers["ETag"]
    insert(estd.db, [ev("incident", "polisen-boras", "2024-07-24 12:00", CENTRUM, "narkotika")])
    r = estd.get("/v1/situation", params=params, headers={"If-None-Match": etag})
    assert r.status_code == 200, "stale 304 after a new event"
    assert r.json()["incidents"]["total"]["count"] == 1
    assert r.headers["ETag"] != etag
    assert sit(estd, week="2024-W30")["incidents"]["total"]["count"] == 1


def test_cache_changed_area_invalidates(estd, data):
    params = {"week": "2024-W30", "area_id": data["area"]["centrum"]}
    name = sit(estd, **params)["area"]["name"]
    try:
        estd.sql("UPDATE areas SET name = 'Centrum (renamed)', updated_at = now() WHERE id = %s",
                 (data["area"]["centrum"],))
        assert sit(estd, **params)["area"]["name"] == "Centrum (renamed)"
    finally:
        estd.sql("UPDATE areas SET name = %s, updated_at = now() WHERE id = %s", (name, data["area"]["centrum"]))
    assert sit(estd, **params)["area"]["name"] == name


def test_cache_never_mixes_queries(estd, data):
    a = sit(estd, week="2024-W10", area_id=data["area"]["norrby"])
    b = sit(estd, week="2024-W10", area_id=data["area"]["hulta"])
    assert (a["area"]["code"], b["area"]["code"]) == ("norrby", "hulta")
    w = sit(estd, area_id=data["area"]["norrby"], **{"from": "2024-03-04", "to": "2024-03-11"})
    assert w["period"]["week"] is None and a["period"]["week"] == "2024-W10"
    assert sit(estd, week="2024-W10", area_id=data["area"]["norrby"], min_points=9)["hot_spots"] == []
    assert len(sit(estd, week="2024-W10", area_id=data["area"]["norrby"])["hot_spots"]) == 1
    assert sit(estd, week="2024-W10", area_id=data["area"]["norrby"], min_count=3)["privacy"]["min_count"] == 3


def test_cache_privacy_classes_never_share(estd, data):
    read = make_key(estd.db, "read")
    detail = make_key(estd.db, "read,read-detail")
    sec = Estd(estd.db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_RPS": "0"}).start()
    try:
        params = {"week": "2024-W10", "area_id": data["area"]["norrby"]}
        # The detail picture first (it would be cached), then the read-only one.
        for _ in range(2):
            full = sec.get("/v1/situation", params=params, headers={"Authorization": "Bearer " + detail})
            assert full.status_code == 200 and full.json()["privacy"]["detail_scope"] is True
        r = sec.get("/v1/situation", params=params, headers={"Authorization": "Bearer " + read,
                                                              "If-None-Match": full.headers["ETag"]})
        assert r.status_code == 200, "the read-only caller matched the detail ETag"
        check_protected_norrby(estd, r.json(), data["area"]["norrby"])
        assert r.json()["privacy"]["detail_scope"] is False
    finally:
        assert sec.stop() == 0, sec.read_log()[-3000:]


def test_cache_off_gives_the_same_picture(estd, data):
    off = Estd(estd.db, env={"ESTD_SITUATION_CACHE_ENTRIES": "0"}).start()
    try:
        for params in ({"week": "2024-W10", "area_id": data["area"]["norrby"]}, {"week": "2024-W10"}):
            a = estd.get("/v1/situation", params=params)
            b = off.get("/v1/situation", params=params)
            assert a.status_code == b.status_code == 200
            assert a.json() == b.json() and a.headers["ETag"] == b.headers["ETag"]
        assert cache_counts(off)["hit"] == 0
    finally:
        assert off.stop() == 0, off.read_log()[-3000:]
