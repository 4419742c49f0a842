"""Fault entries: a transport error recorded and replayed. A connection fault has no HTTP response to record, so
it is stored as a synthetic 599 carrying ``x-aoai-conformance-fault``; a stream cut mid-way keeps its partial
body plus that header. Replay turns both back into the errors the SDK saw."""

from __future__ import annotations

from ..core import FAULT_HEADER, FAULT_STATUS, Sent
from ..sdk import HTTP


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
