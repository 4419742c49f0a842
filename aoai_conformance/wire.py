"""Layer 1: what went over the wire. Status, content type, documented headers, credentials, stream timing."""

from __future__ import annotations

from .core import Context, Exchange, StreamExchange, expect, note, trim

PROMISES = {
    "http.status": "the documented call answers with the documented HTTP status",
    "http.content-type": "JSON bodies are application/json; streams are text/event-stream",
    "http.azure-headers": "Azure answers carry apim-request-id (declared by the Azure v1 spec)",
    "http.stream-incremental": "a live stream is incremental: its first event arrives well before its last",
    "http.stream-events": "a stream request yields server-sent events, not a plain body",
    "auth.credential-sent": "each auth mode sends its own credential as Authorization: Bearer",
    "auth.provider-per-attempt": "the Entra token provider is called on every attempt",
}


def status(ex: Exchange | StreamExchange, expected: int = 200) -> None:
    expect(
        ex.status == expected,
        "http.status",
        f"{ex.call} answered HTTP {ex.status}",
        expected=expected,
        received=ex.status,
    )


def not_recorded(what: str, call: str) -> None:
    """A check a recording cannot support: noted, never failed (checked traffic may lack headers)."""
    note("not-recorded", f"{what} was not recorded: not checked", call=call)


def json_body(ex: Exchange) -> None:
    ctype = ex.content_type.split(";")[0].strip().lower()
    if not ex.headers_recorded and not ctype:
        not_recorded("the response's content-type", ex.call)  # the body is still judged below
    else:
        expect(
            ctype == "application/json",
            "http.content-type",
            f"{ex.call} body is not declared as JSON",
            expected="application/json",
            received=ex.content_type,
        )
    expect(
        ex.body is not None,
        "http.content-type",
        f"{ex.call} body does not parse as JSON",
        received=trim(ex.content.decode("utf-8", "replace")),
    )


def event_stream(sx: StreamExchange, aoai: Context) -> None:
    ctype = sx.content_type.split(";")[0].strip().lower()
    if not sx.headers_recorded and not ctype:
        not_recorded("the stream's content-type", sx.call)  # its events are still judged below
    else:
        expect(
            ctype == "text/event-stream",
            "http.content-type",
            f"{sx.call} stream is not text/event-stream",
            expected="text/event-stream",
            received=sx.content_type,
        )
    # The SDK yields zero events and no error for a stream served as plain JSON: look at the raw events.
    expect(
        len(sx.data) > 0,
        "http.stream-events",
        f"{sx.call} stream carried no data events",
        received=trim(sx.content.decode("utf-8", "replace")),
    )
    if aoai.checks_stream_timing and len(sx.events) >= 3:
        first, last = sx.events[0].t, sx.events[-1].t
        # Recorders buffer streams, so timing is only checked live.
        expect(
            first < last and first <= 0.9 * last,
            "http.stream-incremental",
            f"{sx.call} delivered all events at once (first at {first:.3f}s, last at {last:.3f}s)",
        )


def azure_headers(ex: Exchange | StreamExchange, aoai: Context) -> None:
    if not aoai.azure:
        note("not-applicable", "apim-request-id is an Azure-only header", call=ex.call)
        return
    if not ex.headers_recorded:
        not_recorded("apim-request-id (response headers)", ex.call)
        return
    expect(
        ex.headers.get("apim-request-id"),
        "http.azure-headers",
        f"{ex.call} answer has no apim-request-id",
        received=sorted(ex.headers.keys()),
    )


def credentials(aoai: Context) -> None:
    """Every attempt carried this auth mode's credential; Entra asked its provider once per attempt."""
    attempts = aoai.sent
    if attempts is None:  # a recording: no attempt log, and credentials are never kept
        note("not-recorded", "the credential sent was not recorded: not checked")
        return
    expect(attempts, "auth.credential-sent", "no request was sent")
    built = aoai.built
    auth = built.auth
    for i, sent in enumerate(attempts):
        header = sent.headers.get("authorization", "")
        expect(
            header.startswith("Bearer "),
            "auth.credential-sent",
            f"attempt {i + 1} sent no Bearer credential under auth mode {auth}",
        )
        value = header[len("Bearer ") :]
        if built.provider is not None:
            expect(
                value in built.provider.tokens,
                "auth.credential-sent",
                f"attempt {i + 1} did not send the token from the Entra token provider",
            )
        else:
            expect(
                value == built.expected_credential,
                "auth.credential-sent",
                f"attempt {i + 1} did not send the configured API key under auth mode {auth}",
            )
    if built.provider is not None:
        expect(
            built.provider.calls == len(attempts),
            "auth.provider-per-attempt",
            f"token provider called {built.provider.calls} times for {len(attempts)} attempts",
            expected=len(attempts),
            received=built.provider.calls,
        )


def common(ex: Exchange, aoai: Context, expected_status: int = 200) -> None:
    """The HTTP layer every JSON call shares."""
    status(ex, expected_status)
    json_body(ex)
    azure_headers(ex, aoai)
    credentials(aoai)


def common_stream(sx: StreamExchange, aoai: Context) -> None:
    status(sx, 200)
    event_stream(sx, aoai)
    azure_headers(sx, aoai)
    credentials(aoai)
