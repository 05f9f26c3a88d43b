"""Clients generated from openapi.yaml, as a municipal integrator would make
them, drive the live server: openapi-python-client (PyPI, pinned in
tests/requirements.txt) and openapi-generator's `python` generator (the
openapi-generator-cli jar from Maven Central that scripts/deps.sh fetches with
its checksum, run with the machine's Java).

Generation fails the test on any warning about the contract (a warning the
generator also gives for a trivial spec is the generator's own, not the
contract's: its 3.1 beta notice, and the rename of a parameter called `from`,
a Python keyword, which the wire format fixes); a response the generated code cannot parse fails it too. Each
client drives every list to its last page, create/get/PATCH with If-Match/archive/restore (parties, and areas
with a Polygon and a MultiPolygon geometry), the situation, its GeoJSON and the three CSV reports through their
text/csv operations (the same bytes the negotiated routes serve). The
generated code is cached per hash of the spec and generator, so re-runs are
fast."""
import csv
import datetime
import hashlib
import importlib
import io
import os
import re
import shutil
import subprocess
import sys

import pytest
import requests
import yaml

from conftest import REPO, Estd
from test_schemathesis import ENV, admin_key

SPEC = os.path.join(REPO, "openapi.yaml")
CACHE = os.path.join(os.environ.get("ESTD_CACHE_HOME") or os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "estd"), "clients")
VENV_BIN = os.path.join(os.environ.get("ESTD_VENV", os.path.join(REPO, ".venv")), "bin")
OGEN_VERSION = "7.25.0"  # scripts/deps.sh fetches exactly this jar
OGEN_JAR = os.environ.get("ESTD_OPENAPI_GENERATOR_JAR", os.path.join(
    os.path.dirname(CACHE), "openapi-generator", f"openapi-generator-cli-{OGEN_VERSION}.jar"))
TRIVIAL = """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /x:
    get:
      operationId: getX
      parameters:
        - {name: from, in: query, schema: {type: string, format: date}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/S'}
components:
  schemas:
    S: {type: object, properties: {z: {type: string}}}
"""


def spec_hash(tool):
    h = hashlib.sha256()
    with open(SPEC, "rb") as f:
        h.update(f.read())
    h.update(tool.encode())
    return h.hexdigest()[:16]


def cached(tool, package, generate):
    """The generated package's parent directory, generated once per spec hash; the
    generator's log is kept beside it so the warnings are judged on every run."""
    root = os.path.join(CACHE, f"{tool}-{spec_hash(tool)}")
    if not os.path.isfile(os.path.join(root, "generator.log")):
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        log = generate(SPEC, tmp, package)
        with open(os.path.join(tmp, "generator.log"), "w", encoding="utf-8") as f:
            f.write(log)
        shutil.rmtree(root, ignore_errors=True)
        os.rename(tmp, root)
    with open(os.path.join(root, "generator.log"), encoding="utf-8") as f:
        return root, f.read()


def run(cmd, **kw):
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, **kw)
    assert p.returncode == 0, (cmd, p.stdout[-3000:], p.stderr[-3000:])
    return p.stdout + p.stderr


def opc_generate(spec, out, package):
    return run([os.path.join(VENV_BIN, "openapi-python-client"), "generate", "--path", spec, "--meta", "none",
                "--output-path", os.path.join(out, package)])


def ogen_generate(spec, out, package):
    assert os.path.isfile(OGEN_JAR), f"{OGEN_JAR} missing: run scripts/deps.sh"
    return run(["java", "-jar", OGEN_JAR, "generate", "-g", "python", "-i", spec, "-o", out,
                "--package-name", package,
                "--global-property", "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false"])


def ogen_warnings(log):
    return sorted({re.sub(r"^\[[^\]]*\] ", "", line).strip() for line in log.splitlines() if " WARN " in line})


@pytest.fixture(scope="module")
def opc():
    root, log = cached("opc", "estd_opc", opc_generate)
    assert "Warning" not in log and "warning" not in log, log
    sys.path.insert(0, root)
    yield importlib.import_module("estd_opc")
    sys.path.remove(root)


