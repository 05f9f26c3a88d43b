"""Commitments API (/v1/commitments): create, get, list (filters, sorts,
keyset paging), JSON merge patch with If-Match, delete, every class of bad
input, the audit trail, and that no rejected write changes any table."""
import base64
import datetime
import json
import os
import subprocess
import uuid

import pytest
import requests

from conftest import ESTD_BIN, SQL_DIR, Estd, assert_problem, page_all, pg_url, archive

MERGE = "application/merge-patch+json"
SO = "boras-polisen-2018-2020"
ML = "medborgarlofte-hassleholmen-hulta-norrby-2018"


class Ids:
    pass


@pytest.fixture(scope="module")
def ids(estd):
    """Seeded ids by natural key."""
    i = Ids()
    i.party = {p["code"]: p["id"] for p in page_all(estd, "/v1/parties")}
    agreements = {a["code"]: a for a in page_all(estd, "/v1/agreements")}
    i.so = agreements[SO]["id"]
    i.ml = agreements[ML]["id"]
    i.coop = {c["code"]: c["id"] for c in agreements[SO]["cooperation_areas"]}
    i.area = dict(estd.sql("SELECT code, id FROM areas"))
    i.police, i.city, i.housing = i.party["polisen-boras"], i.party["boras-stad"], i.party["ab-bostader"]
    return i


def body(ids, **kw):
    b = {"agreement_id": ids.so, "cooperation_area_id": ids.coop["so-2"],
         "text": "Polisen förbinder sig att genomföra trygghetsvandringar i Centrum",
         "responsible_party_ids": [ids.police]}
    b.update(kw)
    return b


