"""Cassettes: vcrpy driven by hand, patched once per session.

pytest-recording cannot load vcrpy 9 cassettes that carry metadata, and per-test patching costs ~1.5 ms, so the
SDK's transports are patched once and every test points the patch at its own cassette (or none, in live mode).

The HTTP library is whichever the installed ``openai`` uses (:data:`HTTP`): ``httpx2`` for openai 3.x, ``httpx``
for 1.x and 2.x (the SDK matrix replays the same cassettes through all of them). vcrpy's stubs take that module
as a parameter, so both go through the same code.

The patched transport, outermost first:
1. logs what the SDK sent (headers included) so suites can check credentials and retry counts;
2. in record/replay, hands the request to vcrpy's own httpx/httpx2 stub with the test's cassette;
3. turns *fault entries* back into the transport errors they were: a connection fault has no HTTP response to
   record, so it is stored as a synthetic 599 carrying ``x-aoai-conformance-fault``, and a stream cut mid-way
   keeps its partial body plus that header.
"""

from __future__ import annotations

import email.utils
import functools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.record_mode import RecordMode
from vcr.serialize import deserialize, serialize
from vcr.serializers import jsonserializer
from vcr.stubs.httpx_stubs import vcr_handle_async_request, vcr_handle_request

from .core import FAULT_HEADER, FAULT_STATUS, NoRecordedAnswer, Sent
from .files import write_atomic
from .modes import LIVE, Mode
from .sdk import HTTP  # the installed SDK's HTTP library: the transports patched, the responses built

FORMAT = "aoai-conformance/cassette"


class CassetteProblem(Exception):
    """A cassette cannot be used; the message is one line that names the fix."""


@dataclass
class Traffic:
    """The state the patched transport reads for the running test."""

    cassette: Cassette | None = None
    cassette_path: Path | None = None
    problem: str | None = None  # set when the cassette could not be opened: the first request fails with it
    mode: Mode = LIVE
    record_command: str = ""
    sent: list[Sent] = field(default_factory=list)


_current: Traffic | None = None
_lock = threading.Lock()
_installed = False
_ORIG_SYNC = HTTP.HTTPTransport.handle_request
_ORIG_ASYNC = HTTP.AsyncHTTPTransport.handle_async_request


def activate(traffic: Traffic | None) -> None:
    global _current
    install()
    _current = traffic


def current() -> Traffic | None:
    return _current


# --- fault entries -----------------------------------------------------------------------------------
def _fault_response(exc: HTTP.TransportError, request: HTTP.Request) -> HTTP.Response:
    return HTTP.Response(
        FAULT_STATUS,
        headers={FAULT_HEADER: type(exc).__name__, "content-type": "text/plain"},
        content=str(exc).encode(),
        request=request,
    )


def _fault_class(name: str) -> type[HTTP.TransportError]:
    cls = getattr(HTTP, name, None)
    if isinstance(cls, type) and issubclass(cls, HTTP.TransportError):
        return cls
    return HTTP.RemoteProtocolError


class _CutStream(HTTP.SyncByteStream, HTTP.AsyncByteStream):
    """Yields what arrived before the cut, then raises the error the connection raised."""

    def __init__(self, content: bytes, exc: Exception) -> None:
        self._content = content
        self._exc = exc

    def __iter__(self):
        if self._content:
            yield self._content
        raise self._exc

    async def __aiter__(self):
        if self._content:
            yield self._content
        raise self._exc


class _RecordingStream(HTTP.SyncByteStream, HTTP.AsyncByteStream):
    """Wraps a live body while recording: a mid-stream error ends the body and marks the response."""

    def __init__(self, response: HTTP.Response) -> None:
        self._response = response
        self._inner = response.stream

    def _mark(self, exc: Exception) -> None:
        self._response.headers[FAULT_HEADER] = type(exc).__name__

    def __iter__(self):
        try:
            yield from self._inner  # type: ignore[misc]
        except HTTP.TransportError as exc:
            self._mark(exc)

    async def __aiter__(self):
        try:
            async for part in self._inner:  # type: ignore[union-attr]
                yield part
        except HTTP.TransportError as exc:
            self._mark(exc)

    def close(self) -> None:
        try:
            self._inner.close()  # type: ignore[union-attr]
        except Exception:
            pass

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()  # type: ignore[union-attr]
        except Exception:
            pass


def _real_sync(transport, request):
    try:
        response = _ORIG_SYNC(transport, request)
    except HTTP.TransportError as exc:
        return _fault_response(exc, request)
    response.stream = _RecordingStream(response)
    return response


async def _real_async(transport, request):
    try:
        response = await _ORIG_ASYNC(transport, request)
    except HTTP.TransportError as exc:
        return _fault_response(exc, request)
    response.stream = _RecordingStream(response)
    return response


