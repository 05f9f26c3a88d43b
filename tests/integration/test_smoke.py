"""Smoke test: the shortest end-to-end path through the suite's own stack
(its PostgreSQL, its Kafka, an estd on a free port): probes, an event over
HTTP and one over Kafka, both read back. scripts/beside-run-test.sh runs it
while scripts/run.sh serves (ESTD_BESIDE_URL set): then it also checks that
the two stacks share no port and that run.sh's service keeps serving."""
import json
import os
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import KAFKA_BOOTSTRAP, PG_PORT, Estd, register_source

BESIDE = os.environ.get("ESTD_BESIDE_URL")  # run.sh's API, when run beside it


def event(i, run):
    return {"specversion": "1.0", "id": "%s-%d" % (run, i), "source": "urn:estd:smoke", "type": "se.est.incident.v1",
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "party": "ab-bostader",
            "data": {"category": "klotter", "location": {"lat": 57.7284, "lon": 12.9302}, "description": "smoke %d" % i}}


def read_back(e, run, want, timeout=60):
    deadline = time.time() + timeout
    while True:
        items = e.get("/v1/events", params={"source": "urn:estd:smoke", "limit": 500}).json()["items"]
        mine = sorted((x["source_event_id"], x["channel"]) for x in items if x["source_event_id"].startswith(run))
        if len(mine) >= len(want) or time.time() > deadline:
            return mine
        time.sleep(0.2)


def test_smoke_http_and_kafka(db):
    run = uuid.uuid4().hex[:10]
    register_source(db, "urn:estd:smoke", ["ab-bostader"])
    topic = "smoke." + run
    admin = AdminClient({"bootstrap.servers": KAFKA_BOOTSTRAP})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    e = Estd(db, env={"ESTD_KAFKA_BROKERS": KAFKA_BOOTSTRAP, "ESTD_KAFKA_TOPICS": topic,
                      "ESTD_KAFKA_GROUP_ID": "smoke-" + run, "ESTD_KAFKA_BATCH_WAIT_MS": "50"}).start()
    try:
        assert e.get("/livez").status_code == 200
        assert e.get("/readyz").status_code == 200
        r = e.post("/v1/events", event(1, run), headers={"Content-Type": "application/cloudevents+json"})
        assert r.status_code in (200, 201, 202), r.text
        p = Producer({"bootstrap.servers": KAFKA_BOOTSTRAP, "acks": "all"})
        p.produce(topic, json.dumps(event(2, run)).encode())
        assert p.flush(30) == 0
        got = read_back(e, run, ["1", "2"])
        assert got == [(run + "-1", "http"), (run + "-2", "kafka")], got
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


def test_beside_run_sh_no_shared_port():
    """Only meaningful beside run.sh (scripts/beside-run-test.sh sets the variables)."""
    if not BESIDE:
        import pytest
        pytest.skip("not run beside scripts/run.sh (ESTD_BESIDE_URL unset)")
    theirs = {urlsplit(BESIDE).port, int(os.environ["ESTD_BESIDE_PG_PORT"]), int(os.environ["ESTD_BESIDE_KAFKA_PORT"])}
    ours = {PG_PORT, int(KAFKA_BOOTSTRAP.rsplit(":", 1)[1])}
    assert not theirs & ours, (theirs, ours)
    # run.sh's service is still there and still answers after our tests ran.
    assert requests.get(BESIDE + "/readyz", timeout=10).status_code == 200