@pytest.fixture(scope="module")
def ogen(tmp_path_factory):
    root, log = cached("ogen", "estd_ogen", ogen_generate)
    trivial = tmp_path_factory.mktemp("trivial")
    (trivial / "spec.yaml").write_text(TRIVIAL)
    own = set(ogen_warnings(ogen_generate(str(trivial / "spec.yaml"), str(trivial / "out"), "t")))
    assert [w for w in ogen_warnings(log) if w not in own] == [], "openapi-generator warns about the contract"
    sys.path.insert(0, root)
    yield importlib.import_module("estd_ogen")
    sys.path.remove(root)


@pytest.fixture(scope="module")
def server(db):
    key = admin_key(db)
    e = Estd(db, env=ENV).start()
    e.key = key
    e.auth = {"Authorization": "Bearer " + key}
    yield e
    assert e.stop() == 0, e.read_log()[-3000:]


def list_operations():
    """(operationId, tag, path) of every list: a GET without path parameters that pages."""
    with open(SPEC, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    out = []
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op and "{" not in path and any(p.get("$ref", "").endswith("/Cursor") for p in op.get("parameters", [])):
            out.append((op["operationId"], op["tags"][0], path))
    return out


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def report_agreement(server):
    """The seeded medborgarlöfte (commitments with targets and progress: real CSV rows)."""
    r = requests.get(server.url("/v1/agreements"), params={"limit": 100}, headers=server.auth, timeout=10)
    return next(a["id"] for a in r.json()["items"] if a["code"] == "medborgarlofte-hassleholmen-hulta-norrby-2018")


# The CSV reports: (operation on the `.csv` path, its negotiated twin's path, query, header row's first columns).
CSV_REPORTS = [
    ("get_agreement_report_csv", "report", {}, ["agreement_code", "commitment_id", "code", "cooperation_area"]),
    ("get_agreement_follow_up_csv", "follow-up", {"cadence": "period"}, ["section", "id", "code", "area", "title"]),
    ("get_statutory_lagesbild_csv", "statutory-report", {"from": "2018-01-01", "to": "2018-12-31"},
     ["section", "item", "area", "value", "note"]),
]


def check_csv(server, aid, twin, query, header, text):
    """text, as the generated client returned it, is the report the server serves on the
    negotiated route (format=csv) byte for byte, and a CSV with that header and real rows."""
    assert isinstance(text, str), (twin, type(text))
    r = requests.get(server.url(f"/v1/agreements/{aid}/{twin}"), params=dict(query, format="csv"),
                     headers=server.auth, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), (twin, r.status_code)
    assert text.encode("utf-8") == r.content, twin
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:len(header)] == header, (twin, rows[0])
    assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows), (twin, rows[:3])
    return rows


POLYGON = {"type": "Polygon", "coordinates": [[[12.90, 57.70], [12.91, 57.70], [12.91, 57.71], [12.90, 57.71],
                                               [12.90, 57.70]]]}


MULTIPOLYGON = {"type": "MultiPolygon", "coordinates": [
    POLYGON["coordinates"],
    [[[12.95, 57.72], [12.96, 57.72], [12.96, 57.73], [12.95, 57.73], [12.95, 57.72]],
     [[12.952, 57.722], [12.952, 57.724], [12.954, 57.724], [12.954, 57.722], [12.952, 57.722]]]]}