def create(estd, ids, **kw):
    r = estd.post("/v1/commitments", body(ids, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def snapshot(estd):
    """Everything a commitment write can touch, as text."""
    return (
        estd.sql("SELECT c::text FROM commitments c ORDER BY id"),
        estd.sql("SELECT x::text FROM commitment_parties x ORDER BY commitment_id, party_id"),
        estd.sql("SELECT x::text FROM commitment_areas x ORDER BY commitment_id, area_id"),
        estd.sql("SELECT a::text FROM audit_log a ORDER BY id"),
    )


def audit_rows(estd, entity_id):
    return estd.sql("SELECT action, before, after, request_id FROM audit_log WHERE entity = 'commitment' "
                    "AND entity_id = %s ORDER BY id", (entity_id,))


def ts(s):
    return datetime.datetime.fromisoformat(s)


def sql_ids(estd, where="true", params=None, order="id"):
    return [r[0] for r in estd.sql(f"SELECT id FROM commitments c WHERE {where} ORDER BY {order}", params)]


# --- create and get ----------------------------------------------------------------------------


def test_create_get_and_audit(estd, ids):
    target = {"value": 4, "unit": "trygghetsvandring", "comparison": "at_least", "per": "year",
              "from": "2019-01-01", "to": "2020-12-31"}
    b = body(ids, code="so-2-test-create", responsible_party_ids=[ids.city, ids.police],
             area_ids=[ids.area["centrum"], ids.area["sjobo"]], target=target, status="ongoing",
             follow_up_note="Första vandringen genomförd")
    r = estd.post("/v1/commitments", b, headers={"X-Request-Id": "create-test-1"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert r.headers["Location"] == f"/v1/commitments/{doc['id']}"
    assert r.headers["ETag"] == '"1"'
    assert doc["version"] == 1
    for k in ("code", "agreement_id", "cooperation_area_id", "text", "target", "status", "follow_up_note"):
        assert doc[k] == b[k], k
    assert doc["responsible_party_ids"] == sorted(b["responsible_party_ids"])
    assert doc["area_ids"] == sorted(b["area_ids"])
    assert doc["created_at"] == doc["updated_at"]
    assert set(doc) == {"id", "code", "agreement_id", "cooperation_area_id", "text", "responsible_party_ids",
                        "area_ids", "target", "status", "follow_up_note", "created_at", "updated_at", "archived_at", "version"}
    # Rows really written.
    assert sorted(r[0] for r in estd.sql("SELECT party_id FROM commitment_parties WHERE commitment_id = %s",
                                         (doc["id"],))) == sorted(b["responsible_party_ids"])
    assert sorted(r[0] for r in estd.sql("SELECT area_id FROM commitment_areas WHERE commitment_id = %s",
                                         (doc["id"],))) == sorted(b["area_ids"])
    # GET returns the same document and ETag; If-None-Match gives 304.
    g = estd.get(r.headers["Location"])
    assert g.status_code == 200 and g.json() == doc and g.headers["ETag"] == '"1"'
    assert estd.get(r.headers["Location"], headers={"If-None-Match": '"1"'}).status_code == 304
    # One audit row, in the same transaction, with the after image.
    assert audit_rows(estd, doc["id"]) == [("create", None, doc, "create-test-1")]


def test_create_defaults(estd, ids):
    doc = create(estd, ids, cooperation_area_id=None)
    assert doc["status"] == "planned"
    assert doc["area_ids"] == [] and doc["target"] is None and doc["code"] is None
    assert doc["cooperation_area_id"] is None and doc["follow_up_note"] is None
    # A medborgarlöfte promise has no cooperation area.
    doc = create(estd, ids, agreement_id=ids.ml, cooperation_area_id=None, text="Ett nytt löfte (Polis)")
    assert doc["agreement_id"] == ids.ml and doc["cooperation_area_id"] is None


def test_fractional_target_value(estd, ids):
    t = {"value": 2.5, "unit": "operative_action", "comparison": "exactly", "per": "quarter",
         "from": "2018-01-01", "to": "2018-12-31"}
    doc = create(estd, ids, target=t)
    assert doc["target"] == t
    assert estd.sql("SELECT target_value::text FROM commitments WHERE id = %s", (doc["id"],)) == [("2.5",)]


def test_get_not_found_and_bad_ids(estd):
    assert_problem(estd.get("/v1/commitments/999999"), 404)
    assert_problem(estd.get("/v1/commitments/abc"), 404)
    assert_problem(estd.get("/v1/commitments/0"), 404)
    assert_problem(estd.get("/v1/commitments/99999999999999999999"), 404)


def test_method_not_allowed(estd):
    r = estd.put("/v1/commitments/1", {})
    assert_problem(r, 405)
    assert r.headers["Allow"] == "GET, HEAD, PATCH, DELETE"


# --- list: filters, sorts, paging --------------------------------------------------------------


def api_ids(estd, params, limit=7):
    return [c["id"] for c in page_all(estd, "/v1/commitments", params, limit=limit)]


def test_list_each_filter(estd, ids):
    ongoing = create(estd, ids, status="ongoing", agreement_id=ids.ml, cooperation_area_id=None,
                     responsible_party_ids=[ids.housing], area_ids=[ids.area["kristineberg"]])
    # agreement_id
    got = api_ids(estd, {"agreement_id": ids.ml})
    assert got == sql_ids(estd, "agreement_id = %s", (ids.ml,))
    codes = {c["code"] for c in page_all(estd, "/v1/commitments", {"agreement_id": ids.ml})}
    assert {f"ml-{n}" for n in range(1, 7)} <= codes
    # party_id (responsible)
    got = page_all(estd, "/v1/commitments", {"party_id": ids.housing})
    assert [c["id"] for c in got] == sql_ids(
        estd, "EXISTS (SELECT 1 FROM commitment_parties p WHERE p.commitment_id = c.id AND p.party_id = %s)",
        (ids.housing,))
    assert {c["code"] for c in got} == {"ml-5", "ml-6", None}
    assert all(ids.housing in c["responsible_party_ids"] for c in got)
    # cooperation_area_id
    got = page_all(estd, "/v1/commitments", {"cooperation_area_id": ids.coop["so-1"]})
    assert sorted(c["code"] for c in got) == sorted(
        [f"so-1-polisen-{n}" for n in range(1, 5)] + [f"so-1-boras-stad-{n}" for n in range(1, 7)])
    # area_id
    got = page_all(estd, "/v1/commitments", {"area_id": ids.area["sjobo"]})
    seeded = sorted(c["code"] for c in got if c["code"] and c["code"].startswith("so-3"))
    assert seeded == ["so-3-boras-stad-2", "so-3-boras-stad-3"]
    assert all(ids.area["sjobo"] in c["area_ids"] for c in got)
    got = page_all(estd, "/v1/commitments", {"area_id": ids.area["kristineberg"]})
    assert [c["id"] for c in got] == sql_ids(
        estd, "EXISTS (SELECT 1 FROM commitment_areas a WHERE a.commitment_id = c.id AND a.area_id = %s)",
        (ids.area["kristineberg"],))
    assert ongoing["id"] in [c["id"] for c in got]
    # status
    got = api_ids(estd, {"status": "ongoing"})
    assert got == sql_ids(estd, "status = 'ongoing'") and ongoing["id"] in got
    assert api_ids(estd, {"status": "not_fulfilled"}) == []
    # combined
    got = api_ids(estd, {"agreement_id": ids.ml, "party_id": ids.housing, "status": "ongoing"})
    assert got == [ongoing["id"]]
    assert api_ids(estd, {"agreement_id": ids.so, "party_id": ids.housing}) == []


def test_list_bad_parameters(estd):
    for params, field in [({"agreement_id": "abc"}, "agreement_id"), ({"party_id": "-1"}, "party_id"),
                          ({"cooperation_area_id": "1.5"}, "cooperation_area_id"), ({"area_id": ""}, "area_id"),
                          ({"status": "done"}, "status"), ({"sort": "text"}, "sort"), ({"sort": "--id"}, "sort"),
                          ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"cursor": "!!"}, "cursor")]:
        assert_problem(estd.get("/v1/commitments", params=params), 400, field)
    # Every bad parameter is listed, not only the first.
    doc = assert_problem(estd.get("/v1/commitments", params={"status": "x", "area_id": "y", "limit": "z"}), 400)
    assert {e["field"] for e in doc["errors"]} == {"status", "area_id", "limit"}
    # A cursor made for one sort is refused for another.
    cur = estd.get("/v1/commitments", params={"limit": 1}).json()["next_cursor"]
    assert_problem(estd.get("/v1/commitments", params={"limit": 1, "cursor": cur, "sort": "-id"}), 400, "cursor")
    # A well-formed cursor for the sort whose value is not a timestamp (forged) is a 400 too.
    forged = base64.urlsafe_b64encode(b'{"s":"created_at","v":"yesterday-ish","i":1}').rstrip(b"=").decode()
    assert_problem(estd.get("/v1/commitments", params={"cursor": forged, "sort": "created_at"}), 400, "cursor")


def test_sort_both_directions(estd, ids):
    # Rows with distinct created_at / updated_at (separate transactions), one of them updated later.
    made = [create(estd, ids, text=f"Sorteringsrad {n}") for n in range(3)]
    r = estd.patch(f"/v1/commitments/{made[0]['id']}", {"status": "ongoing"},
                   headers={"If-Match": '"1"', "Content-Type": MERGE})
    assert r.status_code == 200, r.text
    for sort, order in [("id", "id"), ("created_at", "created_at, id"), ("updated_at", "updated_at, id")]:
        asc = api_ids(estd, {"sort": sort})
        desc = api_ids(estd, {"sort": "-" + sort})
        assert asc == sql_ids(estd, order=order), sort
        assert desc == sql_ids(estd, order=", ".join(o + " DESC" for o in order.split(", "))), sort
        assert desc == list(reversed(asc))
    # The updated row is the newest by updated_at.
    assert api_ids(estd, {"sort": "-updated_at"}, limit=1)[0] == made[0]["id"]
    # Default sort is id ascending.
    assert api_ids(estd, {}) == sql_ids(estd)


@pytest.mark.parametrize("sort", ["id", "-id", "created_at", "-created_at", "updated_at"])
def test_paging_with_inserts_between_pages(estd, ids, sort):
    """limit 2; a new row is inserted before each next page: no row is skipped or repeated."""
    key = sort.lstrip("-")
    order = "id" if key == "id" else f"{key}, id"
    if sort.startswith("-"):
        order = ", ".join(o + " DESC" for o in order.split(", "))
    before = sql_ids(estd, "agreement_id = %s", (ids.ml,), order)
    assert len(before) >= 6
    seen, inserted = [], []
    r = estd.get("/v1/commitments", params={"agreement_id": ids.ml, "sort": sort, "limit": 2})
    while True:
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen.extend(c["id"] for c in page["items"])
        new = create(estd, ids, agreement_id=ids.ml, cooperation_area_id=None, text=f"Inskjuten rad {sort}")
        inserted.append(new["id"])
        if not page["next"]:
            break
        assert page["next"].startswith("/v1/commitments?") and "cursor=" in page["next"]
        r = estd.get(page["next"])
    # New rows have larger ids and later timestamps: ascending orders see every one inserted before
    # the last page was fetched; descending orders see none of them.
    if sort.startswith("-"):
        expected = before
    else:
        expected = before + inserted[:-1]
    assert seen == expected
    assert len(seen) == len(set(seen))


# --- patch --------------------------------------------------------------------------------------


def patch(estd, cid, doc, etag=None, ctype=MERGE, **kw):
    headers = {"Content-Type": ctype}
    if etag is not None:
        headers["If-Match"] = etag
    headers.update(kw.pop("headers", {}))
    return estd.patch(f"/v1/commitments/{cid}", data=json.dumps(doc).encode(), headers=headers, **kw)


def test_patch_merge_semantics_and_audit(estd, ids):
    target = {"value": 9, "unit": "network_group", "comparison": "at_least", "per": "period",
              "from": "2018-01-01", "to": "2020-12-31"}
    c = create(estd, ids, code="patch-me", target=target, area_ids=[ids.area["norrby"]],
               responsible_party_ids=[ids.police, ids.city], follow_up_note="x")
    # Merge: nested target member changes, null removes, arrays are replaced, the rest stays.
    r = patch(estd, c["id"], {"target": {"value": 12}, "follow_up_note": None, "status": "ongoing",
                              "responsible_party_ids": [ids.city], "area_ids": [ids.area["hulta"], ids.area["sjobo"]]},
              '"1"', headers={"X-Request-Id": "patch-test-1"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert r.headers["ETag"] == '"2"' and d["version"] == 2
    assert d["target"] == dict(target, value=12)
    assert d["follow_up_note"] is None and d["status"] == "ongoing"
    assert d["responsible_party_ids"] == [ids.city]
    assert d["area_ids"] == sorted([ids.area["hulta"], ids.area["sjobo"]])
    assert (d["text"], d["code"], d["created_at"]) == (c["text"], c["code"], c["created_at"])
    assert ts(d["updated_at"]) > ts(c["updated_at"])
    assert estd.get(f"/v1/commitments/{c['id']}").json() == d
    assert [r[0] for r in estd.sql("SELECT party_id FROM commitment_parties WHERE commitment_id = %s",
                                   (c["id"],))] == [ids.city]
    rows = audit_rows(estd, c["id"])
    assert rows[-1] == ("update", c, d, "patch-test-1") and len(rows) == 2
    # application/json is accepted too; null target removes the whole target; W/ tags accepted.
    r = patch(estd, c["id"], {"target": None, "code": None, "area_ids": None}, 'W/"2"', ctype="application/json")
    assert r.status_code == 200, r.text
    d3 = r.json()
    assert d3["target"] is None and d3["code"] is None and d3["area_ids"] == [] and d3["version"] == 3
    assert estd.sql("SELECT count(*) FROM commitment_areas WHERE commitment_id = %s", (c["id"],)) == [(0,)]
    # If-Match: * matches any version.
    r = patch(estd, c["id"], {"text": "Ändrad text"}, "*")
    assert r.status_code == 200 and r.json()["version"] == 4 and r.json()["text"] == "Ändrad text"
    # An empty merge patch still is an update (version bump, audit row).
    r = patch(estd, c["id"], {}, '"4"')
    assert r.status_code == 200 and r.json()["version"] == 5
    assert [a for a, *_ in audit_rows(estd, c["id"])] == ["create"] + ["update"] * 4


def test_patch_if_match(estd, ids):
    c = create(estd, ids)
    before = snapshot(estd)
    r = patch(estd, c["id"], {"status": "ongoing"})
    doc = assert_problem(r, 428)
    assert doc["type"] == "/problems/precondition-required"
    r = patch(estd, c["id"], {"status": "ongoing"}, '"7"')
    assert assert_problem(r, 412)["type"] == "/problems/precondition-failed"
    assert_problem(patch(estd, c["id"], {"status": "ongoing"}, "1"), 400)  # not an entity tag
    assert_problem(patch(estd, c["id"], {"status": "ongoing"}, '"abc"'), 400)
    assert snapshot(estd) == before
    ok = patch(estd, c["id"], {"status": "fulfilled"}, '"1"')
    assert ok.status_code == 200 and ok.json()["status"] == "fulfilled"
    # The old tag is now stale.
    assert_problem(patch(estd, c["id"], {"status": "ongoing"}, '"1"'), 412)
    assert_problem(patch(estd, 999999, {"status": "ongoing"}, '"1"'), 404)


def test_patch_lost_update_prevented(estd, ids):
    """Two clients patch the same version concurrently: exactly one wins."""
    import concurrent.futures
    c = create(estd, ids)
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(lambda n: patch(estd, c["id"], {"follow_up_note": f"klient {n}"}, '"1"').status_code,
                              range(8)))
    assert results.count(200) == 1 and results.count(412) == 7, results
    assert estd.get(f"/v1/commitments/{c['id']}").json()["version"] == 2
    assert [a for a, *_ in audit_rows(estd, c["id"])] == ["create", "update"]


# --- delete -------------------------------------------------------------------------------------


def test_delete_archives(estd, ids):
    c = create(estd, ids, area_ids=[ids.area["centrum"]])
    before = snapshot(estd)
    assert_problem(estd.delete(f"/v1/commitments/{c['id']}", headers={"If-Match": '"5"'}), 412)
    doc = assert_problem(estd.delete(f"/v1/commitments/{c['id']}"), 428)  # If-Match is required
    assert doc["type"] == "/problems/precondition-required"
    assert snapshot(estd) == before
    r = estd.delete(f"/v1/commitments/{c['id']}", headers={"If-Match": '"1"', "X-Request-Id": "delete-test-1"})
    assert r.status_code == 204 and r.content == b""
    kept = estd.get(f"/v1/commitments/{c['id']}").json()
    assert kept["archived_at"] is not None and kept["version"] == 2 and kept["text"] == c["text"]
    # again: idempotent, no second audit row
    assert estd.delete(f"/v1/commitments/{c['id']}", headers={"If-Match": '"2"'}).status_code == 204
    assert estd.sql("SELECT count(*) FROM commitment_areas WHERE commitment_id = %s", (c["id"],)) == [(1,)]
    assert estd.sql("SELECT count(*) FROM commitment_parties WHERE commitment_id = %s", (c["id"],)) > [(0,)]
    rows = audit_rows(estd, c["id"])
    assert [(a, b) for a, b, _af, _ in rows] == [("create", None), ("archive", c)]
    assert rows[1][2]["archived_at"] is not None and rows[1][3] == "delete-test-1"
    assert_problem(estd.delete("/v1/commitments/abc", headers={"If-Match": '"1"'}), 404)
    assert_problem(estd.delete("/v1/commitments/99999999", headers={"If-Match": '"1"'}), 404)


# --- bad input: every class is a problem and changes nothing ----------------------------------


def raw(estd, method, path, data, ctype="application/json", headers=None):
    h = {"Content-Type": ctype} if ctype else {}
    h.update(headers or {})
    return requests.request(method, estd.url(path), data=data, headers=h, timeout=30)


def enc(d):
    return json.dumps(d).encode()


@pytest.fixture(scope="module")
def victim(estd, ids):
    return create(estd, ids, code="victim", area_ids=[ids.area["centrum"]])


def bad_post_cases(ids):
    ok = body(ids)
    big = enc(dict(ok, text="a" * (1024 * 1024 + 16)))
    return [
        ("malformed", b'{"agreement_id": 1, "text": ', "application/json", 400, None),
        ("trailing", enc(ok) + b" x", "application/json", 400, None),
        ("empty", b"", "application/json", 400, None),
        ("duplicate-keys", b'{"text": "a", "text": "b", "agreement_id": 1, "responsible_party_ids": [1]}',
         "application/json", 400, None),
        ("invalid-utf8", enc(ok).replace(b"Polisen", b"Polis\xff\xfe"), "application/json", 400, None),
        ("nul-escape", enc(dict(ok, text="a\u0000b")), "application/json", 400, None),
        ("not-object", b"[1, 2]", "application/json", 422, ""),
        ("wrong-types", enc(dict(ok, agreement_id="1", text=5, responsible_party_ids="1", status=3)),
         "application/json", 422, "/agreement_id"),
        ("unknown-field", enc(dict(ok, colour="red")), "application/json", 422, "/colour"),
        ("read-only-field", enc(dict(ok, version=3)), "application/json", 422, "/version"),
        ("text-too-long", enc(dict(ok, text="å" * 4001)), "application/json", 422, "/text"),
        ("bad-target", enc(dict(ok, target={"value": 0})), "application/json", 422, "/target/value"),
        ("target-range", enc(dict(ok, target={"value": 1, "unit": "x", "comparison": "at_least", "per": "year",
                                              "from": "2020-01-01", "to": "2019-12-31"})),
         "application/json", 422, "/target/to"),
        ("target-date", enc(dict(ok, target={"value": 1, "unit": "x", "comparison": "at_least", "per": "year",
                                             "from": "2019-02-29", "to": "2019-12-31"})),
         "application/json", 422, "/target/from"),
        ("duplicate-party", enc(dict(ok, responsible_party_ids=[1, 1])), "application/json", 422,
         "/responsible_party_ids/1"),
        ("no-party", enc(dict(ok, responsible_party_ids=[])), "application/json", 422, "/responsible_party_ids"),
        ("unknown-agreement", enc(dict(ok, agreement_id=987654, cooperation_area_id=None)), "application/json", 422,
         "/agreement_id"),
        ("area-of-other-agreement", enc(dict(ok, agreement_id=ids.ml)), "application/json", 422,
         "/cooperation_area_id"),
        ("unknown-cooperation-area", enc(dict(ok, cooperation_area_id=987654)), "application/json", 422,
         "/cooperation_area_id"),
        ("unknown-party", enc(dict(ok, responsible_party_ids=[ids.police, 987654])), "application/json", 422,
         "/responsible_party_ids"),
        ("unknown-area", enc(dict(ok, area_ids=[ids.area["centrum"], 987654])), "application/json", 422, "/area_ids"),
        ("duplicate-code", enc(dict(ok, code="victim")), "application/json", 409, "/code"),
        ("seeded-code", enc(dict(ok, code="ml-1")), "application/json", 409, "/code"),
        ("text-plain", enc(ok), "text/plain", 415, None),
        ("form", b"a=1", "application/x-www-form-urlencoded", 415, None),
        ("no-content-type", enc(ok), None, 415, None),
        ("oversized", big, "application/json", 413, None),
    ]


POST_CASES = ["malformed", "trailing", "empty", "duplicate-keys", "invalid-utf8", "nul-escape", "not-object",
              "wrong-types", "unknown-field", "read-only-field", "text-too-long", "bad-target", "target-range",
              "target-date", "duplicate-party", "no-party", "unknown-agreement", "area-of-other-agreement",
              "unknown-cooperation-area", "unknown-party", "unknown-area", "duplicate-code", "seeded-code",
              "text-plain", "form", "no-content-type", "oversized"]


@pytest.mark.parametrize("case", POST_CASES)
def test_bad_post_changes_nothing(estd, ids, victim, case):
    name, data, ctype, status, field = next(c for c in bad_post_cases(ids) if c[0] == case)
    before = snapshot(estd)
    r = raw(estd, "POST", "/v1/commitments", data, ctype)
    doc = assert_problem(r, status, field)
    if status == 422 and case == "wrong-types":
        assert {e["field"] for e in doc["errors"]} == {"/agreement_id", "/text", "/responsible_party_ids", "/status"}
    assert snapshot(estd) == before


def bad_patch_cases(ids, victim):
    v = victim["id"]
    return [
        ("malformed", b'{"status": ', MERGE, '"1"', 400, None),
        ("duplicate-keys", b'{"status": "ongoing", "status": "fulfilled"}', MERGE, '"1"', 400, None),
        ("invalid-utf8", b'{"follow_up_note": "\xc3\x28"}', MERGE, '"1"', 400, None),
        ("not-object", b'["status"]', MERGE, '"1"', 422, ""),
        ("wrong-type", enc({"status": 1, "follow_up_note": 2, "area_ids": "x"}), MERGE, '"1"', 422, "/status"),
        ("bad-status", enc({"status": "done"}), MERGE, '"1"', 422, "/status"),
        ("unknown-field", enc({"colour": "red"}), MERGE, '"1"', 422, "/colour"),
        ("read-only", enc({"id": v + 1}), MERGE, '"1"', 422, "/id"),
        ("null-text", enc({"text": None}), MERGE, '"1"', 422, "/text"),
        ("null-parties", enc({"responsible_party_ids": None}), MERGE, '"1"', 422, "/responsible_party_ids"),
        ("partial-target", enc({"target": {"value": 3}}), MERGE, '"1"', 422, "/target/unit"),
        ("unknown-party", enc({"responsible_party_ids": [987654]}), MERGE, '"1"', 422, "/responsible_party_ids"),
        ("unknown-area", enc({"area_ids": [987654]}), MERGE, '"1"', 422, "/area_ids"),
        ("unknown-agreement", enc({"agreement_id": 987654}), MERGE, '"1"', 422, "/agreement_id"),
        ("area-of-other-agreement", enc({"agreement_id": ids.ml}), MERGE, '"1"', 422, "/cooperation_area_id"),
        ("duplicate-code", enc({"code": "ml-2"}), MERGE, '"1"', 409, "/code"),
        ("missing-if-match", enc({"status": "ongoing"}), MERGE, None, 428, None),
        ("stale-if-match", enc({"status": "ongoing"}), MERGE, '"2"', 412, None),
        ("bad-if-match", enc({"status": "ongoing"}), MERGE, "2", 400, None),
        ("json-patch", enc([{"op": "replace", "path": "/status", "value": "ongoing"}]), "application/json-patch+json",
         '"1"', 415, None),
        ("text-plain", enc({"status": "ongoing"}), "text/plain", '"1"', 415, None),
        ("oversized", enc({"follow_up_note": "a" * (1024 * 1024 + 16)}), MERGE, '"1"', 413, None),
    ]


PATCH_CASES = ["malformed", "duplicate-keys", "invalid-utf8", "not-object", "wrong-type", "bad-status",
               "unknown-field", "read-only", "null-text", "null-parties", "partial-target", "unknown-party",
               "unknown-area", "unknown-agreement", "area-of-other-agreement", "duplicate-code", "missing-if-match",
               "stale-if-match", "bad-if-match", "json-patch", "text-plain", "oversized"]


def test_case_lists_complete(ids):
    assert [c[0] for c in bad_post_cases(ids)] == POST_CASES
    assert [c[0] for c in bad_patch_cases(ids, {"id": 1})] == PATCH_CASES


@pytest.mark.parametrize("case", PATCH_CASES)
def test_bad_patch_changes_nothing(estd, ids, victim, case):
    name, data, ctype, etag, status, field = next(c for c in bad_patch_cases(ids, victim) if c[0] == case)
    before = snapshot(estd)
    r = raw(estd, "PATCH", f"/v1/commitments/{victim['id']}", data, ctype,
            {"If-Match": etag} if etag is not None else {})
    doc = assert_problem(r, status, field)
    if case == "wrong-type":
        assert {e["field"] for e in doc["errors"]} == {"/status", "/follow_up_note", "/area_ids"}
    assert snapshot(estd) == before
    assert estd.get(f"/v1/commitments/{victim['id']}").json() == victim


def test_problem_documents_carry_request_id(estd):
    rid = "req-" + uuid.uuid4().hex[:8]
    r = estd.post("/v1/commitments", {"bogus": 1}, headers={"X-Request-Id": rid})
    doc = assert_problem(r, 422, "/bogus")
    assert doc["request_id"] == rid and r.headers["X-Request-Id"] == rid
    assert doc["instance"] == "/v1/commitments"
    # Every failing field is listed, not only the first.
    assert {e["field"] for e in doc["errors"]} == {"/bogus", "/agreement_id", "/text", "/responsible_party_ids"}


def test_audit_log_matches_writes(estd, ids):
    """Every successful write adds exactly one audit row for it; nothing else does."""
    def count():
        return estd.sql("SELECT count(*) FROM audit_log WHERE entity = 'commitment'")[0][0]
    n = count()
    c = create(estd, ids)
    assert count() == n + 1
    assert patch(estd, c["id"], {"status": "ongoing"}, '"1"').status_code == 200
    assert count() == n + 2
    assert patch(estd, c["id"], {"status": "ongoing"}, '"1"').status_code == 412
    assert estd.post("/v1/commitments", body(ids, agreement_id=987654)).status_code == 422
    assert count() == n + 2
    assert archive(estd, f"/v1/commitments/{c['id']}").status_code == 204
    assert count() == n + 3
    rows = audit_rows(estd, c["id"])
    assert [a for a, *_ in rows] == ["create", "update", "archive"]
    # Each before image is the previous after image.
    assert rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2] and rows[2][2]["archived_at"] is not None


# --- party scoping (with authentication on) -------------------------------------------------


KEY_SECRET = "commitments-test-secret-" + "0123456789abcdef" * 3


def make_key(db, party, scopes):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_KEY_SECRET=KEY_SECRET,
               ESTD_LOG_LEVEL="warn")
    r = subprocess.run([ESTD_BIN, "keys", "create", "--party", party, "--scopes", ",".join(scopes)], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return {"Authorization": "Bearer " + r.stdout.strip()}


@pytest.fixture(scope="module")
def secured(db):
    e = Estd(db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": KEY_SECRET, "ESTD_AUTH_CACHE_TTL_MS": "0",
                      "ESTD_RATE_LIMIT_RPS": "0"}).start()
    yield e
    code = e.stop()
    assert code == 0, "estd exited with %s:\n%s" % (code, e.read_log()[-5000:])


def test_party_scoping(secured, estd, db, ids):
    housing = make_key(db, "ab-bostader", ["read", "write-commitments"])
    reader = make_key(db, "ab-bostader", ["read"])
    admin = make_key(db, "polisen-boras", ["admin"])
    by_code = {c["code"]: c for c in page_all(estd, "/v1/commitments") if c["code"]}
    ml5, so1 = by_code["ml-5"], by_code["so-1-polisen-1"]
    assert ids.housing in ml5["responsible_party_ids"] and ids.housing not in so1["responsible_party_ids"]

    def p(cid, doc, headers, etag):
        return secured.patch(f"/v1/commitments/{cid}", data=json.dumps(doc).encode(),
                             headers=dict(headers, **{"Content-Type": MERGE, "If-Match": etag}))

    before = snapshot(estd)
    assert_problem(secured.get("/v1/commitments"), 401)
    assert_problem(p(ml5["id"], {"status": "ongoing"}, {}, '"1"'), 401)
    # Not responsible for the commitment, or a field other than status/follow_up_note: 403.
    assert_problem(p(so1["id"], {"status": "ongoing"}, housing, f'"{so1["version"]}"'), 403)
    assert_problem(p(ml5["id"], {"status": "ongoing", "text": "Ny text"}, housing, f'"{ml5["version"]}"'), 403)
    assert_problem(p(ml5["id"], {"area_ids": []}, housing, f'"{ml5["version"]}"'), 403)
    # Scope checks of the routes: read cannot patch; write-commitments cannot create or delete.
    assert_problem(p(ml5["id"], {"status": "ongoing"}, reader, f'"{ml5["version"]}"'), 403)
    assert_problem(secured.post("/v1/commitments", body(ids), headers=housing), 403)
    assert_problem(archive(secured, f"/v1/commitments/{ml5['id']}", headers=housing), 403)
    assert snapshot(estd) == before
    # Reading works with the read scope.
    assert secured.get(f"/v1/commitments/{ml5['id']}", headers=reader).json() == ml5
    # The responsible party may follow up its own commitment; the audit row names the key and party.
    r = p(ml5["id"], {"status": "ongoing", "follow_up_note": "Två möten hållna"}, housing, f'"{ml5["version"]}"')
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["follow_up_note"]) == ("ongoing", "Två möten hållna")
    row = estd.sql("SELECT action, party_id, key_id IS NOT NULL FROM audit_log WHERE entity = 'commitment' "
                   "AND entity_id = %s ORDER BY id DESC LIMIT 1", (ml5["id"],))
    assert row == [("update", ids.housing, True)]
    # An admin key may change anything, of any party.
    v = r.json()["version"]
    r = p(ml5["id"], {"text": ml5["text"] + " (reviderad)"}, admin, f'"{v}"')
    assert r.status_code == 200, r.text
    r = secured.post("/v1/commitments", body(ids), headers=admin)
    assert r.status_code == 201, r.text
    assert archive(secured, r.headers["Location"], headers=admin).status_code == 204
