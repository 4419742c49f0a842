"""A language-neutral local server for another SDK's calls: every call has its own scope.

A driver reaches a call's scope through its base URL, ``http(s)://127.0.0.1:<port>/p/<token>/openai/v1/``. Each
scope has a source for its answers, after an optional fault script (``faultproxy`` constructors, consumed one
per attempt):

- :class:`Replay`: the interactions of a cassette, served in order whatever the body (a body that differs is
  judged by a wire check, not turned into a miss); running out is a *miss*, answered 418 and flagged;
- :class:`Upstream`: a pass-through to a base URL: the stand-in, or the real target (live);

and an attempt log: monotonic and wall time, method, path, headers, canonical body and what was served (status,
headers, raw bytes, a fault). Scopes never share anything, so a call never meets another call's answers.
Headers are kept as sent in memory (the credential check needs them); :meth:`Attempt.scrubbed` is what may be
written. ``tls=True`` serves HTTPS with a self-signed certificate (:func:`certificate`) for SDKs that refuse
credentials over plain http (Go's azcore bearer policy).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import secrets
import socket
import ssl
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..core import FAULT_HEADER, FAULT_STATUS, Sent
from ..core.sse import FirstEvents
from ..faultproxy.faults import Fault
from ..scrub import Scrubber
from ..serving import AnyMethodHandler, serve_in_background, stop_serving
from .answers import HOP, error_body, fault_answer, first_events
from .tls import certificate

PREFIX = "/p/"
API = "/openai/v1"
MISS_STATUS = 418  # a replay miss: no SDK retries it, and no documented answer uses it


# --- what was served, and the attempt log ---------------------------------------------------------------
@dataclass
class Served:
    status: int | None  # None: the connection was dropped without an answer
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source: str = ""  # "fault", "replay", "upstream", "miss"
    fault: str | None = None  # "drop", "stall", "cut" (a stream cut mid-way), or the recorded transport error
    chunks: list[tuple[float, bytes]] = field(default_factory=list)  # (seconds since arrival, bytes) as sent
    recorded_request: Any = None  # replay: the JSON body of the request this answer was recorded for

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Attempt:
    index: int
    t: float  # time.monotonic() when the request arrived
    wall: float
    method: str
    path: str  # after the scope prefix: /openai/v1/chat/completions
    url: str  # as the driver addressed it
    headers: dict[str, str]  # lower-case names, as sent (credentials included: never written as is)
    body: bytes
    served: Served | None = None

    @property
    def json(self) -> Any:
        """The canonical body: the JSON the SDK sent (None when it sent none or not JSON)."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def miss(self) -> bool:
        return self.served is not None and self.served.source == "miss"

    def sent(self) -> Sent:
        """The attempt log entry the layers read (``core.Sent``), as the Python transport writes it."""
        s = self.served or Served(None)
        status = s.status if s.status is not None else FAULT_STATUS
        fault = s.fault if s.fault in ("drop", "stall", "cut") or s.status is None else None
        return Sent(
            self.method,
            self.url,
            dict(self.headers),
            self.t,
            self.wall,
            status=status,
            response_headers={k.lower(): v for k, v in s.headers},
            response_body=s.body if status is not None and 400 <= status < FAULT_STATUS else None,
            fault=fault,
        )

    def scrubbed(self, scrubber: Scrubber) -> dict[str, Any]:
        """What may be written (a report's evidence, a log): credentials dropped, secrets and host replaced."""
        s = self.served or Served(None)
        return {
            "t": self.t,
            "method": self.method,
            "url": scrubber.text(self.url),
            "headers": scrubber.headers(dict(self.headers)),
            "body": scrubber.data(self.body.decode("utf-8", "replace")),
            "served": {
                "status": s.status,
                "source": s.source,
                "fault": s.fault,
                "headers": scrubber.headers(dict(s.headers)),
                "body": scrubber.data(s.body.decode("utf-8", "replace")),
            },
        }


