"""The proxy itself: the attempt log, the request handler that applies a fault or forwards, and the server."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from ..core.sse import FirstEvents
from ..serving import AnyMethodHandler, serve_in_background, stop_serving
from .faults import Fault, azure_error_body

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


class _Handler(AnyMethodHandler):
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

    def _handle(self) -> None:
        proxy = self.server.proxy
        mono, wall = self._arrived
        headers = Headers()
        for k, v in self.headers.items():
            headers[k] = f"{dict.__getitem__(headers, k)}, {v}" if dict.__contains__(headers, k) else v
        body = self.read_body()
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

        counter = FirstEvents(cut_after) if cut_after is not None else None
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
