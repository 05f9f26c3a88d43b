#!/usr/bin/env python3
"""env_table.py - the environment-variable table of docs/OPERATIONS.md,
generated from src/core/config.c (the load_* calls and the other ESTD_*
names it reads) and the field comments of include/estd/config.h.

  scripts/env_table.py            print the Markdown table
  scripts/env_table.py --write    replace the table between the markers in docs/OPERATIONS.md
  scripts/env_table.py --check    exit 1 if docs/OPERATIONS.md is not up to date
  scripts/env_table.py --names    print the variable names, one a line
"""
import os
import re
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CONFIG_C = os.path.join(REPO, "src", "core", "config.c")
CONFIG_H = os.path.join(REPO, "include", "estd", "config.h")
DOC = os.path.join(REPO, "docs", "OPERATIONS.md")
BEGIN, END = "<!-- env-table:begin (scripts/env_table.py --write) -->", "<!-- env-table:end -->"

# Defaults and meanings config.c does not state in a load_* call or config.h.
DEFAULTS = {
    "ESTD_LOG_LEVEL": "info",
    "ESTD_AUTH": "required",
    "ESTD_EVENT_RETENTION_MODE": "strip",
    "ESTD_SQL_DIR": "`<prefix>/share/estd/sql` (`/opt/estd/share/estd/sql` in the image)",
    "ESTD_WEB_DIR": "`<prefix>/share/estd/web` (`/opt/estd/share/estd/web` in the image)",
    "ESTD_OIDC_ALGS": "`RS256,ES256`",
}
MEANINGS = {
    "ESTD_OIDC_ISSUER": "OpenID Connect issuer URL (https, or http on loopback); unset = JWT bearer tokens and web sign-in off (docs/SECURITY.md)",
    "ESTD_OIDC_ALGS": "accepted JWS algorithms, comma-separated, from RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 (never none or HS*)",
    "ESTD_OIDC_PARTY_CLAIM": "claim whose value is an estd party code; wins over the group table",
    "ESTD_OIDC_SCOPE_CLAIM": "claim with scopes (space-separated string or array); values naming estd scopes grant them",
    "ESTD_OIDC_SCOPE_PREFIX": "only scope-claim values with this prefix count (prefix removed), e.g. `estd:`",
    "ESTD_OIDC_CLIENT_SECRET": "client secret of that client (never logged)",
    "ESTD_EVENT_RETENTION_MODE": "`strip` (remove position, track, place name, description, attributes of old events; aggregates stay) or `delete` (remove old events); see \"Retention\"",
    "ESTD_DATABASE_URL": "libpq connection URL or key=value string of the PostgreSQL database (secrets: prefer a password file or PGPASSWORD-style injection)",
    "ESTD_LISTEN_ADDRESS": "IPv4 address the HTTP listener binds (`0.0.0.0` in the container image)",
    "ESTD_PORT": "HTTP listen port",
    "ESTD_MAX_BODY_KIB": "largest accepted request body in KiB; larger bodies get 413",
    "ESTD_LOG_LEVEL": "lowest level written to the JSON log",
    "ESTD_MIGRATE_ON_START": "`estd serve` applies pending migrations before it listens",
    "ESTD_SHUTDOWN_GRACE_S": "budget from SIGTERM to exit: drain HTTP requests and the consumer batch",
    "ESTD_SHUTDOWN_DELAY_MS": "after SIGTERM, keep listening this long with /readyz failing so load balancers stop routing, then close the listener (counts against the grace)",
    "ESTD_HTTP_MAX_CONNECTIONS": "concurrent HTTP connections (one thread each); a connection over the limit is closed at once, never queued",
    "ESTD_HTTP_MAX_CONNECTIONS_PER_IP": "concurrent HTTP connections from one client address; more are closed at once (0 = no limit: behind a proxy that concentrates clients on one address)",
    "ESTD_HTTP_TIMEOUT_S": "keep-alive idle timeout: a connection between requests is closed after this; also the inactivity timeout while a response is sent",
    "ESTD_HTTP_HEADER_TIMEOUT_S": "the request line and headers must be complete this long after the connection opened (later requests on a keep-alive connection: after their request line), however slowly bytes trickle in",
    "ESTD_HTTP_BODY_TIMEOUT_S": "on paths that take a body, the whole request must be received this much later than the header deadline",
    "ESTD_HTTP_REUSE_PORT": "`on`: share the port with other processes that ask the same (SO_REUSEPORT); `off`: a port in use is an error at start",
    "ESTD_DB_QUERY_TIMEOUT_MS": "client-side deadline of every database statement (and connect) of an HTTP request; then the statement is cancelled, the connection discarded and the request gets 503 with Retry-After",
    "ESTD_DB_INTAKE_TIMEOUT_MS": "the same deadline for the Kafka intake's statements (batches are larger); the batch is retried, offsets are not stored",
    "ESTD_DB_TCP_USER_TIMEOUT_MS": "libpq tcp_user_timeout of every connection (unacknowledged data this long = connection dead); keepalives (idle 10 s, interval 3 s, count 3) are always on; 0 = kernel default",
    "ESTD_READY_TIMEOUT_MS": "/readyz answers 503 when its database ping takes longer",
    "ESTD_RATE_LIMIT_ANON_RPS": "with authentication on: requests refused for want of a valid key (401) per client address and second, 0 = off; over it 429 with Retry-After",
    "ESTD_RATE_LIMIT_ANON_BURST": "bucket size of that limit",
    "ESTD_DB_POOL_SIZE": "PostgreSQL connections per instance (instances × pool size must stay below max_connections)",
    "ESTD_DB_ACQUIRE_TIMEOUT_MS": "longest wait for a pooled connection; then the request gets 503",
    "ESTD_DB_STATEMENT_TIMEOUT_MS": "PostgreSQL statement_timeout of every pooled connection",
    "ESTD_KAFKA_BROKERS": "bootstrap servers; unset = Kafka intake off",
    "ESTD_KAFKA_TOPICS": "comma-separated topics the consumer subscribes to",
    "ESTD_KAFKA_GROUP_ID": "consumer group; every instance uses the same one (partitions are shared out)",
    "ESTD_AUTH": "`required`: API keys are checked; `off`: every request has every scope (development only)",
    "ESTD_KAFKA_PROP_": "`ESTD_KAFKA_PROP_<NAME>=value` sets the librdkafka property <name> (lower-cased, `_` → `.`), e.g. `ESTD_KAFKA_PROP_SECURITY_PROTOCOL=SASL_SSL`",
}

