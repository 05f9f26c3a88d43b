"""The Police feed as it really is, against the real database: location.gps
is the municipality's (or county's) centroid, so such events are stored with
that precision, assigned to no area and to no hot spot, yet counted in the
whole municipality's totals; the occurrence time comes from `name`
(Europe/Stockholm), the publication time is kept beside it."""
import uuid

import psycopg

from conftest import register_source

POLICE_SOURCE = "https://polisen.se/api/events"  # registered for polisen-boras by the dev seed
WEEK = "2023-W06"  # 2023-02-06 .. 2023-02-13, no seeded events
CENTROID = (57.721035, 12.939819)  # Borås, as the feed gives it


def police_record(eid, day, hhmm, place="Borås", gps=CENTROID):
    return {"specversion": "1.0", "id": eid, "source": POLICE_SOURCE, "type": "se.polisen.event.v1",
            "party": "polisen-boras",
            "data": {"id": int(uuid.uuid4().int % 10**8), "datetime": f"2023-02-{day + 1:02d} 08:03:11 +01:00",
                     "name": f"{day} februari {hhmm}, Skadegörelse, {place}", "summary": "Fönster krossat.",
                     "url": "/aktuellt/handelser/2023/februari/", "type": "Skadegörelse",
                     "location": {"name": place, "gps": f"{gps[0]},{gps[1]}"}}}


def precise_incident(eid, source, day, lat, lon):
    return {"specversion": "1.0", "id": eid, "source": source, "type": "se.est.incident.v1", "party": "boras-stad",
            "data": {"category": "skadegorelse", "occurred_at": f"2023-02-{day:02d}T21:15:00+01:00",
                     "location": {"lat": lat, "lon": lon}}}


def situation(estd, **params):
    r = estd.get("/v1/situation", params={"week": WEEK, **params})
    assert r.status_code == 200, r.text
    return r.json()


