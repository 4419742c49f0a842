"""The retry suite proved: its checks fail on fabricated attempt logs that break each promise, and the suite
itself (replayed from its cassettes in a subprocess) fails, naming the promise, against an SDK with other
retry rules: one that retries a 400, does not retry a 500, ignores retry-after-ms, makes one attempt too few
or too many, or ignores x-should-retry."""

from __future__ import annotations

import email.utils
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import openai
import pytest

from aoai_conformance.cassettes import ReplayExhausted
from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.documented import retries

ROOT = Path(__file__).resolve().parents[1]
REQUEST = httpx2.Request("POST", "https://resource.openai.azure.invalid/openai/v1/chat/completions")


@dataclass
class A:
    """A fabricated attempt: what ``aoai.sent`` holds (headers as sent, monotonic send time)."""

    t: float
    headers: dict = field(default_factory=dict)
    status: int | None = None


def log(*times: float, counts: list | None = None) -> list[A]:
    counts = counts if counts is not None else list(range(len(times)))
    return [A(t, {"x-stainless-retry-count": str(c)} if c is not None else {}) for t, c in zip(times, counts)]


def broken(promise: str):
    """pytest.raises for a ConformanceFailure naming ``promise``."""
    return pytest.raises(ConformanceFailure, match=r"^\[" + promise.replace(".", r"\.") + r"\]")


def status_error(code: int, headers: dict | None = None) -> openai.APIStatusError:
    response = httpx2.Response(
        code, headers=headers or {}, json={"error": {"code": str(code)}}, request=REQUEST
    )
    client = openai.OpenAI(api_key="k", base_url="https://resource.openai.azure.invalid/openai/v1/")
    return client._make_status_error_from_response(response)


def connection_error(cause: bool = True) -> openai.APIConnectionError:
    err = openai.APIConnectionError(request=REQUEST)
    if cause:
        err.__cause__ = httpx2.RemoteProtocolError("Server disconnected without sending a response.")
    return err


# --- attempt counts and the retry-count header ------------------------------------------------------------
def test_attempts_pass_on_the_expected_count_and_fail_otherwise():
    retries.attempts(log(0, 0.1, 0.2), 3, "default")
    with broken("retries.attempts") as e:
        retries.attempts(log(0, 0.1), 3, "500 on every attempt")  # one retry too few
    assert "made 2 attempt(s)" in str(e.value) and e.value.evidence
    with broken("retries.attempts"):
        retries.attempts(log(0, 0.1, 0.2, 0.3), 3, "one retry too many")
    with broken("retries.attempts"):
        retries.attempts(log(0, 0.1), 1, "max_retries=0")


def test_retry_count_header_counts_from_zero():
    retries.retry_count_headers(log(0, 1, 2))
    for counts in ([0, 0, 0], [1, 2, 3], [0, None, 2], [0, 2, 1]):
        with broken("retries.retry-count-header"):
            retries.retry_count_headers(log(0, 1, 2, counts=counts))


def test_not_retried_fails_on_a_retry_or_a_wait():
    retries.not_retried(log(0), "400", elapsed=0.01)
    with broken("retries.not-retried"):
        retries.not_retried(log(0, 0.4), "a client that retries a 400")
    with broken("retries.not-retried"):
        retries.not_retried(log(0), "a client that waits out retry-after: 121, then gives up", elapsed=121.0)


# --- waits ------------------------------------------------------------------------------------------------
def test_waited_checks_the_server_directed_wait():
    assert retries.waited(log(10.0, 10.06), 0, 0.05, what="retry-after-ms: 50") == pytest.approx(0.06)
    with broken("retries.retry-after"):  # ignored retry-after-ms, used its own backoff
        retries.waited(log(10.0, 10.42), 0, 0.05, what="retry-after-ms: 50")
    with broken("retries.retry-after"):  # retried before the wait was over
        retries.waited(log(10.0, 10.5), 0, 1.0, what="retry-after: 1")
    with broken("retries.attempts"):
        retries.waited(log(10.0), 0, 1.0, what="retry-after: 1")


def test_server_wait_reads_the_headers_as_the_sdk_does():
    now = 1_000_000.0
    assert retries.server_wait({"retry-after-ms": "50"}) == pytest.approx(0.05)
    assert retries.server_wait({"Retry-After": "2"}) == 2.0
    assert retries.server_wait({"retry-after-ms": "50", "retry-after": "2"}) == pytest.approx(0.05)
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retries.server_wait({"retry-after": date}, at_wall=now) == pytest.approx(30.0)
    assert retries.server_wait({}) is None
    assert retries.server_wait({"retry-after": "soon"}) is None


