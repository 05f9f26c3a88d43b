"""The strict conformance run of the server to openapi.yaml (schemathesis 4,
pinned in tests/requirements.txt; settings in schemathesis.toml, hooks in
st_hooks.py): every operation, all phases (examples, coverage, fuzzing and
the stateful phase that follows the spec's links: ids, ETags to If-Match,
cursors), with auth on and an admin key, and every default check, among them
positive_data_acceptance (a request the spec calls valid is accepted) and
negative_data_rejection (one it calls invalid is refused). 0 failures.

ESTD_SCHEMATHESIS_EXAMPLES sets the examples per operation (the ASan stage
runs fewer: scripts/test.sh)."""
import json
import os
import subprocess

import requests
import yaml

from conftest import ESTD_BIN, REPO, SQL_DIR, Estd, pg_url, register_source

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "schemathesis-secret-" + "0123456789abcdef" * 3
ENV = {"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_AUTH_CACHE_TTL_MS": "1000",
       "ESTD_RATE_LIMIT_RPS": "0", "ESTD_RATE_LIMIT_ANON_RPS": "0",  # rate limits: test_resilience
       "ESTD_LOG_LEVEL": "warn"}


def admin_key(db):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_KEY_SECRET=SECRET,
               ESTD_LOG_LEVEL="warn")
    r = subprocess.run([ESTD_BIN, "keys", "create", "--party", "boras-stad", "--scopes", "admin",
                        "--name", "schemathesis"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def fixture(server, key):
    """Rows every kind of reference can name (one agreement and what belongs to it) and a
    cursor the server issued for each list and sort: st_hooks.py puts them into the
    requests schemathesis generated as valid."""
    h = {"Authorization": "Bearer " + key}

    def call(method, path, body=None, **kw):
        r = requests.request(method, server.base + path, json=body, headers=h, timeout=10, **kw)
        assert r.status_code in (200, 201), (method, path, r.status_code, r.text)
        return r.json()

    agreement = call("GET", "/v1/agreements", params={"limit": 1})["items"][0]
    parties = [p["party_id"] for p in agreement.get("parties", [])] or [p["id"] for p in call("GET", "/v1/parties")["items"]]
    area = call("GET", "/v1/areas", params={"limit": 1})["items"][0]["id"]
    areas = [a["id"] for a in call("GET", "/v1/areas")["items"]]
    commitment = call("GET", "/v1/commitments", params={"agreement_id": agreement["id"], "limit": 1})["items"][0]
    coop = call("GET", "/v1/cooperation-areas", params={"agreement_id": agreement["id"], "limit": 1})["items"]
    focus = call("GET", "/v1/area-focuses", params={"limit": 1})["items"][0]["id"]
    meeting = call("POST", "/v1/meetings", {"agreement_id": agreement["id"], "held_on": "2019-03-01",
                                            "week": "2019-W08", "party_ids": parties[:1], "title": "EST-möte"})
    action = call("POST", "/v1/actions", {"agreement_id": agreement["id"], "kind": "trygghetsvandring",
                                          "responsible_party_id": parties[0], "area_id": area,
                                          "title": "Trygghetsvandring", "planned_from": "2019-04-12",
                                          "planned_to": "2019-04-12"})
    value = call("POST", "/v1/indicator-values", {
        "indicator": "trygghet", "measure": "andel-trygga-kvall", "area_id": area, "period_from": "2017-01-01",
        "period_to": "2017-12-31", "value": 48.0, "unit": "percent", "source": "Trygghetsundersökning 2017"})
    others = [a["id"] for a in call("GET", "/v1/agreements")["items"] if a["id"] != agreement["id"]]
    party_code = next(p["code"] for p in call("GET", "/v1/parties")["items"] if p["id"] == parties[0])
    source = register_source(server.db, "urn:schemathesis:fixture", (party_code,))
    envelope = {"specversion": "1.0", "type": "se.est.incident.v1", "source": source, "party": party_code,
                "data": {"category": "klotter", "occurred_at": "2024-05-01T21:30:00+02:00",
                         "location": {"lat": 57.7210, "lon": 12.9401}}}
    r = requests.post(server.base + "/v1/events", json=dict(envelope, id="fixture-1"), headers=h, timeout=10)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    event = r.json()["results"][0]["event_id"]
    fx = {"party": parties[0], "parties": parties, "agreement": agreement["id"],
          "agreement2": others[0] if others else agreement["id"], "area": area, "areas": areas[:3],
          "commitment": commitment["id"], "area_focus": focus, "meeting": meeting["id"], "action": action["id"],
          "indicator_value": value["id"], "party_code": party_code, "event_envelope": envelope,
          "target": {"value": 9, "unit": "network_group", "comparison": "at_least", "per": "period",
                     "from": "2019-01-01", "to": "2019-12-31"},
          "indicator_value_of": {"indicator": value["indicator"], "measure": value["measure"],
                                 "area_id": value["area_id"], "baseline_value_id": value["id"]},
          "geometry": {"type": "Polygon", "coordinates": [[[12.90, 57.70], [12.91, 57.70], [12.91, 57.71],
                                                           [12.90, 57.71], [12.90, 57.70]]]}}
    if coop:
        fx["cooperation_area"] = coop[0]["id"]
    if event:
        fx["event"] = event
    cursors = {}
    with open(os.path.join(REPO, "openapi.yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for path, item in doc["paths"].items():
        op = item.get("get")
        if not op or "{" in path:
            continue
        names = {p.get("name"): p for p in op.get("parameters", []) if "$ref" not in p}
        if not any(p.get("$ref", "").endswith("/Cursor") for p in op.get("parameters", [])):
            continue
        sorts = [""] + list(names.get("sort", {}).get("schema", {}).get("enum", []))
        for s in sorts:
            params = {"limit": 1, **({"sort": s} if s else {})}
            nxt = call("GET", path, params=params).get("next_cursor")
            if nxt:
                cursors.setdefault("GET " + path, {})[s] = nxt
    fx["cursors"] = cursors
    fx["base"], fx["key"] = server.base, key  # for rules on the data's current state (st_hooks.py)
    return fx


def run_schemathesis(server, key, fx, tmp, examples):
    path = os.path.join(tmp, "fixture.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fx, f)
    venv_st = os.path.join(os.environ.get("ESTD_VENV", os.path.join(REPO, ".venv")), "bin", "st")
    cmd = [venv_st if os.path.exists(venv_st) else "st", "--config-file", os.path.join(HERE, "schemathesis.toml"),
           "run", os.path.join(REPO, "openapi.yaml"), "--url", server.base, "-H", "Authorization: Bearer " + key,
           "--max-examples", str(examples), "--seed", "20261201", "--generation-deterministic", "--no-color",
           "--report", "junit", "--report-dir", tmp]
    env = dict(os.environ, ESTD_ST_FIXTURE=path, PYTHONPATH=HERE)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=HERE, env=env)


def test_server_conforms_to_openapi(db, tmp_path):
    key = admin_key(db)
    server = Estd(db, env=ENV).start()
    try:
        fx = fixture(server, key)
        p = run_schemathesis(server, key, fx, str(tmp_path), int(os.environ.get("ESTD_SCHEMATHESIS_EXAMPLES", "10")))
        out = p.stdout + p.stderr
        assert p.returncode == 0, out[-20000:]
        # Every operation of the spec was selected and tested, and the stateful phase ran.
        n = sum(1 for item in yaml.safe_load(open(os.path.join(REPO, "openapi.yaml")))["paths"].values()
                for m in item if m in ("get", "post", "put", "patch", "delete"))
        assert f"Selected: {n}/{n}" in out and f"Tested: {n}" in out, out[-4000:]
        assert "✅ Stateful" in out and "✅ Coverage" in out and "✅ Fuzzing" in out, out[-4000:]
    finally:
        assert server.stop() == 0, server.read_log()[-3000:]
