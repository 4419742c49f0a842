"""Each real driver (drivers/node, go, java) through the harness: the offline replay passes, and a server that breaks
a promise fails the check that guards it -- a response body that is not a response (every SDK), and through Node
(the only section documenting errors and streaming) an error answer of the wrong status, so the wrong error class,
and a stream cut short. A driver whose toolchain or build is missing skips with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aoai_conformance.sdks.driver import Driver, NotRun
from conftest import clean_env, run_pytest


def available(sdk: str) -> None:
    try:
        Driver(sdk).command()
    except NotRun as exc:
        pytest.skip(f"{sdk}: {exc}")


def run(tmp_path: Path, sdk: str, *tests: str, cassettes: Path | None = None):
    reports = tmp_path / "reports"
    extra = ["--cassettes-dir", str(cassettes)] if cassettes else []
    result = run_pytest(
        *tests, "--sdk", sdk, "-p", "no:randomly", "--reports-dir", str(reports), *extra, env=clean_env()
    )
    data = json.loads((reports / "results.json").read_text())
    return result, {c["id"].split("::", 1)[1]: c for c in data["cases"]}


NOT_RAN = ("skipped", "not-documented", "not-run")


def edit(cassettes: Path, relative: str, change) -> None:
    path = cassettes / "standin" / relative
    data = json.loads(path.read_text())
    change(data["interactions"])
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("sdk", ["node", "go", "java"])
def test_replay_passes_and_a_broken_response_fails(sdk, tmp_path, cassette_copy):
    available(sdk)
    test = "suites/test_responses.py::test_responses_create"
    result, cases = run(tmp_path / "good", sdk, test)
    own = [c["status"] for i, c in cases.items() if f"-{sdk}-" in i and c["status"] not in NOT_RAN]
    assert result.code == 0 and own and set(own) == {"pass"}, result.out[-1500:]

    def not_a_response(interactions):
        body = json.loads(interactions[0]["response"]["body"]["string"])
        body["object"] = "chat.completion"
        interactions[0]["response"]["body"]["string"] = json.dumps(body)

    edit(cassette_copy, "responses/test_responses_create.json", not_a_response)
    result, cases = run(tmp_path / "bad", sdk, test, cassettes=cassette_copy)
    own = [c for i, c in cases.items() if f"-{sdk}-" in i and c["status"] not in NOT_RAN]
    assert result.code == 1 and own and all(c["status"] == "fail" for c in own)


def test_node_catches_a_wrong_status_and_a_stream_cut_short(tmp_path, cassette_copy):
    available("node")

    def answer_400(interactions):
        interactions[0]["response"]["status"] = {"code": 400, "message": "Bad Request"}

    def cut(interactions):
        body = interactions[0]["response"]["body"]
        events = body["string"].split("\n\n")
        body["string"] = "\n\n".join(events[: len(events) // 2]) + "\n\n"

    edit(cassette_copy, "errors/test_unknown_deployment_raises_not_found_error.json", answer_400)
    edit(cassette_copy, "responses/test_responses_streaming.json", cut)
    result, cases = run(
        tmp_path,
        "node",
        "suites/test_errors.py::test_unknown_deployment_raises_not_found_error",
        "suites/test_responses.py::test_responses_streaming",
        "--auth",
        "entra",
        cassettes=cassette_copy,
    )
    assert result.code == 1
    wrong = cases["test_unknown_deployment_raises_not_found_error[entra-node-standin]"]["failure"]
    assert wrong["promise"] == "errors.exception-class" and "BadRequestError" in wrong["message"]
    assert cases["test_responses_streaming[entra-node-standin]"]["status"] == "fail"


@pytest.mark.parametrize(
    ("version", "handled"),
    [("6.25.0", "its backoff (a wait of 60 s or more is ignored)"), ("", "the wait itself (no cap)")],
)
def test_node_is_held_to_its_own_versions_retry_after_policy(version, handled, tmp_path):
    """A 429 asking for 121 s: openai-node <= 6.25 retries after its backoff, >= 6.26 sleeps the 121 s (the
    watchdog ends the call); each passes the cap test judged by its own version's row (sdks/coverage.py)."""
    available("node")
    if version and not (Path(__file__).parents[1] / f"drivers/node/versions/{version}/node_modules").is_dir():
        pytest.skip(f"node {version}: not built (AOAI_CONFORMANCE_NODE_OPENAI={version} drivers/node/build)")
    env = {"AOAI_CONFORMANCE_NODE_OPENAI": version} if version else {}
    test = "suites/test_retries.py::test_retry_after_above_cap_is_not_retried[env-node-standin-seconds]"
    result = run_pytest(
        test, "--sdk", "node", "-p", "no:randomly", "--reports-dir", str(tmp_path), env=clean_env(**env)
    )
    (case,) = json.loads((tmp_path / "results.json").read_text())["cases"]
    assert case["status"] == "pass", (handled, case.get("failure"), result.out[-1500:])
    assert not version or case["sdk_version"] == version
