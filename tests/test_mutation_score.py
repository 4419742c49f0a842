"""The mutation score may not drop: the committed bench/mutation.json (written by
`python -m aoai_conformance.mutation --bench`) is read here, never re-run in CI. One small end-to-end run shows
the caught / survived / equivalent classification on real mutants."""

import json
from pathlib import Path

import pytest

from aoai_conformance.mutation import operators, runner

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "mutation.json"


@pytest.fixture(scope="module")
def bench():
    return json.loads(BENCH.read_text(encoding="utf-8"))


def test_score_not_below_floor(bench):
    assert bench["format"] == runner.FORMAT
    assert bench["score"] is not None and bench["floor"] is not None
    assert bench["score"] >= bench["floor"], (
        f"mutation score {bench['score']:.1%} fell below the floor {bench['floor']:.1%}: see reports/mutation/"
    )


def test_unmutated_run_passed(bench):
    u = bench["unmutated"]
    assert u["tests"] > 0 and u["passed"] == u["tests"] and not u["false_alarms"]


def test_bench_is_consistent(bench):
    scored = [m for m in bench["mutants"] if not m["equivalent"]]
    caught = [m for m in scored if m["caught"]]
    assert (bench["scored"], bench["caught"]) == (len(scored), len(caught))
    assert bench["score"] == round(len(caught) / len(scored), 4)
    # Caught means a ConformanceFailure named the broken promise; nothing else counts.
    assert all(m["status"] == "fail" and m["promise"] for m in caught)
    assert {m["operator"] for m in bench["mutants"]} <= set(operators.BY_NAME)


def test_every_equivalent_has_a_reviewed_reason(bench):
    entries = runner.load_equivalents()
    for m in bench["mutants"]:
        if m["equivalent"]:
            assert m["equivalent"] == runner.equivalent_reason(m, entries)


@pytest.mark.parametrize(
    "status, promise, is_caught",
    [
        ("fail", "chat.object", True),
        ("fail", None, False),  # a failure that names no promise (a cassette miss, a crash in a check)
        ("error", "chat.object", False),
        ("pass", None, False),
        ("expected-fail", "http.status", False),
    ],
)
def test_caught_requires_a_failure_naming_a_promise(status, promise, is_caught):
    assert runner.caught(status, promise) is is_caught


def test_end_to_end_caught_survived_and_equivalent(tmp_path):
    """strip x-request-id on a chat completion is caught (naming the promise); reversing JSON keys is run but
    equivalent; the request_ids suite's chat test checks the whole body (aoai_conformance.layers), so an
    out-of-enum there, which survived before the layers were shared, is caught."""
    opts = runner.Options(
        jobs=2,
        suites=("chat", "request_ids"),
        operators=("strip-x-request-id", "reorder-json-keys", "out-of-enum"),
        tests=("*::test_chat_completion[[]*", "*::test_chat_completion_request_id[[]*"),
        reports_dir=tmp_path,
        quiet=True,
    )
    result = runner.run(opts)
    assert not result["unmutated"]["false_alarms"]
    by_id = {m["id"]: m for m in result["mutants"]}
    stripped = by_id["chat/test_chat_completion#0/strip-x-request-id"]
    assert stripped["caught"] and stripped["status"] == "fail" and "request-id" in stripped["promise"]
    reordered = by_id["chat/test_chat_completion#0/reorder-json-keys"]
    assert reordered["equivalent"] and not reordered["caught"] and reordered["status"] == "pass"
    sharpened = by_id["request_ids/test_chat_completion_request_id#0/out-of-enum"]
    assert sharpened["caught"] and not sharpened["equivalent"] and sharpened not in result["survivors"]
    assert (tmp_path / "mutation.json").is_file() and "Surviving mutants" in (
        tmp_path / "mutation.md"
    ).read_text()