CALL_RE = re.compile(
    r'load_(str|int|bool)\(\s*&l\s*,\s*&[\w>.\-]+\s*,\s*"(ESTD_[A-Z0-9_]+)"\s*,\s*([^,)]+?)\s*(?:,\s*([^,)]+?)\s*,\s*([^,)]+?)\s*)?\)')
NAME_RE = re.compile(r'"(ESTD_[A-Z0-9_]+)"')
ENUM_RE = re.compile(r'"(ESTD_[A-Z0-9_]+)=%s is not one of ([^"]+)"')


def header_comments():
    out = {}
    for m in re.finditer(r"/\*\s*(ESTD_[A-Z0-9_]+)(?:\s*\([^)]*\))?\s*:?\s*(.*?)\s*\*/", open(CONFIG_H).read()):
        out.setdefault(m.group(1), m.group(2).strip())
    return out


def fmt_default(kind, raw):
    raw = raw.strip()
    if raw == "NULL":
        return "(unset)"
    if kind == "bool":
        return raw
    if raw.startswith('"'):
        return "`" + raw.strip('"') + "`" if raw.strip('"') else "(empty)"
    return "`" + raw + "`" if not re.fullmatch(r"[-0-9]+", raw) else raw


def variables():
    """[(name, type, default, allowed, meaning)] in config.c order."""
    src = open(CONFIG_C).read()
    comments = header_comments()
    enums = {m.group(1): m.group(2) for m in ENUM_RE.finditer(src)}
    calls = {m.group(2): m for m in CALL_RE.finditer(src)}
    rows, prefixes, seen = [], [], set()
    for m in NAME_RE.finditer(src):
        name = m.group(1)
        if name in seen:
            continue
        seen.add(name)
        meaning = MEANINGS.get(name) or comments.get(name) or ""
        if name.endswith("_"):  # a prefix, e.g. ESTD_KAFKA_PROP_
            prefixes.append((name + "<NAME>", "string", "(unset)", "any", MEANINGS.get(name, meaning)))
            continue
        c = calls.get(name)
        if c:
            kind, default = c.group(1), fmt_default(c.group(1), c.group(3))
            if kind == "int":
                lo, hi = (str(eval(x)) if re.fullmatch(r"[0-9 *+]+", x) else x for x in (c.group(4), c.group(5)))
                allowed = "integer %s … %s" % (lo, hi)
            elif kind == "bool":
                allowed = "true/false, 1/0, yes/no, on/off"
            else:
                allowed = "string"
        elif name in enums:
            kind, allowed = "enum", " \\| ".join(v.strip() for v in enums[name].split(","))
            default = "`" + DEFAULTS[name] + "`" if name in DEFAULTS else "see meaning"
        else:
            kind, allowed, default = "string", "string", "(unset)"
        if name in DEFAULTS and kind != "enum":
            default = DEFAULTS[name]
        if name == "ESTD_DB_STATEMENT_TIMEOUT_MS":
            allowed += " (0 = none)"
        rows.append((name, kind, default, allowed, meaning))
    return rows + prefixes


def table():
    lines = ["| Variable | Default | Allowed | Meaning |", "|---|---|---|---|"]
    for name, _kind, default, allowed, meaning in variables():
        lines.append("| `%s` | %s | %s | %s |" % (name, default, allowed, meaning.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def doc_with_table(doc):
    a, b = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    return doc[:a] + "\n" + table() + doc[b:]


def main(argv):
    if "--names" in argv:
        print("\n".join(r[0] for r in variables()))
        return 0
    if "--write" in argv or "--check" in argv:
        doc = open(DOC).read()
        new = doc_with_table(doc)
        if "--check" in argv:
            if new != doc:
                print("docs/OPERATIONS.md: the environment table is out of date; run scripts/env_table.py --write",
                      file=sys.stderr)
                return 1
            return 0
        open(DOC, "w").write(new)
        return 0
    sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
