"""Retry checks: what the SDK did across attempts, against 000_…txt, "Retries" and "Error codes".

The documentation promises: connection errors, 408, 429 and >=500 are "retried twice by default with a
brief exponential backoff"; ``max_retries=0`` disables retries; ``with_options(max_retries=N)`` sets them
per request; after the last attempt the SDK raises the exception the "Error codes" table names.

The checks read an *attempt log*: anything with ``headers`` (the request headers as sent, a mapping) and
``t`` (``time.monotonic()`` when the attempt was sent) per attempt, in order -- ``aoai.sent`` in a suite,
fabricated records in the project's own tests. A broken promise raises ``checks.ConformanceFailure``.

Another SDK's log (the harness of ``--sdk``) is an :class:`AttemptLog` that carries the retry policy of the SDK
version that made it (``sdks/coverage.py``, per version range); the waits are judged against that policy, a plain
list against openai-python's (:data:`PYTHON`).

Delays are measured from one attempt's send time to the next one's, so they include the failed attempt's
own round trip: a check allows :data:`SLACK` below the promised wait (timer granularity) and ``tolerance``
above it.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, cast

import openai

from .. import sdk
from ..checks import expect, fail, trim
from ..core import NoRecordedAnswer
from .errors import table_class

PROMISES = {
    "retries.attempts": "a retryable error is retried max_retries times (2 by default), stopping at the "
    "first success: 1 + max_retries attempts at most",
    "retries.retry-count-header": "attempt n (from 0) carries x-stainless-retry-count: n",
    "retries.retry-after": "a server-directed wait (retry-after-ms, retry-after seconds or HTTP date, up to "
    "120 s) is waited before the next attempt",
    "retries.backoff": "without a server-directed wait the SDK backs off exponentially: min(0.5 * 2**n, 8) s "
    "before retry n+1, minus up to 25 % jitter",
    "retries.not-retried": "an error the documentation does not list as retryable is raised after one "
    "attempt, without waiting",
    "retries.exception-type": "after retries run out the SDK raises the exception the 'Error codes' table "
    "names, with the HTTP status code (connection errors: APIConnectionError with "
    "a cause)",
}

# The documentation's list (Connection Errors, 408, 429, >=500) and the SDK's own rules.
DEFAULT_MAX_RETRIES = 2
DOCUMENTED_RETRYABLE = (408, 429)  # plus every status >= 500 and connection errors
SDK_ONLY_RETRYABLE = (409,)  # retried by openai-python (a "lock timeout"), not listed by the documentation
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
JITTER = 0.25
MAX_RETRY_AFTER = 120.0  # the SDK honours server-directed waits up to this; above it, it does not retry

PYTHON = sdk.RetryPolicy(
    cite="openai-python _base_client.py _calculate_retry_timeout: 0 < retry-after <= MAX_RETRY_AFTER_DELAY "
    "(120 s) is honoured; _should_retry: a longer one is not retried",
    retry_after_cap=MAX_RETRY_AFTER,
    cap_inclusive=True,
    above_cap="no-retry",
)


class AttemptLog(list):  # type: ignore[type-arg]  # a list of attempts of any shape (Sent, fabricated)
    """An attempt log that knows the retry policy of the SDK (and version) that made it."""

    # Another SDK's attempts reach the harness through its own process and the SDK server, on a machine that may
    # be running a JVM beside it: a server-directed wait came back 1.33 s for 1 s once under load. An SDK that
    # ignored the wait falls below it (SLACK judges that); one that added its backoff to it waits 0.375 s more at
    # least, which this still catches.
    round_trip = 0.35

    def __init__(self, policy: sdk.RetryPolicy, who: str = "") -> None:
        super().__init__()
        self.policy = policy
        self.who = who


def policy_of(log: Sequence[Any]) -> sdk.RetryPolicy:
    """The retry policy the log is judged by: its SDK's, else openai-python's."""
    return cast(sdk.RetryPolicy, getattr(log, "policy", None) or PYTHON)


def handling(policy: sdk.RetryPolicy, wait: float) -> str:
    """What ``policy`` does with a server-directed wait of ``wait`` seconds: "obey", or past its cap its
    ``above_cap`` ("backoff", "no-retry", "clamp")."""
    cap = policy.retry_after_cap
    if cap is None or 0 <= wait < cap or (policy.cap_inclusive and wait == cap):
        return "obey"
    return policy.above_cap


# Timing: below the promised wait only timer granularity; above it the failed attempt's round trip.
SLACK = 0.01
TOLERANCE = 0.2


def documented_retryable(status: int | None) -> bool:
    """The documentation's list: connection errors (``None``), 408, 429, >=500."""
    return status is None or status in DOCUMENTED_RETRYABLE or status >= 500


