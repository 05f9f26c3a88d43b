"""The fresh-machine check: scripts/deps.sh installs everything the test
command calls.

1. Every command the test command's scripts (scripts/test.sh and every
   script it reaches) and the pytest modules call is named in the manifest
   scripts/packages/tools.txt. The commands are read out of the sources by a
   small shell tokenizer (below, tested on its own), not listed by hand.
2. Against a bare debootstrapped Debian 12 root (the container stage's
   cached base, ESTD_BARE_ROOT), every manifest source is either installed
   in that root already or in what `scripts/deps.sh --list --root ROOT`
   says it would install.
3. `scripts/deps.sh --check` (test.sh's early check) passes here and names a
   missing tool on one line when one is missing.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess

import pytest

from conftest import REPO

DEPS = os.path.join(REPO, "scripts", "deps.sh")
MANIFEST = os.path.join(REPO, "scripts", "packages", "tools.txt")
BARE_ROOT = os.environ.get("ESTD_BARE_ROOT") or os.path.join(
    os.environ.get("ESTD_CONTAINER_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "estd"),
    "debian-12-slim", "rootfs")

# Shell words that are not programs looked up on PATH.
BUILTINS = set("""
. : [ [[ ]] alias bg break builtin caller cd command compgen complete continue declare dirs disown echo
enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile
popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap true
type typeset ulimit umask unalias unset wait
if then else elif fi case esac for select while until do done in function time ! { }
""".split())
# Prefix commands: the next word is the command they run.
WRAPPERS = {"exec", "command", "time", "!", "setsid", "xargs", "nohup"}
# Prefix commands with options before the command: skip option words and VAR=x words.
WRAPPERS_WITH_ARGS = {"env": 0, "timeout": 1, "runuser": None}
SEPARATORS = {"\n", "{", "}"}
KEYWORDS_THEN_COMMAND = {"if", "then", "else", "elif", "do", "while", "until", "{", "!", "time"}


def strip_heredocs(text):
    """Drops here-document bodies (data, not commands)."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?", line)
        if m and not re.search(r"<<<", line):
            end = m.group(1)
            i += 1
            while i < len(lines) and lines[i].strip() != end:
                i += 1
        i += 1
    return "\n".join(out)


