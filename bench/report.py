#!/usr/bin/env python3
"""Turns a benchmark run's raw numbers into bench/results/<name>.json and the
matching section of docs/BENCHMARKS.md (between <!-- name:begin/end --> markers)."""
import datetime
import json
import os
import platform
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
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


def api(results_file, rss_kib, pgbench_tps, cores, cache_counters=""):
    rows = {}
    for line in open(results_file):
        if line.strip():
            d = json.loads(line)
            rows[d["name"]] = d
    base = rows["livez"]
    pgb = float(pgbench_tps) if pgbench_tps else None
    out = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "cores": int(cores), "cpu": platform.processor() or platform.machine(),
           "rss_kib": int(rss_kib), "pgbench_select_only_tps": pgb, "wrk": rows}
    os.makedirs(os.path.join(REPO, "bench", "results"), exist_ok=True)
    with open(os.path.join(REPO, "bench", "results", "api.json"), "w") as f:
        json.dump(out, f, indent=2)
    lines = [
        "## REST API read path",
        "",
        f"`bench/api/run.sh`, {out['when']}, {cores} cores; wrk 2 threads, 32 connections, same machine as",
        "estd and PostgreSQL (they share the cores). Baselines from the same run: `/livez` (estd's HTTP",
        "ceiling, no database) and `pgbench -S -M prepared -c 32` (the database ceiling). The single GET",
        "runs on the default instance (document cache on) and on a second instance on the same database",
        "with `ESTD_DOC_CACHE_ENTRIES=0` (one statement per GET, the previous behaviour). The machine is",
        "shared with other workers' builds and tests: compare the ratios within the run, not across runs.",
        "",
        "| route | req/s | p50 ms | p99 ms | non-2xx | vs /livez | vs pgbench |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("livez", "`GET /livez` (baseline)"),
                        ("commitment_get", "`GET /v1/commitments/{id}`, document cache"),
                        ("commitment_get_nocache", "`GET /v1/commitments/{id}`, cache off"),
                        ("commitments_list", "`GET /v1/commitments?agreement_id&status&limit=20&sort=-id`")):
        r = rows.get(name)
        if r is None:
            continue
        vs_pg = f"{r['rps'] / pgb:.2f}" if pgb else "n/a"
        lines.append(f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['non2xx']} | "
                     f"{r['rps'] / base['rps']:.2f} | {vs_pg} |")
    lines += ["", f"pgbench select-only: {pgb:.0f} tps." if pgb else "pgbench: not measured.",
              f"estd peak resident memory (VmHWM) after the run: {int(rss_kib) / 1024:.1f} MiB.",
              f"Document cache counters of the cached instance after the run: `{cache_counters.strip()}`."
              if cache_counters.strip() else "",
              "",
              "Where the time goes: see \"REST single GET: where the time goes\" below (profile).",
              "", "Targets (issue 2): single GET ≥ 10 000 req/s with p99 < 10 ms; RSS < 32 MiB.",
              "Target (issue 13): single GET ≥ 0.5 of the same run's `pgbench -S`."]
    g = rows["commitment_get"]
    verdict = []
    verdict.append("met" if g["rps"] >= 10000 else "NOT met")
    verdict.append("met" if g["p99_ms"] < 10 else "NOT met")
    verdict.append("met" if int(rss_kib) < 32 * 1024 else "NOT met")
    lines.append(f"Result: throughput {verdict[0]}, p99 {verdict[1]}, memory {verdict[2]}.")
    if pgb:
        ratio = g["rps"] / pgb
        lines.append(f"Issue 13: cached single GET / pgbench -S = {ratio:.2f} ({'met' if ratio >= 0.5 else 'NOT met'})"
                     + (f"; cache off: {rows['commitment_get_nocache']['rps'] / pgb:.2f}."
                        if "commitment_get_nocache" in rows else "."))
    replace_section("api", "\n".join(lines))


def auth(results_file, readyz, cores):
    rows = [json.loads(l) for l in open(results_file) if l.strip()]
    nocache = [r for r in rows if r["name"].startswith("nocache_")]
    rows = [r for r in rows if not r["name"].startswith("nocache_")]
    key = [r for r in rows if r["name"].startswith("key_")]
    jwt = [r for r in rows if r["name"].startswith("jwt_")]
    mean = lambda xs, f: sum(x[f] for x in xs) / len(xs)
    krps, jrps = mean(key, "rps"), mean(jwt, "rps")
    ratio = jrps / krps
    oidc = json.loads(readyz).get("oidc", {})
    out = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "cores": int(cores),
           "key_rps": krps, "jwt_rps": jrps, "jwt_over_key": ratio, "rounds": rows, "oidc": oidc,
           "jwt_cache_off": nocache}
    os.makedirs(os.path.join(REPO, "bench", "results"), exist_ok=True)
    with open(os.path.join(REPO, "bench", "results", "auth.json"), "w") as f:
        json.dump(out, f, indent=2)
    lines = [
        "## JWT bearer vs API key",
        "",
        f"`bench/auth/run.sh`, {out['when']}, {cores} cores shared with other work on this machine (load",
        f"average {os.getloadavg()[0]:.1f} at the end; the numbers are noisy, compare only the ratio, measured in",
        "one run on one estd; single rounds swing by ±30 % either way, so judge the mean of several). `GET",
        "/v1/commitments/{id}` with wrk 2 threads, 32 connections, rounds alternating between an API key",
        "and an RS256 client-credentials access token from the development provider (Glewlwyd,",
        "`scripts/idp.sh`); rate limiting off, `ESTD_AUTH_CACHE_TTL_MS` default (5 s).",
        "",
        "| round | credential | req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        kind, n = r["name"].split("_")
        lines.append(f"| {n} | {'API key' if kind == 'key' else 'JWT'} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['non2xx']} |")
    for r in nocache:
        lines.append(f"| – | JWT, token cache off (`ESTD_OIDC_TOKEN_CACHE_SIZE=0`) | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['non2xx']} |")
    tc = oidc.get("token_cache", {})
    lines += ["",
              f"Mean: API key {krps:.0f} req/s, JWT {jrps:.0f} req/s; JWT/key = {ratio:.2f} "
              + (f"({(1 - ratio) * 100:.1f} % slower)" if ratio < 1 else f"(the JWT path is not slower here)")
              + f". Token cache after the run: {tc.get('hits', 0)} hits, "
              f"{tc.get('misses', 0)} misses.",
              "",
              "Why there is no real gap: the signature is verified once per token; later requests hash the token",
              "(SHA-256, ~1 µs for an 800-byte JWT) and find the verified principal in a bounded in-memory table",
              "(docs/SECURITY.md), which costs about what the API key's HMAC-SHA256 and cache lookup cost (in",
              "these runs the key path even came out slower; the difference is within the noise). An uncached",
              "RS256 verification (librhonabwy + GnuTLS: base64url and JSON decoding, an RSA-2048 public-key",
              "operation, claim checks) and the party lookup run on every request without the cache; the cache-off",
              "row shows that cost.",
              "",
              "Target (issue 14): the JWT path costs at most 20 % throughput more than the key path. Result: "
              + ("met." if ratio >= 0.8 else "NOT met.")]
    replace_section("auth", "\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "api":
        api(*sys.argv[2:7])
    elif sys.argv[1] == "auth":
        auth(*sys.argv[2:5])
