"""Nightly runs behind a corporate proxy with a private CA: HTTPS_PROXY and SSL_CERT_FILE are honoured.

The stand-in is put behind a TLS terminator whose certificate comes from a throwaway trustme CA, and the live run
reaches it through a local forward proxy that only speaks CONNECT and logs every tunnel. The run is a real
``aoai-conformance run --mode live --target endpoint`` in a subprocess, configured by environment alone, as the
nightly workflow configures it (docs/NIGHTLY.md, "Proxy and custom CA").
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from aoai_conformance.sdks.tls import TLSFront, splice
from aoai_conformance.standin import StandIn

trustme = pytest.importorskip("trustme", reason="trustme (the test extra) makes the throwaway CA")

REPO = Path(__file__).resolve().parent.parent
KEY = "proxy-tls-key"
CHAT = str(REPO / "suites" / "test_chat.py")


class _Server:
    """A 127.0.0.1 listener on a free port that hands each connection to ``handle`` on its own thread."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._guard, args=(conn,), daemon=True).start()

    def _guard(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except (OSError, ssl.SSLError):
            conn.close()

    def handle(self, conn: socket.socket) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close() alone does not)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)


class ConnectProxy(_Server):
    """A forward proxy that only tunnels (CONNECT host:port), logging each request line."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def handle(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.log.append(line)
        method, target, _ = line.split(" ", 2)
        if method != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()
            return
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        splice(conn, upstream)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = trustme.CA()
    pem = tmp_path_factory.mktemp("ca") / "corporate-ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    return authority, pem


@pytest.fixture(scope="module")
def https_standin(ca):
    authority, _ = ca
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    with StandIn(api_key=KEY) as standin, TLSFront(standin.port, context=ctx) as front:
        yield front


@pytest.fixture
def proxy():
    with ConnectProxy() as p:
        yield p


def _env(front: TLSFront, proxy: ConnectProxy, reports: Path, **extra: str) -> dict[str, str]:
    drop = (
        "AZURE_",
        "OPENAI_",
        "AOAI_CONFORMANCE_",
        "PYTEST_XDIST",
        "SSL_CERT_",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(drop)
        and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    }
    env.update(
        AZURE_OPENAI_ENDPOINT=f"https://localhost:{front.port}/openai/v1",
        AZURE_OPENAI_API_KEY=KEY,
        HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}",
        AOAI_CONFORMANCE_REPORTS_DIR=str(reports),
        **extra,
    )
    return env


def _run(env: dict[str, str], keyword: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "aoai_conformance.cli",
        "run",
        "--mode",
        "live",
        "--target",
        "endpoint",
        CHAT,
        "-k",
        keyword,
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def _cases(reports: Path) -> list[dict]:
    return json.loads((reports / "results.json").read_text())["cases"]


def test_live_run_through_https_proxy_with_custom_ca_passes(https_standin, proxy, ca, tmp_path):
    _, pem = ca
    r = _run(_env(https_standin, proxy, tmp_path, SSL_CERT_FILE=str(pem)), "test_chat_completion and key")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    cases = _cases(tmp_path)
    assert cases and {c["status"] for c in cases} <= {"pass", "doc-sdk-difference"}, [
        (c["id"], c["status"], c.get("failure")) for c in cases
    ]
    assert any(c["test"] == "test_chat_completion" and c["params"]["auth"] == "key" for c in cases)
    assert f"CONNECT localhost:{https_standin.port} HTTP/1.1" in proxy.log, proxy.log
    assert all(line.startswith("CONNECT ") for line in proxy.log)


def test_without_the_ca_the_run_fails_with_a_tls_error(https_standin, proxy, tmp_path, ca):
    # requests' and curl's variables are set to the CA too: the SDK's HTTP library does not read them.
    _, pem = ca
    env = _env(https_standin, proxy, tmp_path, REQUESTS_CA_BUNDLE=str(pem), CURL_CA_BUNDLE=str(pem))
    before = len(https_standin.handshake_errors)
    r = _run(env, "test_chat_completion and key and not (prompt or stream or image or reasoning)")
    assert r.returncode == 1, (r.stdout + r.stderr)[-3000:]
    (case,) = _cases(tmp_path)
    assert case["status"] == "fail"
    assert case["failure"]["promise"] == "http.connection", case["failure"]
    assert "CERTIFICATE_VERIFY_FAILED" in case["failure"]["message"], case["failure"]["message"]
    assert any(line.startswith(f"CONNECT localhost:{https_standin.port}") for line in proxy.log)
    assert len(https_standin.handshake_errors) > before