# --- sources -------------------------------------------------------------------------------------------
class Replay:
    """A cassette's interactions (vcrpy dicts), served in order, each once."""

    def __init__(self, interactions: Iterable[dict[str, Any]]) -> None:
        self._items = deque(interactions)
        self._lock = threading.Lock()

    @classmethod
    def from_cassette(cls, path: Path, skip: int = 0) -> Replay:
        """``skip``: the first interactions were answered by the fault proxy when Python recorded them (one
        per injected fault); a scripted fault answers them now."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data.get("interactions", [])[skip:])

    def __len__(self) -> int:
        return len(self._items)

    def skip_faults(self, faults: Iterable[Fault]) -> int:
        """Skip the answers the fault proxy gave when Python recorded these faults (one per fault it met, in
        order: a status fault recorded as its status, a drop or stall as a 599 fault entry, a cut stream as a
        fault-marked answer); a fault Python never reached, or one that passed through, skips nothing more."""
        skipped = 0
        with self._lock:
            for fault in faults:
                if not self._items:
                    break
                response = self._items[0].get("response", {})
                status = int(response.get("status", {}).get("code", 0))
                marked = any(k.lower() == FAULT_HEADER for k in (response.get("headers") or {}))
                if (
                    (fault.kind == "status" and status == fault.status and not marked)
                    or (fault.kind in ("drop", "stall") and status == FAULT_STATUS and marked)
                    or (fault.kind == "cut_stream" and marked and status != FAULT_STATUS)
                ):
                    self._items.popleft()
                    skipped += 1
                else:
                    break
        return skipped

    def next(self) -> Served | None:
        with self._lock:
            if not self._items:
                return None
            item = self._items.popleft()
        response = item.get("response", {})
        status = int(response.get("status", {}).get("code", 200))
        headers: list[tuple[str, str]] = []
        for name, values in (response.get("headers") or {}).items():
            for value in values if isinstance(values, list) else [values]:
                headers.append((name, str(value)))
        body = response.get("body", {}).get("string", "")
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
        served = Served(status, _shift_retry_after(headers), data, "replay")
        recorded = item.get("request", {}).get("body")
        try:
            served.recorded_request = json.loads(recorded) if recorded else None
        except (TypeError, ValueError):
            served.recorded_request = None
        recorded_fault = served.header(FAULT_HEADER)
        if recorded_fault:  # a transport error Python met: a drop (599) or a stream cut mid-way
            served.headers = [(k, v) for k, v in served.headers if k.lower() != FAULT_HEADER]
            served.fault = "drop" if status == FAULT_STATUS else "cut"
            if status == FAULT_STATUS:
                served.status, served.body = None, b""
        return served


def _shift_retry_after(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A recorded ``retry-after`` HTTP date lies in the past: move it to now, keeping its distance to ``date``."""
    out = []
    date = next((v for k, v in headers if k.lower() == "date"), None)
    for k, v in headers:
        if k.lower() == "retry-after" and v and not v.strip().replace(".", "", 1).isdigit():
            try:
                when = email.utils.parsedate_to_datetime(v).timestamp()
                sent = email.utils.parsedate_to_datetime(date or v).timestamp()
                v = email.utils.formatdate(time.time() + max(0.0, when - sent), usegmt=True)
            except (TypeError, ValueError):
                pass
        out.append((k, v))
    return out


@dataclass
class Upstream:
    """A pass-through to ``base_url`` (``.../openai/v1/``): the stand-in, or the real target when live."""

    base_url: str
    timeout: float = 600.0

    def connect(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.base_url)
        if parts.scheme == "https":
            return http.client.HTTPSConnection(
                parts.hostname or "",
                parts.port or 443,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        return http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=self.timeout)

    def path_for(self, path: str) -> str:
        """``/openai/v1/chat/completions?x`` -> the upstream's own base path + ``chat/completions?x``."""
        rest = path[len(API) :].lstrip("/") if path.startswith(API) else path.lstrip("/")
        base = urlsplit(self.base_url).path.rstrip("/")
        return f"{base}/{rest}"

    @property
    def host_header(self) -> str:
        return urlsplit(self.base_url).netloc


