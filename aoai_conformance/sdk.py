"""Layer 4: the SDK parses what came back, and the accessors the documentation uses work.

Also where the installed SDK's HTTP library is found (:data:`HTTP`): the harness, the recording and the layers
build responses and headers from that module.
"""

from __future__ import annotations

from typing import Any

from .core import Exchange, StreamExchange, expect


def sdk_http_module() -> Any:
    """The HTTP library the installed openai SDK sends with: the module ``openai._base_client`` imported
    (``httpx2`` for openai 3.x, ``httpx`` for 1.x and 2.x; the SDK matrix runs all of them)."""
    from openai import _base_client

    module = getattr(_base_client, "httpx2", None) or getattr(_base_client, "httpx", None)
    if module is None:  # pragma: no cover - an SDK on neither library
        raise ImportError("openai._base_client imports neither httpx2 nor httpx: unsupported openai version")
    return module


# Its Headers, Request, Response and transport errors (httpx and httpx2 share these APIs).
HTTP = sdk_http_module()

PROMISES = {
    "sdk.parse": "the SDK parses the body (or every stream event) into its documented type",
    "sdk.accessor": "the accessors the documentation uses give what the raw body says",
    "sdk.request-id": "_request_id corresponds to the x-request-id response header (None when an error answer has none)",
}


def parsed(ex: Exchange, type_name: str) -> Any:
    obj = ex.sdk
    why = f": {ex.sdk_error!r}" if getattr(ex, "sdk_error", None) is not None else ""
    expect(
        obj is not None and type(obj).__name__ == type_name,
        "sdk.parse",
        f"{ex.call} did not parse into {type_name}{why}",
        received=type(obj).__name__,
    )
    return obj


def stream_parsed(sx: StreamExchange) -> list[Any]:
    expect(
        sx.sdk_error is None, "sdk.parse", f"the SDK failed to iterate the {sx.call} stream: {sx.sdk_error!r}"
    )
    expect(
        len(sx.sdk_events) == len(sx.data),
        "sdk.parse",
        f"the SDK yielded {len(sx.sdk_events)} events for {len(sx.data)} data events",
        expected=len(sx.data),
        received=len(sx.sdk_events),
    )
    return sx.sdk_events


def accessor(value: Any, raw: Any, what: str) -> None:
    expect(value == raw, "sdk.accessor", f"{what} disagrees with the raw body", expected=raw, received=value)


def request_id(ex: Exchange) -> None:
    """Docs, "Request IDs": `_request_id` corresponds to the x-request-id response header.

    The docs promise it on returned objects; for error answers they promise nothing, and real Azure v1
    400/401/404 answers carry no x-request-id (issue 12). So an error answer (status >= 400) without the header
    is no failure, but ``e.request_id`` must then be None (the SDK invents nothing); with the header it must
    equal it. A success answer without it is a failure: its documented ``_request_id`` would be None.
    """
    header = ex.headers.get("x-request-id")
    if header is None and (ex.status or 0) >= 400:
        expect(
            ex.request_id is None,
            "sdk.request-id",
            f"{ex.call} error answer has no x-request-id header, yet e.request_id is set",
            expected=None,
            received=ex.request_id,
        )
        return
    expect(
        header is not None,
        "sdk.request-id",
        f"{ex.call} answer has no x-request-id header, so the documented _request_id is None",
    )
    expect(
        ex.request_id == header,
        "sdk.request-id",
        f"{ex.call} _request_id does not match x-request-id",
        expected=header,
        received=ex.request_id,
    )