def _unfault(response: HTTP.Response, request: HTTP.Request, entry: Sent) -> HTTP.Response:
    """Turn a recorded fault back into the exception the SDK saw when it was recorded."""
    name = response.headers.get(FAULT_HEADER)
    if not name:
        return response
    entry.fault = name
    exc_cls = _fault_class(name)
    if response.status_code == FAULT_STATUS:
        body = response.read().decode(errors="replace") or name
        raise exc_cls(body, request=request)
    content = response.read()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != FAULT_HEADER]
    return HTTP.Response(
        response.status_code,
        headers=headers,
        request=request,
        stream=_CutStream(content, exc_cls("peer closed connection mid-stream", request=request)),
        extensions=response.extensions,
    )


async def _aunfault(response: HTTP.Response, request: HTTP.Request, entry: Sent) -> HTTP.Response:
    if response.headers.get(FAULT_HEADER):
        await response.aread()
    return _unfault(response, request, entry)


_HTTP_DATE_SHIFTED = ("retry-after",)


def _shift_retry_after(response: HTTP.Response) -> None:
    """A recorded ``retry-after`` HTTP date lies in the past: move it to now, keeping its distance to ``date``."""
    value = response.headers.get("retry-after")
    if not value or value.strip().isdigit():
        return
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
        sent = email.utils.parsedate_to_datetime(response.headers.get("date", value)).timestamp()
    except (TypeError, ValueError):
        return
    response.headers["retry-after"] = email.utils.formatdate(time.time() + max(0.0, when - sent), usegmt=True)


def _log(request: HTTP.Request) -> Sent | None:
    traffic = _current
    if traffic is None:
        return None
    entry = Sent(request.method, str(request.url), dict(request.headers), time.monotonic(), time.time())
    traffic.sent.append(entry)
    return entry


def _note_response(entry: Sent | None, response: HTTP.Response) -> None:
    if entry is not None:
        entry.status = response.status_code
        entry.response_headers = dict(response.headers)
        if 400 <= response.status_code < FAULT_STATUS:
            # Error answers are small and the SDK may retry and discard them: keep them for the checks.
            entry.response_body = response.read()


async def _anote_response(entry: Sent | None, response: HTTP.Response) -> None:
    if entry is not None and 400 <= response.status_code < FAULT_STATUS:
        await response.aread()
    _note_response(entry, response)


def one_line_failure(message: str) -> BaseException:
    """pytest's own failure: a BaseException, so the SDK's retry loop (which catches Exception) lets it through
    and the test fails at once with this one line instead of retrying into a connection error."""
    return pytest.fail.Exception(message, pytrace=False)


class ReplayExhausted(pytest.fail.Exception, NoRecordedAnswer):  # type: ignore[misc,name-defined]
    """The SDK sent a request the cassette has no (more) answers for: more attempts, or another body.
    A layer catches it as core.NoRecordedAnswer."""


def _miss(traffic: Traffic, request: HTTP.Request) -> BaseException:
    return ReplayExhausted(
        f"no recorded interaction in {shown(traffic.cassette_path)} matches {request.method} {request.url.path} "
        f"(request body or count differs): re-record it with: {traffic.record_command}"
    )


def _patched_sync(self, request: HTTP.Request) -> HTTP.Response:
    traffic = _current
    entry = _log(request)
    if traffic is not None and traffic.problem:
        raise one_line_failure(traffic.problem)
    if traffic is None or traffic.cassette is None:
        response = _ORIG_SYNC(self, request)
        _note_response(entry, response)
        return response
    try:
        response = vcr_handle_request(traffic.cassette, _real_sync, HTTP)(self, request)
    except CannotOverwriteExistingCassetteException:
        raise _miss(traffic, request) from None
    if traffic.mode.plays_cassettes:  # a recorded answer: its dates lie in the past
        _shift_retry_after(response)
    _note_response(entry, response)
    return _unfault(response, request, entry or Sent("", "", {}, 0))


async def _patched_async(self, request: HTTP.Request) -> HTTP.Response:
    traffic = _current
    entry = _log(request)
    if traffic is not None and traffic.problem:
        raise one_line_failure(traffic.problem)
    if traffic is None or traffic.cassette is None:
        response = await _ORIG_ASYNC(self, request)
        await _anote_response(entry, response)
        return response
    try:
        response = await vcr_handle_async_request(traffic.cassette, _real_async, HTTP)(self, request)
    except CannotOverwriteExistingCassetteException:
        raise _miss(traffic, request) from None
    if traffic.mode.plays_cassettes:  # a recorded answer: its dates lie in the past
        _shift_retry_after(response)
    await _anote_response(entry, response)
    return await _aunfault(response, request, entry or Sent("", "", {}, 0))


