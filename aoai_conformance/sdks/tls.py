"""TLS for the SDK server: a self-signed certificate for 127.0.0.1, made once per process."""

from __future__ import annotations

import atexit
import shutil
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