def shell_commands(text):
    """Command words of a bash script: the first word of every simple
    command, in pipelines, lists, subshells, $(...) substitutions, if/while
    conditions and case arms; `CC=x` assignments count (the compiler is a
    command too). Assignments, arithmetic, case patterns and here-documents
    are skipped. Returns (commands, assignments {VAR: value})."""
    text = strip_heredocs(text).replace("\\\n", " ")  # continuation lines joined
    # Comments: a `#` at a word start, to the end of the line (before quotes are
    # looked at: comments are prose, with apostrophes).
    text = re.sub(r"(^|[ \t;])#[^\n]*", r"\1", text, flags=re.M)
    # Redirections (`>f`, `2>&1`, `</dev/null`) are not words of the command.
    text = re.sub(r"(?<![<>\w])\d*(?:>>|>|<)(?![(<])&?\s*(?:\"[^\"]*\"|'[^']*'|[^\s;|&()]+)", " ", text)
    values = {}
    for m in re.finditer(r"(?:^|[;\s])(?:export\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S*)", text, re.M):
        v = m.group(2).strip("\"';")
        d = re.fullmatch(r"\$\{[A-Za-z_0-9]+:-(.*)\}", v)
        values.setdefault(m.group(1), []).append(d.group(1) if d else v)
    # A variable set in several places (`JAVA="$JAVA_HOME/bin/java"` or `JAVA=java`):
    # the plain value, as on a machine without the optional override.
    assigns = {k: next((x for x in reversed(v) if "$" not in x), v[0]) for k, v in values.items()}
    funcs = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)\s*\{", text, re.M))
    # Functions that run their arguments (`run STEP CMD...` runs "${@:2}"): calls to
    # them are prefix commands; the number is how many leading words to skip.
    runners = {}
    for m in re.finditer(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)\s*\{(.*?)^\}", text, re.M | re.S):
        r = re.search(r'(?:^|[;&|!]|\bthen|\belse|\bdo)\s*"\$(?:\{@:(\d+)\}|@)"', m.group(2), re.M)
        if r:
            runners[m.group(1)] = int(r.group(1) or 1) - 1
    cmds = []

    def flatten(src):
        """Replaces each $(...) / <(...) by a plain word after scanning its inside,
        $((...)) and ((...)) arithmetic by a word, and ${...} by one word."""
        out, i, quote = [], 0, None
        while i < len(src):
            c = src[i]
            if quote == "'":
                quote = None if c == "'" else quote
            elif c == "'" and quote is None:
                quote = "'"
            elif c == '"':
                quote = None if quote == '"' else '"'
            if quote != "'" and (src.startswith("$((", i) or (src.startswith("((", i) and not src.startswith("$", i - 1))):
                j = src.find("))", i)
                out.append(" true " if c == "(" else "0")
                i = j + 2 if j >= 0 else len(src)
                continue
            if quote != "'" and (src.startswith("$(", i) or src.startswith("<(", i)):
                depth, j = 1, i + 2
                while j < len(src) and depth:
                    depth += {"(": 1, ")": -1}.get(src[j], 0)
                    j += 1
                scan(flatten(src[i + 2:j - 1]))
                out.append("SUBST")
                i = j
                continue
            if quote != "'" and src.startswith("${", i):
                j = src.find("}", i)
                out.append("${" + re.sub(r"\s", "_", flatten(src[i + 2:j])) + "}" if j >= 0 else src[i:])
                i = j + 1 if j >= 0 else len(src)
                continue
            out.append(c)
            i += 1
        return "".join(out)

    def scan(src):
        lex = shlex.shlex(src, posix=True, punctuation_chars=";&|()")
        lex.whitespace = " \t\r"  # newlines separate commands
        lex.commenters = ""
        lex.wordchars += "$-{}:/.=*@%+,~[]^!?#"
        try:
            toks = list(lex)
        except ValueError:  # unbalanced quote in a fragment: scan it word by word
            toks = src.split()
        expect, case_depth, pattern, depth, i = True, 0, False, 0, 0
        while i < len(toks):
            t = toks[i]
            if t == "case":
                case_depth += 1
                expect = False
            elif t == "in" and case_depth and not pattern:
                pattern = True
            elif t == "esac":
                case_depth -= 1
                pattern, expect = False, False
            elif pattern:
                if ")" in t:
                    pattern, expect = False, True
            elif t.startswith(";;") and case_depth:
                pattern = True
            elif t in SEPARATORS or re.fullmatch(r"[;&|()]+", t):  # shlex groups `);` and the like
                expect = True
            elif t == "$" and i + 1 < len(toks) and toks[i + 1] == "(":
                i += 1
                expect = True
            elif expect:
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", t):  # a=, a+=, a[k]=
                    name, _, value = t.partition("=")
                    if name in ("CC", "CXX") and value:
                        cmds.append(value)
                    if t.endswith("=") and i + 1 < len(toks) and toks[i + 1].startswith("("):  # a=(array)
                        while i < len(toks) and ")" not in toks[i]:
                            i += 1
                elif t == "command" and i + 1 < len(toks) and toks[i + 1] == "-v":
                    i, expect = i + 2, False  # `command -v X` looks X up, it does not run it
                elif t in KEYWORDS_THEN_COMMAND or t in WRAPPERS:
                    if t in WRAPPERS and t not in BUILTINS:
                        cmds.append(t)
                    while i + 1 < len(toks) and toks[i + 1].startswith("-") and t in WRAPPERS:
                        i += 1  # `xargs -r CMD`
                elif t in WRAPPERS_WITH_ARGS:
                    cmds.append(t)
                    j, skip = i + 1, WRAPPERS_WITH_ARGS[t]
                    while j < len(toks) and (toks[j].startswith("-") or "=" in toks[j] or
                                             (skip and skip > 0 and re.fullmatch(r"[0-9.\"${}A-Z_:-]+", toks[j]))):
                        if toks[j] == "--":
                            j += 1
                            break
                        if not toks[j].startswith("-") and "=" not in toks[j]:
                            skip -= 1
                        elif t == "runuser" and toks[j] == "-u":
                            j += 1
                        j += 1
                    i = j
                    continue
                elif t == "[[":  # a condition: its && and || join tests, not commands
                    while i < len(toks) and toks[i] != "]]":
                        i += 1
                    i, expect = i + 1, False
                    continue
                elif t in runners:
                    i, expect = i + 1 + runners[t], True
                    continue
                elif t in ("for", "select"):
                    j = i
                    while j < len(toks) and toks[j] != "\n" and not toks[j].endswith(";"):
                        j += 1
                    i, expect = j, True
                    continue
                else:
                    if t not in BUILTINS and t not in funcs and not t.startswith(("<", ">")):
                        cmds.append(t)
                    expect = False
            i += 1

    scan(flatten(text))
    return cmds, assigns


def resolve(word, assigns):
    """A command word as a program name: expands $VAR/${VAR} from the
    script's own assignments; None for the repository's own programs and
    positional parameters (their callers are scanned)."""
    w = word.strip("\"'")
    if re.match(r"\$\{?[@*0-9]", w):
        return None
    for _ in range(5):
        m = re.search(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", w)
        if not m:
            break
        name = m.group(1)
        if name == "REPO":
            if "/.cache/npm/" in w or "/.venv/" in w:
                return os.path.basename(w)  # npm and venv tools, by name
            return None  # $REPO/...: the checkout's own scripts and build trees
        if name in ("VENV", "ESTD_VENV"):
            return os.path.basename(w)  # the test venv's tools, by name
        if name not in assigns:
            raise AssertionError("cannot resolve %r: $%s is not assigned in the script" % (word, name))
        w = w[:m.start()] + assigns[name] + w[m.end():]
    if w.startswith(("scripts/", "./", "build")) or "/.venv/" in w or "/.cache/npm/" in w:
        return None if not w.startswith("/") else os.path.basename(w)
    return w


def script_refs(text):
    return set(re.findall(r"(?:\$REPO/|\"\$REPO/|^|[\s;(|&])(scripts/[A-Za-z0-9_./-]+\.sh)", text, re.M))


def command_scripts():
    """scripts/test.sh and every script it reaches."""
    todo, seen = ["scripts/test.sh"], []
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.append(s)
        with open(os.path.join(REPO, s)) as f:
            text = f.read()
        todo += [r for r in script_refs(text) if os.path.exists(os.path.join(REPO, r))]
    return seen


def python_commands():
    """Programs the pytest modules run: literal first elements of subprocess
    argument lists, shutil.which names, and tools next to the venv's python."""
    out = set()
    for path in glob.glob(os.path.join(REPO, "tests", "integration", "*.py")):
        with open(path) as f:
            src = f.read()
        out.update(re.findall(r"subprocess\.\w+\(\s*\[\s*\"([^\"]+)\"", src))
        out.update(re.findall(r"shutil\.which\(\"([^\"]+)\"\)", src))
        out.update(re.findall(r"os\.path\.dirname\(sys\.executable\),\s*\"([^\"]+)\"", src))
        out.update(re.findall(r"\"#!/bin/sh\\nexec ([a-z0-9_-]+) ", src))
    return out


def manifest():
    rows = []
    with open(MANIFEST) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, source = line.split()
                assert re.fullmatch(r"(deb|pip|npm|maven):\S+", source), line
                rows.append((name, source))
    names = [n for n, _ in rows]
    assert len(names) == len(set(names)), "duplicate manifest entry"
    return dict(rows)


def called_programs():
    progs = {}
    for s in command_scripts():
        with open(os.path.join(REPO, s)) as f:
            cmds, assigns = shell_commands(f.read())
        for c in cmds:
            p = resolve(c, assigns)
            if p:
                progs.setdefault(p, s)
    for p in python_commands():
        progs.setdefault(p, "tests/integration")
    # CTest runs every integration module with pytest (tests/CMakeLists.txt).
    with open(os.path.join(REPO, "tests", "CMakeLists.txt")) as f:
        assert "NAMES pytest" in f.read()
    progs.setdefault("pytest", "tests/CMakeLists.txt")
    return progs


# ---- the tokenizer, on its own -------------------------------------------------------------

def test_shell_commands_finds_commands_and_skips_data():
    src = """#!/bin/bash
X=${X:-/opt/x}
f() { echo hi; }
if curl -fsS url | grep -q ok && ! mything --a; then f; fi
v=$(sha256sum "$p" | cut -d' ' -f1)
case $1 in
  a|b) podman run x ;;
  c) "$X/bin/tool" ;;
esac
for i in $(seq 1 3); do sleep 1; done
((n = n + 1))
last[$c]=$(date +%s)
CC=clang scripts/build.sh dir
timeout 20 java -version
runuser -u postgres -- pg_ctl start
env -i PATH=/bin setsid scripts/run.sh >log 2>&1 &
cat <<EOF
notacommand here
EOF
"""
    cmds, assigns = shell_commands(src)
    resolved = {resolve(c, assigns) for c in cmds} - {None}
    assert resolved == {"curl", "grep", "mything", "sha256sum", "cut", "podman", "/opt/x/bin/tool", "seq",
                        "sleep", "date", "clang", "timeout", "java", "runuser", "pg_ctl", "env", "setsid", "cat"}, resolved


def test_test_command_reaches_its_scripts():
    s = command_scripts()
    for want in ("scripts/deps.sh", "scripts/pg.sh", "scripts/kafka.sh", "scripts/build.sh",
                 "scripts/container-test.sh", "scripts/beside-run-test.sh", "scripts/run.sh",
                 "scripts/container/slim-base.sh"):
        assert want in s, (want, s)


# ---- 1. every called program is in the manifest -------------------------------------------

def test_manifest_names_every_program_the_test_command_calls():
    m = manifest()
    progs = called_programs()
    for must in ("podman", "debootstrap", "mvn", "java", "clang", "cmake", "ctest", "pytest", "redocly"):
        assert must in progs, "the extractor lost %s (found %s)" % (must, sorted(progs))
    missing = {p: where for p, where in progs.items() if p not in m}
    assert not missing, "called but not in scripts/packages/tools.txt: %s" % missing


# ---- 2. deps.sh --list against a bare Debian 12 covers the manifest ----------------------

@pytest.fixture(scope="module")
def bare_root():
    if not os.path.isfile(os.path.join(BARE_ROOT, "var", "lib", "dpkg", "status")):
        pytest.skip("no bare Debian 12 root at %s (scripts/container-test.sh base builds it; "
                    "scripts/test.sh runs that first)" % BARE_ROOT)
    return BARE_ROOT


def bare_installed(root):
    out = subprocess.run(["dpkg-query", "--admindir=" + os.path.join(root, "var", "lib", "dpkg"), "-W",
                          "-f=${Package} ${Status}\n"], capture_output=True, text=True, check=True).stdout
    return {l.split()[0] for l in out.splitlines() if l.endswith("install ok installed")}


def test_deps_list_on_a_bare_root_covers_every_tool(bare_root):
    installed = bare_installed(bare_root)
    assert "coreutils" in installed and "apt" in installed and "cmake" not in installed, "not a bare minbase root"
    r = subprocess.run([DEPS, "--list", "--root", bare_root], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    listed = r.stdout.split()
    assert listed and all(re.fullmatch(r"(deb|pip|npm|maven):\S+", x) for x in listed), listed
    debs = {x[4:] for x in listed if x.startswith("deb:")}
    pips = {re.split(r"[=<>\[]", x[4:])[0].lower() for x in listed if x.startswith("pip:")}
    npms = {re.split(r"(?<!^)@", x[4:])[0] for x in listed if x.startswith("npm:")}
    assert not debs & installed, "lists packages the root already has: %s" % (debs & installed)
    uncovered = []
    for name, source in manifest().items():
        kind, _, what = source.partition(":")
        ok = {"deb": what in debs or what in installed, "pip": what.lower() in pips,
              "npm": what in npms, "maven": "maven:" + what in listed}[kind]
        if not ok:
            uncovered.append((name, source))
    assert not uncovered, "a bare Debian 12 would lack: %s" % uncovered
    # The basics really are in the bare root (the `deb:` entries it already has).
    for name, source in manifest().items():
        if source[4:] in installed and not name.startswith("/"):
            assert any(os.path.exists(os.path.join(bare_root, d, name))
                       for d in ("usr/bin", "bin", "usr/sbin", "sbin")), (name, source)


def test_deps_list_notices_a_missing_package(bare_root, tmp_path):
    """--root really reads the root's dpkg status: drop cmake into a copy of it, and
    cmake leaves the list."""
    root = tmp_path / "root"
    (root / "var" / "lib" / "dpkg").mkdir(parents=True)
    with open(os.path.join(bare_root, "var", "lib", "dpkg", "status")) as f:
        status = f.read()
    status += "\nPackage: cmake\nStatus: install ok installed\nVersion: 3.25.1-1\nArchitecture: amd64\n"
    (root / "var" / "lib" / "dpkg" / "status").write_text(status)
    for sub in ("info", "updates"):
        (root / "var" / "lib" / "dpkg" / sub).mkdir()
    listed = subprocess.run([DEPS, "--list", "--root", str(root)], capture_output=True, text=True,
                            check=True).stdout.split()
    assert "deb:cmake" not in listed and "deb:podman" in listed


# ---- 3. the early check -------------------------------------------------------------------

def test_deps_check_passes_here():
    r = subprocess.run([DEPS, "--check"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_deps_check_names_a_missing_tool_on_one_line(tmp_path):
    """A PATH with every tool but cmake (and ctest): the check fails with one
    line each naming it and the package."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            src = os.path.join(d, n)
            if n not in ("cmake", "ctest") and not (bindir / n).exists() and os.access(src, os.X_OK):
                os.symlink(src, bindir / n)
    env = dict(os.environ, PATH=str(bindir))
    r = subprocess.run([shutil.which("bash"), DEPS, "--check"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines == ["deps.sh: missing cmake (from deb:cmake; run scripts/deps.sh as root)",
                     "deps.sh: missing ctest (from deb:cmake; run scripts/deps.sh as root)"], lines
