"""Commitment follow-up: progress of the seeded indicators moving as
matching events arrive (and not for other parties, areas, types or dates),
per-year buckets, patrol presence without a target, and the agreement
report as JSON and RFC 4180 CSV.

The Borås commitments' target periods (2018-2020, 2018-01..2019-01) are
over, so the elapsed fraction is 1 and on_track means value >= target."""
import csv
import io

import pytest

from conftest import assert_problem
from sit_events import CENTRUM, HULTA, NORRBY, SJOBO, ev, insert


def commitment_id(estd, code):
    return estd.sql("SELECT id FROM commitments WHERE code = %s", (code,))[0][0]


def progress(estd, code):
    r = estd.get("/v1/commitments/%d/progress" % commitment_id(estd, code))
    assert r.status_code == 200, r.text
    return r.json()


def test_operative_actions_progress_moves_with_matching_events_only(estd):
    p = progress(estd, "ml-3")
    assert p["code"] == "ml-3"
    assert p["target"] == {"value": 4, "unit": "operative_action", "comparison": "at_least", "per": "period",
                           "from": "2018-01-01", "to": "2019-01-31"}
    assert p["period"] == {"from": "2018-01-01", "to": "2019-01-31"}
    assert (p["value"], p["percentage"], p["on_track"], p["last_event"]) == (0, 0.0, False, None)
    assert p["elapsed_fraction"] == 1.0
    ind = p["indicator"]
    assert ind["event_kinds"] == ["activity"] and ind["activity_types"] == ["operativ_insats"]
    assert ind["measure"] == "count"
    insert(estd.db, [ev("activity", "polisen-boras", "2018-05-01 10:00", NORRBY, activity_type="operativ_insats")])
    p = progress(estd, "ml-3")
    assert (p["value"], p["percentage"], p["on_track"]) == (1, 25.0, False)
    assert p["last_event"]["kind"] == "activity"
    # Not matching: another party, another area, another activity type, after the period, an incident.
    insert(estd.db, [
        ev("activity", "boras-stad", "2018-05-02 10:00", NORRBY, activity_type="operativ_insats"),
        ev("activity", "polisen-boras", "2018-05-03 10:00", CENTRUM, activity_type="operativ_insats"),
        ev("activity", "polisen-boras", "2018-05-04 10:00", SJOBO, activity_type="operativ_insats"),
        ev("activity", "polisen-boras", "2018-05-05 10:00", NORRBY, activity_type="informationstillfalle"),
        ev("activity", "polisen-boras", "2019-02-01 00:30", NORRBY, activity_type="operativ_insats"),
        ev("activity", "polisen-boras", "2017-12-31 23:30", HULTA, activity_type="operativ_insats"),
        ev("incident", "polisen-boras", "2018-05-06 10:00", NORRBY, category="narkotika"),
    ])
    assert progress(estd, "ml-3")["value"] == 1
    # Three more in Hässleholmen/Hulta and Norrby; the last one on the last day, 23:30 local time.
    insert(estd.db, [
        ev("activity", "polisen-boras", "2018-09-01 10:00", HULTA, activity_type="operativ_insats"),
        ev("activity", "polisen-boras", "2018-11-01 10:00", NORRBY, activity_type="operativ_insats"),
        ev("activity", "polisen-boras", "2019-01-31 23:30", HULTA, activity_type="operativ_insats"),
    ])
    p = progress(estd, "ml-3")
    assert (p["value"], p["percentage"], p["on_track"]) == (4, 100.0, True)
    assert p["last_event"]["occurred_at"].startswith("2019-01-31T22:30:00")


def test_information_meetings_by_any_of_the_three_parties(estd):
    insert(estd.db, [
        ev("activity", "ab-bostader", "2018-03-01 18:00", NORRBY, activity_type="informationstillfalle"),
        ev("activity", "boras-stad", "2018-04-01 18:00", HULTA, activity_type="informationstillfalle"),
        ev("activity", "polisen-boras", "2018-05-01 18:00", NORRBY, activity_type="informationstillfalle"),
    ])
    p = progress(estd, "ml-5")
    # + the police informationstillfalle in Norrby inserted by the previous test (2018-05-05).
    assert (p["value"], p["percentage"], p["on_track"]) == (4, 100.0, True)
    assert sorted(p["indicator"]["party_ids"]) == sorted(r[0] for r in estd.sql("SELECT id FROM parties"))


def test_yearly_target_buckets(estd):
    p = progress(estd, "so-2-boras-stad-3")
    assert p["target"]["per"] == "year" and p["target"]["value"] == 1
    assert [(b["from"], b["to"], b["value"]) for b in p["buckets"]] == [
        ("2018-01-01", "2018-12-31", 0), ("2019-01-01", "2019-12-31", 0), ("2020-01-01", "2020-12-31", 0)]
    insert(estd.db, [
        ev("activity", "boras-stad", "2018-09-01 18:00", SJOBO, activity_type="trygghetsvandring"),
        ev("activity", "boras-stad", "2020-04-01 18:00", None, activity_type="trygghetsvandring"),  # anywhere
        ev("activity", "polisen-boras", "2019-04-01 18:00", SJOBO, activity_type="trygghetsvandring"),  # police
    ])
    p = progress(estd, "so-2-boras-stad-3")
    assert [b["value"] for b in p["buckets"]] == [1, 0, 1]
    # Evaluated on the current year bucket; today is after the period, so the last year.
    assert p["current_bucket"] == {"from": "2020-01-01", "to": "2020-12-31"}
    assert (p["value"], p["total"], p["percentage"], p["on_track"]) == (1, 2, 100.0, True)


