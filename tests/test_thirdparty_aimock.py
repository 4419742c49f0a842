"""The third-party run against aimock, live: a real OpenAI-compatible server this team did not write.

aimock (npm @copilotkit/aimock, pinned in package.json) answers from the fixtures in
aoai_conformance/thirdparty/aimock_fixtures/. The suite runs against it as `python -m aoai_conformance.thirdparty
--servers aimock` would, and every cell aimock claims must pass or be a deviation listed in
aoai_conformance/thirdparty/known.py (with its evidence in FINDINGS.md).
"""

from __future__ import annotations

import json
import shutil

import pytest

from aoai_conformance.thirdparty import servers
from aoai_conformance.thirdparty.__main__ import run_suite
from aoai_conformance.thirdparty.known import KNOWN_DEVIATIONS

pytestmark = [
    pytest.mark.skipif(
        shutil.which("node") is None, reason="node is not installed (aimock is a Node.js server)"
    ),
    pytest.mark.skipif(
        not servers.aimock_cli().is_file(),
        reason="node_modules/@copilotkit/aimock is missing: run `npm ci` at the repo root",
    ),
]


def run_against_aimock(tmp):
    errors: dict[str, str] = {}
    with servers.start_servers(["aimock"], servers.Cache(tmp / "cache"), errors) as started:
        assert not errors, errors
        code = run_suite(started, tmp / "reports", ["-q"], standin=False, auth="key")
    assert code in (0, 1), f"the suite did not run to the end (exit {code})"
    return json.loads((tmp / "reports" / "results.json").read_text())


def test_suite_against_aimock_live(tmp_path):
    """One test (one aimock, one live run of every suite, ~20 s): under xdist, several tests sharing a
    module fixture would each start their own run."""
    results = run_against_aimock(tmp_path)
    cases = results["cases"]

    # The matrix has an aimock column, under the profile the server declares.
    assert [t["name"] for t in results["run"]["targets"]] == ["aimock"]
    assert results["run"]["targets"][0]["profile"] == "openai"
    assert {c["params"]["target"] for c in cases} == {"aimock"}
    assert "aimock" in (tmp_path / "reports" / "compat.md").read_text()

    # Every failed cell is a known, documented deviation (known.py; evidence in FINDINGS.md).
    known = KNOWN_DEVIATIONS["aimock"]
    unexpected = []
    for case in cases:
        if case["status"] in ("fail", "error"):
            failure = case.get("failure") or {}
            if known.get(case["test"]) != failure.get("promise"):
                unexpected.append(
                    f"{case['id']}: [{failure.get('promise')}] {failure.get('message', '')[:300]}"
                )
    assert not unexpected, "aimock failed cells not in thirdparty/known.py:\n" + "\n".join(unexpected)
    passed = {c["call"] for c in cases if c["status"] in ("pass", "doc-sdk-difference")}
    assert {
        "chat.completions.create",
        "chat.completions.create (stream)",
        "error code 404 NotFoundError",
    } <= passed

    # A listed deviation that now passes means aimock changed: update known.py and FINDINGS.md.
    seen = {c["test"] for c in cases}
    for test, promise in known.items():
        if test in seen:
            statuses = {c["status"] for c in cases if c["test"] == test}
            assert statuses <= {"fail"}, (
                f"{test} ({promise}) is listed as an aimock deviation but was {statuses}"
            )

    # What aimock does not claim (MCP server tools) is reported unsupported, never failed.
    mcp = [c for c in cases if c["test"].startswith("test_responses_mcp")]
    assert mcp and all(c["status"] == "not-applicable" and c["reason"].startswith("unsupported") for c in mcp)


def test_servers_are_stopped_even_on_error(tmp_path):
    errors: dict[str, str] = {}
    with pytest.raises(RuntimeError, match="boom"):
        with servers.start_servers(["aimock"], servers.Cache(tmp_path / "cache"), errors) as started:
            url = started["aimock"].base_url
            proc = started["aimock"]
            assert url.startswith("http://127.0.0.1:") and url.endswith("/openai/v1")
            raise RuntimeError("boom")
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen(url.rsplit("/openai", 1)[0] + "/health", timeout=2)
    assert proc.key and not errors
