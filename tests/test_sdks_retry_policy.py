"""Each SDK's retry policy, per version (sdks/coverage.py), and the retry checks that read it.

A row says how that SDK version handles a server-directed wait: honoured up to a cap, and past it ignored for
the backoff, not retried, or clamped. The checks (``retries.long_retry_after``) judge an attempt log by the
policy of the SDK version that made it (the driver's hello). Proved on fabricated logs: every row passes an
SDK that behaves as the row says and fails one that behaves as another row does, for every wait where the two
differ; no sleeping.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.documented import retries
from aoai_conformance.sdk import RetryPolicy
from aoai_conformance.sdks import coverage

ROWS: dict[str, RetryPolicy] = {"python": retries.PYTHON}
for _cov in (coverage.NODE, coverage.GO, coverage.JAVA):
    for _row in _cov.retries:
        ROWS[f"{_cov.sdk} {_row.versions}"] = _row
WAITS = (5.0, 30.0, 61.0, 121.0, 600.0)
DEADLINE = 12.0  # the fabricated watchdog: longer than the 8 s clamp, shorter than a minute
BACKOFF = (0.45, 0.9)  # a backoff inside every row's windows (0.375-0.5 s, 0.75-1 s)


@dataclass
class A:
    t: float
    headers: dict = field(default_factory=dict)
    response_headers: dict = field(default_factory=dict)
    wall: float = 0.0


def effective(policy: RetryPolicy, wait: float) -> tuple:
    """What an SDK following ``policy`` visibly does, within the fabricated watchdog, with ``wait``."""
    how = retries.handling(policy, wait)
    if how in ("obey", "clamp"):
        seconds = wait if how == "obey" or policy.retry_after_cap is None else policy.retry_after_cap
        return ("waits", seconds) if seconds <= DEADLINE else ("still waiting",)
    return (how,)


def behaving_like(policy: RetryPolicy, wait: float, judged_by: RetryPolicy) -> tuple[list, retries.Outcome]:
    """The attempt log and outcome an SDK following ``policy`` gives for a 429 asking for ``wait`` seconds,
    in a log that carries ``judged_by`` (the policy of the SDK version the harness thinks is running)."""
    log = retries.AttemptLog(judged_by, who="fabricated")
    first = {"retry-after": f"{wait:g}"}
    sent = [0.0]
    kind = effective(policy, wait)
    error, watchdog = SimpleNamespace(), False
    if kind[0] == "waits":
        sent.append(kind[1] + 0.01)
        elapsed = kind[1] + 0.02
    elif kind[0] == "backoff":
        sent += [BACKOFF[0], BACKOFF[0] + BACKOFF[1]]
        elapsed = sum(BACKOFF) + 0.01
    elif kind[0] == "still waiting":
        elapsed, watchdog = DEADLINE, True
    else:  # no-retry
        elapsed = 0.01
    for n, t in enumerate(sent):
        log.append(A(t, {"x-stainless-retry-count": str(n)}, first if n == 0 else {}))
    exchange = SimpleNamespace(error=error, foreign=SimpleNamespace(result={"watchdog": watchdog}))
    return log, retries.Outcome(exchange=exchange, elapsed=elapsed)


@pytest.mark.parametrize("name", list(ROWS))
def test_every_row_passes_an_sdk_that_follows_it(name):
    row = ROWS[name]
    for wait in WAITS:
        log, outcome = behaving_like(row, wait, row)
        gave_up = retries.long_retry_after(log, outcome)
        assert gave_up == (retries.handling(row, wait) == "no-retry")


@pytest.mark.parametrize("name", list(ROWS))
def test_every_row_fails_an_sdk_that_behaves_like_another_row(name):
    row = ROWS[name]
    caught = 0
    for other, wait in itertools.product(ROWS.values(), WAITS):
        if effective(other, wait) == effective(row, wait):
            continue
        log, outcome = behaving_like(other, wait, row)
        with pytest.raises(ConformanceFailure, match=r"^\[retries\."):
            retries.long_retry_after(log, outcome)
        caught += 1
    assert caught, f"{name}: no other row behaves differently, so its check cannot fail"


def test_each_sdk_version_gets_its_row():
    picks = {
        ("node", "6.25.0"): (60.0, "backoff"),
        ("node", "6.26.0"): (None, "backoff"),
        ("node", "6.30.1"): (None, "backoff"),
        ("go", "v2.1.1"): (60.0, "backoff"),
        ("go", "2.7.1"): (60.0, "backoff"),
        ("go", "3.52.0"): (None, "backoff"),
        ("go", "3.99.0"): (120.0, "no-retry"),
        ("java", "4.0.1"): (60.0, "backoff"),
        ("java", "4.33.0"): (None, "backoff"),
        ("java", "4.101.0"): (8.0, "clamp"),
    }
    for (sdk, version), (cap, above) in picks.items():
        row = coverage.of(sdk).retry_policy(version)
        assert (row.retry_after_cap, row.above_cap) == (cap, above), (sdk, version)
    # an unknown version is judged by the pinned version's row
    assert coverage.NODE.retry_policy("") is coverage.NODE.profile.retry


def test_rows_cite_their_evidence_and_do_not_overlap():
    for cov in (coverage.NODE, coverage.GO, coverage.JAVA):
        assert cov.profile.retry in cov.retries
        for row in cov.retries:
            assert row.versions and ("FINDINGS.md" in row.cite or "README.md" in row.cite), row
            assert ".kt" in row.cite or ".go" in row.cite or ".js" in row.cite, row
        probes = ("2.1.1", "3.0.0", "3.52.0", "3.99.0", "4.0.0", "4.24.0", "4.71.0", "6.0.0", "6.26.0")
        for a, b in itertools.combinations(cov.retries, 2):
            both = [
                p for p in probes if coverage.in_range(p, a.versions) and coverage.in_range(p, b.versions)
            ]
            assert not both, (a.versions, b.versions, both)


def test_a_plain_log_is_judged_by_openai_pythons_policy():
    assert retries.policy_of([]) is retries.PYTHON
    log, outcome = behaving_like(coverage.NODE.retries[-1], 121.0, retries.PYTHON)
    plain = list(log)
    with pytest.raises(ConformanceFailure, match=r"^\[retries\.not-retried\]"):
        retries.long_retry_after(plain, outcome)
    assert retries.long_retry_after_note(plain) == (
        "the documentation says 429 is retried twice; the SDK does not retry at all when retry-after asks for "
        "more than 120 s"
    )
    assert retries.long_retry_after_note(retries.AttemptLog(coverage.NODE.retries[-1])) is None


def test_a_clamping_version_gets_a_watchdog_longer_than_its_clamp():
    """openai-java >= 4.71 clamps a long retry-after to 8 s: the replay's 6 s watchdog would end the call before
    the clamped wait shows, and a check of the clamp could not tell it from an SDK with no cap."""
    from aoai_conformance.sdks.harness import REPLAY_DEADLINE, DriverAoai

    def deadline(policy: RetryPolicy) -> int:
        fake = SimpleNamespace(
            built=SimpleNamespace(auth="key", is_async=False),
            target=SimpleNamespace(api_key="k", token_scope=None),
            live=False,
            traffic=SimpleNamespace(sent=retries.AttemptLog(policy)),
            _token=lambda: None,
        )
        scope = SimpleNamespace(base_url="http://127.0.0.1:1/p/x/openai/v1/")
        request = DriverAoai._request(fake, "chat.completions.create", False, scope, {}, {})  # type: ignore[arg-type]
        return request["deadline_ms"]

    assert deadline(coverage.JAVA.retry_policy("4.101.0")) == 10_000
    assert (
        deadline(coverage.JAVA.retry_policy("4.0.1"))
        == deadline(retries.PYTHON)
        == int(REPLAY_DEADLINE * 1000)
    )


def test_a_connection_error_class_is_judged_by_the_name_the_sdk_gives():
    """openai-go reports a dropped connection as ``url.Error``: not an identifier, so the Python class standing
    for it is ``url_Error``; the check reads the SDK's own name."""
    from aoai_conformance.sdk import ForeignResult, foreign_error, foreign_exception

    foreign = ForeignResult(coverage.GO.profile, {}, "2.1.1")
    foreign_exception(foreign_error({"class": "url.Error", "status": None}, foreign), None)
    with pytest.raises(ConformanceFailure, match=r"^\[retries\.exception-type\]"):
        foreign_exception(foreign_error({"class": "Error", "status": None}, foreign), None)


# --- live: a scripted wait past the watchdog needs no three-minute watchdog ---------------------------------
def test_the_longest_scripted_wait_reads_seconds_milliseconds_and_dates():
    import email.utils
    import time

    from aoai_conformance.faultproxy import faults as f
    from aoai_conformance.sdks.harness import _longest_wait

    date = email.utils.formatdate(time.time() + 121, usegmt=True)
    assert _longest_wait([]) == 0
    assert _longest_wait([f.status(429, headers=f.retry_after(121))]) == 121
    assert _longest_wait([f.status(429, headers=f.retry_after_ms(1500))]) == 1.5
    assert 115 < _longest_wait([f.status(429, headers={"retry-after": date})]) <= 121
    assert _longest_wait([f.status(429, headers={"retry-after": "soon"})]) == 0
