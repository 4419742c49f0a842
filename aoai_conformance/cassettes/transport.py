"""The SDK's HTTP transports (httpx2 or httpx), patched once per process; each test points the patch at its
:class:`Traffic` (its cassette, or none in live mode). Outermost first, the patched transport:
1. logs what the SDK sent (headers included) so suites can check credentials and retry counts;
2. in record/replay, hands the request to vcrpy's own httpx/httpx2 stub with the test's cassette;
3. turns fault entries (:mod:`.faults`) back into the transport errors they were.
"""

from __future__ import annotations

import email.utils
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.stubs.httpx_stubs import vcr_handle_async_request, vcr_handle_request

from ..core import FAULT_STATUS, NoRecordedAnswer, Sent
from ..modes import LIVE, Mode
from ..sdk import HTTP  # the installed SDK's HTTP library: the transports patched, the responses built
from .faults import _aunfault, _fault_response, _RecordingStream, _unfault
from .guard import one_line_failure
from .store import shown


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
    """Replay never opens a connection (the network guard fails any attempt), so clients share one SSL context
    that trusts no certificate authority instead of each loading the trust store (~16-25 ms per context; a
    replay builds one client per auth mode x client kind x options). Were a connection ever made, it would fail
    verification: closed, not open. Only the default (verify=True, no client cert) is replaced; anything else
    is built as usual."""
    global _tls_shared
    if _tls_shared:
        return
    module = HTTP._transports.default
    original = module.create_ssl_context
    shared: list[ssl.SSLContext] = []

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None:
            if not shared:
                shared.append(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))  # hostname and chain checked, no CA
            return shared[0]
        return original(verify=verify, cert=cert, trust_env=trust_env)

    module.create_ssl_context = create_ssl_context
    _tls_shared = True