def post(estd, events):
    r = estd.post("/v1/events", events, headers={"Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == len(events), r.text


def test_centroid_events_count_in_the_municipality_but_in_no_district_or_hot_spot(estd):
    tag = uuid.uuid4().hex[:8]
    before = situation(estd)
    assert before["incidents"]["total"]["count"] == 0 and before["hot_spots"] == []
    # Six records at Borås' centroid (it lies in a district: a point there would make a hot spot).
    district = estd.sql("SELECT id FROM areas WHERE kind = 'district' AND "
                        "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", (CENTROID[1], CENTROID[0]))
    assert district, "the seed's districts no longer contain the Borås centroid"
    post(estd, [police_record(f"pol-{tag}-{i}", 7, f"{20 + i // 2}.1{i}") for i in range(6)]
         + [police_record(f"pol-{tag}-lan", 8, "9.05", place="Västra Götalands län", gps=(58.252793, 13.059643))])
    rows = estd.sql("SELECT source_event_id, location_precision, area_ids, occurred_at::text, published_at::text "
                    "FROM events WHERE source_event_id LIKE %s ORDER BY source_event_id", (f"pol-{tag}-%",))
    assert len(rows) == 7
    by_id = {r[0]: r for r in rows}
    assert by_id[f"pol-{tag}-0"][1:] == ("municipality", [], "2023-02-07 19:10:00+00", "2023-02-08 07:03:11+00")
    assert by_id[f"pol-{tag}-lan"][1:] == ("county", [], "2023-02-08 08:05:00+00", "2023-02-09 07:03:11+00")
    # The API shows both times and the precision.
    ev = estd.get("/v1/events", params={"source": POLICE_SOURCE, "from": "2023-02-07T00:00:00+01:00",
                                        "to": "2023-02-08T00:00:00+01:00", "limit": 100}).json()["items"]
    mine = [e for e in ev if e["source_event_id"].startswith(f"pol-{tag}-")]
    assert len(mine) == 6 and {e["location_precision"] for e in mine} == {"municipality"}
    assert all(e["area_ids"] == [] and e["published_at"] for e in mine)

    after = situation(estd)
    assert after["incidents"]["total"]["count"] == 7  # the whole municipality counts them
    assert after["hot_spots"] == []  # but they make no hot spot
    # ... and says how many of its total are such centroids, by precision.
    imp = after["incidents"]["imprecise"]
    assert (imp["count"], imp["previous"], imp["year_ago"], imp["suppressed"]) == (7, 0, 0, False)
    assert [(c["precision"], c["count"]) for c in imp["by_precision"]] == [("municipality", 6), ("county", 1)]
    in_district = situation(estd, area_id=district[0][0])
    assert in_district["incidents"]["total"]["count"] == 0  # and are in no district
    assert "imprecise" not in in_district["incidents"]  # an area's picture holds only its own events
    # The disclosure policy applies to the block like to every count: base 5 rounds by the cell key.
    for k in (5, 10):
        pub = situation(estd, min_count=k)["incidents"]
        for cell in [pub["imprecise"]] + pub["imprecise"]["by_precision"]:
            true = {"municipality": 6, "county": 1}.get(cell.get("precision"), 7)
            v = cell["count"]
            if v is None:
                assert cell["suppressed"] and true < k
            else:
                assert v % k == 0 and v > 0 and abs(v - true) < k, (k, cell)

    # Control: the same six as precise points do make a hot spot in that district.
    s = register_source(estd.db, f"urn:police-control:{tag}")
    post(estd, [precise_incident(f"pt-{i}", s, 7, CENTROID[0] + i * 0.00001, CENTROID[1]) for i in range(6)])
    control = situation(estd)
    assert control["incidents"]["total"]["count"] == 13
    assert len(control["hot_spots"]) == 1 and control["hot_spots"][0]["incident_count"] == 6
    assert situation(estd, area_id=district[0][0])["incidents"]["total"]["count"] == 6


# ---- the poller (`estd police-feed poll`) against a recorded server ---------------------------------

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import ESTD_BIN, SQL_DIR, Estd, pg_url

FEED_SOURCE = "https://polisen.se/api/events"  # what the poller stores under (registered by the dev seed)
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]
TYPES = ["Skadegörelse", "Stöld", "Inbrott", "Misshandel", "Bråk", "Trafikolycka", "Brand automatlarm",
         "Narkotikabrott", "Fylleri/LOB", "Rån"]


def feed_record(fid, kind=None):
    """One record as the API serves it: published a few minutes after it happened (November 2026, CET)."""
    day, minute = 1 + fid % 28, fid % 50
    rtype = kind or TYPES[fid % len(TYPES)]
    rec = {"id": fid, "datetime": f"2026-11-{day:02d} 14:{minute + 5:02d}:10 +01:00",
           "name": f"{day} november 14.{minute:02d}, {rtype}, Borås",
           "summary": "Polisen larmades till platsen.",
           "url": f"/aktuellt/handelser/2026/november/{day}/{day}-november-14.{minute:02d}-{fid}/",
           "type": rtype, "location": {"name": "Borås", "gps": "57.721035,12.939819"}}
    if rtype.startswith("Sammanfattning"):
        rec["name"] = f"{day} november 06.00, {rtype}, Västra Götalands län"
        rec["location"] = {"name": "Västra Götalands län", "gps": "58.252793,13.059643"}
    return rec


def window(first, count, special):
    """The API's view: the latest `count` records from id `first` on, newest first."""
    recs = [special[i] if i in special else feed_record(i) for i in range(first, first + count)]
    return list(reversed(recs))


class RecordedFeed:
    """A loopback HTTP server that plays scripted answers, one per request (status, headers, body), and
    records what each request looked like and when it came."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                feed.requests.append({"at": time.monotonic(), "path": self.path, "headers": dict(self.headers)})
                status, headers, body = feed.script.pop(0) if feed.script else (404, {}, b"")
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/events?locationname=Bor%C3%A5s"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def poll(db, url, *args, min_interval_ms=200, extra=None, timeout=120):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="info",
               ESTD_POLICE_FEED_URL=url, ESTD_POLICE_FEED_PARTY="polisen-boras",
               ESTD_POLICE_FEED_CONTACT="est@boras.example", ESTD_POLICE_FEED_INTERVAL_S="0",
               ESTD_POLICE_FEED_MIN_INTERVAL_MS=str(min_interval_ms), ESTD_POLICE_GEOCODE_MUNICIPALITY="Borås")
    env.update(extra or {})
    p = subprocess.run([ESTD_BIN, "police-feed", "poll", *args], env=env, capture_output=True, timeout=timeout)
    logs = [json.loads(line) for line in p.stdout.decode().splitlines() if line.startswith("{")]
    return p.returncode, logs, p.stderr.decode()


def polled(logs):
    return [entry for entry in logs if entry["msg"] == "police feed polled"]


def test_poller_keeps_its_history_across_the_500_window_and_obeys_the_api(estd):
    # The alias a geocoded summary uses (PATCH through the API, as an operator would).
    r = estd.get("/v1/areas/2")
    assert r.json()["name"] == "Norrby" and r.json()["aliases"] == []
    r = estd.patch("/v1/areas/2", {"aliases": ["Norrbyområdet"]},
                   headers={"If-Match": r.headers["ETag"], "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200 and r.json()["aliases"] == ["Norrbyområdet"], r.text

    special = {
        1003: feed_record(1003, "Sammanfattning natt"),
        1010: dict(feed_record(1010), location={"name": "Borås", "gps": "57.72;12.94"}),  # bad: a dead letter
        1020: feed_record(1020, "Drönarlarm"),  # not in the type list: counted as unknown
        1030: dict(feed_record(1030, "Stöld"), summary="Cykelstöld på Norrby under natten."),
        1031: dict(feed_record(1031, "Stöld"), summary="Stöld på Norrbyvägen."),  # a street: stays municipality
        1040: dict(feed_record(1040, "Skadegörelse"), summary="Klotter vid Norrbyområdet."),  # the alias
        1450: feed_record(1450, "Sammanfattning kväll och natt"),  # in the overlap of both windows
        1460: dict(feed_record(1460), datetime="yesterday"),  # bad, in the overlap: one dead letter, not two
        1650: feed_record(1650, "Trafikolycka, vilt"),
    }
    first, second = window(1000, 500, special), window(1200, 500, special)  # 300 records in both
    feed = RecordedFeed([(200, {}, first), (429, {"Retry-After": "2"}, {"error": "too many requests"}),
                         (200, {}, second), (404, {}, b"")])
    try:
        check_first_run(estd, feed, second)
    finally:
        feed.close()


def check_first_run(estd, feed, second):
    code, logs, err = poll(estd.db, feed.url, "--calls", "10")
    assert code == 3, (code, err, logs[-5:])  # the 404 is final: the poller stopped on it
    reqs = list(feed.requests)
    assert len(reqs) == 4
    # The API's rules: an identifying User-Agent with a contact; the interval; Retry-After.
    for q in reqs:
        ua = q["headers"]["User-Agent"]
        assert ua.startswith("estd/") and "est@boras.example" in ua, ua
        assert q["path"] == "/api/events?locationname=Bor%C3%A5s"
    gaps = [b["at"] - a["at"] for a, b in zip(reqs, reqs[1:])]
    # The poller times a call from before it connects, the server from its arrival: a few ms of slack.
    assert gaps[0] >= 0.15 and gaps[2] >= 0.15, gaps  # ESTD_POLICE_FEED_MIN_INTERVAL_MS=200
    assert gaps[1] >= 1.9, gaps  # the 429's Retry-After: 2 (without it: 0.2 s, or the 1.2 s backoff)
    rows = estd.sql("SELECT status, retry_after_s, fetched, new_records FROM police_feed_polls ORDER BY id")
    assert rows == [(200, None, 500, 500), (429, 2, 0, 0), (200, None, 500, 200), (404, None, 0, 0)]

    results = polled(logs)
    assert [(x["fetched"], x["new"]) for x in results] == [(500, 500), (500, 200)]
    assert results[0]["skipped_summary"] == 2 and results[0]["dead_lettered"] == 2
    assert results[1]["skipped_summary"] == 0 and results[1]["dead_lettered"] == 0
    assert json.loads(results[0]["unknown_types"]) == {"Drönarlarm": 1}
    assert json.loads(results[1]["unmapped_types"])["Trafikolycka, vilt"] == 1

    # Nothing lost, nothing twice: every record of either window once in the history...
    ids = set(range(1000, 1700))
    hist = estd.sql("SELECT feed_id, outcome, times_seen, reason FROM police_feed_records WHERE source = %s",
                    (FEED_SOURCE,))
    assert {int(h[0]) for h in hist} == ids and len(hist) == 700
    assert {int(h[0]) for h in hist if h[2] == 2} == set(range(1200, 1500))
    outcome = {int(h[0]): (h[1], h[3]) for h in hist}
    assert outcome[1003] == outcome[1450] == ("skipped_summary", "skipped_summary")
    assert outcome[1010] == ("dead_letter", "bad_coordinates") and outcome[1460] == ("dead_letter", "schema")
    # ... and every event record once as an event (the summaries and the bad ones not).
    events = estd.sql("SELECT source_event_id, channel, location_precision, area_ids, occurred_at::text, "
                      "published_at::text, category, attributes->>'police_mapping' FROM events WHERE source = %s "
                      "AND channel = 'poll'", (FEED_SOURCE,))
    assert sorted(int(e[0]) for e in events) == sorted(ids - {1003, 1450, 1010, 1460})
    by_id = {int(e[0]): e for e in events}
    assert {e[1] for e in events} == {"poll"}
    # Occurrence from name, publication from datetime (14.05 on 6 November: 1005 % 28 = 25 -> 26 November).
    assert by_id[1005][4:6] == ("2026-11-26 13:05:00+00", "2026-11-26 13:10:10+00")
    assert by_id[1020][6:] == ("ovrigt", "unknown") and by_id[1650][6:] == ("ovrigt", "unmapped")
    # Centroid events: municipality precision, in no area.
    assert by_id[1031][2:4] == ("municipality", [])
    assert all(e[3] == [] for e in events if e[2] == "municipality")
    # Geocoded: district precision, in the named district only (not in the Norrby särskilt utsatt
    # område that contains the district's point, not in any hot spot), never "point".
    assert by_id[1030][2:4] == ("district", [2]) and by_id[1040][2:4] == ("district", [2])
    assert estd.sql("SELECT count(*) FROM areas WHERE id = 8 AND ST_Intersects(geom, "
                    "(SELECT geom FROM events WHERE source = %s AND source_event_id = '1030'))",
                    (FEED_SOURCE,)) == [(1,)]
    assert {e[2] for e in events} == {"municipality", "district"}
    ev = estd.sql("SELECT attributes FROM events WHERE source = %s AND source_event_id = '1030'", (FEED_SOURCE,))[0][0]
    assert ev["police_geocoded"] == {"area_id": 2, "name": "Norrby"} and ev["police_gps"] == "57.721035,12.939819"
    # Dead letters: one per bad record, with its reason, although 1460 was served twice.
    dl = estd.sql("SELECT source_event_id, reason, channel FROM dead_letters WHERE source = %s ORDER BY 1",
                  (FEED_SOURCE,))
    assert dl == [("1010", "bad_coordinates", "poll"), ("1460", "schema", "poll")]
    r = estd.get("/v1/dead-letters", params={"reason": "bad_coordinates"})
    assert r.status_code == 200 and any(d["source_event_id"] == "1010" for d in r.json()["items"]), r.text

    # The 404 is final across restarts: no call until --retry-gone.
    feed.script = [(200, {}, second)]
    code, logs, err = poll(estd.db, feed.url.replace("?", "?x=1&"), "--once")  # another URL: not gone
    assert code == 0 and len(feed.requests) == 5, err
    assert polled(logs)[0]["new"] == 0  # everything known already
    code, logs, err = poll(estd.db, feed.url, "--once")
    assert code == 3 and "404" in err and len(feed.requests) == 5
    feed.script = [(200, {}, second)]
    code, logs, err = poll(estd.db, feed.url, "--once", "--retry-gone")
    assert code == 0 and len(feed.requests) == 6, err
    assert estd.sql("SELECT count(*) FROM events WHERE source = %s AND channel = 'poll'",
                    (FEED_SOURCE,)) == [(len(events),)]

    # The type list and the counts of what was mapped how are visible to operators.
    out = subprocess.run([ESTD_BIN, "police-feed", "types", "--counts", "--since", "2026-01-01T00:00:00Z"],
                         env=dict(os.environ, ESTD_DATABASE_URL=pg_url(estd.db), ESTD_LOG_LEVEL="warn"),
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert len(doc["types"]) == 97
    assert {"type": "Drönarlarm", "mapping": "unknown", "count": 1} in doc["events"]
    assert {"type": "Trafikolycka, vilt", "mapping": "unmapped", "count": 1} in doc["events"]
    assert {"type": "Sammanfattning natt", "outcome": "skipped_summary", "count": 1} in doc["history"]


def feed_metrics(estd):
    """The estd_police_feed_* samples of the server's /metrics (name{labels} -> value)."""
    text = estd.get("/metrics").text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("estd_police_feed_")}


