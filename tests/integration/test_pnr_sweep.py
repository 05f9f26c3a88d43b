"""No personal identity number is stored or served, whatever the message.

Personnummer and samordningsnummer, in the forms people type, go through
every intake path (Kafka structured and binary mode, HTTP single and batch,
dead-letter resubmission of the stored bytes and with a new body), each
combined with every defect class. Afterwards a full pg_dump of the database
must not hold any of the numbers, neither as text nor as hex (bytea is
dumped as hex), the HTTP answers must not echo them, and neither must the
server logs (debug level)."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import PG_PORT, Estd
from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for

CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"

# (kind, as typed, digits only). Valid dates and Luhn check digits.
NUMBERS = [
    ("personnummer", "811218-9876", "8112189876"),
    ("personnummer", "19811218 9876", "198112189876"),
    ("personnummer", "850709 - 9805", "8507099805"),
    ("samordningsnummer", "701063-2391", "7010632391"),
    ("samordningsnummer", "19701063 2391", "197010632391"),
]

# Every defect class; "valid" has none. unknown_source: a source no party has registered.
DEFECTS = ["valid", "broken_json", "unknown_category", "missing_field", "implausible_time", "unknown_party",
           "unknown_source", "number_in_id", "not_cloudevent"]

SOURCE = "urn:sweep:registered"


def needles():
    """Every string that must not appear: each form, its digits, and both as hex."""
    out = set()
    for _kind, typed, digits in NUMBERS:
        for s in (typed, digits, digits[-10:], typed.replace(" ", "%20"), typed.replace("-", "%2D")):
            out.add(s)
            out.add(s.encode().hex())
    return out


def find_needles(text):
    low = text.lower()
    return sorted(n for n in needles() if n.lower() in low)


def event(eid, number, defect, party="boras-stad"):
    """A CloudEvent carrying number in every free-text place, with defect."""
    data = {"category": "skadegorelse", "occurred_at": "2024-05-01T21:30:00+02:00",
            "location": {"lat": 57.7210, "lon": 12.9401, "name": f"Vid porten, {number}"},
            "description": f"Anmälaren {number} ringde",
            "attributes": {"note": f"pnr {number}", "nested": {"list": [1, {"deep": f"x{number}y"}]},
                           f"key {number}": True}}
    ce = {"specversion": "1.0", "id": eid, "source": SOURCE, "type": "se.est.incident.v1", "party": party,
          "subject": f"ärende {number}" if defect == "number_in_id" else "ärende", "data": data}
    if defect == "unknown_category":
        data["category"] = "okand"
    elif defect == "missing_field":
        del data["occurred_at"]
    elif defect == "implausible_time":
        data["occurred_at"] = "2999-01-01T00:00:00Z"
    elif defect == "unknown_party":
        ce["party"] = "hemvarnet"
    elif defect == "unknown_source":
        ce["source"] = "urn:sweep:never-registered"
    elif defect == "number_in_id":
        ce["id"] = f"id-{number}"
    elif defect == "not_cloudevent":
        del ce["specversion"]
    return ce


def kafka_messages(number, n):
    """(key, value, headers) for every defect, structured and binary mode."""
    msgs = []
    for defect in DEFECTS:
        for mode in ("structured", "binary"):
            eid = f"k-{n}-{defect}-{mode}"
            ce = event(eid, number, defect)
            key = f"key {number} {eid}".encode()
            extra = [("x-reporter", f"tel {number}".encode()), ("x-raw", b"\xff\xfe" + number.encode())]
            if mode == "structured":
                value = json.dumps(ce, ensure_ascii=False).encode()
                if defect == "broken_json":
                    value = value[: len(value) // 2 + 40]  # cut after the description
                if n % 2:  # the number written with JSON escapes
                    value = value.replace(number[:2].encode(), "".join("\\u%04x" % ord(c) for c in number[:2]).encode())
                msgs.append((key, value, [("content-type", b"application/cloudevents+json")] + extra))
            else:
                if defect == "not_cloudevent":
                    continue  # binary mode is defined by ce_specversion
                headers = [("ce_specversion", b"1.0")] + [
                    ("ce_" + k, str(v).encode()) for k, v in ce.items() if k not in ("specversion", "data")]
                value = json.dumps(ce["data"], ensure_ascii=False).encode()
                if defect == "broken_json":
                    value = value[: len(value) // 2]
                msgs.append((key, value, headers + [("content-type", b"application/json")] + extra))
    return msgs


@pytest.fixture(scope="module")
def registered(estd):
    """The sweep's source, registered for boras-stad through the API."""
    r = estd.post("/v1/sources", {"party": "boras-stad", "source": SOURCE, "description": "sweep"})
    assert r.status_code == 201, r.text
    return SOURCE


