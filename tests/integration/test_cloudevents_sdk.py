"""The official CloudEvents SDK for Python (`cloudevents` on PyPI) against
estd: the HTTP binding in binary mode (ce-* headers, data as the body),
structured mode and batch mode (an array of the SDK's structured documents), and the Kafka binding in binary and structured mode produced
to the real broker; every event is read back through the API."""
import json
import uuid

import pytest
from cloudevents import kafka as ce_kafka
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from conftest import Estd, assert_problem, register_source
from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for


def sdk_event(eid, source, party="boras-stad", category="klotter", **attrs):
    attributes = {"type": "se.est.incident.v1", "source": source, "id": eid, "party": party}
    attributes.update(attrs)
    data = {"category": category, "occurred_at": "2024-05-01T21:30:00+02:00",
            "location": {"lat": 57.7210, "lon": 12.9401, "name": "Stora torget"},
            "description": f"Klotter ({eid})", "attributes": {"via": "sdk"}}
    return CloudEvent(attributes, data)


def stored(server, source):
    """The API's view of the events of one source, by CloudEvents id."""
    r = server.get("/v1/events", params={"source": source, "limit": 100})
    assert r.status_code == 200, r.text
    return {e["source_event_id"]: e for e in r.json()["items"]}


def test_http_binary_and_structured_mode_with_the_sdk(estd):
    s = register_source(estd.db, "urn:sdk-http:" + uuid.uuid4().hex[:8])
    headers, body = to_binary(sdk_event("bin-1", s, datacontenttype="application/json"))
    # What the SDK sends: attributes as ce-* headers, data as a JSON body.
    assert headers["ce-specversion"] == "1.0" and headers["content-type"] == "application/json"
    assert json.loads(body)["category"] == "klotter"
    r = estd.post("/v1/events", data=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1 and r.json()["results"][0]["id"] == "bin-1"

    headers, body = to_structured(sdk_event("str-1", s, category="brand"))
    assert headers["content-type"].startswith("application/cloudevents+json")
    r = estd.post("/v1/events", data=body, headers=headers)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text

    # Non-ASCII attribute values travel percent-encoded in binary mode.
    # Without a datacontenttype the SDK sends no Content-Type at all.
    headers, body = to_binary(sdk_event("bin-2", s))
    assert not any(k.lower() == "content-type" for k in headers)
    headers["ce-id"] = "bin-%C3%A5"
    r = estd.post("/v1/events", data=body, headers=headers)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text

    # The same binary event again is a duplicate (same idempotency key).
    headers, body = to_binary(sdk_event("bin-1", s))
    r = estd.post("/v1/events", data=body, headers=headers)
    assert r.status_code == 200 and r.json()["duplicates"] == 1, r.text

    got = stored(estd, s)
    assert set(got) == {"bin-1", "str-1", "bin-å"}
    assert got["bin-1"]["category"] == "klotter" and got["str-1"]["category"] == "brand"
    assert got["bin-1"]["channel"] == "http" and got["bin-1"]["description"] == "Klotter (bin-1)"
    assert got["bin-1"]["attributes"] == {"via": "sdk"}
    assert got["bin-1"]["location"]["lat"] == pytest.approx(57.7210)


def test_http_batch_mode_with_the_sdk(estd):
    """The HTTP binding's batch mode: the SDK has no batch helper, so the batch is a JSON array of
    the SDK's own structured-mode documents (to_structured bodies), sent as
    application/cloudevents-batch+json; each event stands on its own (a duplicate inside)."""
    s = register_source(estd.db, "urn:sdk-batch:" + uuid.uuid4().hex[:8])
    docs = [json.loads(to_structured(sdk_event(eid, s, category=cat))[1])
            for eid, cat in (("b-1", "klotter"), ("b-2", "brand"), ("b-1", "klotter"))]
    assert all(d["specversion"] == "1.0" and d["data"]["category"] for d in docs)
    r = estd.post("/v1/events", data=json.dumps(docs), headers={"Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], r.json()["duplicates"]) == (2, 1), r.text
    assert [x["status"] for x in r.json()["results"]] == ["stored", "stored", "duplicate"]
    got = stored(estd, s)
    assert set(got) == {"b-1", "b-2"} and got["b-2"]["category"] == "brand" and got["b-1"]["channel"] == "http"


def test_http_binary_mode_goes_through_the_admission_policy(estd):
    s = register_source(estd.db, "urn:sdk-admit:" + uuid.uuid4().hex[:8])
    # An unregistered source is refused as in structured mode.
    headers, body = to_binary(sdk_event("u-1", "urn:sdk-unregistered:" + uuid.uuid4().hex[:8]))
    doc = assert_problem(estd.post("/v1/events", data=body, headers=headers), 422)
    assert doc["reason"] == "unknown_source"
    # Bad data in the body names the data field.
    ev = sdk_event("c-1", s, category="no-such-category")
    headers, body = to_binary(ev)
    doc = assert_problem(estd.post("/v1/events", data=body, headers=headers), 422, field="/data/category")
    assert doc["reason"] == "unknown_category"
    # Binary mode with a body that is not JSON.
    headers, _ = to_binary(sdk_event("x-1", s))
    doc = assert_problem(estd.post("/v1/events", data=b"<x/>", headers=headers), 422, field="/data")
    assert doc["reason"] == "not_json"
    # A malformed percent-encoding in a ce-* header.
    headers, body = to_binary(sdk_event("p-1", s))
    headers["ce-subject"] = "bad%G1"
    assert_problem(estd.post("/v1/events", data=body, headers=headers), 422, field="/subject")
    assert stored(estd, s) == {}


def test_415_names_every_accepted_media_type(estd):
    for headers in ({}, {"Content-Type": "text/plain"}):
        r = estd.post("/v1/events", data=b"{}", headers=headers)
        if not headers:  # requests sends no Content-Type for raw bytes
            assert "Content-Type" not in r.request.headers
        doc = assert_problem(r, 415)
        for mt in ("application/cloudevents+json", "application/cloudevents-batch+json", "application/json",
                   "ce-* headers"):
            assert mt in doc["detail"], doc
    # A batch media type must carry an array, a structured one a single event.
    s = register_source(estd.db, "urn:sdk-415:" + uuid.uuid4().hex[:8])
    _, body = to_structured(sdk_event("a-1", s))
    assert_problem(estd.post("/v1/events", data=b"[" + body + b"]",
                             headers={"Content-Type": "application/cloudevents+json"}), 400)
    r = estd.post("/v1/events", data=b"[" + body + b"]", headers={"Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text


def test_kafka_binary_and_structured_mode_with_the_sdk(db, estd):
    s = register_source(db, "urn:sdk-kafka:" + uuid.uuid4().hex[:8])
    topic = uniq("sdk")
    create_topic(topic, 1)
    msgs = []
    binary = ce_kafka.to_binary(sdk_event("kb-1", s, datacontenttype="application/json"))
    assert binary.headers["ce_specversion"] == b"1.0" and binary.headers["content-type"] == b"application/json"
    # The SDK's Kafka to_binary needs a datacontenttype (KeyError without one).
    structured = ce_kafka.to_structured(sdk_event("ks-1", s, category="narkotika"))
    assert "content-type" not in structured.headers  # the SDK sends none without a datacontenttype
    # With a datacontenttype, the SDK's structured message says content-type application/json.
    structured_dct = ce_kafka.to_structured(sdk_event("ks-2", s, category="brand", datacontenttype="application/json"))
    assert structured_dct.headers["content-type"] == b"application/json"
    for m in (binary, structured, structured_dct):
        msgs.append((m.key, m.value, list(m.headers.items())))
    produce_all(topic, msgs)
    e = Estd(db, env=kafka_env([topic], uniq("g"))).start()
    try:
        got = wait_for(lambda: (lambda g: g if len(g) == 3 else None)(stored(e, s)), 60, "the SDK's Kafka events")
        assert got["kb-1"]["category"] == "klotter" and got["ks-2"]["category"] == "brand"
        assert got["ks-1"]["category"] == "narkotika"
        assert {g["channel"] for g in got.values()} == {"kafka"}
        assert got["kb-1"]["attributes"] == {"via": "sdk"}
        assert e.sql("SELECT count(*) FROM dead_letters WHERE topic = %s", (topic,)) == [(0,)]
    finally:
        assert e.stop() == 0
