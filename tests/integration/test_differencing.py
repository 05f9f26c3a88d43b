"""Adversarial test of the disclosure control of aggregates (docs/SECURITY.md
"Disclosure control"): every differencing attack of issue 11, on every
aggregate endpoint, with a `read` key. No value below the base k may be
recovered exactly.

Each attack is a function of a fetcher that derives the value of target
cells from published values. It is run twice:
  * with a read-detail key (exact counts): the positive control; the attack
    must recover every target's true count, so it is a real attack;
  * with a read key: for every target whose true count is in 1..k-1 the
    derived value must differ from the true count.
A null (a count rounded to 0) is taken as 0, as an attacker would.
"""
import csv
import io

import pytest

from conftest import Estd, create_key
from sit_events import HASSLEHOLMEN, HULTA, NORRBY, area_ids, ev, insert

SECRET = "differencing-key-secret-" + "0123456789abcdef" * 3
K = 3
CATS = ["skadegorelse", "klotter", "ordningsstorning", "narkotika", "brand"]
CLUSTER = [(-0.0003, -0.0002), (-0.00015, 0.0001), (0.0, 0.0), (0.00015, -0.0001), (0.0003, 0.0002),
           (0.0001, 0.0002), (-0.0002, 0.00015)]


def make_key(db, party, scopes):
    return create_key(db, party, scopes, SECRET)


def fixture_rows():
    r = []
    # 2024-W10 (Mon 03-04 .. Sun 03-10); a Norrby hot spot of 6 skadegorelse + 1 klotter.
    for i, (dx, dy) in enumerate(CLUSTER[:6]):
        r.append(ev("incident", "polisen-boras", "2024-03-%02d 21:%02d" % (4 + i, 10 + i), NORRBY, "skadegorelse",
                    dx=dx, dy=dy))
    r.append(ev("incident", "boras-stad", "2024-03-05 23:00", NORRBY, "klotter", dx=CLUSTER[6][0], dy=CLUSTER[6][1]))
    r.append(ev("incident", "boras-stad", "2024-03-04 10:00", HULTA, "klotter"))
    for h in range(4):
        r.append(ev("incident", "polisen-boras", "2024-03-06 1%d:00" % h, HULTA, "ordningsstorning", dx=0.0001 * h))
    r.append(ev("incident", "ab-bostader", "2024-03-04 11:00", HASSLEHOLMEN, "klotter"))
    r.append(ev("incident", "ab-bostader", "2024-03-04 12:00", HASSLEHOLMEN, "klotter", dx=0.0004))
    for d in range(3):
        r.append(ev("incident", "ab-bostader", "2024-03-07 0%d:30" % d, HASSLEHOLMEN, "skadegorelse", dx=0.0002 * d))
    r.append(ev("incident", "polisen-boras", "2024-03-11 09:00", NORRBY, "brand"))            # Mon of W11
    r.append(ev("incident", "polisen-boras", "2024-03-03 15:00", HULTA, "narkotika"))        # Sun of W09
    for d in range(4):
        r.append(ev("incident", "polisen-boras", "2024-02-26 1%d:00" % d, NORRBY, "klotter", dx=0.001 * d))
    # A year earlier: 2023-W10 (Mon 03-06 .. Sun 03-12) and Sunday 2023-03-05 (W09).
    for d in range(5):
        r.append(ev("incident", "polisen-boras", "2023-03-07 1%d:00" % d, NORRBY, "skadegorelse", dx=0.001 * d))
    r.append(ev("incident", "boras-stad", "2023-03-05 12:00", NORRBY, "klotter"))
    # Presence in W10: 1 patrol in Hässleholmen, 2 in Hulta; 1 activity in Hulta.
    r.append(ev("patrol", "polisen-boras", "2024-03-05 20:00", HASSLEHOLMEN, duration_s=1200))
    r.append(ev("patrol", "polisen-boras", "2024-03-05 21:00", HULTA, duration_s=600))
    r.append(ev("patrol", "polisen-boras", "2024-03-08 21:00", HULTA, duration_s=600))
    r.append(ev("activity", "boras-stad", "2024-03-06 18:00", HULTA, activity_type="grannsamverkan", duration_s=3600))
    # Follow-up so-2-boras-stad-3 (trygghetsvandring per year 2018..2020): 4, 1, 2.
    for t in ["2018-03-01", "2018-04-01", "2018-05-01", "2018-06-01", "2019-05-05", "2020-02-02", "2020-03-03"]:
        r.append(ev("activity", "boras-stad", t + " 18:00", NORRBY, activity_type="trygghetsvandring"))
    return r