def test_unmapped_and_unknown_types_are_counted_on_metrics(estd):
    """The poller is a process of its own: what it took in, by the type's mapping, shows on the
    /metrics of an estd serving the API (police_feed_type_counts), a listed unmapped type under
    its own label (the list's spelling), an unknown one only in a count; a record served again
    counts nothing. The database is read at most every ESTD_METRICS_DB_SAMPLE_MS: an estd with
    an hour of it still shows its first reading."""
    unmapped, unknown = 'estd_police_feed_unmapped_total{type="Räddningsinsats"}', "estd_police_feed_unknown_types"
    mapping = 'estd_police_feed_records_total{mapping="%s"}'
    fresh = Estd(estd.db, env={"ESTD_METRICS_DB_SAMPLE_MS": "0"}).start()
    held = Estd(estd.db, env={"ESTD_METRICS_DB_SAMPLE_MS": "3600000"}).start()
    records = [feed_record(9301, "Räddningsinsats"), feed_record(9302, "räddningsinsats"),  # one type, two spellings
               feed_record(9303, "Ballongobservation"), feed_record(9304, "Skadegörelse"),
               feed_record(9305, "Sammanfattning natt"),
               feed_record(9306, "Efterlyst 811218-9876")]  # an identity number in the type: redacted
    feed = RecordedFeed([(200, {}, records), (200, {}, records)])
    try:
        before = feed_metrics(fresh)
        assert mapping % "unknown" in before, before  # the series are there before any such record
        assert feed_metrics(held) == before
        for run in range(2):
            code, logs, err = poll(estd.db, feed.url, "--once")
            assert code == 0 and polled(logs)[0]["new"] == (6 if run == 0 else 0), (code, err, logs[-3:])
            after = feed_metrics(fresh)
            assert after.get(unmapped, 0) - before.get(unmapped, 0) == 2, after
            assert after[mapping % "unmapped"] - before[mapping % "unmapped"] == 2, after
            assert after[mapping % "unknown"] - before[mapping % "unknown"] == 2, after
            assert after[mapping % "mapped"] - before[mapping % "mapped"] == 1, after
            assert after[mapping % "summary"] - before[mapping % "summary"] == 1, after
            assert after[unknown] - before[unknown] == 2, after
            assert not any("Ballongobservation" in k or "räddningsinsats" in k for k in after), after
            assert feed_metrics(held) == before  # its first reading, not the database's now
    finally:
        feed.close()
        for e in (fresh, held):
            assert e.stop() == 0, e.read_log()[-3000:]
    assert estd.sql("SELECT police_type FROM police_feed_type_counts WHERE police_type LIKE 'Efterlyst %'") == \
        [("Efterlyst XXXXXX-XXXX",)]
    assert estd.sql("SELECT count(*) FROM police_feed_records WHERE police_type LIKE '%%9876%%'") == [(0,)]
    assert estd.sql("SELECT mapping FROM police_feed_type_counts WHERE police_type = 'Räddningsinsats'") == \
        [("unmapped",)]


