"""A fault-injecting reverse proxy: the suite's own way to make a service fail on demand.

A real Azure OpenAI resource cannot be told to answer 429 or to hang up mid-stream, yet the documentation
makes promises about exactly those cases ("connection errors, 408, 429 and >=500 are retried twice by default
with a brief exponential backoff"). :class:`FaultProxy` sits between the SDK and any target (the local
stand-in or a real resource in live mode), applies a scripted sequence of faults to the next requests, then
passes the rest through unchanged::

    with FaultProxy("http://127.0.0.1:5000/openai/v1/") as proxy:
        proxy.script([status(429, headers=retry_after_ms(10)), drop()])
        client = openai.OpenAI(base_url=proxy.base_url, api_key="k")
        client.chat.completions.create(...)          # 429, connection error, then the real answer
        [a.retry_count for a in proxy.attempts]      # ["0", "1", "2"]

Faults (each consumes one request):

- :func:`status` -- answer with a status code and an Azure-shaped error body (headers via
  :func:`retry_after_ms`, :func:`retry_after`, :func:`retry_after_date`, :func:`x_should_retry`);
- :func:`drop` -- read the request, close the connection without a response (``reset=True``: send a TCP RST);
- :func:`stall` -- read the request, send nothing for ``seconds``, then close (use a shorter client timeout);
- :func:`cut_stream` -- pass the upstream response through but cut the connection after N SSE events, without
  the chunked terminator;
- :func:`delay` -- wait, then pass through; :func:`passthrough` -- a no-op slot inside a script.

"Connection refused" cannot be produced per request by a listening socket; :func:`closed_port_url` gives a URL
on 127.0.0.1 where nothing listens (a port kept bound but never listening, so nobody else can take it).

Standard library only. Binds 127.0.0.1; talks to nothing but the given upstream.
Run by hand: ``python -m aoai_conformance.faultproxy --upstream URL [--port 0] [--script JSON]``.
"""

from __future__ import annotations

import argparse
import email.utils
import http.client
import json
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from .core.sse import LineSplitter, SSEParser
from .serving import serve_in_background, stop_serving

__all__ = [
    "FaultProxy",
    "Fault",
    "Attempt",
    "status",
    "drop",
    "stall",
    "cut_stream",
    "delay",
    "passthrough",
    "retry_after_ms",
    "retry_after",
    "retry_after_date",
    "x_should_retry",
    "closed_port_url",
    "fault_from_json",
    "azure_error_body",
]

# Hop-by-hop headers (RFC 9110 7.6.1) are never forwarded; Host and Content-Length are recomputed.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


# --------------------------------------------------------------------------------------------------- faults
@dataclass(frozen=True)
class Fault:
    """One scripted fault. Build it with the factory functions (:func:`status`, :func:`drop`, ...)."""

    kind: str  # "status" | "drop" | "stall" | "cut_stream" | "delay" | "passthrough"
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    seconds: float | None = None
    events: int | None = None
    reset: bool = False

    def describe(self) -> str:
        if self.kind == "status":
            extra = "".join(f" {k}={v}" for k, v in self.headers)
            return f"status {self.status}{extra}"
        if self.kind == "drop":
            return "drop (reset)" if self.reset else "drop"
        if self.kind in ("stall", "delay"):
            return f"{self.kind} {self.seconds:g}s"
        if self.kind == "cut_stream":
            return f"cut_stream after {self.events} events"
        return self.kind


def _header_items(
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(k), str(v)) for k, v in items)


def status(code: int, headers: Mapping[str, Any] | None = None, body: Any = None) -> Fault:
    """Answer with ``code``. ``body``: None (an Azure-shaped error for ``code``), bytes, str, or JSON-able."""
    if not 100 <= int(code) <= 599:
        raise ValueError(f"status code out of range: {code}")
    if body is not None and not isinstance(body, bytes):
        body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Fault("status", status=int(code), headers=_header_items(headers), body=body)


def drop(reset: bool = False) -> Fault:
    """Read the request, then close the connection without any response (``reset``: abortive close, RST)."""
    return Fault("drop", reset=reset)


def stall(seconds: float) -> Fault:
    """Read the request, send nothing for ``seconds``, then close. Pair with a shorter client timeout."""
    return Fault("stall", seconds=float(seconds))


def cut_stream(after_events: int) -> Fault:
    """Pass the upstream response through, but close after ``after_events`` SSE events (no chunked end)."""
    if after_events < 0:
        raise ValueError("after_events must be >= 0")
    return Fault("cut_stream", events=int(after_events))