def test_backoff_accepts_the_documented_exponential_waits_only():
    assert retries.backoff_window(0) == (0.375, 0.5)
    assert retries.backoff_window(1) == (0.75, 1.0)
    assert retries.backoff_window(10) == (6.0, 8.0)  # capped at 8 s
    retries.backoff(log(0, 0.45, 0.45 + 0.9))
    retries.backoff(log(0, 0.376, 0.376 + 0.751))  # the most jitter
    for times in (
        (0, 0.45, 0.9),  # no growth: constant backoff
        (0, 0.05, 0.1),  # no backoff at all
        (0, 1.5, 3.0),  # too slow
        (0, 0.45, 0.45 + 2.0),
    ):  # grows too fast
        with broken("retries.backoff"):
            retries.backoff(log(*times))
    with broken("retries.attempts"):
        retries.backoff(log(0))


# --- exceptions after retries run out ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "code,name",
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (422, "UnprocessableEntityError"),
        (429, "RateLimitError"),
        (500, "InternalServerError"),
        (503, "InternalServerError"),
        (408, "APIStatusError"),
        (409, "APIStatusError"),
    ],
)
def test_exception_follows_the_error_codes_table(code, name):
    assert retries.documented_error_type(code) == name
    retries.exception(status_error(code), code)


def test_exception_fails_on_the_wrong_type_status_or_cause():
    with broken("retries.exception-type"):
        retries.exception(status_error(500), 429)  # a 429 surfaced as InternalServerError
    err = status_error(429)
    err.status_code = 500
    with broken("retries.exception-type"):
        retries.exception(err, 429)  # right type, wrong status_code
    with broken("retries.exception-type"):
        retries.exception(status_error(400), None)  # a connection error surfaced as a status error
    with broken("retries.exception-type"):
        retries.exception(connection_error(cause=False), None)  # the docs print e.__cause__
    with broken("retries.exception-type"):
        retries.exception(None, 500)
    retries.exception(connection_error(), None)
    timeout = openai.APITimeoutError(request=REQUEST)  # a subclass of APIConnectionError
    timeout.__cause__ = httpx2.ReadTimeout("timed out")
    retries.exception(timeout, None)


def test_documented_retry_list():
    codes = (400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 599)
    assert [c for c in codes if retries.documented_retryable(c)] == [408, 429, 500, 502, 599]
    assert retries.documented_retryable(None)  # connection errors
    assert retries.SDK_ONLY_RETRYABLE == (409,)


def test_every_promise_raised_is_declared():
    source = (ROOT / "aoai_conformance" / "documented" / "retries.py").read_text()
    import re

    used = set(re.findall(r'"(retries\.[a-z-]+)"', source.split("PROMISES = {", 1)[1].split("}", 1)[1]))
    assert used and used <= set(retries.PROMISES), used - set(retries.PROMISES)
    assert all(k.startswith("retries.") for k in retries.PROMISES)


# --- running the call: failures kept until the attempts are checked --------------------------------------
def test_call_keeps_failures_for_after_the_attempt_checks():
    ok = retries.call(lambda: "exchange")
    assert ok.result() == "exchange" and ok.elapsed >= 0

    def replay_ran_out():
        raise ReplayExhausted(
            "no recorded interaction in x.json matches POST /chat/completions", pytrace=False
        )

    kept = retries.call(replay_ran_out)  # kept: the attempt checks run first and name the promise
    with pytest.raises(ReplayExhausted):
        kept.result()

    def other_failure():
        pytest.fail("replay mode blocks the network", pytrace=False)

    with pytest.raises(pytest.fail.Exception):
        retries.call(other_failure)  # not kept: raised at once
    slow = retries.call(time.sleep, 0.02)
    assert slow.elapsed >= 0.02


# --- the suite against an SDK with other retry rules ------------------------------------------------------
SABOTAGE_PLUGIN = textwrap.dedent('''
    """Gives the SDK other retry rules for named tests (the conformance suite must then fail)."""
    import httpx2
    import openai._base_client as bc
    from openai._models import FinalRequestOptions

    should, parse, max_retries = bc.BaseClient._should_retry, bc.BaseClient._parse_retry_after_header, \\
        FinalRequestOptions.get_max_retries

    def without(headers, name):
        return httpx2.Headers([(k, v) for k, v in headers.multi_items() if k.lower() != name])

    RULES = {
        "retries-400": ("_should_retry", lambda self, r: r.status_code == 400 or should(self, r)),
        "no-5xx": ("_should_retry", lambda self, r: r.status_code < 500 and should(self, r)),
        "no-409": ("_should_retry", lambda self, r: r.status_code != 409 and should(self, r)),
        "ignores-x-should-retry": ("_should_retry", lambda self, r: should(self, httpx2.Response(
            r.status_code, headers=without(r.headers, "x-should-retry"), request=r.request))),
        "ignores-retry-after-ms": ("_parse_retry_after_header", lambda self, h=None: parse(
            self, without(h, "retry-after-ms") if h is not None else None)),
        "one-attempt-too-few": ("get_max_retries", lambda self, n: max(max_retries(self, n) - 1, 0)),
        "one-attempt-too-many": ("get_max_retries", lambda self, n: max_retries(self, n) + 1),
    }
    WHICH = {}  # node id suffix -> rule, from SABOTAGE (json)

    import json, os
    WHICH.update(json.loads(os.environ["SABOTAGE"]))

    def pytest_runtest_setup(item):
        rule = WHICH.get(item.nodeid.split("::", 1)[-1])
        if rule:
            name, fn = RULES[rule]
            owner = FinalRequestOptions if name == "get_max_retries" else bc.BaseClient
            setattr(owner, name, fn)

    def pytest_runtest_logfinish(nodeid, location):
        bc.BaseClient._should_retry, bc.BaseClient._parse_retry_after_header = should, parse
        FinalRequestOptions.get_max_retries = max_retries
''')

