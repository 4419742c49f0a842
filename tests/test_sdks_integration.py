"""--sdk through the plugin with the fake driver (no toolchain needed): a good SDK passes the suites, a broken one
fails the check it breaks, a server that breaks a promise fails through another SDK too, Python ids stay
byte-identical, and expectations can be limited to an SDK and a version range."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aoai_conformance import sdk
from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.config import ConfigError
from aoai_conformance.expectations import Expectation, find, in_range, load
from conftest import clean_env, run_pytest

FAKE = Path(__file__).parent / "data" / "fake_driver.py"
TESTS = "suites/test_chat.py::test_chat_completion suites/test_responses.py::test_responses_streaming"


def fake_env(**extra: str) -> dict[str, str]:
    return clean_env(AOAI_CONFORMANCE_DRIVER_NODE=f"{sys.executable} {FAKE}", **extra)


def sdk_run(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    reports = tmp_path / "reports"
    result = run_pytest(*args, "-p", "no:randomly", "--reports-dir", str(reports), env=env or fake_env())
    data = json.loads((reports / "results.json").read_text()) if (reports / "results.json").is_file() else {}
    cases = {c["id"].split("::", 1)[1]: c for c in data.get("cases", [])}
    return result, cases


def test_a_good_sdk_passes_the_suites(tmp_path):
    result, cases = sdk_run(
        tmp_path, *TESTS.split(), "suites/test_errors.py", "suites/test_retries.py", "-k",
        "not above_cap and not backoff", "--sdk", "node",
    )  # fmt: skip
    assert result.code == 0, result.out[-2000:]
    assert cases["test_chat_completion[entra-node-standin]"]["status"] == "pass"
    assert cases["test_chat_completion[entra-node-standin]"]["sdk"] == "node"
    assert cases["test_responses_streaming[env-node-standin]"]["status"] == "pass"
    assert cases["test_retried_twice_by_default_then_succeeds[entra-node-standin]"]["status"] == "pass"
    # the JavaScript section documents neither API keys nor chat streaming
    assert cases["test_chat_completion[key-node-standin]"]["reason"].startswith(
        "not documented for node: auth mode key"
    )
    # its Error codes table names 'Service Unavailable' for 503, openai-node raises InternalServerError
    assert (
        cases["test_status_5xx_raises_internal_server_error[entra-node-standin-503]"]["status"]
        == "doc-sdk-difference"
    )


@pytest.mark.parametrize(
    "broken, test, promise",
    [
        ("error-class", "suites/test_errors.py::test_unknown_deployment_raises_not_found_error", "errors.exception-class"),
        ("accessor", "suites/test_chat.py::test_chat_completion", "sdk.accessor"),
        ("no-retry", "suites/test_retries.py::test_retried_twice_by_default_then_succeeds", "retries.attempts"),
        ("stream-short", "suites/test_responses.py::test_responses_streaming", "sdk.parse"),
        ("body", "suites/test_chat.py::test_chat_completion", "sdk.body"),
        ("no-send", "suites/test_chat.py::test_chat_completion", "sdk.request-sent"),
        ("scope", "suites/test_chat.py::test_chat_completion", "auth.credential-sent"),
        ("request-id", "suites/test_responses.py::test_responses_create", "sdk.request-id"),
    ],
)  # fmt: skip
def test_a_broken_sdk_fails_the_check_it_breaks(tmp_path, broken, test, promise):
    result, cases = sdk_run(
        tmp_path, test, "--sdk", "node", "--auth", "entra", env=fake_env(FAKE_DRIVER_BREAK=broken)
    )
    assert result.code == 1
    case = next(c for i, c in cases.items() if "-node-" in i)
    assert case["status"] == "fail" and case["failure"]["promise"] == promise, case.get("failure")
    # the failure's evidence went through the scrubber: no credential, no local server address, in any report
    for report in (tmp_path / "reports").iterdir():
        text = report.read_text(encoding="utf-8")
        assert "replay-entra-token" not in text and "replay-api-key" not in text and "127.0.0.1" not in text


def test_an_sdk_that_sends_more_than_python_recorded_is_a_replay_miss(tmp_path):
    result, cases = sdk_run(
        tmp_path, "suites/test_chat.py::test_chat_completion", "--sdk", "node", "--auth", "entra",
        env=fake_env(FAKE_DRIVER_BREAK="twice"),
    )  # fmt: skip
    assert result.code == 1
    failure = cases["test_chat_completion[entra-node-standin]"]["failure"]
    assert (
        "no recorded answer in cassettes/standin/chat/test_chat_completion.json for attempt 2"
        in failure["message"]
    )


def test_a_server_that_cuts_a_stream_short_fails_through_another_sdk(tmp_path, cassette_copy):
    path = cassette_copy / "standin" / "responses" / "test_responses_streaming.json"
    data = json.loads(path.read_text())
    body = data["interactions"][0]["response"]["body"]
    events = body["string"].split("\n\n")
    body["string"] = "\n\n".join(events[: len(events) // 2]) + "\n\n"  # no response.completed
    path.write_text(json.dumps(data))
    result, cases = sdk_run(
        tmp_path, "suites/test_responses.py::test_responses_streaming", "--sdk", "node", "--auth", "entra",
        "--cassettes-dir", str(cassette_copy),
    )  # fmt: skip
    assert result.code == 1
    assert cases["test_responses_streaming[entra-node-standin]"]["status"] == "fail"


def test_python_ids_are_unchanged(tmp_path):
    default = run_pytest("suites/", "--collect-only", "-q", "-p", "no:randomly", env=clean_env())
    mixed = run_pytest(
        "suites/", "--collect-only", "-q", "-p", "no:randomly", "--sdk", "python,node", env=fake_env()
    )
    python_ids = [line for line in default.lines if "::" in line]
    assert len(python_ids) > 100
    mixed_ids = [line for line in mixed.lines if "::" in line]
    assert [i for i in mixed_ids if "-node-" not in i] == python_ids
    assert any(i.endswith("test_chat_completion[entra-node-standin]") for i in mixed_ids)


def test_an_sdk_that_cannot_run_is_not_run_with_its_reason(tmp_path):
    result, cases = sdk_run(
        tmp_path, "suites/test_chat.py::test_chat_completion", "--sdk", "go",
        env=clean_env(AOAI_CONFORMANCE_DRIVER_GO=f"{sys.executable} -c pass"),
    )  # fmt: skip
    assert result.code == 0 and "Traceback" not in result.out
    assert cases["test_chat_completion[entra-go-standin]"]["reason"].startswith("not run: drivers/go gave")


def test_an_unknown_sdk_is_one_line():
    result = run_pytest("suites/test_chat.py", "--sdk", "ruby", "--collect-only", env=clean_env())
    assert (
        result.code != 0 and "--sdk 'ruby': unknown SDK 'ruby'; use python,node,go,java,dotnet" in result.out
    )
    assert "Traceback" not in result.out


# --- expectations limited to an SDK and a version range ------------------------------------------------
def test_an_expectation_limited_to_an_sdk_and_versions():
    e = Expectation("test_x[*]", "why", sdk="node", versions=">=6,<7")
    assert e.matches("test_x[entra-node-standin]", "standin", "node", "6.49.0")
    assert not e.matches("test_x[entra-node-standin]", "standin", "node", "7.0.1")
    assert not e.matches("test_x[entra-sync-standin]", "standin", "python", "6.49.0")
    assert not e.matches("test_x[entra-node-standin]", "standin", "node", None)  # unknown version: no match
    assert find([e], "test_x[entra-go-standin]", "standin", "go", "v6.1.0") is None
    assert in_range("v2.1.1", ">=2,<3") and not in_range("v3.99.0", ">=2,<3") and in_range(None, "")
    assert Expectation("test_x[*]", "why").matches("test_x[entra-go-standin]", "standin", "go")


def test_expectations_with_a_bad_range_or_no_sdk_are_one_line(tmp_path):
    bad = tmp_path / "e.toml"
    bad.write_text('[[expected_failure]]\ntest = "t"\nreason = "r"\nsdk = "node"\nversions = "six"\n')
    with pytest.raises(ConfigError, match='versions = "six", not a version range'):
        load(bad)
    bad.write_text('[[expected_failure]]\ntest = "t"\nreason = "r"\nversions = ">=6"\n')
    with pytest.raises(ConfigError, match="without naming the SDK"):
        load(bad)
    good = tmp_path / "g.toml"
    good.write_text('[[expected_failure]]\ntest = "t"\nreason = "r"\nsdk = "node"\nversions = ">=6,<7"\n')
    assert load(good)[0].sdk == "node"


# --- the SDK layer on a driver's result -------------------------------------------------------------------
def test_sdk_body_fails_on_a_changed_body_and_notes_a_documented_default():
    sdk.body_sent(
        "embeddings.create",
        {"input": "x"},
        [{"input": "x", "encoding_format": "base64"}],
        {"encoding_format": "base64"},
    )
    with pytest.raises(ConformanceFailure) as exc:
        sdk.body_sent("chat.completions.create", {"max_tokens": 64}, [{"max_tokens": 16}], {})
    assert exc.value.promise == "sdk.body"