def delay(seconds: float) -> Fault:
    """Wait ``seconds`` after reading the request, then pass it through."""
    return Fault("delay", seconds=float(seconds))


def passthrough() -> Fault:
    """A script slot that does nothing: the request goes through untouched."""
    return Fault("passthrough")


def retry_after_ms(ms: float) -> dict[str, str]:
    """``retry-after-ms`` header (the SDK reads it before ``retry-after``)."""
    return {"retry-after-ms": _num(ms)}


def retry_after(seconds: float) -> dict[str, str]:
    """``retry-after`` header in seconds (the SDK accepts floats)."""
    return {"retry-after": _num(seconds)}


def retry_after_date(when: datetime) -> dict[str, str]:
    """``retry-after`` header as an HTTP date (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return {"retry-after": email.utils.format_datetime(when.astimezone(timezone.utc), usegmt=True)}


def x_should_retry(value: bool) -> dict[str, str]:
    """``x-should-retry: true|false``: the SDK obeys it over its status-code rules."""
    return {"x-should-retry": "true" if value else "false"}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def fault_from_json(obj: Mapping[str, Any]) -> Fault:
    """One script entry from JSON: ``{"status": 429, "headers": {...}, "body": ...}``, ``{"drop": true}``,
    ``{"drop": "reset"}``, ``{"stall": 2}``, ``{"cut_stream": 2}``, ``{"delay": 0.5}``,
    ``{"passthrough": true}``.
    """
    if "status" in obj:
        return status(int(obj["status"]), obj.get("headers"), obj.get("body"))
    if obj.get("drop"):
        return drop(reset=obj["drop"] == "reset")
    if "stall" in obj:
        return stall(float(obj["stall"]))
    if "cut_stream" in obj:
        return cut_stream(int(obj["cut_stream"]))
    if "delay" in obj:
        return delay(float(obj["delay"]))
    if obj.get("passthrough"):
        return passthrough()
    raise ValueError(f"unknown fault: {json.dumps(obj)}")


# ------------------------------------------------------------------------------------- Azure-shaped errors
_OPERATIONS = {
    "chat/completions": "ChatCompletions_Create",
    "completions": "Completions_Create",
    "embeddings": "Embeddings_Create",
    "responses": "Responses_Create",
    "images/generations": "ImageGenerations_Create",
    "audio/transcriptions": "Transcriptions_Create",
    "audio/speech": "Speech_Create",
}


def _operation(path: str) -> str:
    tail = urlsplit(path).path.rstrip("/")
    for suffix, name in sorted(_OPERATIONS.items(), key=lambda kv: -len(kv[0])):
        if tail.endswith("/" + suffix):
            return name
    return "ChatCompletions_Create"


def azure_error_body(code: int, path: str = "/openai/v1/chat/completions") -> dict[str, Any]:
    """An error body shaped like Azure OpenAI's (``{"error": {"code", "message"}}``) for ``code``.

    Messages follow what Azure resources are seen to return; they are plausible stand-ins, not recordings.
    """
    op = _operation(path)
    messages: dict[int, tuple[str, str]] = {
        400: ("BadRequest", "The request is invalid."),
        401: (
            "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
            "valid key for an active subscription and use a correct regional API endpoint for your resource.",
        ),
        403: ("403", "Access denied due to Virtual Network/Firewall rules."),
        404: (
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the "
            "last 5 minutes, please wait a moment and try again.",
        ),
        408: ("Timeout", "The operation was timeout."),
        409: ("Conflict", "The request conflicts with the current state of the resource."),
        422: ("UnprocessableEntity", "The request could not be processed."),
        429: (
            "429",
            f"Requests to the {op} Operation under Azure OpenAI API version v1 have exceeded token rate "
            "limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
        ),
        500: (
            "InternalServerError",
            "The server had an error processing your request. Sorry about that! You can retry your request, "
            "or contact us through an Azure support request at: "
            "https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error.",
        ),
        502: ("BadGateway", "Bad gateway."),
        503: (
            "ServiceUnavailable",
            "The service is temporarily unable to process your request. Please try again later.",
        ),
        504: ("GatewayTimeout", "The operation timed out."),
    }
    code_str, message = messages.get(code, (str(code), http.client.responses.get(code, "Error") + "."))
    return {"error": {"code": code_str, "message": message}}


# ------------------------------------------------------------------------------------------ the attempt log
class Headers(dict):
    """A plain dict of request headers as received (original name case), with case-insensitive lookup."""

    def _key(self, name: str) -> str | None:
        if dict.__contains__(self, name):
            return name
        low = name.lower()
        for k in dict.keys(self):
            if k.lower() == low:
                return k
        return None

    def __getitem__(self, name: str) -> str:
        k = self._key(name) if isinstance(name, str) else None
        if k is None:
            raise KeyError(name)
        return dict.__getitem__(self, k)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) is not None

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        k = self._key(name)
        return default if k is None else dict.__getitem__(self, k)


@dataclass
class Attempt:
    """One request that reached the proxy, and what was done with it."""

    index: int
    monotonic: float  # time.monotonic() when the request line arrived
    wall: float  # time.time() at the same moment
    method: str
    path: str
    headers: Headers
    body: bytes = b""
    fault: Fault | None = None
    action: str = ""  # fault description, or "passthrough"
    upstream_status: int | None = None
    done: float | None = None  # time.monotonic() when the proxy finished with it (answered / closed)
    error: str | None = None  # upstream trouble, if any

    @property
    def retry_count(self) -> str | None:
        return self.headers.get("x-stainless-retry-count")

    def line(self) -> str:
        what = self.action
        if self.upstream_status is not None:
            what += f", upstream {self.upstream_status}"
        if self.error:
            what += f" ({self.error})"
        rc = self.retry_count
        rc_text = rc if rc is not None else "-"
        return f"#{self.index} {self.method} {self.path} retry-count={rc_text} -> {what}"


# ------------------------------------------------------------------------------------------------ the proxy
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    proxy: "FaultProxy"

    def shutdown_request(self, request: Any) -> None:
        # An abortive close (drop(reset=True)) must not send a FIN first: just close, SO_LINGER 0 -> RST.
        if self.proxy._take_abort(request):
            self.close_request(request)
        else:
            super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    # quiet: the proxy keeps its own log
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def setup(self) -> None:
        super().setup()
        self.server.proxy._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.proxy._track(self.connection, False)

    def parse_request(self) -> bool:
        # the request line has just been read (handle_one_request may idle on a keep-alive connection before)
        self._arrived = (time.monotonic(), time.time())
        return super().parse_request()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, BrokenPipeError, socket.timeout, ssl.SSLError, OSError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    # ---- request side
    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                if not size_line:
                    raise ConnectionError("client closed during chunked body")
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        proxy = self.server.proxy
        mono, wall = self._arrived
        headers = Headers()
        for k, v in self.headers.items():
            headers[k] = f"{dict.__getitem__(headers, k)}, {v}" if dict.__contains__(headers, k) else v
        body = self._read_body()
        attempt, fault = proxy._begin(mono, wall, self.command, self.path, headers, body)
        try:
            self._apply(proxy, attempt, fault)
        finally:
            attempt.done = time.monotonic()
            proxy._finished(attempt)

    def _apply(self, proxy: "FaultProxy", attempt: Attempt, fault: Fault | None) -> None:
        kind = fault.kind if fault else "passthrough"
        if kind == "status":
            assert fault is not None and fault.status is not None
            self._send_status(fault)
            return
        if kind == "drop":
            assert fault is not None
            self._hang_up(reset=fault.reset)
            return
        if kind == "stall":
            assert fault is not None
            proxy._stopping.wait(fault.seconds)
            self._hang_up(reset=False)
            return
        if kind == "delay":
            assert fault is not None
            proxy._stopping.wait(fault.seconds)
        self._forward(proxy, attempt, cut_after=fault.events if fault and kind == "cut_stream" else None)

    def _hang_up(self, reset: bool) -> None:
        self.close_connection = True
        if reset:
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.server.proxy._mark_abort(self.connection)
                return  # the server closes it once the handler is done: RST, no FIN
            except OSError:
                pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_status(self, fault: Fault) -> None:
        code = fault.status or 500
        body = fault.body
        if body is None:
            body = json.dumps(azure_error_body(code, self.path)).encode()
        names = {k.lower() for k, _ in fault.headers}
        self.send_response_only(code)
        if "content-type" not in names:
            self.send_header("Content-Type", "application/json")
        if "x-request-id" not in names:
            rid = str(uuid.uuid4())
            self.send_header("x-request-id", rid)
            self.send_header("apim-request-id", rid)
        self.send_header("Date", self.date_time_string())
        for k, v in fault.headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    # ---- forwarding
    def _forward(self, proxy: "FaultProxy", attempt: Attempt, cut_after: int | None) -> None:
        out_headers: list[tuple[str, str]] = []
        for k, v in self.headers.items():
            low = k.lower()
            if low in _HOP_BY_HOP or low in ("host", "content-length", "expect"):
                continue
            if cut_after is not None and low == "accept-encoding":
                continue  # SSE events must be countable: ask for identity below
            out_headers.append((k, v))
        out_headers.append(("Host", proxy._upstream_host_header))
        if cut_after is not None:
            out_headers.append(("Accept-Encoding", "identity"))
        if attempt.body or self.command in ("POST", "PUT", "PATCH"):
            out_headers.append(("Content-Length", str(len(attempt.body))))

        conn = proxy._connect_upstream()
        try:
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in out_headers:
                    conn.putheader(k, v)
                conn.endheaders(attempt.body or None)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                # Be transparent: the client sees a connection error, as it would without the proxy.
                attempt.error = f"upstream: {type(exc).__name__}: {exc}"
                self._hang_up(reset=False)
                return
            attempt.upstream_status = resp.status
            self._relay(resp, attempt, cut_after)
        finally:
            conn.close()

    def _relay(self, resp: http.client.HTTPResponse, attempt: Attempt, cut_after: int | None) -> None:
        no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        length = resp.getheader("Content-Length")
        chunked = not no_body and (length is None or cut_after is not None)
        self.send_response_only(resp.status, resp.reason)
        upstream_close = False
        for k, v in resp.getheaders():
            low = k.lower()
            if low == "connection" and "close" in v.lower():
                upstream_close = True
            if low in _HOP_BY_HOP or (chunked and low == "content-length"):
                continue
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif no_body and length is None:
            pass
        if length is None and not chunked and not no_body:
            upstream_close = True
        self.end_headers()
        self.wfile.flush()
        if no_body:
            return

        counter = _EventCounter(cut_after) if cut_after is not None else None
        try:
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                if counter is not None:
                    data, done = counter.feed(data)
                    if data:
                        self._write(data, chunked)
                    if done:
                        self._hang_up(reset=False)
                        return
                else:
                    self._write(data, chunked)
        except (OSError, http.client.HTTPException) as exc:
            attempt.error = f"upstream broke mid-body: {type(exc).__name__}: {exc}"
            self._hang_up(reset=False)
            return
        if counter is not None:
            rest = counter.flush()
            if rest:
                self._write(rest, chunked)
            attempt.action += f": nothing cut, upstream ended after {counter.count} events"
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        if upstream_close:
            self.close_connection = True

    def _write(self, data: bytes, chunked: bool) -> None:
        if chunked:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self.wfile.write(data)
        self.wfile.flush()


class _EventCounter:
    """Counts SSE events as the suite's own parser sees them (``core.sse``); releases bytes up to the Nth.

    Bytes go on unchanged a line at a time (a partial line waits for its end), so the client gets each event
    as soon as the upstream sent it; the cut falls right after the blank line that ends event N.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._lines = LineSplitter()
        self._events = SSEParser()

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        if self.count >= self.limit:
            return b"", True
        out = bytearray()
        for line in self._lines.feed(data):
            out += line
            if self._events.line(line, 0.0) is not None:
                self.count += 1
                if self.count >= self.limit:
                    return bytes(out), True
        return bytes(out), False

    def flush(self) -> bytes:
        return self._lines.close()


