"""A run meets a listed real deviation (findings.toml) as a known finding, not as a new failure, and only that.

Live against the stand-in, switched by a mutator to answer image prompts as real Azure v1 does
(``content_filter_result``, singular: corpus/mirascope-mirascope.har, _aoai.id 042/043): the image-input rows are
"expected fail" naming the finding and the run exits 0. The same answer with the findings switched off fails, and
a different break of the same promise (the filter map dropped, not renamed) fails too: a finding hides nothing
but itself.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from conftest import clean_env, run_pytest

REPO = Path(__file__).resolve().parent.parent
FINDING = "azure-v1-image-prompt-filter-singular"

PLUGIN = textwrap.dedent("""
    import os


    def mutator(route, reply):
        body = reply.body
        how = os.environ["AOAI_TEST_PROMPT_FILTER"]
        if isinstance(body, dict) and body.get("prompt_filter_results"):
            for entry in body["prompt_filter_results"]:
                cfr = entry.pop("content_filter_results", None)
                if how == "singular":
                    entry["content_filter_result"] = cfr
        return reply


    def pytest_aoai_standin_started(standin):
        standin.mutator = mutator
""")


def _run(tmp: Path, how: str, findings: str | None = None) -> tuple[int, str, list[dict]]:
    (tmp / "findings_plugin.py").write_text(PLUGIN)
    env = clean_env(
        AOAI_TEST_PROMPT_FILTER=how, **({"AOAI_CONFORMANCE_FINDINGS": findings} if findings else {})
    )
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp), str(REPO), env.get("PYTHONPATH")) if p)
    result = run_pytest(
        "suites/test_chat.py",
        "-k",
        "image_url",
        "--mode",
        "live",
        "--target",
        "standin",
        "--auth",
        "key",
        "--client",
        "sync",
        "-p",
        "findings_plugin",
        "--reports-dir",
        str(tmp / "reports"),
        "-q",
        env=env,
        timeout=120,
    )
    results = tmp / "reports" / "results.json"
    cases = json.loads(results.read_text())["cases"] if results.is_file() else []
    return result.code, result.out, cases


def test_a_listed_real_deviation_is_a_known_finding_in_a_live_run(tmp_path):
    code, out, cases = _run(tmp_path, "singular")
    assert code == 0, out
    assert cases and all(c["status"] == "expected-fail" for c in cases), out
    assert all(c["findings"] == [FINDING] and FINDING in c["reason"] for c in cases)
    assert all(c["failure"]["promise"] == "schema.compatible" for c in cases)


@pytest.mark.parametrize("how, findings", [("singular", "none"), ("dropped", None)])
def test_without_the_list_or_with_another_break_it_fails(tmp_path, how, findings):
    code, out, cases = _run(tmp_path, how, findings)
    assert code == 1, out
    assert cases and all(c["status"] == "fail" and not c.get("findings") for c in cases), out
