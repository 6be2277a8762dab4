"""Self-signed TLS certificate for localhost / 127.0.0.1, made with cryptography."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class TlsCert:
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        return server_ssl_context(self)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this certificate."""
        context = ssl.create_default_context(cafile=str(self.cert_path))
        return context


def make_cert(directory: str | Path | None = None, hostname: str = "localhost") -> TlsCert:
    """Write ``cert.pem`` and ``key.pem`` (valid for a day) into ``directory``.

    Without a directory, a new temporary one is made (the caller removes it).
    """
    directory = Path(directory or tempfile.mkdtemp(prefix="testcert-"))
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return TlsCert(cert_path=cert_path, key_path=key_path)


def server_ssl_context(cert: TlsCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    return context