def test_poller_pacing_survives_a_restart(db):
    """Two one-shot runs in a row: the second waits out the minimum interval from the first one's
    logged call (the rules hold across restarts, e.g. a cron job)."""
    feed = RecordedFeed([(200, {}, window(5000, 3, {})), (200, {}, window(5000, 4, {}))])
    try:
        assert poll(db, feed.url, "--once", min_interval_ms=3000)[0] == 0
        code, logs, err = poll(db, feed.url, "--once", min_interval_ms=3000)
        assert code == 0, err
    finally:
        feed.close()
    assert len(feed.requests) == 2
    assert feed.requests[1]["at"] - feed.requests[0]["at"] >= 2.9  # without the log: well under a second
    assert polled(logs)[0]["new"] == 1


def test_poller_min_interval_floor_protects_the_real_api(db):
    """Below 10 s only against loopback: a test setting cannot reach polisen.se."""
    for url in ("https://polisen.se/api/events", "http://127.0.0.1.example.org/api/events",
                "https://localhost.example.org/api/events", "http://user@127.0.0.1@example.org/"):
        code, logs, err = poll(db, url, "--once", min_interval_ms=100)
        assert code == 2 and ("below the API's floor" in err or "must be an https:// URL" in err), (url, code, err)
    code, logs, err = poll(db, "http://example.org/api/events", "--once", min_interval_ms=10000)
    assert code == 2 and "must be an https:// URL" in err
    code, logs, err = poll(db, "https://polisen.se/api/events", "--once", min_interval_ms=10000,
                           extra={"ESTD_POLICE_FEED_CONTACT": ""})  # refused before any call
    assert code == 2 and "ESTD_POLICE_FEED_CONTACT" in err