def test_patrol_presence_without_target(estd):
    p = progress(estd, "ml-1")
    assert p["target"] is None and p["value"] == 0
    insert(estd.db, [
        ev("patrol", "polisen-boras", "2018-06-01 20:00", NORRBY, duration_s=5400),
        ev("patrol", "polisen-boras", "2018-06-02 20:00", HULTA, duration_s=3600),
        ev("patrol", "boras-stad", "2018-06-03 20:00", HULTA, duration_s=3600),      # not the police
        ev("patrol", "polisen-boras", "2018-06-04 20:00", CENTRUM, duration_s=3600),  # not the areas
    ])
    p = progress(estd, "ml-1")
    assert p["indicator"]["measure"] == "duration_hours"
    assert (p["value"], p["percentage"], p["on_track"]) == (2.5, None, None)
    assert progress(estd, "ml-2")["value"] == 1.5  # Norrby only


def test_progress_not_found(estd):
    assert_problem(estd.get("/v1/commitments/999999/progress"), 404)
    assert_problem(estd.get("/v1/commitments/abc/progress"), 404)
    # A commitment without an indicator: no value.
    p = progress(estd, "ml-4")
    assert p["indicator"] is None and p["value"] is None and p["on_track"] is None


def agreement_id(estd, code):
    return estd.sql("SELECT id FROM agreements WHERE code = %s", (code,))[0][0]


def test_agreement_report_json_and_csv(estd):
    note = 'Uppföljning: "bra", klart\nrad två; 100 %'
    estd.sql("UPDATE commitments SET follow_up_note = %s, status = 'ongoing' WHERE code = 'ml-3'", (note,))
    aid = agreement_id(estd, "medborgarlofte-hassleholmen-hulta-norrby-2018")
    r = estd.get("/v1/agreements/%d/report" % aid)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["agreement"]["code"] == "medborgarlofte-hassleholmen-hulta-norrby-2018"
    cs = doc["commitments"]
    assert [c["code"] for c in cs] == ["ml-1", "ml-2", "ml-3", "ml-4", "ml-5", "ml-6"]
    ml3 = cs[2]
    assert ml3["status"] == "ongoing" and ml3["follow_up_note"] == note
    assert [p["code"] for p in ml3["responsible_parties"]] == ["polisen-boras"]
    assert ml3["target"]["value"] == 4 and ml3["progress"]["value"] == 4 and ml3["progress"]["on_track"] is True
    assert [p["code"] for p in cs[4]["responsible_parties"]] == ["polisen-boras", "boras-stad", "ab-bostader"]

    for kw in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        r = estd.get("/v1/agreements/%d/report" % aid, **kw)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/csv")
        text = r.content.decode("utf-8")
        assert text.endswith("\r\n")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert len(rows) == len(cs)
        for row, c in zip(rows, cs):
            p = c["progress"]
            assert row["commitment_id"] == str(c["id"]) and row["code"] == c["code"]
            assert row["text"] == c["text"] and row["status"] == c["status"]
            assert row["follow_up_note"] == (c["follow_up_note"] or "")
            assert row["responsible_parties"] == "; ".join(x["name"] for x in c["responsible_parties"])
            assert row["target_value"] == ("" if c["target"] is None else str(c["target"]["value"]))
            assert (float(row["value"]) if row["value"] else None) == p["value"]
            assert (float(row["percentage"]) if row["percentage"] else None) == p["percentage"]
            assert row["on_track"] == ("" if p["on_track"] is None else str(p["on_track"]).lower())
        assert rows[2]["follow_up_note"] == note  # quotes, comma, newline survive
        # The CSV-only twin (the operation generated clients read as text) serves the same bytes.
        twin = estd.get("/v1/agreements/%d/report.csv" % aid)
        assert twin.status_code == 200 and twin.headers["Content-Type"] == r.headers["Content-Type"]
        assert twin.content == r.content
        assert twin.headers["Content-Disposition"] == 'attachment; filename="agreement-%d-report.csv"' % aid
    assert_problem(estd.get("/v1/agreements/999999/report"), 404)
    assert_problem(estd.get("/v1/agreements/999999/report.csv"), 404)
    assert_problem(estd.get("/v1/agreements/%d/report" % aid, params={"format": "xml"}), 400, "format")
    assert_problem(estd.get("/v1/agreements/%d/report.csv" % aid, params={"format": "json"}), 400, "format")


def test_commitments_list_includes_progress(estd):
    r = estd.get("/v1/commitments", params={"include": "progress", "limit": 50})
    if r.status_code != 200 or "progress" not in (r.json()["items"] or [{}])[0]:
        pytest.skip("GET /v1/commitments?include=progress not wired")
    items = {c["code"]: c for c in r.json()["items"]}
    assert items["ml-3"]["progress"]["value"] == 4
    assert items["ml-4"]["progress"]["value"] is None
