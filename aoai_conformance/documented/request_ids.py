"""Request ids: x-request-id, the SDK's _request_id, and Azure's apim-request-id.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import sdk, wire
from ..checks import expect
from ..core import Context, Exchange, StreamExchange

__all__ = ["PROMISES", "check", "check_stream", "request_ids"]

PROMISES: dict[str, str] = {
    # Request ids ([seed] Request IDs, [azure] apim-request-id response header)
    "request-id.x-request-id": "success answers carry a non-empty x-request-id header (error answers may omit it)",
    "request-id.sdk": "the SDK's _request_id equals the x-request-id header (None when an error answer has none)",
    "request-id.apim": "Azure responses carry a non-empty apim-request-id header",
}


def _header(headers: Any, name: str) -> str | None:
    """Case-insensitive header lookup in a mapping (values may be lists, as in cassettes) or in pairs."""
    if isinstance(headers, Mapping) or hasattr(headers, "items"):
        pairs: Iterable = headers.items()
    elif isinstance(headers, (list, tuple)):
        pairs = [p for p in headers if isinstance(p, (list, tuple)) and len(p) == 2]
    else:
        pairs = ()
    for key, value in pairs:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if str(key).lower() == name:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return value
    return None


def request_ids(headers: Any, sdk_request_id: Any, *, azure: bool = True, status: int | None = None) -> None:
    """Request-id headers.

    Promises: ``request-id.x-request-id`` (present, non-empty), ``request-id.sdk`` (the SDK's ``_request_id``
    equals it; [seed] Request IDs), ``request-id.apim`` (under Azure; [azure] declares ``apim-request-id``).

    ``status`` is the answer's HTTP status. An error answer (>= 400) may leave x-request-id out: the docs promise
    ``_request_id`` on returned objects only, and real Azure v1 400/401/404 answers carry apim-request-id but no
    x-request-id (issue 12). The SDK must then invent nothing (its request id is None); an x-request-id that is
    present must still be non-empty and equal the SDK's. Success answers (status None or < 400) always need it.
    """
    xid = _header(headers, "x-request-id")
    if not (xid is None and status is not None and status >= 400):
        expect(
            isinstance(xid, str) and xid.strip(),
            "request-id.x-request-id",
            "no x-request-id header",
            path="headers.x-request-id",
            received=xid,
        )
    expect(
        sdk_request_id == xid,
        "request-id.sdk",
        "SDK _request_id differs from the x-request-id header",
        path="_request_id",
        expected=xid,
        received=sdk_request_id,
    )
    if azure:
        apim = _header(headers, "apim-request-id")
        expect(
            isinstance(apim, str) and apim.strip(),
            "request-id.apim",
            "no apim-request-id header",
            path="headers.apim-request-id",
            received=apim,
        )


# --- the check bundles: every layer of a call's request ids ----------------------------------------------
def check(aoai: Context, ex: Exchange) -> None:
    """_request_id is the x-request-id header; on Azure, apim-request-id is there too."""
    if not ex.headers_recorded:
        wire.not_recorded("the request-id headers", ex.call)
        return
    sdk.request_id(ex)
    # An SDK with no request-id accessor (Go, Java) is judged on the headers alone.
    rid = ex.request_id if sdk.exposes_request_id(ex) else _header(ex.headers, "x-request-id")
    request_ids(ex.headers, rid, azure=aoai.azure, status=ex.status)


def check_stream(aoai: Context, sx: StreamExchange) -> None:
    """A stream's answer carries x-request-id (the documented request id) and, on Azure, apim-request-id."""
    if not sx.headers_recorded:
        wire.not_recorded("the request-id headers", sx.call)
        return
    request_ids(sx.headers, sx.headers.get("x-request-id"), azure=aoai.azure)