# --- scopes ---------------------------------------------------------------------------------------------
class Scope:
    """One call's corner of the server: its source, its fault script, its attempt log."""

    def __init__(self, server: SdkServer, token: str, source: Replay | Upstream | None) -> None:
        self.server = server
        self.token = token
        self.source = source
        self.faults: deque[Fault] = deque()
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"{self.server.url}{PREFIX}{self.token}{API}/"

    def script(self, faults: Iterable[Fault]) -> None:
        with self.lock:
            self.faults = deque(faults)

    def next_fault(self) -> Fault | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None

    def sent(self) -> list[Sent]:
        return [a.sent() for a in self.attempts]

    @property
    def misses(self) -> list[Attempt]:
        return [a for a in self.attempts if a.miss]

    def close(self) -> None:
        self.server.drop_scope(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: SdkServer


class SdkServer:
    """The server. A context manager; ``scope(source)`` opens a call's scope."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, tls: bool = False) -> None:
        self.host, self._port, self.tls = host, port, tls
        self.ca_file: str | None = None
        self._scopes: dict[str, Scope] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> SdkServer:
        if self._server is not None:
            return self
        server = _Server((self.host, self._port), type("Handler", (_Handler,), {}))
        server.owner = self
        if self.tls:
            cert, key = certificate()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            self.ca_file = cert
        self._server = server
        serve_in_background(server, f"aoai-sdks-{self.port}")
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._port = server.server_address[1]
        self._stopping.set()
        stop_serving(server)
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> SdkServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def scope(self, source: Replay | Upstream | None = None, faults: Iterable[Fault] = ()) -> Scope:
        scope = Scope(self, secrets.token_hex(8), source)
        scope.script(faults)
        with self._lock:
            self._scopes[scope.token] = scope
        return scope

    def drop_scope(self, scope: Scope) -> None:
        with self._lock:
            self._scopes.pop(scope.token, None)

    def find(self, token: str) -> Scope | None:
        with self._lock:
            return self._scopes.get(token)


# --- the handler ----------------------------------------------------------------------------------------
class _Handler(AnyMethodHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aoai-conformance-sdks"
    sys_version = ""
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the scope keeps its own log
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner._conns.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.server.owner._lock:
            self.server.owner._conns.discard(self.connection)

    def _handle(self) -> None:
        mono, wall = self._arrived
        body = self.read_body()
        token, _, rest = (
            self.path[len(PREFIX) :].partition("/") if self.path.startswith(PREFIX) else ("", "", "")
        )
        scope = self.server.owner.find(token)
        if scope is None:
            self._answer(
                Served(404, [("content-type", "application/json")], error_body("unknown call scope")), None
            )
            return
        headers: dict[str, str] = {}
        for k, v in self.headers.items():
            low = k.lower()
            headers[low] = f"{headers[low]}, {v}" if low in headers else v
        with scope.lock:
            attempt = Attempt(
                len(scope.attempts),
                mono,
                wall,
                self.command,
                "/" + rest,
                self.server.owner.url + self.path,
                headers,
                body,
            )
            scope.attempts.append(attempt)
        fault = scope.next_fault()
        kind = fault.kind if fault else "passthrough"
        if fault is not None and kind == "status":
            attempt.served = Served(*fault_answer(fault, attempt.path), source="fault")
        elif fault is not None and kind in ("drop", "stall"):
            if kind == "stall":
                self.server.owner._stopping.wait(fault.seconds or 0)
            attempt.served = Served(None, source="fault", fault=kind)
            self._hang_up(reset=fault.reset)
            return
        else:
            if fault is not None and kind == "delay":
                self.server.owner._stopping.wait(fault.seconds or 0)
            cut = fault.events if fault is not None and kind == "cut_stream" else None
            served = self._normal(scope, attempt, cut)
            if served is None:  # forwarded and relayed already (_forward logged what it served)
                return
            attempt.served = served
        if attempt.served.status is None:
            self._hang_up(reset=False)
            return
        self._answer(attempt.served, attempt)

    def _normal(self, scope: Scope, attempt: Attempt, cut: int | None) -> Served | None:
        source = scope.source
        if isinstance(source, Upstream):
            self._forward(source, attempt, cut)
            return None
        served = source.next() if isinstance(source, Replay) else None
        if served is None:
            return Served(
                MISS_STATUS,
                [("content-type", "application/json"), ("x-should-retry", "false")],
                error_body(
                    "no recorded answer left for this call (replay miss)", "aoai_conformance_replay_miss"
                ),
                "miss",
            )
        if cut is not None:
            served.body, served.fault = first_events(served.body, cut), "cut"
        return served

    # ---- answering
    def _answer(self, served: Served, attempt: Attempt | None) -> None:
        stream = (served.header("content-type") or "").startswith(
            "text/event-stream"
        ) or served.fault == "cut"
        self.send_response_only(served.status or 500)
        for k, v in served.headers:
            if k.lower() not in HOP and k.lower() != "content-encoding":
                self.send_header(k, v)
        if stream:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(served.body)))
        self.end_headers()
        start = attempt.t if attempt else time.monotonic()
        try:
            if stream:
                if served.body:
                    self._chunk(served.body)
                served.chunks.append((time.monotonic() - start, served.body))
                if served.fault == "cut":
                    self._hang_up(reset=False)
                    return
                self.wfile.write(b"0\r\n\r\n")
            elif self.command != "HEAD":
                self.wfile.write(served.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _hang_up(self, reset: bool) -> None:
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- forwarding (the stand-in, or the real target)
    def _forward(self, up: Upstream, attempt: Attempt, cut: int | None) -> None:
        served = Served(None, source="upstream")
        attempt.served = served
        conn = up.connect()
        try:
            try:
                conn.putrequest(
                    self.command, up.path_for(attempt.path), skip_host=True, skip_accept_encoding=True
                )
                for k, v in self.headers.items():
                    if k.lower() not in HOP and not (cut is not None and k.lower() == "accept-encoding"):
                        conn.putheader(k, v)
                conn.putheader("Host", up.host_header)
                if attempt.body or self.command in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", str(len(attempt.body)))
                conn.endheaders(attempt.body or None)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException):
                served.fault = "drop"
                self._hang_up(reset=False)
                return
            served.status = resp.status
            served.headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
            self.send_response_only(resp.status, resp.reason)
            for k, v in served.headers:
                self.send_header(k, v)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            counter = FirstEvents(cut) if cut is not None else None
            body = bytearray()
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                done = False
                if counter is not None:
                    data, done = counter.feed(data)
                if data:
                    body += data
                    served.chunks.append((time.monotonic() - attempt.t, data))
                    self._chunk(data)
                if done:
                    served.fault = "cut"
                    served.body = bytes(body)
                    self._hang_up(reset=False)
                    return
            served.body = bytes(body)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            conn.close()
