"""bench/situation/trickle_report.py RESULTS EVENTS NPROC - the Markdown table of
bench/situation/trickle.sh (one JSON line per measurement)."""
import json
import sys

rows = {}
info = {}
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        name, what = r["name"].split(".")
        (info if what == "info" else rows).setdefault(name, {})[what] = r

print("events: %s, cores: %s" % (sys.argv[2], sys.argv[3]))
print()
print("| estd | idle: req/s, p99 | trickle into another week: req/s, p99 | p99 ratio trickle/idle | trickle writes |")
print("|---|---|---|---|---|")
for name in ("before", "after"):
    r = rows.get(name, {})
    if "idle" not in r or "trickle" not in r:
        continue
    i, t = r["idle"], r["trickle"]
    print("| %s | %.0f req/s, %.1f ms | %.0f req/s, %.1f ms | %.2f | %s |" % (
        name, i["rps"], i["p99_ms"], t["rps"], t["p99_ms"], t["p99_ms"] / i["p99_ms"],
        info.get(name, {}).get("info", {}).get("trickle_writes", "?")))
for name in ("before", "after"):
    print("%s cache counters: %s" % (name, info.get(name, {}).get("info", {}).get("cache", "?")))