def multipolygon_of(geometry):
    """The geometry as the server stores and serves it: always a MultiPolygon."""
    if geometry["type"] == "Polygon":
        return {"type": "MultiPolygon", "coordinates": [geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": geometry["coordinates"]}


def test_openapi_python_client_drives_the_server(opc, server):
    client = opc.AuthenticatedClient(base_url=server.base, token=server.key, raise_on_unexpected_status=True)
    # Every list, followed to its last page with the generated paging (2 per page).
    lists = list_operations()
    assert len(lists) >= 10
    for op_id, tag, path in lists:
        mod = importlib.import_module(f"estd_opc.api.{tag}.{snake(op_id)}")
        seen, cursor, pages = [], None, 0
        while True:
            kw = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
            r = mod.sync_detailed(client=client, **kw)
            assert r.status_code == 200, (op_id, r.status_code, r.content[:300])
            page = r.parsed
            assert page is not None and hasattr(page, "items") and isinstance(page.items, list), (op_id, r.content[:300])
            seen.extend(page.items)
            pages += 1
            cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
            if cursor is None:
                nxt = getattr(page, "next_", None)  # `next` is a builtin: the generated attribute is next_
                assert not isinstance(nxt, str), (op_id, nxt)
                break
            assert pages < 500, op_id
        raw = raw_list(server, path)
        assert len(seen) == len(raw), (op_id, len(seen), len(raw))
    # Areas with geometry (a Polygon and a MultiPolygon): create, get, PATCH with If-Match, archive
    # (DELETE) and restore; the server stores and serves a MultiPolygon.
    from estd_opc.api.areas import create_area, delete_area, get_area, restore_area, update_area
    from estd_opc.models import AreaInput, AreaPatch
    for code, geometry in (("opc-polygon", POLYGON), ("opc-multipolygon", MULTIPOLYGON)):
        r = create_area.sync_detailed(client=client, body=AreaInput.from_dict(
            {"code": code, "name": "Genererad", "kind": "district", "geometry": geometry}))
        assert r.status_code == 201 and r.parsed.geometry.to_dict() == multipolygon_of(geometry), r.content[:300]
        aid = r.parsed.id
        r = get_area.sync_detailed(aid, client=client)
        assert r.status_code == 200 and r.parsed.name == "Genererad"
        assert r.parsed.geometry.coordinates == multipolygon_of(geometry)["coordinates"], r.content[:300]
        moved = {"type": "Polygon", "coordinates": [[[x, round(y + 0.05, 6)] for x, y in POLYGON["coordinates"][0]]]}
        patch = AreaPatch.from_dict({"name": "Omdöpt", "geometry": moved})
        r = update_area.sync_detailed(aid, client=client, body=patch, if_match=r.headers["ETag"])
        assert r.status_code == 200 and r.parsed.name == "Omdöpt", r.content[:300]
        assert r.parsed.geometry.coordinates == multipolygon_of(moved)["coordinates"], r.content[:300]
        r = delete_area.sync_detailed(aid, client=client, if_match=r.headers["ETag"])
        assert r.status_code == 204, r.content[:300]
        etag = requests.get(server.url(f"/v1/areas/{aid}"), headers=server.auth, timeout=10).headers["ETag"]
        r = restore_area.sync_detailed(aid, client=client, if_match=etag)
        assert r.status_code == 200 and not r.parsed.archived_at, r.content[:300]
    # The situation and its GeoJSON.
    from estd_opc.api.situation import get_situation, get_situation_geo_json
    r = get_situation.sync_detailed(client=client, week="2024-W18")
    assert r.status_code == 200 and r.parsed is not None and r.parsed.period.week == "2024-W18", r.content[:300]
    r = get_situation_geo_json.sync_detailed(client=client, week="2024-W18")
    assert r.status_code == 200 and r.parsed is not None and r.parsed.type_ == "FeatureCollection", r.content[:300]
    # The CSV reports, read as text by the generated code.
    aid = report_agreement(server)
    for op, twin, query, header in CSV_REPORTS:
        mod = importlib.import_module(f"estd_opc.api.{'parties' if twin == 'report' else 'reports'}.{op}")
        kw = {"from_" if k == "from" else k: datetime.date.fromisoformat(v) if k in ("from", "to") else v
              for k, v in query.items()}
        if "cadence" in kw:
            kw["cadence"] = opc.models.GetAgreementFollowUpCsvCadence(kw["cadence"])
        r = mod.sync_detailed(aid, client=client, **kw)
        assert r.status_code == 200, (op, r.status_code, r.content[:300])
        rows = check_csv(server, aid, twin, query, header, r.parsed)
        if twin == "report":
            by_code = {row[2]: row for row in rows[1:]}
            assert rows[1][0] == "medborgarlofte-hassleholmen-hulta-norrby-2018" and "ml-3" in by_code, rows[:3]


def raw_list(server, path):
    items, url, params = [], server.url(path), {"limit": 500}
    while url:
        r = requests.get(url, params=params, headers=server.auth, timeout=10)
        assert r.status_code == 200, r.text
        items.extend(r.json()["items"])
        url, params = (server.url(r.json()["next"]) if r.json()["next"] else None), None
    return items


def test_openapi_generator_drives_the_server(ogen, server):
    conf = ogen.Configuration(host=server.base, access_token=server.key)
    api = ogen.ApiClient(conf)
    for op_id, tag, path in list_operations():
        cls = getattr(ogen, "".join(w.capitalize() for w in tag.split("-")) + "Api")
        call = getattr(cls(api), snake(op_id))
        seen, cursor, pages = [], None, 0
        while True:
            page = call(limit=2) if cursor is None else call(limit=2, cursor=cursor)
            assert isinstance(page.items, list), op_id
            seen.extend(page.items)
            pages += 1
            cursor = page.next_cursor
            if not cursor:
                assert page.next is None, (op_id, page.next)
                break
            assert pages < 500, op_id
        assert len(seen) == len(raw_list(server, path)), op_id
    # Create, get, PATCH with If-Match, archive (DELETE) and restore.
    parties = ogen.PartiesApi(api)
    created = parties.create_party_with_http_info(ogen.PartyInput.from_dict(
        {"code": "ogen-party", "name": "Genererad part", "kind": "other"}))
    assert created.status_code == 201
    pid = created.data.id
    got = parties.get_party_with_http_info(pid)
    assert got.data.name == "Genererad part"
    patched = parties.update_party_with_http_info(pid, if_match=got.headers["ETag"],
                                                  party_patch=ogen.PartyPatch.from_dict({"name": "Omdöpt part"}))
    assert patched.data.name == "Omdöpt part"
    parties.archive_party(pid, if_match=patched.headers["ETag"])
    etag = requests.get(server.url(f"/v1/parties/{pid}"), headers=server.auth, timeout=10).headers["ETag"]
    restored = parties.restore_party(pid, if_match=etag)
    assert restored.archived_at is None
    # Areas with geometry (a Polygon and a MultiPolygon): the same round trip; the server stores
    # and serves a MultiPolygon, the generated model reads its coordinates back as numbers.
    areas = ogen.AreasApi(api)
    for code, geometry in (("ogen-polygon", POLYGON), ("ogen-multipolygon", MULTIPOLYGON)):
        created = areas.create_area_with_http_info(ogen.AreaInput.from_dict(
            {"code": code, "name": "Genererad " + code, "kind": "district", "geometry": geometry}))
        assert created.status_code == 201
        aid = created.data.id
        assert multipolygon_of(created.data.geometry.to_dict()) == multipolygon_of(geometry), code
        got = areas.get_area_with_http_info(aid)
        assert got.data.name == "Genererad " + code and got.data.geometry.type == "MultiPolygon"
        assert got.data.geometry.coordinates == multipolygon_of(geometry)["coordinates"], code
        moved = {"type": "Polygon", "coordinates": [[[round(x + 0.05, 6), y] for x, y in POLYGON["coordinates"][0]]]}
        patch = ogen.AreaPatch.from_dict({"name": "Omdöpt " + code, "geometry": moved})
        patched = areas.update_area_with_http_info(aid, if_match=got.headers["ETag"], area_patch=patch)
        assert patched.data.name == "Omdöpt " + code
        assert patched.data.geometry.coordinates == multipolygon_of(moved)["coordinates"], code
        areas.delete_area(aid, if_match=patched.headers["ETag"])
        etag = requests.get(server.url(f"/v1/areas/{aid}"), headers=server.auth, timeout=10).headers["ETag"]
        restored = areas.restore_area(aid, if_match=etag)
        assert restored.archived_at is None and restored.geometry.type == "MultiPolygon"
    sit = ogen.SituationApi(api)
    assert sit.get_situation(week="2024-W18").period.week == "2024-W18"
    assert sit.get_situation_geo_json(week="2024-W18").type == "FeatureCollection"
    # The CSV reports, read as text by the generated code.
    aid = report_agreement(server)
    for op, twin, query, header in CSV_REPORTS:
        api_cls = ogen.PartiesApi if twin == "report" else ogen.ReportsApi
        kw = {"var_from" if k == "from" else k: datetime.date.fromisoformat(v) if k in ("from", "to") else v
              for k, v in query.items()}
        r = getattr(api_cls(api), op + "_with_http_info")(aid, **kw)
        assert r.status_code == 200, op
        rows = check_csv(server, aid, twin, query, header, r.data)
        if twin == "report":
            assert rows[1][0] == "medborgarlofte-hassleholmen-hulta-norrby-2018", rows[:3]