def install() -> None:
    """Patch the SDK's HTTP transports (httpx2 or httpx) once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        HTTP.HTTPTransport.handle_request = _patched_sync
        HTTP.AsyncHTTPTransport.handle_async_request = _patched_async
        _installed = True


# --- replay needs no trust store -------------------------------------------------------------------------
_tls_shared = False


def share_tls_context() -> None:
    """Replay never opens a TLS connection, so clients share one default SSL context instead of each loading
    the trust store (~25 ms per client; a replay builds one client per auth mode x client kind x options).
    Only the default (verify=True, no client cert) is shared; anything else is built as usual."""
    global _tls_shared
    if _tls_shared:
        return
    module = HTTP._transports.default
    original = module.create_ssl_context
    cache: dict[bool, Any] = {}

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None:
            if trust_env not in cache:
                cache[trust_env] = original(verify=verify, cert=cert, trust_env=trust_env)
            return cache[trust_env]
        return original(verify=verify, cert=cert, trust_env=trust_env)

    module.create_ssl_context = create_ssl_context
    _tls_shared = True


# --- the socket guard ----------------------------------------------------------------------------------
_guard_on = False
_ORIG_CONNECT = socket.socket.connect
_ORIG_CONNECT_EX = socket.socket.connect_ex
_ORIG_GETADDRINFO = socket.getaddrinfo
_guard_installed = False


def _blocked(*args: Any, **kwargs: Any):
    raise one_line_failure(
        "replay mode blocks the network: this test tried to open a connection; "
        "replay must be served from cassettes (re-record with --mode record)"
    )


def _guarded(orig: Callable) -> Callable:
    def wrapper(*args: Any, **kwargs: Any):
        if _guard_on:
            _blocked()
        return orig(*args, **kwargs)

    return wrapper


def guard(on: bool) -> None:
    """Block every socket connection and name lookup while ``on`` (replay of the conformance suites)."""
    global _guard_on, _guard_installed
    if on and not _guard_installed:
        socket.socket.connect = _guarded(_ORIG_CONNECT)  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded(_ORIG_CONNECT_EX)  # type: ignore[method-assign]
        socket.getaddrinfo = _guarded(_ORIG_GETADDRINFO)
        _guard_installed = True
    _guard_on = on


# --- matching, loading and saving ----------------------------------------------------------------------
def _json_or_bytes(body: Any) -> Any:
    if body is None:
        return b""
    if isinstance(body, str):
        body = body.encode()
    return _parsed_body(body)


@functools.lru_cache(maxsize=512)
def _parsed_body(body: bytes) -> Any:
    # vcrpy matches each request against every recorded one, twice (can_play, then play): parse each body once.
    # The result is only compared, never mutated, so sharing it is safe.
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body


def match_body(r1, r2) -> None:
    """Bodies match as JSON (key order does not matter), else byte for byte."""
    if _json_or_bytes(r1.body) != _json_or_bytes(r2.body):
        raise AssertionError("bodies differ")


def match_method(r1, r2) -> None:
    if r1.method != r2.method:
        raise AssertionError("methods differ")


def match_path(r1, r2) -> None:
    # Host and base are scrubbed to a placeholder, so compare what follows the host.
    if (r1.path, r1.query) != (r2.path, r2.query):
        raise AssertionError("paths differ")


MATCH_ON = (match_method, match_path, match_body)


class _Persister:
    """Loads our JSON cassettes with one-line errors; saving is done by :func:`save` (atomic)."""

    cache: dict[tuple[str, float], tuple] = {}

    @classmethod
    def load_cassette(cls, cassette_path, serializer):
        path = Path(cassette_path)
        try:
            stat = path.stat()
            key = (str(path), stat.st_mtime_ns)
            if key in cls.cache:
                return cls.cache[key]
            text = path.read_text(encoding="utf-8")
            loaded = deserialize(text, serializer)
        except FileNotFoundError:
            raise CassetteProblem(f"missing cassette {shown(path)}") from None
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise CassetteProblem(f"cassette {shown(path)} is unreadable ({type(exc).__name__})") from None
        cls.cache[key] = loaded
        return loaded

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):  # pragma: no cover - never called
        raise RuntimeError("cassettes are saved by aoai_conformance.cassettes.save")


def shown(path: Path | None) -> str:
    """A path as a person would type it: relative to the working directory when it is below it."""
    if path is None:  # live mode: no cassette
        return "no cassette"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def open_replay(path: Path, record_command: str) -> Cassette:
    if not path.is_file():
        raise CassetteProblem(f"missing cassette {shown(path)}: record it with: {record_command}")
    try:
        return Cassette.load(
            path=str(path),
            serializer=jsonserializer,
            persister=_Persister,
            record_mode=RecordMode.NONE,
            match_on=MATCH_ON,
        )
    except CassetteProblem as exc:
        raise CassetteProblem(f"{exc}; record it with: {record_command}") from None


def open_record(path: Path, before_request: Callable, before_response: Callable) -> Cassette:
    return Cassette(
        path=str(path),
        serializer=jsonserializer,
        persister=_Persister,
        record_mode=RecordMode.ALL,
        match_on=MATCH_ON,
        before_record_request=before_request,
        before_record_response=before_response,
    )


def save(cassette: Cassette, provenance: dict[str, Any]) -> Path:
    """Write atomically: a failed or interrupted run never leaves a half-written or replaced good cassette."""
    path = Path(cassette.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = serialize(
        {
            "requests": cassette.requests,
            "responses": cassette.responses,
            "metadata": {"format": FORMAT, **provenance},
        },
        jsonserializer,
    )
    # Stable, readable JSON: re-dump with sorted keys so re-recording the same traffic gives small diffs.
    text = json.dumps(json.loads(data), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return write_atomic(path, text, fsync=True)
