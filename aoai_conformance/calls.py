"""Calls as suites make them: through the documented SDK method, looking at what the SDK hides.

A suite says ``aoai.create("chat.completions", model=..., messages=...)`` and gets an :class:`Exchange` with the
raw status, headers and JSON body (via ``with_raw_response``) *and* the SDK's typed object; ``aoai.stream(...)``
gets a :class:`StreamExchange` with every raw SSE event, whether ``[DONE]`` came, arrival times, and the SDK's
own parse of the same bytes. Sync and async clients go through the same code, so suites never care which.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Callable

import openai
import pytest

from . import cassettes
from .auth import BuiltClient
from .config import Target
from .core import ConformanceFailure, Exchange, Sent, SSEParser, StreamExchange, parse_json, trim
from .modes import Mode, parse
from .sdk import HTTP  # the installed SDK's HTTP library (httpx2 for openai 3.x, httpx for 1.x/2.x)

# One event loop per process for async clients: clients are cached, and their pools belong to this loop.
_loop: asyncio.AbstractEventLoop | None = None


def run(value: Any) -> Any:
    global _loop
    if not inspect.isawaitable(value):
        return value
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(value)


NOT_IN_SDK = "not in this SDK"


def not_in_sdk(what: str) -> None:
    """Skip: the installed openai version has no such call or parameter (the SDK matrix shows it as such)."""
    pytest.skip(f"{NOT_IN_SDK}: openai {openai.__version__} has no {what}")


def _resolve(client: Any, path: str) -> Any:
    obj = client
    done = "client"
    for part in path.split("."):
        done += "." + part
        try:
            obj = getattr(obj, part)
        except AttributeError:
            not_in_sdk(done)
    return obj


def _method(resource: Any, wrapper: str, method: str, call: str) -> Any:
    try:
        return getattr(getattr(resource, wrapper), method)
    except AttributeError:
        not_in_sdk(f"client.{call}.{wrapper}.{method}")


def _unknown_parameter(exc: TypeError, call: str, method: str, kwargs: dict[str, Any]) -> None:
    """An older SDK's method that lacks a documented keyword raises TypeError before sending anything."""
    text = str(exc)
    if "unexpected keyword argument" in text:
        name = text.rsplit("unexpected keyword argument", 1)[-1].strip(" '\"")
        if name in kwargs:  # a keyword the suite passed, not one the SDK passes internally
            not_in_sdk(f"parameter {name!r} on client.{call}.{method}()")


def _stream_type(call: str) -> Any:
    if call.startswith("chat"):
        from openai.types.chat import ChatCompletionChunk

        return ChatCompletionChunk
    from openai.types.responses import ResponseStreamEvent

    return ResponseStreamEvent


