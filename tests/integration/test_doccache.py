"""The document cache (issue 13, REST single GET): GET /v1/commitments/{id}
is served from memory, invalidated by LISTEN/NOTIFY (migration 0100), and
never older than a write that committed before the request arrived - across
instances, for writes that bypass estd, and while (and after) the cache's
listener connection is killed with pg_terminate_backend."""
import uuid

import pytest

from conftest import Estd, metric_value, wait_until


def cache(server, result):
    return metric_value(server, "estd_doc_cache_requests_total", '{result="%s"}' % result)


@pytest.fixture(scope="module")
def pair(db):
    """Two instances on one database: writes through a, reads through b."""
    a = Estd(db).start()
    b = Estd(db, env={"ESTD_DOC_CACHE_LISTEN_RETRY_MS": "1500"}).start()
    for e in (a, b):
        wait_until(lambda: metric_value(e, "estd_doc_cache_listening") == 1, 20, "listening")
    yield a, b
    assert a.stop() == 0, a.read_log()[-3000:]
    assert b.stop() == 0, b.read_log()[-3000:]


def new_commitment(server, text):
    agr = server.sql("SELECT id FROM agreements ORDER BY id LIMIT 1")[0][0]
    party = server.sql("SELECT id FROM parties ORDER BY id LIMIT 1")[0][0]
    r = server.post("/v1/commitments", {"agreement_id": agr, "text": text, "status": "planned",
                                        "responsible_party_ids": [party]})
    assert r.status_code == 201, r.text
    return r.json()


def get(server, cid):
    r = server.get(f"/v1/commitments/{cid}")
    assert r.status_code == 200, r.text
    return r


def warm(server, cid):
    """GETs until the document is served from the cache (a fill is dropped
    when the notification of the document's creation arrives during it)."""
    def hit():
        before = cache(server, "hit")
        get(server, cid)
        return cache(server, "hit") == before + 1
    wait_until(hit, 10, "a cache hit")


def test_hot_document_is_served_from_the_cache(pair):
    a, b = pair
    c = new_commitment(a, "hot " + uuid.uuid4().hex[:6])
    first = get(b, c["id"])
    warm(b, c["id"])
    hits = cache(b, "hit")
    again = get(b, c["id"])
    assert cache(b, "hit") == hits + 1
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"] == f'"{c["version"]}"'
    # If-None-Match from the cache too
    assert b.get(f"/v1/commitments/{c['id']}", headers={"If-None-Match": again.headers["ETag"]}).status_code == 304


def test_patch_on_one_instance_is_seen_by_the_other_at_once(pair):
    a, b = pair
    c = new_commitment(a, "v1")
    warm(b, c["id"])
    version = c["version"]
    for i in range(40):
        r = a.patch(f"/v1/commitments/{c['id']}", {"text": f"text {i}"}, headers={"If-Match": f'"{version}"'})
        assert r.status_code == 200, r.text
        version = r.json()["version"]
        doc = get(b, c["id"]).json()  # the write committed before this request: b must show it
        assert (doc["text"], doc["version"]) == (f"text {i}", version), i
        assert get(b, c["id"]).json()["version"] == version  # and the cached copy is the new one
    assert cache(b, "hit") > 0


def test_write_outside_estd_and_a_party_link_invalidate(pair):
    a, b = pair
    c = new_commitment(a, "direct")
    warm(b, c["id"])
    b.sql("UPDATE commitments SET text = 'changed in SQL', version = version + 1 WHERE id = %s", (c["id"],))
    doc = get(b, c["id"]).json()
    assert doc["text"] == "changed in SQL" and doc["version"] == c["version"] + 1
    # a row of another table the document is built from
    other = b.sql("SELECT id FROM parties WHERE id <> ALL(%s) ORDER BY id LIMIT 1",
                  (doc["responsible_party_ids"],))[0][0]
    warm(b, c["id"])
    b.sql("INSERT INTO commitment_parties (commitment_id, party_id) VALUES (%s, %s)", (c["id"], other))
    assert other in get(b, c["id"]).json()["responsible_party_ids"]


def test_listener_killed_no_stale_reads(pair):
    a, b = pair
    c = new_commitment(a, "before the kill")
    warm(b, c["id"])
    bypass = cache(b, "bypass")
    killed = b.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'estd-listen' "
                   "AND datname = current_database()")
    assert len(killed) == 2  # a's and b's
    b.sql("UPDATE commitments SET text = 'while the listener was gone', version = version + 1 WHERE id = %s",
          (c["id"],))
    # The notification of this update is lost for b; b must still not serve its cached copy.
    assert get(b, c["id"]).json()["text"] == "while the listener was gone"
    assert metric_value(b, "estd_doc_cache_listening") == 0  # it reconnects after 1.5 s
    assert cache(b, "bypass") > bypass
    # After the reconnect the cache starts empty (what it held may have been changed meanwhile).
    wait_until(lambda: metric_value(b, "estd_doc_cache_listening") == 1, 20, "reconnected")
    assert get(b, c["id"]).json()["text"] == "while the listener was gone"
    hits = cache(b, "hit")
    assert get(b, c["id"]).json()["text"] == "while the listener was gone"
    assert cache(b, "hit") == hits + 1  # cached again
    assert "document cache listener lost its connection" in b.read_log()
