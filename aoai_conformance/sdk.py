"""Layer 4: the SDK parses what came back, and the accessors the documentation uses work.

Also where the installed SDK's HTTP library is found (:data:`HTTP`): the harness, the recording and the layers
build responses and headers from that module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .core import Exchange, StreamExchange, expect, fail, note


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
    if ex.foreign is not None:  # another SDK: its driver's parse, accessors and strict parse
        return foreign_parsed(ex, ex.foreign)
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
    if sx.foreign is not None:
        return foreign_stream(sx, sx.foreign)
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
    if not exposes_request_id(ex):
        note("not-applicable", f"{ex.foreign.who} exposes no request id on what it returns", call=ex.call)
        return
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


# --- another SDK's call (issue 14): its driver's result, judged by that SDK's own rules ---------------------
# Judged by the harness for another SDK's call (sdks.harness), not by a bundle: kept out of PROMISES.
FOREIGN_PROMISES = {
    "sdk.body": "the SDK sends the documented call's body as given (the SDK's documented defaults aside)",
    "sdk.request-sent": "the client built as the SDK's section builds it sends the documented call",
}


@dataclass(frozen=True)
class RetryPolicy:
    """An SDK's retries: ``max_retries`` by default for connection errors, ``retried`` and >= 500; waits
    ``min(initial * 2**n, max_delay)`` minus up to ``jitter``; a server-directed wait is honoured up to
    ``retry_after_cap`` seconds (None: no cap); a longer one is handled as ``above_cap`` says: "backoff" (ignored
    for the SDK's backoff), "no-retry" (raised at once) or "clamp" (waited as ``retry_after_cap``). ``versions``:
    the SDK versions the row holds for (a range as in expectations.toml; empty: every version)."""

    cite: str
    retry_after_cap: float | None = 60.0
    above_cap: str = "backoff"
    cap_inclusive: bool = False  # True: a wait of exactly the cap is still honoured
    versions: str = ""
    max_retries: int = 2
    retried: tuple[int, ...] = (408, 409, 429)
    initial: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25


@dataclass(frozen=True)
class ForeignProfile:
    """What the layers need to know of another SDK: its error class per status (from its sources), its
    documentation's table as written, its connection error classes, its request-id accessor, its strict parse."""

    sdk: str
    package: str
    error_classes: dict[int, str]
    server_error_class: str
    other_status_class: str
    connection_classes: tuple[str, ...]
    documented_classes: dict[int, str]
    documented_table: str
    request_id: str | None
    retry: RetryPolicy
    strict: str | None = None

    def error_class(self, status: int | None) -> str:
        if status is None:
            return self.connection_classes[0]
        if status >= 500:
            return self.server_error_class
        return self.error_classes.get(status, self.other_status_class)


@dataclass
class ForeignResult:
    """One driver result (drivers/PROTOCOL.md) and the profile of the SDK that gave it."""

    profile: ForeignProfile
    result: dict[str, Any]
    version: str = ""

    @property
    def who(self) -> str:
        return f"{self.profile.package} {self.version}".strip()


class Foreign:
    """A driver's ``parsed`` JSON (the SDK's typed object serialised by the SDK's own means), read with the
    attribute access the suites use on Python's typed objects; ``extras`` are the SDK's helper accessors
    (``output_text``) as the driver read them. An absent field reads None, as an optional typed field does."""

    def __init__(self, data: Any, extras: Mapping[str, Any] | None = None) -> None:
        self._data = data
        self._extras = dict(extras or {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._extras:
            return self._extras[name]
        if isinstance(self._data, Mapping):
            return _wrap(self._data.get(name))
        raise AttributeError(name)

    def __getitem__(self, index: Any) -> Any:
        return _wrap(self._data[index])

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Any:
        return iter(_wrap(v) for v in self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __eq__(self, other: object) -> bool:
        return self._data == (other._data if isinstance(other, Foreign) else other)

    def __repr__(self) -> str:
        return f"Foreign({self._data!r})"


def _wrap(value: Any) -> Any:
    if (
        isinstance(value, Mapping)
        and value
        and all(str(k)[:2] == "Of" and str(k)[2:3].isupper() for k in value)
    ):
        # a Go union as json.Marshal writes it ({"OfString": "...", "OfInputItemList": null}): its set variant
        chosen = [v for v in value.values() if v is not None]
        return _wrap(chosen[0]) if len(chosen) == 1 else None
    if isinstance(value, Mapping):
        return Foreign(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class ForeignError(Exception):
    """The error a driver reported, as an exception of the SDK's class name (``type(e).__name__``)."""

    def __init__(self, error: Mapping[str, Any], foreign: ForeignResult) -> None:
        super().__init__(error.get("message") or error.get("class"))
        self.error = dict(error)
        self.foreign = foreign
        self.status_code = error.get("status")
        self.code = error.get("code")
        self.request_id = error.get("request_id")


_ERROR_TYPES: dict[str, type[ForeignError]] = {}


def foreign_error(error: Mapping[str, Any], foreign: ForeignResult) -> ForeignError:
    name = str(error.get("class") or "UnknownError")
    if not name.isidentifier():
        name = "".join(c if c.isalnum() else "_" for c in name) or "UnknownError"
    if name not in _ERROR_TYPES:
        _ERROR_TYPES[name] = type(name, (ForeignError,), {})
    return _ERROR_TYPES[name](error, foreign)


def _raw_accessor(name: str, body: Any) -> Any:
    """What the raw body says for a PROTOCOL.md accessor name."""
    if not isinstance(body, Mapping):
        return None
    if name.startswith("usage."):
        usage = body.get("usage")
        return usage.get(name[len("usage.") :]) if isinstance(usage, Mapping) else None
    if name in ("message_content", "finish_reason"):
        choice = (body.get("choices") or [{}])[0]
        if name == "finish_reason":
            return choice.get("finish_reason")
        message = choice.get("message") or {}
        return message.get("content")
    if name == "output_text":
        return "".join(
            part.get("text", "")
            for item in body.get("output") or []
            if isinstance(item, Mapping) and item.get("type") == "message"
            for part in item.get("content") or []
            if isinstance(part, Mapping) and part.get("type") == "output_text"
        )
    data = body.get("data") or []
    if name == "embedding_count":
        return len(data)
    if name in ("embedding_dims", "embedding_first"):
        vector = _vector(data[0].get("embedding")) if data and isinstance(data[0], Mapping) else None
        if vector is None:
            return None
        return len(vector) if name == "embedding_dims" else vector[:10]
    return body.get(name)


def _vector(value: Any) -> list[float] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, str):  # base64 little-endian float32, as the SDKs decode it
        import base64
        import struct

        raw = base64.b64decode(value)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return None


def _same(value: Any, raw: Any) -> bool:
    if isinstance(value, list) and isinstance(raw, list):
        return len(value) == len(raw) and all(_same(a, b) for a, b in zip(value, raw))
    if isinstance(value, float) or isinstance(raw, float):  # float32 as decoded by the SDK vs JSON's float64
        try:
            return abs(float(value) - float(raw)) <= 1e-6 * max(1.0, abs(float(raw)))
        except (TypeError, ValueError):
            return False
    return value == raw


def foreign_parsed(ex: Exchange, foreign: ForeignResult) -> Foreign:
    """The driver's parse of a 2xx body: parsed, every requested accessor equal to the raw body's value, and
    the SDK's strict parse (Java ``validate()``) noted when it rejects the body (a client calling it breaks)."""
    result = foreign.result
    error = result.get("error") or {}
    expect(
        result.get("ok") and result.get("parsed") is not None,
        "sdk.parse",
        f"{foreign.who} did not parse {ex.call}: {error.get('class')}: {error.get('message')}",
        received=error or None,
    )
    accessors = result.get("accessors") or {}
    for name, value in accessors.items():
        if name in (result.get("missing") or []):
            note("doc-sdk-difference", f"{foreign.who} has no accessor for {name}", call=ex.call)
            continue
        raw = _raw_accessor(name, ex.body)
        expect(
            _same(value, raw),
            "sdk.accessor",
            f"{foreign.who}: {name} disagrees with the raw body",
            expected=raw,
            received=value,
        )
    _strict(foreign, ex.call)
    extras = {k: v for k, v in accessors.items() if k == "output_text"}
    return Foreign(result.get("parsed"), extras)


def _strict(foreign: ForeignResult, call: str) -> None:
    strict = foreign.result.get("strict")
    if isinstance(strict, Mapping) and not strict.get("ok", True):
        note(
            "doc-sdk-difference",
            f"{foreign.who}'s strict parse ({foreign.profile.strict or 'strict'}) rejects the {call} answer: "
            f"{strict.get('error')}",
            call=call,
        )


def foreign_stream(sx: StreamExchange, foreign: ForeignResult) -> list[Any]:
    """The driver's stream: every data event yielded once, in order, and the docs' loop text equal to the raw
    deltas'."""
    result = foreign.result
    error = result.get("error") or {}
    expect(
        result.get("ok"),
        "sdk.parse",
        f"{foreign.who} failed to iterate the {sx.call} stream: {error.get('class')}: {error.get('message')}",
        received=error or None,
    )
    events = [_wrap(e.get("json")) for e in result.get("events") or [] if isinstance(e, Mapping)]
    expect(
        len(events) == len(sx.data),
        "sdk.parse",
        f"{foreign.who} yielded {len(events)} events for {len(sx.data)} data events",
        expected=len(sx.data),
        received=len(events),
    )
    raw_text = "".join(
        (d.get("delta") or "")
        if d.get("type") == "response.output_text.delta"
        else "".join(
            ((c.get("delta") or {}).get("content") or "")
            for c in (d.get("choices") or [])[:1]
            if isinstance(c, Mapping) and c.get("index", 0) == 0
        )
        for d in sx.data
        if isinstance(d, Mapping)
    )
    accessor(result.get("text"), raw_text, f"{foreign.who}: the documented streaming loop's text")
    _strict(foreign, sx.call)
    return events


def foreign_status_error(ex: Exchange, expected: int) -> None:
    """Another SDK's error: the class its sources give for the status (and its documentation's table where the
    section has one: a different name there is a doc/SDK difference), the status, the request id."""
    foreign = ex.foreign
    err = ex.error
    profile: ForeignProfile = foreign.profile
    want = profile.error_class(expected)
    got = type(err).__name__ if isinstance(err, ForeignError) else None
    expect(
        got == want,
        "errors.exception-class",
        f"{foreign.who}: {ex.call} raised {got} (HTTP {ex.status or 'none'}); its sources give {want} for "
        f"the documented {expected}",
        expected=f"{want} ({expected})",
        received=f"{got} ({ex.status or 'no response'})",
    )
    assert isinstance(err, ForeignError)  # the check above failed otherwise
    expect(
        err.status_code == ex.status == expected,
        "errors.status-code",
        f"{foreign.who}: the error's status is {err.status_code} for an HTTP {ex.status} answer",
        expected=expected,
        received=err.status_code,
    )
    documented = profile.documented_classes.get(expected)
    if documented is not None and documented.replace(" ", "") != want:
        note(
            "doc-sdk-difference",
            f"{profile.documented_table} names '{documented}' for {expected}; {foreign.who} raises {want}",
            status=expected,
        )


def foreign_exception(error: BaseException | None, status: int | None) -> None:
    """After retries ran out: the class the SDK's sources give for ``status`` (None: a connection error)."""
    foreign: ForeignResult = error.foreign if isinstance(error, ForeignError) else None  # type: ignore[assignment]
    expect(foreign is not None, "retries.exception-type", "no error was reported", received=repr(error))
    profile = foreign.profile
    raw = error.error.get("class") if isinstance(error, ForeignError) else None
    got = str(raw or type(error).__name__)  # as the SDK names it (Go's "url.Error")
    want = profile.connection_classes if status is None else (profile.error_class(status),)
    expect(
        got in want,
        "retries.exception-type",
        f"after the last attempt {foreign.who} raised {got}, not {' or '.join(want)}",
        expected=want[0],
        received=got,
    )
    if status is not None:
        expect(
            getattr(error, "status_code", None) == status,
            "retries.exception-type",
            f"{got}'s status is not the HTTP status",
            expected=status,
            received=getattr(error, "status_code", None),
        )


def exposes_request_id(ex: Exchange | StreamExchange) -> bool:
    """Whether the SDK that made the call has a request-id accessor (Python's and Node's do; Go's and Java's
    return values carry none)."""
    foreign = getattr(ex, "foreign", None)
    return foreign is None or foreign.profile.request_id is not None


def body_sent(call: str, expected: Mapping[str, Any], sent: list[Any], defaults: Mapping[str, Any]) -> None:
    """Every attempt's JSON body is the call's body; fields the SDK documents as its own defaults (Node's
    ``encoding_format: "base64"``) are noted, never failed."""
    for i, body in enumerate(sent):
        if not isinstance(body, Mapping):
            fail("sdk.body", f"attempt {i + 1} of {call} sent no JSON object", received=body)
        extra = {k: v for k, v in body.items() if k not in expected}
        added = {k: v for k, v in extra.items() if defaults.get(k) == v}
        if added:
            note("info", f"the SDK added its default {added} to {call}", call=call)
        want = {**expected, **added}
        differs = sorted(k for k in set(want) | set(body) if want.get(k) != body.get(k))
        expect(
            not differs,
            "sdk.body",
            f"attempt {i + 1} of {call} did not send the call's body: {', '.join(differs)} differ",
            expected={k: want.get(k) for k in differs},
            received={k: body.get(k) for k in differs},
        )
