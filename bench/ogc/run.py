#!/usr/bin/env python3
"""bench/ogc/run.py - OGC API - Features read throughput (docs/OGC.md).

Reads every event of a database of N events (default 50 000) page by page
(limit 1000) through /ogc/collections/events/items in CRS84 and in EPSG:3006,
with a bbox, and with GDAL's ogr2ogr (OAPIF driver), beside the baseline of
the same run: the same rows paged through /v1/events?limit=1000. Ratios are
what to compare (the machine is shared: absolute times move from run to
run). Uses the PostgreSQL of ESTD_PG_PORT with the template database
ESTD_TEMPLATE_DB (as scripts/test.sh prepares it) and build/estd; writes its
section of docs/BENCHMARKS.md and bench/results/ogc.json.

  ESTD_PG_PORT=26020 .venv/bin/python bench/ogc/run.py [N]
"""
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import requests  # noqa: E402

from conftest import Estd, create_db, drop_db  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
RUNS = 3
DB = "bench_ogc"
EPSG3006 = "http://www.opengis.net/def/crs/EPSG/0/3006"
FILL = """
INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, geom, channel)
SELECT 'bench', 'b' || g, (SELECT id FROM parties ORDER BY id LIMIT 1 OFFSET g %% 3), 'incident', 'klotter',
       timestamptz '2026-10-01' + (g %% 43200) * interval '1 minute',
       ST_SetSRID(ST_MakePoint(12.90 + (g * 7919 %% 10007) / 100070.0, 57.70 + (g * 104729 %% 10009) / 150000.0),
                  4326), 'http'
FROM generate_series(1::bigint, %s) g
"""


def page_all(server, path, params):
    """Follows next links (the /v1 `next` or the OGC link) to the end; returns (features, seconds)."""
    t0 = time.monotonic()
    n, url, p = 0, server.base + path, dict(params)
    while url:
        r = requests.get(url, params=p, timeout=120)
        r.raise_for_status()
        doc = r.json()
        if "items" in doc:
            n += len(doc["items"])
            url = server.base + doc["next"] if doc["next"] else None
        else:
            n += len(doc["features"])
            url = next((l["href"] for l in doc["links"] if l["rel"] == "next"), None)
        p = None  # the next link carries the parameters
    return n, time.monotonic() - t0


def gdal_all(server):
    t0 = time.monotonic()
    p = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", "-oo", "PAGE_SIZE=1000",
                        "OAPIF:" + server.base + "/ogc/collections/events"], capture_output=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    return len(json.loads(p.stdout)["features"]), time.monotonic() - t0


def main():
    create_db(DB)
    server = Estd(DB, env={"ESTD_LOG_LEVEL": "warn", "ESTD_PAGE_MAX": "1000"})
    try:
        server.sql(FILL % N)
        server.sql("ANALYZE events")
        server.start()
        box = {"bbox": "12.92,57.71,12.95,57.73"}
        inside = server.sql("SELECT count(*) FROM events WHERE ST_Intersects(geom, ST_MakeEnvelope(12.92, 57.71, "
                            "12.95, 57.73, 4326))")[0][0]
        cases = [
            ("`/v1/events?limit=1000` (baseline)", lambda: page_all(server, "/v1/events", {"limit": 1000}), N),
            ("`/ogc/…/events/items?limit=1000`, CRS84", lambda: page_all(
                server, "/ogc/collections/events/items", {"limit": 1000}), N),
            ("the same, `crs=EPSG:3006` (ST_Transform + axis swap)", lambda: page_all(
                server, "/ogc/collections/events/items", {"limit": 1000, "crs": EPSG3006}), N),
            ("the same, CRS84 with a `bbox` (%d of them)" % inside, lambda: page_all(
                server, "/ogc/collections/events/items", dict(box, limit=1000)), inside),
            ("`ogr2ogr` (GDAL OAPIF, PAGE_SIZE=1000) to GeoJSON", lambda: gdal_all(server), N),
        ]
        rows = []
        for name, fn, want in cases:
            times = []
            for _ in range(RUNS):
                n, s = fn()
                assert n == want, (name, n, want)
                times.append(s)
            rows.append((name, want, statistics.median(times)))
        base = rows[0][2] / N
    finally:
        server.stop()
        drop_db(DB)
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    lines = ["<!-- ogc:begin -->", "## OGC API – Features", "",
             "`bench/ogc/run.py`, %s, %d events, 2 cores shared with other work (±20 %% between runs: compare"
             " the ratios); the `build/` binary (-O2), one client, sequential pages, median of %d runs; estd and"
             " PostgreSQL on the same machine." % (stamp, N, RUNS), "",
             "| read | features | seconds | µs per feature | per feature vs baseline |", "|---|---:|---:|---:|---:|"]
    for name, n, s in rows:
        lines.append("| %s | %d | %.2f | %.1f | %.2f× |" % (name, n, s, s / n * 1e6, (s / n) / base))
    lines += ["", "<!-- ogc:end -->"]
    section = "\n".join(lines)
    path = os.path.join(REPO, "docs", "BENCHMARKS.md")
    text = open(path, encoding="utf-8").read()
    if "<!-- ogc:begin -->" in text:
        a, b = text.index("<!-- ogc:begin -->"), text.index("<!-- ogc:end -->") + len("<!-- ogc:end -->")
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    open(path, "w", encoding="utf-8").write(text)
    os.makedirs(os.path.join(REPO, "bench", "results"), exist_ok=True)
    with open(os.path.join(REPO, "bench", "results", "ogc.json"), "w", encoding="utf-8") as f:
        json.dump({"time": stamp, "events": N, "rows": rows}, f, indent=1)
    print(section)


if __name__ == "__main__":
    main()
