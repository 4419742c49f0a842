"""TLS on loopback, once for the package: a self-signed certificate for 127.0.0.1 made once per process (the SDK
server's, the docs' Go snippets' and the own tests'), and an https front for a plain-http server."""

from __future__ import annotations

import atexit
import shutil
import socket
import ssl
import tempfile
import threading
from pathlib import Path

_cert: tuple[str, str] | None = None
_cert_lock = threading.Lock()


def certificate() -> tuple[str, str]:
    """(certificate file, key file): a self-signed certificate for 127.0.0.1 and localhost, made once per
    process with ``cryptography`` (azure-identity's dependency). The certificate file is what a driver trusts
    (Go: SSL_CERT_FILE, Node: NODE_EXTRA_CA_CERTS)."""
    global _cert
    with _cert_lock:
        if _cert is not None:
            return _cert
        import datetime as dt
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aoai-conformance local server")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(prefix="aoai-conformance-tls-"))
        atexit.register(shutil.rmtree, folder, True)  # the key never outlives the process
        cert_file, key_file = folder / "cert.pem", folder / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
        _cert = (str(cert_file), str(key_file))
        return _cert


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


def splice(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways between two connected sockets until both sides are done, then close them."""
    back = threading.Thread(target=_pipe, args=(b, a), daemon=True)
    back.start()
    _pipe(a, b)
    back.join(timeout=5)
    a.close()
    b.close()


class TLSFront:
    """https on 127.0.0.1 (port 0) in front of a plain-http server on the same host (the stand-in): each
    connection is spliced both ways, nothing leaves loopback. The certificate is ``certificate()``'s, which a
    client trusts through SSL_CERT_FILE (Go) or NODE_EXTRA_CA_CERTS (Node). A context manager, or close()."""

    def __init__(self, upstream_port: int, context: ssl.SSLContext | None = None):
        # context: another certificate (a test's private CA); by default certificate()'s.
        if context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate())
        self.ctx = context
        self.handshake_errors: list[str] = []  # a client that refused the certificate shows here
        self.upstream_port = upstream_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

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
        except (OSError, ssl.SSLError) as exc:
            self.handshake_errors.append(repr(exc))
            conn.close()
            return
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            tls.close()
            return
        self._conns += [tls, up]
        splice(tls, up)

    def __enter__(self) -> "TLSFront":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
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
        self._thread.join(timeout=5)
