"""The one way the project's local servers (stand-in, fault proxy) run: on 127.0.0.1, served from a daemon
thread, stopped cleanly."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler
from socketserver import BaseServer
from typing import Any


def serve_in_background(server: BaseServer, name: str) -> threading.Thread:
    """Serve ``server`` from a daemon thread (a short poll interval, so stop() returns at once)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread


def stop_serving(server: BaseServer) -> None:
    """Stop the serve loop, then close the listening socket."""
    server.shutdown()
    server.server_close()


class AnyMethodHandler(BaseHTTPRequestHandler):
    """The request side the project's servers share: every method goes to ``_handle``, the arrival time is taken
    when the request line is read (not when a kept-alive connection started idling), a client that hangs up ends
    its connection quietly, and a body is read whole, chunked or by length."""

    _arrived: tuple[float, float]  # (monotonic, wall) when the request line was read

    def parse_request(self) -> bool:
        self._arrived = (time.monotonic(), time.time())
        return super().parse_request()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (OSError, ssl.SSLError, socket.timeout):  # ConnectionError and BrokenPipeError are OSErrors
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        raise NotImplementedError

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                if not size_line:
                    raise ConnectionError("client closed during a chunked body")
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""
