"""What the own tests of the other-SDK drivers share: the build (skip with its reason), the package's driver
manager with what only a test needs, one request's fields, and a scripted server that logs every attempt.

The driver is :class:`aoai_conformance.sdks.driver.Driver` itself, so these tests run the real manager. What it
lacks for a test lives here: a clean environment (the manager adds ``env`` to the harness's own, a test must
not inherit a real resource's variables), the exit code on close, every stdout and stderr line (the secrets
tests), and a pipelined ``send`` / ``read`` (the order test).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aoai_conformance.sdks import driver as manager
from aoai_conformance.serving import serve_in_background, stop_serving
from conftest import clean_env

DRIVERS = Path(__file__).resolve().parent.parent / "drivers"
SCOPE = "https://cognitiveservices.azure.com/.default"
# the toolchain each build needs, and the files whose change makes a build stale
TOOLS = {"node": ("node", "npm"), "go": ("go",), "java": ("java", "mvn")}
SOURCES = {
    "node": ("package.json", "package-lock.json"),
    "go": ("*.go", "go.mod", "go.sum"),
    "java": ("pom.xml", "src/**/*"),
}


def built(sdk: str) -> Path:
    """The driver's folder, built and up to date; skip with the reason when it cannot be."""
    folder = DRIVERS / sdk
    missing = [tool for tool in TOOLS[sdk] if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{sdk} driver not run: {', '.join(missing)} not on PATH")
    if not (folder / "build").exists():
        pytest.skip(f"{sdk} driver not run: drivers/{sdk}/build does not exist yet")
    target = folder / manager.SPECS[sdk].built(sdk, "")
    sources = [f for pattern in SOURCES[sdk] for f in folder.glob(pattern) if f.is_file()]
    if not target.exists() or max(f.stat().st_mtime for f in sources) > target.stat().st_mtime:
        proc = subprocess.run(
            [str(folder / "build")], cwd=folder, capture_output=True, text=True, timeout=900, env=clean_env()
        )
        if proc.returncode != 0 or not target.exists():
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            pytest.skip(f"{sdk} driver not run: its build failed: {last[0]}")
    return folder


def request(base_url: str | None, params: Any, /, **fields: Any) -> dict[str, Any]:
    """One request (drivers/PROTOCOL.md): a chat completion, API-key auth, no retries, a 30 s watchdog, unless
    ``fields`` say otherwise."""
    return {
        "call": "chat.completions.create",
        "stream": False,
        "auth": "key",
        "client": "sync",
        "base_url": base_url,
        "api_key": "fake-key",
        "token": "fake-token",
        "scope": SCOPE,
        "params": params,
        "options": {"max_retries": 0, "timeout_ms": 20000},
        "deadline_ms": 30000,
        "accessors": [],
        **fields,
    }


class Driver(manager.Driver):
    """The manager's driver, started in a clean environment (plus ``env``), with ``defaults`` for each request."""

    def __init__(self, sdk: str, env: dict[str, str] | None = None, **defaults: Any) -> None:
        super().__init__(sdk, env=env, folder=built(sdk))
        self.defaults = defaults
        self.lines: list[str] = []  # every stdout line
        self.stderr: list[str] = []  # every stderr line
        self._drained = threading.Event()

    def start(self) -> dict[str, Any]:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(clean_env(**self.extra_env))  # the manager reads the matrix version from it
        try:
            return super().start()
        except manager.NotRun as exc:
            pytest.skip(f"{self.sdk} driver not run: {exc}")
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def call(
        self, base_url: str | None, params: Any = None, timeout: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """One request with this driver's defaults, its result (the manager's when the driver breaks)."""
        fields = {**self.defaults, **fields}
        default = fields.pop("params", None)
        return self.request(request(base_url, default if params is None else params, **fields), timeout)

    def send(self, req: dict[str, Any]) -> str:
        """Write a request without waiting for its result (pipelining); its id."""
        if not self.alive:
            self.start()
        self._ids += 1
        rid = str(self._ids)
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({**req, "id": rid}) + "\n")
        self._proc.stdin.flush()
        return rid

    def read(self, timeout: float = 60) -> dict[str, Any]:
        line = self._read(timeout)
        assert line, f"no line from the {self.sdk} driver in {timeout} s{self._last_stderr()}"
        return json.loads(line)

    def close(self) -> int | None:  # type: ignore[override]  # the exit code, for EOF-ends-cleanly checks
        proc = self._proc
        super().close()
        if proc is None:
            return None
        self._drained.wait(5)  # the last stderr lines, for the secrets tests
        return proc.returncode

    def _read(self, timeout: float) -> str | None:
        line = super()._read(timeout)
        if line:
            self.lines.append(line)
        return line

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self._drained.clear()
        for line in proc.stderr:
            self.stderr.append(line)
            if line.strip():
                self._stderr.append(line.rstrip())
        self._drained.set()


def started(sdk: str, env: dict[str, str] | None = None, **defaults: Any) -> Driver:
    d = Driver(sdk, env, **defaults)
    d.start()
    return d


# --- a scripted server: each path token answers its own replies (the last one repeats), every attempt logged --
@dataclass
class Reply:
    """``body``: a dict is sent as JSON, bytes as they are (an SSE stream unless ``content_type`` says else).
    ``cut``: promise more bytes than the body, then close; ``stall``: hold the connection that long first."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    cut: bool = False
    stall: float = 0


@dataclass
class Attempt:
    at: float
    token: str
    path: str
    headers: dict[str, str]
    body: Any


NOT_FOUND = Reply(
    404, {"error": {"code": "DeploymentNotFound", "message": "The API deployment does not exist."}}
)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gives up on a kept-alive connection resets it: no traceback for that


class Scripted:
    """127.0.0.1, port 0, HTTP/1.1 keep-alive like Azure. ``Scripted(*replies)`` answers ``base_url``;
    ``script(token, *replies)`` gives ``/p/<token>/openai/v1/`` its own. ``tls``: a server-side SSL context."""

    def __init__(self, *replies: Reply, tls: ssl.SSLContext | None = None) -> None:
        self.scripts: dict[str, list[Reply]] = {"": list(replies)}
        self.attempts: list[Attempt] = []
        self.scheme = "https" if tls else "http"
        self.stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                parts = self.path.split("/")
                token = parts[2] if len(parts) > 2 and parts[1] == "p" else ""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.attempts.append(Attempt(time.monotonic(), token, self.path, headers, body))
                replies = owner.scripts.get(token) or [NOT_FOUND]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                raw_body = isinstance(reply.body, bytes)
                data = (
                    reply.body if raw_body else b"" if reply.body is None else json.dumps(reply.body).encode()
                )
                kind = reply.content_type
                if kind is None:
                    kind = "text/event-stream" if raw_body else "application/json"
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data) + (500 if reply.cut else 0)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                if reply.stall:
                    owner.stopping.wait(reply.stall)
                if reply.cut:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Quiet(("127.0.0.1", 0), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        serve_in_background(self.server, "driver-tests-scripted")

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/openai/v1/"

    def script(self, token: str, *replies: Reply) -> str:
        self.scripts[token] = list(replies)
        return f"{self.scheme}://127.0.0.1:{self.port}/p/{token}/openai/v1/"

    def of(self, token: str) -> list[Attempt]:
        return [a for a in self.attempts if a.token == token]

    def close(self) -> None:
        self.stopping.set()
        stop_serving(self.server)

    def __enter__(self) -> Scripted:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