def documented_error_type(status: int | None) -> str:
    """The exception class name the "Error codes" table gives (``documented/errors.py``; None: no HTTP answer,
    the table's N/A row)."""
    return "APIConnectionError" if status is None else table_class(status).__name__


# --- the attempt log ------------------------------------------------------------------------------------
def _header(attempt: Any, name: str) -> str | None:
    headers = getattr(attempt, "headers", None) or {}
    if isinstance(headers, Mapping):
        for k, v in headers.items():
            if str(k).lower() == name:
                return v
    return None


def _describe(log: Sequence[Any]) -> list[str]:
    """One line per attempt for a failure's evidence: retry-count header, outcome, time since the first."""
    if not log:
        return []
    t0 = log[0].t
    out = []
    for i, a in enumerate(log):
        outcome = getattr(a, "fault", None) or getattr(a, "status", None)
        out.append(f"#{i} +{a.t - t0:.3f}s retry-count={_header(a, 'x-stainless-retry-count')} -> {outcome}")
    return out


def delays(log: Sequence[Any]) -> list[float]:
    """Seconds between consecutive attempts (send to send)."""
    return [b.t - a.t for a, b in zip(log, log[1:])]


def attempts(log: Sequence[Any], expected: int, why: str, promise: str = "retries.attempts") -> None:
    """Exactly ``expected`` attempts were sent; ``why`` says which rule asks for that many."""
    expect(
        len(log) == expected,
        promise,
        f"{why}: the SDK made {len(log)} attempt(s)",
        expected=expected,
        received=len(log),
        evidence=_describe(log),
    )


def retry_count_headers(log: Sequence[Any]) -> None:
    """Attempt n (counting from 0) sent ``x-stainless-retry-count: n``."""
    sent = [_header(a, "x-stainless-retry-count") for a in log]
    expect(
        sent == [str(i) for i in range(len(log))],
        "retries.retry-count-header",
        "x-stainless-retry-count does not count the attempts 0, 1, 2, ...",
        expected=[str(i) for i in range(len(log))],
        received=sent,
    )


def not_retried(log: Sequence[Any], why: str, *, elapsed: float | None = None, limit: float = 1.0) -> None:
    """One attempt and, when ``elapsed`` (seconds the call took) is given, no wait before raising."""
    attempts(log, 1, why, promise="retries.not-retried")
    retry_count_headers(log)
    if elapsed is not None:
        expect(
            elapsed <= limit,
            "retries.not-retried",
            f"{why}: the call took {elapsed:.3f}s, as if the SDK waited before giving up",
            expected=f"<= {limit:.2f}s",
            received=round(elapsed, 3),
        )


