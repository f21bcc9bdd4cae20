"""A service's identity toward the others: its own credential, the internal tokens it calls them with, and
the JWKS it verifies their tokens with.

Credential. Every service proves who it is to the auth service with a secret of its own,
DOJO_SERVICE_SECRET = HMAC-SHA256(DOJO_INTERNAL_SECRET, its name). The auth service holds
DOJO_INTERNAL_SECRET and so checks any of them; a service holds only its own, so a compromised pose pod
cannot obtain tokens as scoring. `kataforge serve` makes a fresh DOJO_INTERNAL_SECRET per run (unless one
is set) and gives each process its own secret; on Kubernetes both come from Secrets. A process given
DOJO_INTERNAL_SECRET alone derives its own secret (tests, services run in one process).

Internal tokens. `ServiceCredentials.token(principal, audience)`: a token for calling `audience` on behalf
of `principal` (a caller this service verified, or the owner of a job it runs), minted by the auth
service's IssueInternalToken (RS256, aud "kataforge-<audience>", 5 minutes) and kept until a minute
before it expires. The auth service refuses audiences outside MAY_CALL for the asking service.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.json_format import MessageToDict

from services.kit.config import ConfigError, Settings
from services.kit.context import Principal

if TYPE_CHECKING:
    from services.kit.transport_security import TlsIdentity

SERVICE_HEADER = "x-kataforge-service"
SECRET_HEADER = "x-kataforge-service-secret"
# The services each service calls, so the only audiences it may get tokens for.
MAY_CALL: dict[str, tuple[str, ...]] = {"edge": ("auth", "coach", "pose", "scoring"), "scoring": ("coach", "pose"),
                                        "coach": ("pose",)}
RENEW_BEFORE_S = 60.0  # a kept token is renewed when it has less than this left
MAX_KEPT = 10_000      # tokens kept per process (one per caller and audience); beyond it, the expired go
TOKEN_TIMEOUT_S = 10.0


def service_secret(internal_secret: str, name: str) -> str:
    """The credential of service `name` (hex), derived from the deployment's internal secret."""
    return hmac.new(internal_secret.encode(), f"kataforge-service:{name}".encode(), hashlib.sha256).hexdigest()


def secret_matches(internal_secret: str, name: str, secret: str) -> bool:
    """Whether `secret` is service `name`'s credential (in constant time)."""
    return bool(internal_secret and name and secret) and hmac.compare_digest(
        service_secret(internal_secret, name), secret)


def own_secret(settings: Settings, name: str) -> str:
    if settings.service_secret:
        return settings.service_secret
    if settings.internal_secret:
        return service_secret(settings.internal_secret, name)
    raise ConfigError(f"The {name} service has no service credential: set DOJO_SERVICE_SECRET (its own, from "
                      "the deployment's secrets) or DOJO_INTERNAL_SECRET; `kataforge serve` sets them itself")


class ServiceCredentials:
    """The tokens one service calls the others with (one instance per service)."""

    def __init__(self, name: str, secret: str, auth_addr: str, tls: "TlsIdentity | None" = None) -> None:
        self.name, self.secret, self.auth_addr = name, secret, auth_addr
        self.tls = tls  # the process's mutual-TLS identity, for every channel made with these credentials
        self._channel: grpc.aio.Channel | None = None
        self._kept: dict[tuple[Principal, str], tuple[str, float]] = {}
        self._locks: dict[tuple[Principal, str], asyncio.Lock] = {}

    @classmethod
    def from_settings(cls, settings: Settings, name: str) -> "ServiceCredentials":
        from services.kit.transport_security import identity

        return cls(name, own_secret(settings, name), settings.auth_addr, identity(settings))

    def _stub(self):
        from kataforge.auth.v1 import auth_pb2_grpc
        from services.kit.channels import channel  # its calls carry no token: this is where tokens come from

        if self._channel is None:
            self._channel = channel(self.auth_addr, tls=self.tls)
        return auth_pb2_grpc.AuthServiceStub(self._channel)

    async def token(self, principal: Principal, audience: str) -> str:
        key = (principal, audience)
        kept = self._kept.get(key)
        if kept is not None and kept[1] - time.monotonic() > RENEW_BEFORE_S:
            return kept[0]
        async with self._locks.setdefault(key, asyncio.Lock()):  # one request per caller and audience at a time
            kept = self._kept.get(key)
            if kept is not None and kept[1] - time.monotonic() > RENEW_BEFORE_S:
                return kept[0]
            token, expires_in = await self._issue(principal, audience)
            if len(self._kept) >= MAX_KEPT:
                now = time.monotonic()
                self._kept = {k: v for k, v in self._kept.items() if v[1] > now}
                self._locks = {k: v for k, v in self._locks.items() if k in self._kept}
            self._kept[key] = (token, time.monotonic() + expires_in)
            return token

    async def _issue(self, principal: Principal, audience: str) -> tuple[str, float]:
        from kataforge.auth.v1 import auth_pb2
        from services.kit.grpc_errors import from_rpc_error

        request = auth_pb2.IssueInternalTokenRequest(audience=audience, subject=auth_pb2.Principal(
            user_id=principal.user_id, username=principal.username, role=principal.role, method=principal.method))
        try:
            reply = await self._stub().IssueInternalToken(
                request, metadata=((SERVICE_HEADER, self.name), (SECRET_HEADER, self.secret)),
                timeout=TOKEN_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return reply.token, float(reply.expires_in)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


def jwks_from_auth(auth_addr: str, tls: "TlsIdentity | None" = None):
    """A JWKS source for services.kit.tokens.TokenVerifier: the auth service's GetJwks (over mutual TLS
    with `tls`)."""
    state: dict[str, Any] = {}

    async def fetch() -> dict[str, Any]:
        from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
        from services.kit.channels import channel
        from services.kit.grpc_errors import from_rpc_error

        if "channel" not in state:
            state["channel"] = channel(auth_addr, tls=tls)
        try:
            reply = await auth_pb2_grpc.AuthServiceStub(state["channel"]).GetJwks(auth_pb2.GetJwksRequest(),
                                                                                   timeout=TOKEN_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return MessageToDict(reply, preserving_proto_field_name=True)

    return fetch
