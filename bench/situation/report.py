#!/usr/bin/env python3
"""bench/situation/report.py RESULTS STATS ONE_SINGLE ALL_SINGLE CORES [GEN_S]: writes
bench/results/situation.json and the "Situational picture" section of docs/BENCHMARKS.md
(between <!-- situation:begin/end --> markers, leaving other sections alone)."""
import datetime
import json
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(REPO, "docs", "BENCHMARKS.md")


def replace_section(name, body):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = open(DOC, encoding="utf-8").read() if os.path.exists(DOC) else "# Benchmarks\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(text)


def main(results, stats, one_single, all_single, cores, gen_s=""):
    rows = {}
    for line in open(results):
        if line.strip():
            d = json.loads(line)
            rows[d["name"]] = d
    stats = json.loads(stats)
    out = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "cores": int(cores),
           "data": stats, "generation_seconds": int(gen_s) if gen_s else None,
           "single_request_ms": {"one_area_week": float(one_single) * 1000, "all_areas_week": float(all_single) * 1000},
           "wrk": rows}
    os.makedirs(os.path.join(REPO, "bench", "results"), exist_ok=True)
    with open(os.path.join(REPO, "bench", "results", "situation.json"), "w") as f:
        json.dump(out, f, indent=2)
    base = rows["livez"]
    lines = [
        "## Situational picture",
        "",
        f"`bench/situation/run.sh`, {out['when']}, {cores} cores; wrk 2 threads, 32 connections, on the same",
        "machine as estd (release build, 4 HTTP threads, pool 8) and PostgreSQL 15 (private cluster,",
        "shared_buffers 2 GB). Data: %d events over two years (2023–2024), %d event_areas rows, database %s;"
        % (stats["events"], stats["event_areas"], stats["db_size"]),
        "the benchmarked week has %d incidents in Norrby and %d in all of Borås (all feed DBSCAN)."
        % (stats["norrby_week_incidents"], stats["all_week_incidents"]),
        "",
        "| request | requests | req/s | p50 ms | p99 ms | errors | non-2xx | req/s vs /livez | single request ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = (("livez", "`GET /livez` (baseline)", None),
              ("one_area_week", "`GET /v1/situation?area_id=<norrby>&week=…`", "one_area_week"),
              ("all_areas_week", "`GET /v1/situation?week=…` (all areas)", "all_areas_week"))
    for name, label, single in labels:
        r = rows[name]
        s = f"{out['single_request_ms'][single]:.1f}" if single else "–"
        lines.append(f"| {label} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['errors']} | {r['non2xx']} | "
                     f"{r['rps'] / base['rps']:.4f} | {s} |")
    one, allr = rows["one_area_week"], rows["all_areas_week"]

    def verdict(r, limit):
        ok = r["errors"] == 0 and r["non2xx"] == 0 and r["requests"] > 0 and r["p99_ms"] < limit
        return "met" if ok else "NOT met"
    lines += [
        "",
        "Targets: p99 < 20 ms one area/one week (%s: %.1f ms), p99 < 250 ms all areas/one week (%s: %.1f ms)."
        % (verdict(one, 20), one["p99_ms"], verdict(allr, 250), allr["p99_ms"]),
        "\"single request\" is the median of 21 sequential requests (no concurrency): the cost of one",
        "lägesbild; under 32 connections on 2 cores the p99 is that cost times the queue length.",
    ]
    if gen_s:
        lines.append(f"Data generation (generate_series, indexes rebuilt after the load) took {int(gen_s)} s.")
    lines += [
        "",
        "Where the time goes (one area, one week, 3 880 incidents; statements timed one by one with",
        "psql on the same data, 2026-11-29): counting pass over three periods with GROUPING SETS 9 ms",
        "(index-only scans of event_areas_situation_idx, no heap fetches), context (presence, focuses,",
        "commitments, freshness) 8 ms, hot spots 54 ms of which ST_ClusterDBSCAN itself ~35 ms: the",
        "synthetic density (~3 900 incidents a week in a 0.25 km² district) makes every incident a",
        "neighbour of ~1 000 others at eps = 150 m, and PostGIS' DBSCAN is O(n × neighbours). All areas:",
        "DBSCAN over 66 000 incidents takes 1–2 s. The counts alone meet the targets; the hot spots do not.",
        "Under 32 connections on 2 cores the requests queue behind each other (CPU bound), and the",
        "machine was shared with other engineers' test runs, so the concurrent numbers are noisy.",
        "Next step (not done): cache the computed picture per (area, period, parameters) with a short",
        "TTL / invalidation on new events, and/or cap DBSCAN input by pre-aggregating to a grid.",
    ]
    replace_section("situation", "\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
