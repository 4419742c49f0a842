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
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (aimock is a Node.js server)"),
    pytest.mark.skipif(not servers.aimock_cli().is_file(),
                       reason="node_modules/@copilotkit/aimock is missing: run `npm ci` at the repo root"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("thirdparty-aimock")
    errors: dict[str, str] = {}
    with servers.start_servers(["aimock"], servers.Cache(tmp / "cache"), errors) as started:
        assert not errors, errors
        code = run_suite(started, tmp / "reports", ["-q"], standin=False, auth="key")
    assert code in (0, 1), f"the suite did not run to the end (exit {code})"
    data = json.loads((tmp / "reports" / "results.json").read_text())
    data["_dir"] = tmp / "reports"
    return data


def test_matrix_has_an_aimock_column(results):
    assert [t["name"] for t in results["run"]["targets"]] == ["aimock"]
    assert results["run"]["targets"][0]["profile"] == "openai"
    assert {c["params"]["target"] for c in results["cases"]} == {"aimock"}
    md = (results["_dir"] / "compat.md").read_text()
    assert "aimock" in md


def test_claimed_calls_pass_or_are_known_deviations(results):
    known = KNOWN_DEVIATIONS["aimock"]
    unexpected = []
    for case in results["cases"]:
        if case["status"] in ("fail", "error"):
            promise = (case.get("failure") or {}).get("promise")
            if known.get(case["test"]) != promise:
                unexpected.append(f"{case['id']}: [{promise}] {(case.get('failure') or {}).get('message', '')[:300]}")
    assert not unexpected, "aimock failed cells not in thirdparty/known.py:\n" + "\n".join(unexpected)
    passed = [c for c in results["cases"] if c["status"] in ("pass", "doc-sdk-difference")]
    assert any(c["call"] == "chat.completions.create" for c in passed), "aimock's chat completion did not pass"


def test_known_deviations_still_fail(results):
    """A listed deviation that now passes means aimock changed: update known.py and FINDINGS.md."""
    seen = {c["test"] for c in results["cases"]}
    for test, promise in KNOWN_DEVIATIONS["aimock"].items():
        if test not in seen:
            continue  # the suite no longer has this test
        statuses = {c["status"] for c in results["cases"] if c["test"] == test}
        assert statuses <= {"fail"}, f"{test} ({promise}) is listed as an aimock deviation but was {statuses}"


def test_unclaimed_calls_are_unsupported_not_failed(results):
    mcp = [c for c in results["cases"] if c["test"].startswith("test_responses_mcp")]
    assert mcp and all(c["status"] == "not-applicable" for c in mcp)
    assert all(c["reason"].startswith("unsupported") for c in mcp)