# --- waits ----------------------------------------------------------------------------------------------
def server_wait(response_headers: Mapping[str, str], at_wall: float | None = None) -> float | None:
    """The wait a response asks for, as documented for the SDK: ``retry-after-ms`` (milliseconds), else
    ``retry-after`` (seconds, or an HTTP date measured from ``at_wall``). None when it asks for none."""
    headers = {str(k).lower(): v for k, v in response_headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return when - (time.time() if at_wall is None else at_wall)


def waited(
    log: Sequence[Any], index: int, seconds: float, *, what: str, tolerance: float = TOLERANCE
) -> float:
    """The wait between attempt ``index`` and the next one is ``seconds`` (within -SLACK/+tolerance)."""
    tolerance = max(tolerance, getattr(log, "round_trip", 0.0))
    expect(
        len(log) > index + 1,
        "retries.attempts",
        f"{what}: no attempt followed attempt #{index}",
        expected=f">= {index + 2} attempts",
        received=len(log),
        evidence=_describe(log),
    )
    gap = log[index + 1].t - log[index].t
    expect(
        seconds - SLACK <= gap <= seconds + tolerance,
        "retries.retry-after",
        f"{what}: the SDK waited {gap:.3f}s before attempt #{index + 1}",
        expected=f"{seconds:.3f}s (-{SLACK}s/+{tolerance}s)",
        received=round(gap, 3),
        evidence=_describe(log),
    )
    return gap


def backoff_window(retry: int, policy: sdk.RetryPolicy | None = None) -> tuple[float, float]:
    """The SDK's wait before retry ``retry + 1`` without a server-directed wait: (shortest, longest)."""
    p = policy or PYTHON
    base = min(p.initial * 2.0 ** min(retry, 1000), p.max_delay)
    return base * (1 - p.jitter), base


def backoff(log: Sequence[Any], *, tolerance: float = TOLERANCE) -> list[float]:
    """Every wait in the log falls in its exponential backoff window, and the waits grow."""
    expect(
        len(log) >= 2,
        "retries.attempts",
        "no retry happened, so there is no backoff to measure",
        expected=">= 2 attempts",
        received=len(log),
        evidence=_describe(log),
    )
    gaps = delays(log)
    policy = policy_of(log)
    for n, gap in enumerate(gaps):
        lo, hi = backoff_window(n, policy)
        expect(
            lo - SLACK <= gap <= hi + tolerance,
            "retries.backoff",
            f"the wait before retry {n + 1} was {gap:.3f}s, outside the exponential backoff window",
            expected=f"{lo:.3f}s..{hi:.3f}s (+{tolerance}s)",
            received=round(gap, 3),
            evidence=_describe(log),
        )
    for n in range(1, len(gaps)):
        if (
            backoff_window(n, policy)[0] > backoff_window(n - 1, policy)[1]
        ):  # windows apart: the waits must grow
            expect(
                gaps[n] > gaps[n - 1],
                "retries.backoff",
                f"the wait before retry {n + 1} did not grow",
                expected=f"> {gaps[n - 1]:.3f}s",
                received=round(gaps[n], 3),
                evidence=_describe(log),
            )
    return gaps


def long_retry_after(log: Sequence[Any], outcome: Outcome, wait: float | None = None) -> bool:
    """The first answer asked for a long server-directed wait (``wait`` seconds; None: read from its headers) and
    the SDK handled it as its own policy (:func:`policy_of`) says: not retried, waited (whole or clamped: a wait
    longer than the call was given leaves one attempt and the call still waiting), or its backoff instead.
    True when the policy gives up at once, so the caller judges the exception it raised."""
    policy = policy_of(log)
    if wait is None and log:
        first = log[0]
        wait = server_wait(getattr(first, "response_headers", {}) or {}, at_wall=getattr(first, "wall", None))
    wait = 0.0 if wait is None else wait
    how = handling(policy, wait)
    cap = policy.retry_after_cap
    if how == "no-retry":
        not_retried(log, f"429 asking for a wait above the SDK's {cap:g} s cap", elapsed=outcome.elapsed)
        return True
    retry_count_headers(log)
    if how == "backoff":  # the wait is ignored: the first retry comes after the SDK's own backoff
        backoff(log)
        return False
    expected = wait if how == "obey" or cap is None else cap
    what = f"a {wait:g} s retry-after " + ("obeyed" if how == "obey" else f"clamped to {cap:g} s")
    if outcome.elapsed + SLACK < expected:  # the call was ended before the wait was over: it must still wait
        attempts(log, 1, f"{what}: the SDK retried before the wait was over", promise="retries.retry-after")
        expect(
            _still_waiting(outcome),
            "retries.retry-after",
            f"{what}: the SDK gave up after {outcome.elapsed:.3f}s instead of waiting",
            expected=f"still waiting at {outcome.elapsed:.3f}s",
            received=_error_class(outcome),
        )
        return False
    waited(log, 0, expected, what=what)
    return False


def long_retry_after_note(log: Sequence[Any]) -> str | None:
    """The doc-SDK difference a long wait shows: a policy that gives up on it does not retry the 429 the
    documentation lists as retried; one that waits or backs off still retries."""
    policy = policy_of(log)
    if policy.above_cap != "no-retry" or policy.retry_after_cap is None:
        return None
    return (
        "the documentation says 429 is retried twice; the SDK does not retry "
        f"at all when retry-after asks for more than {policy.retry_after_cap:g} s"
    )


def _still_waiting(outcome: Outcome) -> bool:
    """The call was ended from outside (the driver's watchdog), not given up by the SDK."""
    foreign = getattr(outcome.exchange, "foreign", None)
    return bool((getattr(foreign, "result", None) or {}).get("watchdog"))


def _error_class(outcome: Outcome) -> str | None:
    error = getattr(outcome.exchange, "error", None)
    return None if error is None else type(error).__name__


# --- what the caller finally gets -----------------------------------------------------------------------
def exception(error: BaseException | None, status: int | None) -> None:
    """The SDK raised the documented exception type for ``status`` (None: a connection error)."""
    if isinstance(error, sdk.ForeignError):  # another SDK: the class its sources give
        sdk.foreign_exception(error, status)
        return
    name = documented_error_type(status)
    if error is None:
        fail(
            "retries.exception-type",
            f"no exception was raised; the docs promise {name}",
            expected=name,
            received=None,
        )
    cls = getattr(openai, name)
    expect(
        isinstance(error, cls),
        "retries.exception-type",
        f"after the last attempt the SDK raised {type(error).__name__}, not the documented {name}",
        expected=name,
        received=type(error).__name__,
    )
    if status is None:
        expect(
            not isinstance(error, openai.APIStatusError),
            "retries.exception-type",
            "a connection error was reported as an HTTP status error",
            expected=name,
            received=type(error).__name__,
        )
        expect(
            cast(BaseException, error).__cause__ is not None,  # not None: fail() above raised
            "retries.exception-type",
            "APIConnectionError carries no __cause__ (the docs print e.__cause__, the underlying exception)",
        )
        return
    got = getattr(error, "status_code", None)
    expect(
        got == status,
        "retries.exception-type",
        f"{type(error).__name__}.status_code is not the HTTP status",
        expected=status,
        received=got,
    )


def evidence(log: Sequence[Any]) -> str:
    """The attempt log as text, for notes."""
    return trim(_describe(log), 600)


__all__ = [
    "PROMISES",
    "attempts",
    "retry_count_headers",
    "not_retried",
    "server_wait",
    "waited",
    "backoff",
    "backoff_window",
    "delays",
    "exception",
    "documented_retryable",
    "documented_error_type",
    "evidence",
    "MAX_RETRY_AFTER",
    "PYTHON",
    "AttemptLog",
    "policy_of",
    "handling",
    "long_retry_after",
    "long_retry_after_note",
    "DEFAULT_MAX_RETRIES",
    "SDK_ONLY_RETRYABLE",
    "Outcome",
    "call",
]


# --- running the call -----------------------------------------------------------------------------------
@dataclass
class Outcome:
    """A harness call whose failure is kept for later: retry checks look at the attempts first, so a wrong
    attempt count names its retry promise instead of its symptom (an unexpected status, or in replay, a
    request the cassette has no answer for because the recorded SDK made fewer attempts)."""

    exchange: Any = None
    deferred: BaseException | None = None
    elapsed: float = 0.0

    def result(self) -> Any:
        """The Exchange, or what the call raised."""
        if self.deferred is not None:
            raise self.deferred
        return self.exchange


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Run ``fn(*args, **kwargs)`` (an ``aoai.create(..., expect_error=None)``), timing it. A replay miss
    (the SDK made more attempts than were recorded) is kept for ``result()``, after the attempt checks."""
    start = time.monotonic()
    try:
        ex = fn(*args, **kwargs)
    except NoRecordedAnswer as exc:  # cassettes.ReplayExhausted, by its core name
        return Outcome(deferred=exc, elapsed=time.monotonic() - start)
    return Outcome(exchange=ex, elapsed=time.monotonic() - start)
