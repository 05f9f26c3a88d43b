"""Two estd instances on one database and one Kafka consumer group (issue 13,
"reads that scale out"): the group splits the partitions between them, both
store events, and both serve byte-identical situational pictures (JSON and
GeoJSON, with the same ETag) - so a load balancer may send any request to
either."""
import re
import uuid

from conftest import Estd, register_source
from test_intake_kafka import area_points, count, create_topic, kafka_env, make_msg, produce_all, wait_for

PERIOD = {"from": "2024-01-01", "to": "2025-01-01"}


def ingested(server):
    text = server.get("/metrics").text
    return sum(float(v) for v in re.findall(r'^estd_events_ingested_total\{source="kafka"[^}]*\} (\S+)$', text, re.M))


def test_two_instances_split_the_partitions_and_serve_identical_pictures(db):
    topic, group = f"t.scale.{uuid.uuid4().hex[:8]}", f"g.{uuid.uuid4().hex[:8]}"
    create_topic(topic, 4)
    source = register_source(db, "urn:scale:" + uuid.uuid4().hex[:8])
    env = kafka_env([topic], group, {"ESTD_KAFKA_BATCH_MAX": "50"})
    a = Estd(db, env=env).start()
    b = Estd(db, env=env).start()
    try:
        wait_for(lambda: "partitions assigned" in a.read_log() and "partitions assigned" in b.read_log(), 30,
                 "both assigned")
        points = area_points(a)
        total = 400
        # keys spread the messages over the four partitions
        produce_all(topic, (make_msg(i, source, points, binary=i % 2 == 0) for i in range(total)))
        wait_for(lambda: count(a, "SELECT count(*) FROM events WHERE source = %s", (source,)) >= total, 90, "stored")
        assert count(a, "SELECT count(*) FROM events WHERE source = %s", (source,)) == total
        # each instance consumed its share of the partitions
        wait_for(lambda: ingested(a) + ingested(b) >= total, 10, "metrics")
        assert ingested(a) > 0 and ingested(b) > 0, (ingested(a), ingested(b))
        assert ingested(a) + ingested(b) == total
        for path, params in (("/v1/situation", PERIOD),
                             ("/v1/situation", dict(PERIOD, area_id=points[0][1])),
                             ("/v1/situation/geojson", PERIOD)):
            ra, rb = a.get(path, params=params), b.get(path, params=params)
            assert ra.status_code == rb.status_code == 200, (ra.text, rb.text)
            assert ra.content == rb.content, path
            assert ra.headers["ETag"] == rb.headers["ETag"]
            # and again (now from each instance's cache)
            assert a.get(path, params=params).content == rb.content == b.get(path, params=params).content
        # a real picture: it counts the incidents just consumed (every other message; counts are published rounded, docs/SECURITY.md)
        assert a.get("/v1/situation", params=PERIOD).json()["incidents"]["total"]["count"] >= total // 4
    finally:
        code_a, code_b = a.stop(), b.stop()
    assert code_a == 0, a.read_log()[-3000:]
    assert code_b == 0, b.read_log()[-3000:]