@pytest.fixture(scope="module")
def env(estd):
    insert(estd.db, fixture_rows())
    read = make_key(estd.db, "ab-bostader", "read")
    detail = make_key(estd.db, "ab-bostader", "read,read-detail")
    sec = Estd(estd.db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_RPS": "0",
                             "ESTD_PRIVACY_MIN_COUNT": str(K)}).start()

    def fetcher(token):
        def fetch(path, params=None, accept=None, text=False):
            h = {"Authorization": "Bearer " + token}
            if accept:
                h["Accept"] = accept
            r = sec.get(path, params=params or {}, headers=h)
            assert r.status_code == 200, (path, params, r.text)
            return r.text if text else r.json()
        return fetch
    areas = area_ids(estd)
    yield {"read": fetcher(read), "detail": fetcher(detail), "area": areas, "db": estd}
    assert sec.stop() == 0, sec.read_log()[-3000:]


def n(v):
    """A published count as the attacker uses it: null (rounded 0) is 0."""
    return 0 if v is None else v


def sit(fetch, area=None, **p):
    if area is not None:
        p["area_id"] = area
    return fetch("/v1/situation", p)


def total(doc, key="count"):
    return n(doc["incidents"]["total"][key])


def cat(doc, code, key="count"):
    return n(next(c for c in doc["incidents"]["by_category"] if c["code"] == code)[key])


def area_list(env):
    a = env["area"]
    return [None, a["norrby"], a["hulta"], a["hassleholmen"], a["hassleholmen-hulta"]]


# ---- the attacks: each returns {target: (derived value, true-count query)} ---------------------
# A true-count query is a (period params, area, category) cell read directly; for the detail key
# that is the exact count.

def attack_overlapping_periods(fetch, env):
    """from/to a day apart against the ISO week (and longer overlapping ranges)."""
    out = {}
    for a in area_list(env):
        week = sit(fetch, a, week="2024-W10")
        tue_mon = sit(fetch, a, **{"from": "2024-03-05", "to": "2024-03-11"})
        mon_tue = sit(fetch, a, **{"from": "2024-03-04", "to": "2024-03-12"})
        for c in [None] + CATS:
            f = (lambda d: total(d)) if c is None else (lambda d, c=c: cat(d, c))
            out[("mon-0304", a, c)] = (f(week) - f(tue_mon), ({"from": "2024-03-04", "to": "2024-03-05"}, a, c))
            out[("mon-0311", a, c)] = (f(mon_tue) - f(week), ({"from": "2024-03-11", "to": "2024-03-12"}, a, c))
    return out


def attack_union_areas(fetch, env):
    """Hässleholmen/Hulta = Hässleholmen ∪ Hulta."""
    ar = env["area"]
    out = {}
    for per in ({"week": "2024-W10"}, {"from": "2024-03-04", "to": "2024-03-05"}, {"week": "2024-W09"}):
        hh, hu, ha = (sit(fetch, ar[x], **per) for x in ("hassleholmen-hulta", "hulta", "hassleholmen"))
        for c in [None] + CATS:
            f = (lambda d: total(d)) if c is None else (lambda d, c=c: cat(d, c))
            out[("hassleholmen", str(per), c)] = (f(hh) - f(hu), (per, ar["hassleholmen"], c))
            out[("hulta", str(per), c)] = (f(hh) - f(ha), (per, ar["hulta"], c))
    return out


def attack_category_vs_total(fetch, env):
    out = {}
    for a in area_list(env):
        for per in ({"week": "2024-W10"}, {"from": "2024-03-04", "to": "2024-03-06"}):
            d = sit(fetch, a, **per)
            for c in CATS:
                others = sum(cat(d, o) for o in CATS if o != c)
                out[(c, a, str(per))] = (total(d) - others, (per, a, c))
                # the same with the party table
            parties = d["incidents"]["by_party"]
            for p in parties:
                rest = sum(n(q["count"]) for q in parties if q is not p)
                out[("party-" + p["code"], a, str(per))] = (total(d) - rest, (per, a, "party:" + p["code"]))
    return out