class Aoai:
    """The harness a conformance test receives as the ``aoai`` fixture."""

    def __init__(
        self,
        *,
        built: BuiltClient,
        target: Target,
        mode: Mode | str,
        traffic: cassettes.Traffic,
        factory: Callable[[list[Any] | None, dict[str, Any]], BuiltClient] | None = None,
    ) -> None:
        self.built = built
        # factory(faults or None, constructor kwargs) -> this auth mode's client, through the fault proxy or not
        self._factory = factory
        self._faults: list[Any] | None = None
        self._client_kwargs: dict[str, Any] = {}
        self.target = target
        self.mode_obj = parse(mode) if isinstance(mode, str) else mode  # what the harness asks of the run
        self.traffic = traffic
        self.exchanges: list[Exchange | StreamExchange] = []
        self.usage: dict[str, int] = {}
        self.models: list[str] = []

    # who and where -------------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        return self.built.client

    @property
    def auth(self) -> str:
        return self.built.auth

    @property
    def is_async(self) -> bool:
        return self.built.is_async

    @property
    def profile(self) -> str:
        return self.target.profile

    @property
    def azure(self) -> bool:
        return self.target.profile == "azure"

    @property
    def mode(self) -> str:
        """The run mode's name (``replay``, ``record``, ``live``), for suites and reports."""
        return self.mode_obj.name

    @property
    def live(self) -> bool:
        return self.mode_obj.reaches_server

    @property
    def checks_stream_timing(self) -> bool:
        """core.Context's: the run mode says whether arrival times are real."""
        return self.mode_obj.checks_stream_timing

    def deployment(self, capability: str) -> str:
        return self.target.deployment(capability)

    def require_azure(self, promise: str) -> None:
        """Azure-only promises are not applicable to other OpenAI-compatible servers."""
        if not self.azure:
            pytest.skip(f"not applicable: {promise} is an Azure-only promise (profile {self.profile})")

    @property
    def sent(self) -> list[Sent]:
        """Every attempt the SDK made in this test (headers as sent, monotonic time), in every mode."""
        return self.traffic.sent

    def inject(self, faults: list[Any]) -> None:
        """Make the next requests meet these faults (``aoai_conformance.faultproxy`` constructors).

        Live and record: a fault-injecting proxy goes in front of the target and this test's client talks to
        it from now on. Replay: nothing to do, the cassette holds the faults as they were recorded.
        """
        if not self.mode_obj.faults_via_proxy:
            return
        if self._factory is None:
            raise RuntimeError("fault injection is not available for this target")
        self._faults = list(faults)
        self.built = self._factory(self._faults, self._client_kwargs)

    def configure(self, **client_kwargs: Any) -> None:
        """Build this test's client with these constructor arguments, as the docs do: ``OpenAI(max_retries=0)``
        (same auth mode, same target, through the fault proxy if faults were injected)."""
        if self._factory is None:
            raise RuntimeError("client options are not available for this target")
        self._client_kwargs = dict(client_kwargs)
        self.built = self._factory(self._faults, self._client_kwargs)

    # calls ---------------------------------------------------------------------------------------------
    def _target_obj(self, call: str, options: dict[str, Any] | None) -> Any:
        client = self.client.with_options(**options) if options else self.client
        return _resolve(client, call)

    def create(
        self,
        call: str,
        *,
        options: dict[str, Any] | None = None,
        expect_error: bool | None = False,
        method: str = "create",
        **kwargs: Any,
    ) -> Exchange:
        """Call ``client.<call>.with_raw_response.<method>(**kwargs)``; raw and parsed views of the result.

        ``expect_error``: False, an error fails the test (``http.status``); True, success does
        (``errors.status``); None, either outcome is returned for the suite to judge (retries).
        """
        resource = self._target_obj(call, options)
        fn = _method(resource, "with_raw_response", method, call)
        try:
            raw = run(fn(**kwargs))
        except TypeError as exc:
            _unknown_parameter(exc, call, method, kwargs)
            raise
        except openai.APIStatusError as exc:
            ex = self._error_exchange(call, exc, kwargs)
            if expect_error is False:
                self._unexpected_error(ex)
            return ex
        except openai.APIError as exc:
            ex = Exchange(call, 0, HTTP.Headers(), b"", None, error=exc, request_body=kwargs)
            self.exchanges.append(ex)
            if expect_error is False:
                raise ConformanceFailure(
                    "http.connection",
                    f"{call} could not reach the service: {exc!r} (cause: {exc.__cause__!r})",
                ) from None
            return ex
        http = raw.http_response
        content = http.content
        try:
            parsed, sdk_error = run(raw.parse()), None
        except Exception as exc:  # e.g. "No embedding data received": the raw layers still judge the body
            parsed, sdk_error = None, exc
        ex = Exchange(
            call,
            http.status_code,
            http.headers,
            content,
            parse_json(content),
            sdk=parsed,
            request_id=getattr(parsed, "_request_id", None),
            request_body=kwargs,
            sdk_error=sdk_error,
        )
        self._account(ex.body)
        self.exchanges.append(ex)
        if expect_error is True:
            raise ConformanceFailure(
                "errors.status",
                f"{call} was expected to fail but returned {ex.status}",
                received=trim(ex.body),
            )
        return ex

    def stream(self, call: str, *, options: dict[str, Any] | None = None, **kwargs: Any) -> StreamExchange:
        """``client.<call>.with_streaming_response.create(stream=True, ...)``, read event by event."""
        resource = self._target_obj(call, options)
        create = _method(resource, "with_streaming_response", "create", call)
        kwargs.setdefault("stream", True)
        start = time.monotonic()
        try:
            if self.is_async:
                status, headers, content, events = run(self._read_async(create, kwargs, start))
            else:
                status, headers, content, events = self._read_sync(create, kwargs, start)
        except TypeError as exc:
            _unknown_parameter(exc, call, "create", kwargs)
            raise
        except openai.APIStatusError as exc:
            self._unexpected_error(self._error_exchange(call, exc, kwargs))
            raise  # unreachable: _unexpected_error raises
        sx = StreamExchange(
            call,
            status,
            headers,
            content,
            events,
            request_id=headers.get("x-request-id"),
            request_body=kwargs,
        )
        self._sdk_parse(sx)
        for d in sx.data:
            if isinstance(d, dict):
                self._account(d.get("response") if isinstance(d.get("response"), dict) else d)
        self.exchanges.append(sx)
        return sx

    def _read_sync(self, create: Any, kwargs: dict[str, Any], start: float):
        parser, events, chunks = SSEParser(), [], []
        with create(**kwargs) as resp:
            for chunk in resp.http_response.iter_bytes():
                chunks.append(chunk)
                events += parser.feed(chunk, time.monotonic() - start)
            events += parser.close(time.monotonic() - start)
            return resp.http_response.status_code, resp.http_response.headers, b"".join(chunks), events

    async def _read_async(self, create: Any, kwargs: dict[str, Any], start: float):
        parser, events, chunks = SSEParser(), [], []
        async with create(**kwargs) as resp:
            async for chunk in resp.http_response.aiter_bytes():
                chunks.append(chunk)
                events += parser.feed(chunk, time.monotonic() - start)
            events += parser.close(time.monotonic() - start)
            return resp.http_response.status_code, resp.http_response.headers, b"".join(chunks), events

    def _sdk_parse(self, sx: StreamExchange) -> None:
        """The SDK's own Stream over the same bytes: what `for chunk in client...create(stream=True)` yields."""
        response = HTTP.Response(
            sx.status,
            headers=sx.headers,
            content=sx.content,
            request=HTTP.Request("POST", "https://sdk-parse.invalid/"),
        )
        try:
            stream = openai.Stream(cast_to=_stream_type(sx.call), response=response, client=self.client)
            sx.sdk_events = list(stream)
        except Exception as exc:  # the SDK layer reports it; the raw layers still run
            sx.sdk_error = exc

    def _error_exchange(self, call: str, exc: openai.APIStatusError, kwargs: dict[str, Any]) -> Exchange:
        response = exc.response
        content = response.content if response is not None else b""
        ex = Exchange(
            call,
            exc.status_code,
            response.headers if response is not None else HTTP.Headers(),
            content,
            parse_json(content),
            error=exc,
            request_id=exc.request_id,
            request_body=kwargs,
        )
        self.exchanges.append(ex)
        return ex

    def _unexpected_error(self, ex: Exchange) -> None:
        __tracebackhide__ = True
        if ex.status == 429 and self.live:
            pytest.skip("throttled: 429 after retries")
        # "from None": the SDK's own traceback says nothing the message does not, and rendering it (through
        # the SDK's retry loop) costs a quarter of a second per failure.
        raise ConformanceFailure(
            "http.status",
            f"{ex.call} returned HTTP {ex.status} ({type(ex.error).__name__})",
            expected="2xx",
            received=trim(ex.body),
        ) from None

    def _account(self, body: Any) -> None:
        """Token usage and model versions seen, for the report's header and cost ledger."""
        if not isinstance(body, dict):
            return
        model = body.get("model")
        if isinstance(model, str) and model and model not in self.models:
            self.models.append(model)
        usage = body.get("usage")
        if isinstance(usage, dict):
            prompt = usage.get("prompt_tokens", usage.get("input_tokens")) or 0
            completion = usage.get("completion_tokens", usage.get("output_tokens")) or 0
            total = usage.get("total_tokens") or 0
            if isinstance(prompt, int) and isinstance(completion, int) and isinstance(total, int):
                self.usage["prompt"] = self.usage.get("prompt", 0) + prompt
                self.usage["completion"] = self.usage.get("completion", 0) + completion
                self.usage["total"] = self.usage.get("total", 0) + total

    def last_evidence(self) -> dict[str, Any] | None:
        """The last exchange, trimmed, for a failure's evidence (scrubbed by the plugin before writing)."""
        if not self.exchanges:
            return None
        ex = self.exchanges[-1]
        sent = self.traffic.sent[-1] if self.traffic.sent else None
        return {
            "request": {
                "method": sent.method if sent else "POST",
                "url": sent.url if sent else ex.call,
                "headers": dict(sent.headers) if sent else {},
                "body": trim(ex.request_body, 1500),
            },
            "response": {
                "status": ex.status,
                "headers": dict(ex.headers),
                "body": trim(ex.content.decode("utf-8", errors="replace"), 3000),
            },
        }