def test_poller_history_goes_with_the_event_retention(db):
    """The history keeps records as served (summary text): retention removes them with the events."""
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        c.execute("INSERT INTO police_feed_records (source, feed_id, record, outcome, first_seen_at) VALUES "
                  "('urn:t', 'old', '{}', 'skipped_summary', now() - interval '400 days'), "
                  "('urn:t', 'new', '{}', 'skipped_summary', now() - interval '10 days')")
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_LOG_LEVEL="warn", ESTD_EVENT_RETENTION_DAYS="365")
    p = subprocess.run([ESTD_BIN, "retention", "run"], env=env, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        assert c.execute("SELECT feed_id FROM police_feed_records WHERE source = 'urn:t'").fetchall() == [("new",)]
        after = c.execute("SELECT after FROM audit_log WHERE action = 'retention' ORDER BY id DESC LIMIT 1").fetchone()
        assert after[0]["police_feed_records_deleted"] == 1


def test_poller_dead_letters_a_row_the_database_refuses(db):
    """One refused row (here a constraint the test adds) does not block the poll or later polls."""
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        c.execute("ALTER TABLE events ADD CONSTRAINT test_refuse_7001 CHECK (source_event_id <> '7001') NOT VALID")
    try:
        feed = RecordedFeed([(200, {}, window(7000, 3, {}))])
        try:
            code, logs, err = poll(db, feed.url, "--once")
        finally:
            feed.close()
        assert code == 0, err
        assert polled(logs)[0]["stored"] == 2 and polled(logs)[0]["dead_lettered"] == 1
        with psycopg.connect(pg_url(db), autocommit=True) as c:
            assert c.execute("SELECT source_event_id FROM events WHERE source_event_id IN ('7000', '7001', '7002') "
                             "ORDER BY 1").fetchall() == [("7000",), ("7002",)]
            dl = c.execute("SELECT reason, detail FROM dead_letters WHERE channel = 'poll' AND "
                           "source_event_id = '7001'").fetchall()
            assert len(dl) == 1 and dl[0][0] == "rejected_by_database" and "test_refuse_7001" in dl[0][1]
            assert c.execute("SELECT outcome FROM police_feed_records WHERE feed_id = '7001'").fetchall() == \
                [("dead_letter",)]
    finally:
        with psycopg.connect(pg_url(db), autocommit=True) as c:
            c.execute("ALTER TABLE events DROP CONSTRAINT test_refuse_7001")


def test_geocoder_on_http_and_kafka_intake(db):
    """The geocoder is part of admission: HTTP and Kafka intake of feed records use it too."""
    from conftest import Estd
    from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for
    topic = uniq("t.police")
    create_topic(topic, 1)
    e = Estd(db, env={"ESTD_POLICE_GEOCODE_MUNICIPALITY": "Borås", **kafka_env([topic], uniq("g"))}).start()
    try:
        tag = uuid.uuid4().hex[:8]
        recs = [police_record(f"geo-{tag}-{i}", 7, "21.15") for i in range(3)]
        recs[0]["data"]["summary"] = "Bilbrand i Hässleholmen under natten."
        recs[1]["data"]["summary"] = "Stöld på Hässleholmsvägen."  # not the district
        recs[2]["data"]["summary"] = "Bilbrand i Hässleholmen."
        recs[2]["data"]["location"]["name"] = "Ulricehamn"  # another municipality's centroid: left alone
        post(e, recs)
        rows = e.sql("SELECT source_event_id, location_precision, area_ids FROM events WHERE source_event_id LIKE %s "
                     "ORDER BY 1", (f"geo-{tag}-%",))
        assert [r[1:] for r in rows] == [("district", [4]), ("municipality", []), ("municipality", [])]
        # Kafka: the same admission.
        k = [police_record(f"kgeo-{tag}-{i}", 8, "22.05") for i in range(2)]
        k[0]["data"]["summary"] = "Inbrott på Norrby."
        ce = [("content-type", b"application/cloudevents+json")]
        produce_all(topic, [(r["id"].encode(), json.dumps(r).encode(), ce) for r in k])
        rows = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(e.sql(
            "SELECT source_event_id, location_precision, area_ids, channel FROM events WHERE source_event_id LIKE %s "
            "ORDER BY 1", (f"kgeo-{tag}-%",))), 60, "the Kafka records")
        assert [r[1:] for r in rows] == [("district", [2], "kafka"), ("municipality", [], "kafka")]
    finally:
        assert e.stop() == 0