def attack_previous_and_year_ago(fetch, env):
    out = {}
    for a in area_list(env):
        week = sit(fetch, a, week="2024-W10")
        # previous(W10) = W09; the eight days 02-26..03-05 minus it = Mon 03-04.
        eight = sit(fetch, a, **{"from": "2024-02-26", "to": "2024-03-05"})
        out[("prev-mon-0304", a)] = (total(eight) - total(week, "previous"),
                                     ({"from": "2024-03-04", "to": "2024-03-05"}, a, None))
        # previous columns of two 7-day ranges a day apart: [02-26, 03-04) - [02-25, 03-03) = Sun 03-03
        # (Sun 02-25 is empty).
        pa = sit(fetch, a, **{"from": "2024-03-04", "to": "2024-03-11"})
        pb = sit(fetch, a, **{"from": "2024-03-03", "to": "2024-03-10"})
        out[("prev-sun-0303", a)] = (total(pa, "previous") - total(pb, "previous"),
                                     ({"from": "2024-03-03", "to": "2024-03-04"}, a, None))
        # year_ago(2024-W10) = 2023-W10 (Mon 03-06..); year_ago of the calendar range 2024-03-05..03-13
        # is 2023-03-05..03-13: the difference is Sunday 2023-03-05.
        cal = sit(fetch, a, **{"from": "2024-03-05", "to": "2024-03-13"})
        out[("ya-sun-20230305", a)] = (total(cal, "year_ago") - total(week, "year_ago"),
                                       ({"from": "2023-03-05", "to": "2023-03-06"}, a, None))
        for c in CATS:
            out[("ya-cat-" + c, a)] = (cat(cal, c, "year_ago") - cat(week, c, "year_ago"),
                                       ({"from": "2023-03-05", "to": "2023-03-06"}, a, c))
            out[("prev-cat-" + c, a)] = (cat(eight, c) - cat(week, c, "previous"),
                                         ({"from": "2024-03-04", "to": "2024-03-05"}, a, c))
    return out


def attack_series_weekday_hour(fetch, env):
    out = {}
    for a in area_list(env):
        d = sit(fetch, a, week="2024-W10")
        for table, key in ((d["series"]["items"], "start"), (d["by_weekday"], "weekday"), (d["by_hour"], "hour")):
            for cell in table:
                rest = sum(n(x["count"]) for x in table if x is not cell)
                out[(key, cell[key], a)] = (total(d) - rest, ("cell", a, (key, cell[key])))
    return out


def attack_hot_spots(fetch, env):
    """Hot spot total against its categories, in the JSON and the GeoJSON."""
    out = {}
    norrby = env["area"]["norrby"]
    d = sit(fetch, norrby, week="2024-W10")
    g = fetch("/v1/situation/geojson", {"week": "2024-W10", "area_id": norrby})
    hs_json = d["hot_spots"]
    hs_geo = [f["properties"] for f in g["features"] if f["properties"]["feature_type"] == "hot_spot"]
    for src, hs in (("json", hs_json), ("geojson", hs_geo)):
        if not hs:
            continue
        h = hs[0]
        cats = {c["code"]: n(c["count"]) for c in h["by_category"]}
        for c in ("skadegorelse", "klotter"):
            out[(src, c)] = (n(h["incident_count"]) - sum(v for k, v in cats.items() if k != c), ("hotspot", c))
    # Presence: Hässleholmen/Hulta patrols minus Hulta's = Hässleholmen's.
    pres = {p["code"]: p for p in sit(fetch, None, week="2024-W10")["presence"]}
    out[("patrols", "hassleholmen")] = (n(pres["hassleholmen-hulta"]["patrols"]["count"]) -
                                        n(pres["hulta"]["patrols"]["count"]), ("presence", "hassleholmen", "patrols"))
    out[("activities", "hulta")] = (n(pres["hassleholmen-hulta"]["activities"]["count"]) -
                                    n(pres["hassleholmen"]["activities"]["count"]), ("presence", "hulta", "activities"))
    return out


def progress_docs(fetch, env):
    cid, aid = env["db"].sql("SELECT id, agreement_id FROM commitments WHERE code = 'so-2-boras-stad-3'")[0]
    p = fetch("/v1/commitments/%d/progress" % cid)
    items = fetch("/v1/commitments", {"include": "progress", "limit": 200})["items"]
    listed = next(c for c in items if c["id"] == cid)["progress"]
    rep = next(c for c in fetch("/v1/agreements/%d/report" % aid)["commitments"] if c["id"] == cid)["progress"]
    rows = list(csv.DictReader(io.StringIO(fetch("/v1/agreements/%d/report" % aid, {"format": "csv"}, text=True))))
    row = next(r for r in rows if r["commitment_id"] == str(cid))
    return p, listed, rep, row


def attack_progress(fetch, env):
    """Total against the other buckets (progress, list totals, report JSON and CSV)."""
    p, listed, rep, row = progress_docs(fetch, env)
    out = {}
    for src, doc in (("progress", p), ("list", listed), ("report", rep)):
        b = [n(x["value"]) for x in doc["buckets"]]
        for i in range(len(b)):
            out[(src, "bucket", i)] = (n(doc["total"]) - sum(b[:i] + b[i + 1:]), ("bucket", i))
    # CSV: total minus the current bucket (the last year) minus the first bucket from the JSON = the middle one.
    csv_total = int(row["total"] or 0)
    csv_value = int(row["value"] or 0)
    out[("csv", "bucket", 1)] = (csv_total - csv_value - n(p["buckets"][0]["value"]), ("bucket", 1))
    return out


