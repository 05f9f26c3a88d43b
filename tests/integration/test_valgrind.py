"""estd under valgrind memcheck: serve a mix of requests (reads, writes,
errors, auth off) and shut down cleanly with no memory errors and no
definitely/indirectly lost blocks. Skipped for the sanitizer build, which
LeakSanitizer covers instead (valgrind cannot run ASan binaries)."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import ESTD_BIN, Estd


def is_sanitized(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return "libasan" in out or "libubsan" in out


pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None or is_sanitized(ESTD_BIN),
                                reason="needs valgrind and a non-sanitizer build")


def test_serve_under_memcheck_has_no_errors_or_leaks(db, tmp_path):
    log = tmp_path / "valgrind.log"
    wrapper = tmp_path / "estd-vg"
    wrapper.write_text("#!/bin/sh\nexec valgrind --quiet --error-exitcode=97 --leak-check=full "
                       "--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect "
                       f"--log-file={log} {ESTD_BIN} \"$@\"\n")
    wrapper.chmod(0o755)
    server = Estd(db, env={"ESTD_DB_POOL_SIZE": "2"}, binary=str(wrapper))
    server.start(timeout=120)
    try:
        assert server.get("/v1/parties").status_code == 200
        assert server.get("/v1/commitments", params={"limit": 2}).status_code == 200
        assert server.get("/v1/areas/1").status_code == 200
        assert server.get("/v1/situation").status_code == 200
        assert server.get("/v1/parties/999999").status_code == 404
        assert server.post("/v1/commitments", data=b"{bad json", headers={"Content-Type": "application/json"}).status_code == 400
        r = server.post("/v1/events", {"specversion": "1.0", "id": "vg-1", "source": "urn:vg", "type": "se.est.incident.v1",
                                       "time": "2026-11-28T21:40:00+01:00", "party": "ab-bostader",
                                       "data": {"category": "klotter", "location": {"lat": 57.7284, "lon": 12.9302}}},
                        headers={"Content-Type": "application/cloudevents+json"})
        assert r.status_code == 200, r.text
        assert server.get("/metrics").status_code == 200
    finally:
        code = server.stop(timeout=120)
    report = log.read_text()
    assert code == 0, report[-4000:] + server.read_log()[-2000:]
    assert not re.search(r"definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write)|uninitialised", report), report[-4000:]
