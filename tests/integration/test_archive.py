"""A system of record loses nothing to one request: DELETE on commitments,
areas and area focuses needs If-Match (428), archives the row instead of
removing it, lists leave it out unless ?archived=true, POST .../restore
(If-Match) brings it back, both are audited; a commitment of a signed
agreement cannot be removed even in SQL."""
import psycopg
import pytest

from conftest import assert_problem, page_all

SQUARE = {"type": "Polygon", "coordinates": [[[13.0, 57.7], [13.01, 57.7], [13.01, 57.71], [13.0, 57.7]]]}


def new_area(estd):
    r = estd.post("/v1/areas", {"name": "Arkivyta", "kind": "other", "geometry": SQUARE})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def new_focus(estd):
    r = estd.post("/v1/area-focuses", {"area_id": 1, "agreement_id": 1, "reason": "arkiv", "valid_from": "2021-01-01"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def new_commitment(estd):
    r = estd.post("/v1/commitments", {"agreement_id": 1, "text": "Arkivåtagande", "responsible_party_ids": [1]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


RESOURCES = [("/v1/areas", "area", new_area), ("/v1/area-focuses", "area_focus", new_focus),
             ("/v1/commitments", "commitment", new_commitment)]


def ids(estd, coll, **params):
    return [x["id"] for x in page_all(estd, coll, params, limit=200)]


@pytest.mark.parametrize("coll,entity,make", RESOURCES, ids=[r[1] for r in RESOURCES])
def test_delete_archives_and_restore_restores(estd, coll, entity, make):
    rid = make(estd)
    path = f"{coll}/{rid}"
    doc = assert_problem(estd.delete(path), 428)
    assert doc["type"] == "/problems/precondition-required"
    assert_problem(estd.delete(path, headers={"If-Match": '"9"'}), 412)
    assert estd.get(path).json()["archived_at"] is None
    assert estd.delete(path, headers={"If-Match": '"1"'}).status_code == 204
    row = estd.get(path)
    assert row.status_code == 200 and row.json()["archived_at"] is not None and row.headers["ETag"] == '"2"'
    assert estd.sql(f"SELECT count(*) FROM {coll.split('/')[-1].replace('-', '_')} WHERE id = %s", (rid,)) == [(1,)]
    # lists: left out by default and with archived=false, included with archived=true
    assert rid not in ids(estd, coll)
    assert rid not in ids(estd, coll, archived="false")
    assert rid in ids(estd, coll, archived="true")
    assert_problem(estd.get(coll, params={"archived": "maybe"}), 400, "archived")
    # archiving again changes nothing (idempotent)
    assert estd.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    # restore: If-Match required, stale refused, then the row is back
    assert_problem(estd.post(path + "/restore"), 428)
    assert_problem(estd.post(path + "/restore", headers={"If-Match": '"1"'}), 412)
    r = estd.post(path + "/restore", headers={"If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert r.json()["archived_at"] is None and r.json()["version"] == 3 and r.headers["ETag"] == '"3"'
    assert rid in ids(estd, coll)
    assert_problem(estd.post(f"{coll}/99999999/restore", headers={"If-Match": '"1"'}), 404)
    audit = estd.sql("SELECT action, before->>'archived_at', after->>'archived_at' FROM audit_log "
                     "WHERE entity = %s AND entity_id = %s ORDER BY id", (entity, rid))
    assert [a for a, _, _ in audit] == ["create", "archive", "restore"]
    assert audit[1][1] is None and audit[1][2] is not None and audit[2][1] is not None and audit[2][2] is None


def test_seeded_content_survives_deletes(estd):
    """The fuzzing incident: DELETEs with an admin key on the agreement's
    commitments and focuses. Every row is still there afterwards."""
    counts = estd.sql("SELECT (SELECT count(*) FROM commitments), (SELECT count(*) FROM area_focuses), "
                      "(SELECT count(*) FROM areas)")
    for coll in ("/v1/commitments", "/v1/area-focuses", "/v1/areas"):
        for rid in ids(estd, coll)[:2]:
            etag = estd.get(f"{coll}/{rid}").headers["ETag"]
            assert estd.delete(f"{coll}/{rid}", headers={"If-Match": etag}).status_code == 204
            assert estd.post(f"{coll}/{rid}/restore", headers={"If-Match": estd.get(f"{coll}/{rid}").headers["ETag"]}
                             ).status_code == 200
    assert estd.sql("SELECT (SELECT count(*) FROM commitments), (SELECT count(*) FROM area_focuses), "
                    "(SELECT count(*) FROM areas)") == counts


def test_commitment_of_a_signed_agreement_is_never_removed(estd):
    signed = estd.sql("SELECT c.id FROM commitments c JOIN agreements a ON a.id = c.agreement_id "
                      "WHERE a.signed_on IS NOT NULL ORDER BY c.id LIMIT 1")
    assert signed, "the seed has a signed agreement with commitments"
    cid = signed[0][0]
    with pytest.raises(psycopg.errors.RestrictViolation, match="signed agreement"):
        estd.sql("DELETE FROM commitments WHERE id = %s", (cid,))
    assert estd.sql("SELECT count(*) FROM commitments WHERE id = %s", (cid,)) == [(1,)]
    # an unsigned agreement's commitment may still be removed by SQL (e.g. a data repair)
    aid = estd.sql("INSERT INTO agreements (code, kind, title, valid_from, valid_to) VALUES "
                   "('osignerad', 'medborgarlofte', 'Osignerad', '2024-01-01', '2024-12-31') RETURNING id")[0][0]
    cid2 = estd.sql("INSERT INTO commitments (agreement_id, text, status) VALUES (%s, 'utkast', 'planned') "
                    "RETURNING id", (aid,))[0][0]
    estd.sql("DELETE FROM commitments WHERE id = %s", (cid2,))
    assert estd.sql("SELECT count(*) FROM commitments WHERE id = %s", (cid2,)) == [(0,)]