ATTACKS = [attack_overlapping_periods, attack_union_areas, attack_category_vs_total, attack_previous_and_year_ago,
           attack_series_weekday_hour, attack_hot_spots, attack_progress]


def true_count(fetch, env, q, cache):
    """The exact count of the target cell, read directly with the detail key."""
    key = repr(q)
    if key in cache:
        return cache[key]
    if q[0] == "cell":
        _, a, (col, val) = q
        d = sit(fetch, a, week="2024-W10")
        table = {"start": d["series"]["items"], "weekday": d["by_weekday"], "hour": d["by_hour"]}[col]
        v = n(next(x for x in table if x[col] == val)["count"])
    elif q[0] == "hotspot":
        d = sit(fetch, env["area"]["norrby"], week="2024-W10")
        v = n(next((c["count"] for c in d["hot_spots"][0]["by_category"] if c["code"] == q[1]), 0))
    elif q[0] == "presence":
        pres = {p["code"]: p for p in sit(fetch, None, week="2024-W10")["presence"]}
        v = n(pres[q[1]][q[2]]["count"])
    elif q[0] == "bucket":
        p, _, _, _ = progress_docs(fetch, env)
        v = n(p["buckets"][q[1]]["value"])
    else:
        per, a, c = q
        d = sit(fetch, a, **per)
        if c is None:
            v = total(d)
        elif c.startswith("party:"):
            v = n(next(x["count"] for x in d["incidents"]["by_party"] if x["code"] == c[6:]))
        else:
            v = cat(d, c)
    cache[key] = v
    return v


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_differencing_attack_recovers_nothing_below_k(env, attack):
    cache = {}
    exact = attack(env["detail"], env)
    protected = attack(env["read"], env)
    assert exact.keys() == protected.keys()
    small = 0
    for target, (derived, q) in exact.items():
        t = true_count(env["detail"], env, q, cache)
        # Positive control: against exact counts the attack recovers the true value.
        assert derived == t, (target, derived, t)
        if 1 <= t < K:
            small += 1
            got = protected[target][0]
            assert got != t, ("recovered a count below k exactly", target, got)
            assert got % K == 0
    assert small >= 1, "the fixture must give this attack a target below k"


def test_repeated_queries_give_nothing_new(env):
    a = env["area"]
    queries = [("/v1/situation", {"week": "2024-W10", "area_id": a["hulta"]}),
               ("/v1/situation", {"from": "2024-03-04", "to": "2024-03-05"}),
               ("/v1/situation/geojson", {"week": "2024-W10", "area_id": a["norrby"]})]
    cid = env["db"].sql("SELECT id FROM commitments WHERE code = 'so-2-boras-stad-3'")[0][0]
    queries.append(("/v1/commitments/%d/progress" % cid, {}))
    for path, params in queries:
        first = env["read"](path, params)
        first.pop("evaluated_on", None)
        for _ in range(5):
            again = env["read"](path, params)
            again.pop("evaluated_on", None)
            assert again == first  # the same events always give the same published values
    # A small true count stays unrecoverable however often it is asked for.
    vals = {n(cat(sit(env["read"], a["hulta"], week="2024-W10"), "klotter")) for _ in range(5)}
    assert len(vals) == 1 and vals.pop() in (0, 3)


def test_same_events_same_value_across_query_shapes(env):
    """Consistency of the cell key: a cell reached through different queries
    (week vs from/to, an area vs the union when the other half is empty,
    previous column vs the week itself) shows one value."""
    a = env["area"]
    w = sit(env["read"], a["hassleholmen"], week="2024-W10")
    r = sit(env["read"], a["hassleholmen"], **{"from": "2024-03-04", "to": "2024-03-11"})
    assert total(w) == total(r) and total(w, "previous") == total(r, "previous")
    assert [c["count"] for c in w["incidents"]["by_category"]] == [c["count"] for c in r["incidents"]["by_category"]]
    # Hulta has no incident on Thu 03-07, so Hässleholmen/Hulta's count that day is Hässleholmen's.
    day = {"from": "2024-03-07", "to": "2024-03-08"}
    assert total(sit(env["read"], a["hassleholmen-hulta"], **day)) == total(sit(env["read"], a["hassleholmen"], **day))
    w10 = sit(env["read"], a["norrby"], week="2024-W10")
    w09 = sit(env["read"], a["norrby"], week="2024-W09")
    assert w10["incidents"]["total"]["previous"] == w09["incidents"]["total"]["count"]
