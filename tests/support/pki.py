"""Throw-away certificate authorities for every test server: the API server, the registries, the
fault proxy, and the node. One helper, so that a certificate is made one way everywhere.

ECDSA P-256 by default (generation is instant); RSA where a peer needs it (distribution's token
auth verifies RS256 signatures against an RSA certificate).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = ("127.0.0.1", "localhost")


def new_key(kind: str = "ec") -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_key_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(hosts: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


@dataclass
class Issued:
    """A certificate and its key."""

    certificate: x509.Certificate
    key: Any

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        """FOLDER/STEM.crt and FOLDER/STEM.key (mode 0600)."""
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = folder / f"{stem}.crt", folder / f"{stem}.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(key_pem(self.key))
        key.chmod(0o600)
        return cert, key


class CertificateAuthority:
    """A CA valid for two days, issuing server, client and plain signing certificates."""

    def __init__(self, common_name: str = "kubectl-pullsecret test CA", kind: str = "ec") -> None:
        self.kind = kind
        self._now = dt.datetime.now(dt.timezone.utc)
        self.key = new_key(kind)
        self.name = _name(common_name)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - dt.timedelta(hours=1))
            .not_valid_after(self._now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.cert_pem)
        return path

    def issue(
        self,
        common_name: str,
        *,
        hosts: tuple[str, ...] = (),
        usage: str | None = "server",
        organizations: tuple[str, ...] = (),
    ) -> Issued:
        """A leaf. `usage`: "server" (with `hosts` as SANs), "client" (organizations become
        Kubernetes groups), or None: no extended key usage at all, which Go's x509.Verify
        needs for a token-signing certificate (it otherwise demands ServerAuth)."""
        key = new_key(self.kind)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organizations))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - dt.timedelta(hours=1))
            .not_valid_after(self._now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        if hosts:
            builder = builder.add_extension(x509.SubjectAlternativeName(_san(hosts)), False)
        if usage == "server":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
            )
        elif usage == "client":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False
            )
        return Issued(builder.sign(self.key, hashes.SHA256()), key)


@dataclass
class ServerTls:
    """A CA file and one serving certificate, as a test server needs them."""

    ca_cert: Path
    cert: Path
    key: Path

    @classmethod
    def create(
        cls, folder: Path, hosts: tuple[str, ...] = LOOPBACK, common_name: str = "127.0.0.1"
    ) -> ServerTls:
        ca = CertificateAuthority()
        cert, key = ca.issue(common_name, hosts=hosts).write(folder, "tls")
        return cls(ca.write(folder / "ca.crt"), cert, key)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context