class FaultProxy:
    """Reverse proxy on 127.0.0.1 that injects scripted faults, then passes requests to ``upstream``."""

    def __init__(
        self,
        upstream: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        upstream_timeout: float = 600.0,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream must be an http(s) base URL, got {upstream!r}")
        self.upstream = upstream
        self._scheme = parts.scheme
        self._uhost = parts.hostname
        self._uport = parts.port or (443 if parts.scheme == "https" else 80)
        default_port = self._uport == (443 if parts.scheme == "https" else 80)
        host_name = f"[{self._uhost}]" if ":" in self._uhost else self._uhost
        self._upstream_host_header = host_name if default_port else f"{host_name}:{self._uport}"
        self._path = parts.path or "/"
        self.host = host
        self.port = port
        self._ssl_context = ssl_context
        self.upstream_timeout = upstream_timeout
        self.on_attempt = on_attempt
        self._lock = threading.Lock()
        self._script: list[Fault] = []
        self._log: list[Attempt] = []
        self._conns: set[socket.socket] = set()
        self._abort: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def start(self) -> "FaultProxy":
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.proxy = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = serve_in_background(server, "aoai-fault-proxy")
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        stop_serving(server)
        with self._lock:
            conns = list(self._conns)
        for c in conns:  # wake handler threads parked on keep-alive connections
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FaultProxy is not started")
        return f"http://{self.host}:{self.port}{self._path}"

    # ---- script and log
    def script(self, faults: Iterable[Fault]) -> "FaultProxy":
        """The next requests get these faults, in order (replacing any unused script); then pass-through."""
        faults = list(faults)
        for f in faults:
            if not isinstance(f, Fault):
                raise TypeError(f"not a Fault: {f!r}")
        with self._lock:
            self._script = faults
        return self

    def reset(self) -> None:
        """Forget the script and the attempt log."""
        with self._lock:
            self._script = []
            self._log = []

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._script)

    @property
    def attempts(self) -> list[Attempt]:
        """A snapshot of every request that reached the proxy (thread-safe)."""
        with self._lock:
            return list(self._log)

    def wait_for_attempts(self, n: int, timeout: float = 5.0) -> list[Attempt]:
        """Wait until ``n`` attempts have been *finished* by the proxy (or ``timeout``); return the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.attempts
            if len(log) >= n and all(a.done is not None for a in log[:n]):
                return log
            time.sleep(0.005)
        return self.attempts

    # ---- internals used by the handler
    def _begin(
        self, mono: float, wall: float, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[Attempt, Fault | None]:
        with self._lock:
            fault = self._script.pop(0) if self._script else None
            attempt = Attempt(len(self._log), mono, wall, method, path, headers, body, fault=fault)
            if fault is None or fault.kind == "passthrough":
                attempt.action = "passthrough"
            elif fault.kind == "delay":
                attempt.action = f"{fault.describe()}, passthrough"
            else:
                attempt.action = fault.describe()
            self._log.append(attempt)
        return attempt, fault

    def _finished(self, attempt: Attempt) -> None:
        if self.on_attempt is not None:
            try:
                self.on_attempt(attempt)
            except Exception:  # a logging callback must not break the proxy
                pass

    def _mark_abort(self, conn: socket.socket) -> None:
        with self._lock:
            self._abort.add(conn)

    def _take_abort(self, conn: socket.socket) -> bool:
        with self._lock:
            if conn in self._abort:
                self._abort.discard(conn)
                return True
            return False

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _connect_upstream(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            ctx = self._ssl_context or ssl.create_default_context()
            return http.client.HTTPSConnection(
                self._uhost, self._uport, timeout=self.upstream_timeout, context=ctx
            )
        return http.client.HTTPConnection(self._uhost, self._uport, timeout=self.upstream_timeout)


# ---------------------------------------------------------------------------------------- connection refused
_held_ports: list[socket.socket] = []


def closed_port_url(path: str = "/openai/v1/") -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting gives "connection refused".

    The port stays bound (never listening) for the life of the process, so nothing else can take it meanwhile.
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    _held_ports.append(s)
    return f"http://127.0.0.1:{s.getsockname()[1]}{path}"


# ----------------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aoai_conformance.faultproxy",
        description="Fault-injecting reverse proxy for Azure OpenAI v1 targets (binds 127.0.0.1).",
    )
    parser.add_argument(
        "--upstream", required=True, help="base URL, e.g. https://RES.openai.azure.com/openai/v1/"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument(
        "--script",
        default=None,
        help="JSON list of faults, e.g. "
        '\'[{"status": 429, "headers": {"retry-after-ms": "10"}}, {"drop": true}]\'',
    )
    args = parser.parse_args(argv)
    try:
        faults = [fault_from_json(x) for x in json.loads(args.script)] if args.script else []
        proxy = FaultProxy(args.upstream, port=args.port)
    except (ValueError, TypeError, AttributeError) as exc:
        print(f"aoai-conformance fault proxy: {exc}", file=sys.stderr)
        return 2

    def log_attempt(a: Attempt) -> None:
        print(a.line(), file=sys.stderr, flush=True)

    proxy.on_attempt = log_attempt
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        proxy.start()
    except OSError as exc:
        print(f"aoai-conformance fault proxy: cannot listen: {exc}", file=sys.stderr)
        return 2
    try:
        proxy.script(faults)
        print(f"aoai-conformance fault proxy on {proxy.base_url} -> {args.upstream}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        proxy.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        sys.exit(130)
