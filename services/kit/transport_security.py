"""Mutual TLS between services, optional: DOJO_TLS_CERT, DOJO_TLS_KEY and DOJO_TLS_CA (PEM files).

With all three set, every gRPC server of the kit listens with TLS and asks each caller for a certificate
signed by the CA (a caller without one cannot even connect), and every channel the kit makes presents the
process's own certificate and accepts only servers signed by that CA. A deployment whose mesh already does
mTLS (Istio, Linkerd) leaves them unset. None set: plaintext, as on one machine. Tokens are verified either
way (services/kit/tokens.py): TLS says which process is at the other end, the token who is calling.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import grpc

from services.kit.config import ConfigError, Settings

_NAMES = ("DOJO_TLS_CERT", "DOJO_TLS_KEY", "DOJO_TLS_CA")


@dataclass(frozen=True, repr=False)
class TlsIdentity:
    """A process's certificate chain and key, and the CA its peers must be signed by (PEM bytes)."""

    cert: bytes
    key: bytes
    ca: bytes

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.key, self.cert)], root_certificates=self.ca,
                                           require_client_auth=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=self.key,
                                            certificate_chain=self.cert)


@functools.cache
def _read(cert: str, key: str, ca: str) -> TlsIdentity:
    parts = []
    for name, path in zip(_NAMES, (cert, key, ca)):
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read {path!r}: {exc.strerror}") from exc
        if b"-----BEGIN " not in data:
            raise ConfigError(f"{name}: {path!r} is not a PEM file")
        parts.append(data)
    return TlsIdentity(*parts)


def identity(settings: Settings) -> TlsIdentity | None:
    """The process's TLS identity, or None for plaintext; a ConfigError names what is missing or unreadable."""
    given = (settings.tls_cert, settings.tls_key, settings.tls_ca)
    if not any(given):
        return None
    if not all(given):
        missing = [name for name, value in zip(_NAMES, given) if not value]
        raise ConfigError(f"mutual TLS needs all of {', '.join(_NAMES)}; missing: {', '.join(missing)}")
    return _read(*given)
