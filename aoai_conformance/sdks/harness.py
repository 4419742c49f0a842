"""The ``aoai`` fixture's harness for another SDK: the suites' calls go through that SDK's driver.

A suite says ``aoai.create("chat.completions", ...)`` as ever; here each call opens its own scope on the
session's :class:`~.server.SdkServer`, sends one request to the driver (drivers/PROTOCOL.md), and builds the same
:class:`Exchange` / :class:`StreamExchange` the layers judge: the raw answer from what the scope served, the SDK's
side from the driver's result (``Exchange.foreign``: parse, accessors, error class, request id, strict parse).
The attempt log (``aoai.sent``) is the scopes' log, so the wire and retry checks read it as they read Python's.

Sources, per mode: replay, the cassette the Python test of the same auth mode opens (shared by the test's calls,
in order); live and record, the target itself (the stand-in or the real resource). ``aoai.inject`` scripts the
next call's faults in every mode: a cassette holds only the attempts Python made.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

import pytest

from .. import calls, cassettes, sdk
from ..config import Target
from ..core import ConformanceFailure, Exchange, Sent, SSEParser, StreamExchange, parse_json, trim
from ..documented import retries
from ..faultproxy.faults import Fault
from ..modes import Mode
from ..sdk import HTTP, ForeignResult
from .coverage import Coverage
from .driver import NETWORK_GUARD, Driver, NotRun
from .server import FAULT_STATUS, Replay, Scope, SdkServer, Upstream

# The calls the other SDKs' sections document (PROTOCOL.md), by the suites' call path.
CALLS = {
    "chat.completions": "chat.completions.create",
    "responses": "responses.create",
    "embeddings": "embeddings.create",
}
ACCESSORS = {
    "chat.completions": [
        "id", "model", "object", "message_content", "finish_reason",
        "usage.prompt_tokens", "usage.completion_tokens", "usage.total_tokens",
    ],
    "responses": [
        "id", "model", "object", "status", "output_text",
        "usage.input_tokens", "usage.output_tokens", "usage.total_tokens",
    ],
    "embeddings": [
        "model", "object", "embedding_count", "embedding_dims", "embedding_first",
        "usage.prompt_tokens", "usage.total_tokens",
    ],
}  # fmt: skip
SCOPE = "https://cognitiveservices.azure.com/.default"
REPLAY_DEADLINE = (
    6.0  # seconds: a replayed call is instant; only scripted waits and backoff (1.5 s) take time
)
LIVE_DEADLINE = 180.0
SCRIPTED_WAIT_DEADLINE = 15.0
SCRIPTED_WAIT_REPLAY_DEADLINE = 3.0


def _longest_wait(faults: Sequence[Fault]) -> float:
    """The longest server-directed wait (retry-after in seconds or as an HTTP date, retry-after-ms) the faults ask."""
    longest = 0.0
    for fault in faults:
        for name, value in fault.headers:
            low = name.lower()
            if low not in ("retry-after", "retry-after-ms"):
                continue
            try:
                wait = float(value) / (1000.0 if low == "retry-after-ms" else 1.0)
            except ValueError:
                try:
                    wait = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
                except (TypeError, ValueError):
                    continue
            longest = max(longest, wait)
    return longest


@dataclass
class SdkRun:
    """One SDK for the session: its coverage, its driver (started on first use) and its server."""

    coverage: Coverage
    driver: Driver | None = None
    server: SdkServer | None = None
    not_run: str | None = None
    guard_network: bool = False  # replay: the driver's process reaches loopback only (driver.NETWORK_GUARD)
    version: str = ""
    hello: dict[str, Any] = field(default_factory=dict)
    # How a driver is made (sdks/plan.py swaps in its plan-capturing stand-in for an SDK with no driver here).
    make_driver: ClassVar[Callable[..., Any]] = Driver

    def start(self) -> None:
        if self.driver is not None or self.not_run:
            return
        self.server = SdkServer(tls=self.coverage.tls).start()
        env = dict(NETWORK_GUARD) if self.guard_network else {}
        if self.server.ca_file:
            env.update(SSL_CERT_FILE=self.server.ca_file, NODE_EXTRA_CA_CERTS=self.server.ca_file)
        driver = SdkRun.make_driver(self.coverage.sdk, env=env)
        try:
            self.hello = driver.start()
        except NotRun as exc:
            self.not_run = str(exc)
            return
        self.driver, self.version = driver, driver.version

    def close(self) -> None:
        if self.driver is not None:
            self.driver.close()
        if self.server is not None:
            self.server.stop()


@dataclass
class ForeignBuilt:
    """How the driver built its client, as ``wire.credentials`` reads it (``core.Credentials``)."""

    auth: str
    is_async: bool
    expected_credential: str | None
    provider: None = None


class DriverAoai(calls.Aoai):
    """The harness a conformance test receives when ``--sdk`` names another SDK."""

    def __init__(
        self,
        *,
        run: SdkRun,
        auth: str,
        client_kind: str,
        target: Target,
        mode: Mode,
        cassette: Path,
        record_command: str,
    ) -> None:
        self.run = run
        self.coverage = run.coverage
        self._cassette = cassette
        self._replay: Replay | None = None
        self._replay_problem: str | None = None
        if mode.plays_cassettes:
            try:
                self._replay = Replay.from_cassette(cassette)
            except (OSError, ValueError) as exc:
                self._replay_problem = f"missing or unreadable cassette {cassettes.shown(cassette)} ({exc})"
        credential = target.ad_token if auth == "entra" else target.api_key
        built = ForeignBuilt(auth, client_kind == "async", credential)
        traffic = cassettes.Traffic(mode=mode, cassette_path=cassette, record_command=record_command)
        super().__init__(built=built, target=target, mode=mode, traffic=traffic)  # type: ignore[arg-type]
        # The retry checks judge the attempts by the policy of the SDK version the driver runs.
        policy = self.coverage.retry_policy(run.version)
        self.traffic.sent = retries.AttemptLog(policy, who=f"{self.coverage.profile.package} {run.version}")
        self._faults: list[Fault] | None = None
        self.results: list[dict[str, Any]] = []

    @property
    def client(self) -> Any:
        pytest.skip(f"not documented for {self.coverage.sdk}: the test reaches into Python's client")

    # ---- what a test asks for
    def inject(self, faults: list[Any]) -> None:
        """The next call's scope meets these faults first, in every mode. In replay, the cassette's answers to
        the same faults (recorded through the fault proxy) are skipped: the script answers them now."""
        self._faults = list(faults)
        if self._replay is not None:
            self._replay.skip_faults(self._faults)

    def configure(self, **client_kwargs: Any) -> None:
        self._client_kwargs = dict(client_kwargs)

    # ---- calls
    def create(
        self,
        call: str,
        *,
        options: dict[str, Any] | None = None,
        expect_error: bool | None = False,
        method: str = "create",
        **kwargs: Any,
    ) -> Exchange:
        result, scope, foreign = self._call(call, method, False, options, kwargs)
        served = _answer(scope)
        error = result.get("error") if not result.get("ok") else None
        status = served.status if served is not None and served.status not in (None, FAULT_STATUS) else 0
        content = served.body if served is not None and status else b""
        headers = HTTP.Headers(served.headers if served is not None and status else [])
        if error is None:
            ex = Exchange(
                call, status, headers, content, parse_json(content),
                request_id=result.get("request_id"), request_body=kwargs, foreign=foreign,
            )  # fmt: skip
            self._account(ex.body)
            self.exchanges.append(ex)
            if expect_error is True:
                raise ConformanceFailure(
                    "errors.status",
                    f"{call} was expected to fail but returned {ex.status}",
                    received=trim(ex.body),
                )
            return ex
        err = sdk.foreign_error(error, foreign)
        ex = Exchange(
            call, status, headers, content, parse_json(content),
            error=err, request_id=err.request_id, request_body=kwargs, foreign=foreign,  # type: ignore[arg-type]  # another SDK's error (sdk.ForeignError)
        )  # fmt: skip
        self.exchanges.append(ex)
        if expect_error is False:
            if not status:
                raise ConformanceFailure(
                    "http.connection", f"{call} could not reach the service: {type(err).__name__}: {err}"
                ) from None
            self._unexpected_error(ex)
        return ex

    def stream(self, call: str, *, options: dict[str, Any] | None = None, **kwargs: Any) -> StreamExchange:
        kwargs.pop("stream", None)
        result, scope, foreign = self._call(call, "create", True, options, kwargs)
        served = _answer(scope)
        if served is None or served.status in (None, FAULT_STATUS):
            raise ConformanceFailure("http.connection", f"{call} stream got no answer: {result.get('error')}")
        if served.status >= 400:
            err = sdk.foreign_error(result.get("error") or {"class": None}, foreign)
            ex = Exchange(
                call, served.status, HTTP.Headers(served.headers), served.body, parse_json(served.body),
                error=err, request_body=kwargs, foreign=foreign,  # type: ignore[arg-type]  # another SDK's error
            )  # fmt: skip
            self.exchanges.append(ex)
            self._unexpected_error(ex)
        parser, events = SSEParser(), []
        for t, chunk in served.chunks:
            events += parser.feed(chunk, t)
        events += parser.close(served.chunks[-1][0] if served.chunks else 0.0)
        headers = HTTP.Headers(served.headers)
        sx = StreamExchange(
            call, served.status, headers, served.body, events,
            request_id=headers.get("x-request-id"), request_body={**kwargs, "stream": True}, foreign=foreign,
        )  # fmt: skip
        for d in sx.data:
            if isinstance(d, dict):
                self._account(d.get("response") if isinstance(d.get("response"), dict) else d)
        self.exchanges.append(sx)
        return sx

    def _call(
        self, call: str, method: str, stream: bool, options: dict[str, Any] | None, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], Scope, ForeignResult]:
        cov = self.coverage
        name = CALLS.get(call) if method == "create" else None
        if name is None:
            pytest.skip(f"not documented for {cov.sdk}: client.{call}.{method}() (the {cov.section} section)")
        feature = name + (" (stream)" if stream else "")
        if any(isinstance(t, dict) and t.get("type") == "mcp" for t in kwargs.get("tools") or []):
            feature = "responses.create (MCP tool)"
        if not cov.covers(feature):
            pytest.skip(cov.why_not(feature))
        if self._replay_problem:
            raise cassettes.one_line_failure(self._replay_problem)
        run = self.run
        assert run.server is not None and run.driver is not None
        opts = {**self._client_kwargs, **(options or {})}
        source: Replay | Upstream | None = self._replay if self.mode_obj.plays_cassettes else None
        if source is None:
            source = Upstream(self.target.base_url)
        faults, self._faults = self._faults or [], None
        scope = run.server.scope(source, faults)
        try:
            request = self._request(name, stream, scope, opts, kwargs, faults)
            result = run.driver.request(request)
        finally:
            scope.close()
        self.results.append(result)
        if result.get("not_run"):  # a stand-in driver (sdks/plan.py): the request is kept, nothing is judged
            pytest.skip(f"not run: {result['not_run']}")
        self.traffic.sent.extend(a.sent() for a in scope.attempts)
        if result.get("driver_broken"):
            raise cassettes.one_line_failure(str((result.get("error") or {}).get("message")))
        foreign = ForeignResult(cov.profile, result, run.version)
        asked = result.get("credential_scopes") or []
        if request["auth"] == "entra" and any(s != request["scope"] for s in asked):
            raise ConformanceFailure(
                "auth.credential-sent",
                f"{foreign.who}'s token helper asked the credential for another scope than the section's",
                expected=request["scope"],
                received=asked,
            )
        if not scope.attempts and not result.get("ok") and request["base_url"] == scope.base_url:
            error = result.get("error") or {}
            raise ConformanceFailure(
                "sdk.request-sent",
                f"{foreign.who} never sent {name} with the client built as the {cov.section} section builds it "
                f"(auth mode {request['auth']}): {error.get('class')}: {error.get('message')}",
            )
        expected = {**kwargs, **({"stream": True} if stream else {})}
        sdk.body_sent(name, expected, [a.json for a in scope.attempts], cov.body_defaults.get(name, {}))
        _answers_another_request(scope, name, foreign.who)
        misses = scope.misses
        if misses:
            raise cassettes.ReplayExhausted(
                f"no recorded answer in {cassettes.shown(self._cassette)} for attempt {misses[0].index + 1} of "
                f"{name} through {foreign.who} (Python made fewer calls or attempts)"
            )
        return result, scope, foreign

    def _request(
        self,
        name: str,
        stream: bool,
        scope: Scope,
        opts: dict[str, Any],
        kwargs: dict[str, Any],
        faults: Sequence[Fault] = (),
    ) -> dict[str, Any]:
        auth = self.built.auth
        base_url = str(opts.pop("base_url", None) or scope.base_url)
        if base_url != scope.base_url and not base_url.endswith("/"):
            base_url += "/"
        key, token = self.target.api_key, self._token()
        override = opts.pop("api_key", None)  # the wrong-credential test: the credential in its own form
        if override is not None:
            value = calls.run(override()) if callable(override) else override
            key = token = str(value)
        deadline = LIVE_DEADLINE if self.live else REPLAY_DEADLINE
        if _longest_wait(faults) > SCRIPTED_WAIT_DEADLINE:
            # A scripted wait past the watchdog (retry-after 121 s) is seen as well in 15 s as in 180 (3 s as in 6
            # offline): an SDK that obeys it is still waiting, one that backs off (0.5 s) has its answer by then.
            deadline = SCRIPTED_WAIT_DEADLINE if self.live else SCRIPTED_WAIT_REPLAY_DEADLINE
        policy = retries.policy_of(self.traffic.sent)
        # A clamped retry-after (openai-java >= 4.71) is to be seen, not cut short by the watchdog.
        if policy.above_cap == "clamp" and policy.retry_after_cap:
            deadline = max(deadline, policy.retry_after_cap + 2.0)
        options: dict[str, Any] = {}
        if "max_retries" in opts:
            options["max_retries"] = int(opts["max_retries"])
        if "timeout" in opts and isinstance(opts["timeout"], (int, float)):
            options["timeout_ms"] = int(opts["timeout"] * 1000)
        return {
            "call": name,
            "stream": stream,
            "auth": auth,
            "client": "async" if self.built.is_async else "sync",
            "base_url": base_url,
            "api_key": key or "",
            "token": token or "",
            "scope": self.target.token_scope or SCOPE,
            "env": {"OPENAI_API_KEY": key or "", "OPENAI_BASE_URL": base_url} if auth == "env" else {},
            "params": kwargs,
            "options": options,
            "deadline_ms": int(deadline * 1000),
            "accessors": [] if stream else ACCESSORS[name.rsplit(".", 1)[0]],
        }

    def _token(self) -> str | None:
        if self.built.auth != "entra":
            return None
        if self.target.ad_token:
            return self.target.ad_token
        # Live without a fixed token: the Python side asks DefaultAzureCredential, the driver gets the token.
        from azure.identity import DefaultAzureCredential

        token = DefaultAzureCredential().get_token(self.target.token_scope or SCOPE).token
        self.built.expected_credential = token  # type: ignore[misc]
        return token

    @property
    def sent(self) -> list[Sent]:
        return self.traffic.sent


def _answers_another_request(scope: Scope, call: str, who: str) -> None:
    """A replayed answer was recorded for openai-python's request; when this SDK's own (documented) body differs
    from it (its defaults differ: Python asks embeddings for base64, Go does not), the answer is not this
    request's and nothing can be judged offline: a live run checks it."""
    for attempt in scope.attempts:
        served = attempt.served
        if served is None or served.source != "replay" or not isinstance(served.recorded_request, dict):
            continue
        sent = attempt.json if isinstance(attempt.json, dict) else {}
        keys = sorted(
            k
            for k in set(sent) | set(served.recorded_request)
            if sent.get(k) != served.recorded_request.get(k)
        )
        if keys:
            pytest.skip(
                f"not replayable through {who}: the cassette answers openai-python's {call} request "
                f"({', '.join(keys)} differ); a live run checks it"
            )


def _answer(scope: Scope) -> Any:
    """The last attempt's answer: what the SDK finally got."""
    for attempt in reversed(scope.attempts):
        if attempt.served is not None:
            return attempt.served
    return None


__all__ = ["DriverAoai", "ForeignBuilt", "SdkRun"]
