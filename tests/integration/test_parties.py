"""Parties and agreements: read API over the seeded Borås data."""
import requests

from conftest import assert_problem, page_all


def test_parties_list_is_the_three_signatories(estd):
    items = page_all(estd, "/v1/parties")
    assert sorted(p["code"] for p in items) == ["ab-bostader", "boras-stad", "polisen-boras"]
    kinds = {p["code"]: p["kind"] for p in items}
    assert kinds == {"polisen-boras": "police", "boras-stad": "municipality", "ab-bostader": "housing_company"}


def test_parties_paging_and_sort(estd):
    one = page_all(estd, "/v1/parties", limit=1)
    assert [p["id"] for p in one] == sorted(p["id"] for p in one)
    by_name = page_all(estd, "/v1/parties", {"sort": "-name"}, limit=2)
    names = [p["name"] for p in by_name]
    assert names == sorted(names, reverse=True) and len(names) == 3


def test_party_filter_kind(estd):
    r = estd.get("/v1/parties", params={"kind": "police"})
    assert [p["code"] for p in r.json()["items"]] == ["polisen-boras"]
    assert_problem(estd.get("/v1/parties", params={"kind": "gang"}), 400, "kind")


def test_party_get_and_etag(estd):
    first = estd.get("/v1/parties").json()["items"][0]
    r = estd.get(f"/v1/parties/{first['id']}")
    assert r.status_code == 200 and r.json() == first
    etag = r.headers["ETag"]
    assert estd.get(f"/v1/parties/{first['id']}", headers={"If-None-Match": etag}).status_code == 304


def test_party_not_found_and_bad_ids(estd):
    assert_problem(estd.get("/v1/parties/999999"), 404)
    assert_problem(estd.get("/v1/parties/abc"), 404)
    assert_problem(estd.get("/v1/parties/-1"), 404)
    assert_problem(estd.get("/v1/parties/99999999999999999999999"), 404)


def test_agreements_with_cooperation_areas(estd):
    items = page_all(estd, "/v1/agreements")
    by_code = {a["code"]: a for a in items}
    so = by_code["boras-polisen-2018-2020"]
    assert so["kind"] == "samverkansoverenskommelse"
    assert (so["valid_from"], so["valid_to"]) == ("2018-01-01", "2020-12-31")
    assert len(so["cooperation_areas"]) == 3
    assert sorted(p["code"] for p in so["parties"]) == ["boras-stad", "polisen-boras"]
    ml = by_code["medborgarlofte-hassleholmen-hulta-norrby-2018"]
    assert ml["kind"] == "medborgarlofte" and ml["complements_agreement_id"] == so["id"]
    assert sorted(p["code"] for p in ml["parties"]) == ["ab-bostader", "boras-stad", "polisen-boras"]


def test_agreement_filters(estd):
    police = estd.get("/v1/parties", params={"kind": "housing_company"}).json()["items"][0]
    r = estd.get("/v1/agreements", params={"party_id": police["id"]})
    assert [a["kind"] for a in r.json()["items"]] == ["medborgarlofte"]
    r = estd.get("/v1/agreements", params={"active_on": "2020-06-01"})
    assert [a["code"] for a in r.json()["items"]] == ["boras-polisen-2018-2020"]
    assert_problem(estd.get("/v1/agreements", params={"active_on": "2020-02-30"}), 400, "active_on")
    assert_problem(estd.get("/v1/agreements", params={"limit": "0"}), 400, "limit")
    assert_problem(estd.get("/v1/agreements", params={"cursor": "garbage!"}), 400, "cursor")
    assert_problem(estd.get("/v1/agreements", params={"sort": "title"}), 400, "sort")


def test_cursor_bound_to_sort(estd):
    r = estd.get("/v1/parties", params={"limit": 1})
    cursor = r.json()["next_cursor"]
    assert cursor
    assert_problem(estd.get("/v1/parties", params={"limit": 1, "cursor": cursor, "sort": "name"}), 400, "cursor")


def test_unknown_route_and_method(estd):
    assert_problem(estd.get("/v1/nothing"), 404)
    # Parties are writable (PATCH, archive with DELETE) but never replaced whole.
    r = estd.put("/v1/parties/1", {"name": "x"})
    assert_problem(r, 405)
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}


def test_head_answers_like_get_without_a_body(estd):
    get = estd.get("/v1/parties/1")
    head = requests.head(estd.url("/v1/parties/1"), timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == "application/json"
    assert requests.head(estd.url("/v1/parties/999999"), timeout=10).status_code == 404
