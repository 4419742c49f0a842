"""compat.html in real headless Chromium: the matrix is in the DOM and a phone-width screenshot renders.

Skips (with the reason) where Chromium is not installed: `apt-get install -y chromium` (CI installs it).
Chromium runs offline-ish (no background networking, component updates or sync) with a throwaway profile.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_report import make_case, make_results, sample  # noqa: E402

from aoai_conformance.report import render  # noqa: E402

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (Debian: apt-get install -y chromium); browser check skipped",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    previous = make_results([make_case()], started="2026-11-21T01:00:00Z")
    return render(sample(), out, previous=previous)["html"]


def test_matrix_is_in_the_rendered_dom(page, tmp_path):
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert 'id="matrix-table"' in dom
    assert '<td class="st-fail"><a class="cell"' in dom
    assert '<span class="lbl">fail</span>' in dom and '<span class="lbl">unexpected pass</span>' in dom
    assert "documentation may be out of date" in dom
    assert "<script" not in dom


def test_phone_width_screenshot(page, tmp_path):
    shot = tmp_path / "phone.png"
    proc = _chromium(
        tmp_path, "--window-size=390,844", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri()
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (390, 844)
    assert len(data) > 10_000  # something was drawn, not a blank page