def test_every_path_and_defect_leaves_no_number_anywhere(db, estd, registered):
    served = []  # every HTTP answer body
    topic = uniq("t.sweep")
    create_topic(topic, 1)
    msgs = []
    for n, (_kind, number, _digits) in enumerate(NUMBERS):
        msgs += kafka_messages(number, n)
    produce_all(topic, msgs)
    k = Estd(db, env=kafka_env([topic], uniq("g"), {"ESTD_LOG_LEVEL": "debug"})).start()
    try:
        # every message ends as an event or a dead letter
        wait_for(lambda: k.sql("SELECT count(*) FROM dead_letters WHERE topic = %s", (topic,))[0][0]
                 + k.sql("SELECT count(*) FROM events WHERE source_event_id LIKE 'k-%%'")[0][0] == len(msgs),
                 90, "every Kafka message stored or dead-lettered")
        # valid Kafka events are stored, redacted and flagged
        rows = k.sql("SELECT description, place_name, attributes::text, flags FROM events "
                     "WHERE source_event_id LIKE 'k-%%-valid-%%'")
        assert len(rows) == 2 * len(NUMBERS)
        assert all("pnr_redacted" in flags and "XXXX" in desc for desc, _p, _a, flags in rows)
        # the dead letters are there with their reasons
        reasons = {r for (r,) in k.sql("SELECT DISTINCT reason FROM dead_letters WHERE topic = %s", (topic,))}
        assert reasons == {"not_json", "unknown_category", "schema", "implausible_time", "unknown_party",
                           "unknown_source", "personnummer", "not_cloudevent"}, reasons

        # HTTP: single and batch, every defect (broken JSON as raw bytes)
        for n, (_kind, number, _digits) in enumerate(NUMBERS):
            batch = []
            for defect in DEFECTS:
                ce = event(f"h-{n}-{defect}", number, defect)
                body = json.dumps(ce, ensure_ascii=False).encode()
                if defect == "broken_json":
                    body = body[: len(body) // 2 + 40]
                r = estd.post("/v1/events", data=body, headers={"Content-Type": CE})
                served.append(r.text)
                assert r.status_code in (400, 403, 422), (defect, r.status_code, r.text)
                if defect != "broken_json":
                    batch.append(event(f"hb-{n}-{defect}", number, defect))
            r = estd.post("/v1/events", data=json.dumps(batch, ensure_ascii=False).encode(),
                          headers={"Content-Type": BATCH})
            served.append(r.text)
            assert r.status_code == 422, r.text  # every one has the number in free text
            r = estd.get("/v1/events", params={"source": number})  # a number in a query string (logged path)
            served.append(r.text)
            for path in (f"/v1/events/{number}", f"/v1/dead-letters/{number}/resubmit",  # echoed in problems
                         f"/v1/areas?kind={number}", f"/v1/events?from={number}"):
                r = estd.post(path) if path.endswith("resubmit") else estd.get(path)
                assert r.status_code >= 400, (path, r.status_code)
                served.append(r.text)

        # resubmission: the stored (redacted) bytes, and with a new body carrying a number
        dls = k.sql("SELECT id FROM dead_letters WHERE topic = %s ORDER BY id", (topic,))
        for i, (dl_id,) in enumerate(dls):
            r = estd.post(f"/v1/dead-letters/{dl_id}/resubmit")
            served.append(r.text)
            if i % 3 == 0:
                number = NUMBERS[i % len(NUMBERS)][1]
                for defect in ("valid", "unknown_category", "implausible_time", "number_in_id"):
                    body = event(f"r-{i}-{defect}", number, defect)
                    r = estd.post(f"/v1/dead-letters/{dl_id}/resubmit", data=json.dumps(body).encode(),
                                  headers={"Content-Type": CE})
                    served.append(r.text)
        # what is served about the dead letters and events
        for path in ("/v1/dead-letters?limit=500", "/v1/events?limit=500", "/v1/audit?limit=500"):
            r = estd.get(path)
            assert r.status_code == 200, (path, r.text)
            served.append(r.text)
        for (dl_id,) in dls:
            served.append(estd.get(f"/v1/dead-letters/{dl_id}").text)
    finally:
        assert k.stop() == 0, k.read_log()[-3000:]
    resolved = estd.sql("SELECT count(*) FROM dead_letters WHERE topic = %s AND resolved_at IS NOT NULL", (topic,))
    assert resolved[0][0] > 0, "no resubmission stored anything: the sweep did not exercise the path"

    dump = subprocess.run([os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin") + "/pg_dump", "-h", "127.0.0.1",
                           "-p", str(PG_PORT), "-U", "postgres", "--no-owner", db],
                          check=True, capture_output=True).stdout.decode("utf-8", "replace")
    assert "dead_letters" in dump and "XXXXXX" in dump  # the dump holds the redacted rows
    assert find_needles(dump) == [], "a number is in the database dump"
    for i, text in enumerate(served):
        assert find_needles(text) == [], ("served", i, text[:500])
    for e in (k, estd):
        log = e.read_log()
        assert log, "no log"
        assert find_needles(log) == [], "a number is in the server log"


def test_the_sweep_can_see_a_number(estd):
    """The greps are not blind: a number written where no screening runs
    (directly in SQL) is found in the dump, as text and as hex."""
    number, digits = NUMBERS[0][1], NUMBERS[0][2]
    estd.sql("CREATE TABLE sweep_probe (t text, b bytea)")
    try:
        estd.sql("INSERT INTO sweep_probe VALUES ('x', %s)", (digits.encode(),))
        dump = subprocess.run([os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin") + "/pg_dump", "-h",
                               "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-t", "sweep_probe", estd.db],
                              check=True, capture_output=True).stdout.decode()
        assert digits.encode().hex() in find_needles(dump)
        estd.sql("UPDATE sweep_probe SET t = %s, b = NULL", (number,))
        dump = subprocess.run([os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin") + "/pg_dump", "-h",
                               "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-t", "sweep_probe", estd.db],
                              check=True, capture_output=True).stdout.decode()
        assert number in find_needles(dump)
    finally:
        estd.sql("DROP TABLE sweep_probe")
    _ = uuid