# test id -> (SDK rule, expected status, promise the failure must name)
RETRYABLE = "test_retryable_status_is_retried_twice_then_raised"
ABOVE_CAP = "test_retry_after_above_cap_is_not_retried"
CASES = {
    "test_other_status_is_not_retried[key-sync-standin-400]": ("retries-400", "fail", "retries.not-retried"),
    "test_other_status_is_not_retried[key-async-standin-400]": ("retries-400", "fail", "retries.not-retried"),
    f"{RETRYABLE}[key-sync-standin-500]": ("no-5xx", "fail", "retries.attempts"),
    f"{RETRYABLE}[key-async-standin-503]": ("no-5xx", "fail", "retries.attempts"),
    "test_retry_after_ms_is_honoured[key-sync-standin]": (
        "ignores-retry-after-ms",
        "fail",
        "retries.retry-after",
    ),
    "test_retried_twice_by_default_then_succeeds[key-sync-standin]": (
        "one-attempt-too-few",
        "fail",
        "retries.attempts",
    ),
    "test_with_options_max_retries_5[entra-sync-standin]": (
        "one-attempt-too-many",
        "fail",
        "retries.attempts",
    ),
    "test_x_should_retry_false_stops_retrying_a_500[key-sync-standin]": (
        "ignores-x-should-retry",
        "fail",
        "retries.not-retried",
    ),
    # 409: an SDK following the documentation (no retry) passes without the doc-SDK difference note.
    "test_409_conflict[key-sync-standin]": ("no-409", "pass", None),
    # Controls, real SDK: the same tests pass (409 noted as a doc-SDK difference).
    "test_other_status_is_not_retried[key-sync-standin-404]": (None, "pass", None),
    f"{RETRYABLE}[key-sync-standin-502]": (None, "pass", None),
    "test_409_conflict[key-async-standin]": (None, "doc-sdk-difference", None),
    f"{ABOVE_CAP}[entra-async-standin-http-date]": (None, "doc-sdk-difference", None),
    f"{ABOVE_CAP}[key-sync-standin-seconds]": (None, "doc-sdk-difference", None),
}


def run_sabotaged(tmp: Path):
    """One replay of the named suite tests, each under its SDK rule (one subprocess, whatever xdist does)."""
    (tmp / "sabotage_plugin.py").write_text(SABOTAGE_PLUGIN)
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "SABOTAGE": json.dumps({k: v[0] for k, v in CASES.items() if v[0]}),
    }
    env = {k: v for k, v in env.items() if not k.startswith(("AOAI_CONFORMANCE_", "PYTEST_"))}
    nodes = [f"suites/test_retries.py::{k}" for k in CASES]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *nodes,
            "-p",
            "sabotage_plugin",
            "--mode",
            "replay",
            "-q",
            "--reports-dir",
            str(tmp / "reports"),
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = tmp / "reports" / "results.json"
    assert results.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    cases = {c["id"].split("::", 1)[-1]: c for c in json.loads(results.read_text())["cases"]}
    return proc, cases


def test_suite_fails_naming_the_promise_against_other_retry_rules(tmp_path):
    proc, cases = run_sabotaged(tmp_path)
    wrong = []
    for test_id, (rule, expected_status, promise) in CASES.items():
        case = cases.get(test_id)
        if case is None:
            wrong.append(f"{test_id} did not run")
            continue
        failure = case.get("failure") or {}
        if case["status"] != expected_status or (promise and failure.get("promise") != promise):
            wrong.append(
                f"{test_id} under {rule}: {case['status']} {failure.get('message')!r}, "
                f"expected {expected_status} naming {promise}"
            )
    assert not wrong, "\n".join(wrong) + "\n" + proc.stdout[-3000:]
    assert proc.returncode == 1  # the run fails: exit code 1, conformance failures

    # 409: noted as a doc-SDK difference for the real SDK, not for one that follows the documentation.
    real = cases["test_409_conflict[key-async-standin]"]
    docs_like = cases["test_409_conflict[key-sync-standin]"]
    assert any(n["kind"] == "doc-sdk-difference" and "409" in n["message"] for n in real["notes"])
    assert not any(n["kind"] == "doc-sdk-difference" for n in docs_like["notes"])

    # A recorded retry-after of 121 s, or an HTTP date 10 minutes after the recorded Date (shifted to now by
    # the engine), is refused at once in replay too: nothing waits it out.
    for test_id in (k for k in CASES if k.startswith(ABOVE_CAP)):
        assert cases[test_id]["duration"] < 2.0, (test_id, cases[test_id]["duration"])
