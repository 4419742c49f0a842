"""HTTPS in front of the stand-in, for the SDKs that will not send a credential over plain HTTP (Go's azcore
bearer-token policy: "authorized requests are not permitted for non-TLS protected (https) endpoints").

The certificate is a throwaway self-signed one for 127.0.0.1, made by ``openssl`` per run; the client trusts it
through ``SSL_CERT_FILE``. Bytes are spliced both ways to the stand-in's plain port; nothing leaves loopback.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Optional


def make_certificate(folder: Path) -> Optional[tuple[Path, Path]]:
    """(certificate, key) for 127.0.0.1, or None when openssl is missing or fails."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "standin-cert.pem", folder / "standin-key.pem"
    args = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    return (cert, key) if done.returncode == 0 else None


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TLSFront:
    """Accepts TLS on 127.0.0.1 (port 0) and forwards each connection to the stand-in's plain port."""

    def __init__(self, cert: Path, key: Path, upstream_port: int):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.upstream_port = upstream_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            t.start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
        except (OSError, ssl.SSLError):
            conn.close()
            return
        self._conns += [tls, up]
        back = threading.Thread(target=_pipe, args=(up, tls), daemon=True)
        back.start()
        _pipe(tls, up)
        back.join(timeout=5)
        tls.close()
        up.close()

    def __enter__(self) -> "TLSFront":
        t = threading.Thread(target=self._serve, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        except OSError:
            pass
        self.sock.close()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)
