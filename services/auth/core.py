"""The auth operations, one method per RPC, composed from the rule modules (no gRPC here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import asyncpg
from cachetools import TTLCache

from services.auth import apikeys, keys, passwords, refresh, reset, throttle, tokens, users
from services.auth.mailer import Mailer
from services.kit.config import Settings
from services.kit import errors
from services.kit.context import Principal
from services.kit.errors import InvalidRequest, Unauthorized
from services.kit.gateway import TRANSCODED_SERVICES as GATEWAY_AUDIENCES
from services.kit.service_identity import MAY_CALL, secret_matches
from services.kit.tokens import API_KEY_KEPT_SECONDS, API_KEYS_KEPT, METHODS, ROLES

LOGIN_FAILED = "Invalid username or password"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    token_type: str = "bearer"


@dataclass
class AuthCore:
    pool: asyncpg.Pool
    settings: Settings
    keyring: keys.Keyring
    mailer: Mailer
    static_keys: apikeys.StaticKeys
    # Internal tokens exchanged for API keys, by (the key's SHA-256, audience): Envoy asks for every call, and a
    # client's stream of calls then costs one key lookup and one RS256 signature every few seconds, not one each
    # (and the backend verifies the same token from its cache). Kept no longer than the edge keeps a verified key.
    exchanged: TTLCache = field(default_factory=lambda: TTLCache(maxsize=API_KEYS_KEPT, ttl=API_KEY_KEPT_SECONDS))

    @classmethod
    def create(cls, pool: asyncpg.Pool, settings: Settings, mailer: Mailer) -> "AuthCore":
        return cls(pool, settings, keys.Keyring(pool), mailer, apikeys.StaticKeys(settings.all_api_keys()))

    async def register(self, username: str, email: str, password: str, full_name: str, role: str) -> users.User:
        users.check_username(username)
        users.check_email(email)
        passwords.validate(password)
        users.check_full_name(full_name)
        role = users.check_role(role)
        password_hash = await passwords.hash_password(password)
        return await users.insert(self.pool, username=username, email=email, full_name=full_name, role=role,
                                  password_hash=password_hash)

    async def _tokens(self, user: users.User, refresh_token: str) -> TokenPair:
        key = await self.keyring.active()
        access = tokens.issue_access_token(self.settings, key, user_id=user.id, username=user.username,
                                           role=user.role)
        return TokenPair(access_token=access, expires_in=self.settings.access_token_ttl, refresh_token=refresh_token)

    async def login(self, username: str, password: str) -> TokenPair:
        user = await users.by_username(self.pool, username) if username else None

        async def attempt() -> bool:  # an unknown user costs one dummy verification, like a real one
            return await passwords.verify(user.password_hash if user else None, password)

        if not await throttle.guarded(self.pool, username, self.settings, attempt):
            raise Unauthorized(LOGIN_FAILED)
        assert user is not None
        if passwords.needs_rehash(user.password_hash):
            user = await users.update(self.pool, user.id, password_hash=await passwords.hash_password(password))
        family_token = await refresh.start_family(self.pool, user.id, self.settings.refresh_token_ttl)
        return await self._tokens(user, family_token)

    async def refresh(self, refresh_token: str) -> TokenPair:
        if not refresh_token:
            raise Unauthorized("Invalid refresh token")
        rotated = await refresh.rotate(self.pool, refresh_token, self.settings.refresh_token_ttl)
        user = await users.by_id(self.pool, rotated.user_id)
        if user is None:
            raise Unauthorized("User no longer exists")
        return await self._tokens(user, rotated.token)

    async def logout(self, refresh_token: str) -> None:
        if not refresh_token:
            raise Unauthorized("Invalid refresh token")
        await refresh.logout(self.pool, refresh_token)

    async def profile(self, principal: Principal | None) -> users.User:
        return await users.me(self.pool, principal)

    async def update_profile(self, principal: Principal | None, *, email: str | None, full_name: str | None,
                             password: str | None, current_password: str | None) -> users.User:
        user = await users.me(self.pool, principal)
        changes: dict[str, str] = {}
        if email is not None:
            users.check_email(email)
            changes["email"] = email
        if full_name is not None:
            users.check_full_name(full_name)
            changes["full_name"] = full_name
        if password is not None:
            passwords.validate(password)
            if not current_password:
                raise InvalidRequest("The current password is needed to set a new one",
                                     details={"current_password": "required to change the password"})
            # Counted by the login throttle too: a stolen access token must not become a password oracle.
            ok = await throttle.guarded(self.pool, user.username, self.settings,
                                        lambda: passwords.verify(user.password_hash, current_password))
            if not ok:
                raise Unauthorized("Current password is incorrect")
            changes["password_hash"] = await passwords.hash_password(password)
        if not changes:
            return user
        async with self.pool.acquire() as conn, conn.transaction():
            updated = await users.update(conn, user.id, **changes)
            if "password_hash" in changes:
                await refresh.revoke_user(conn, user.id, "password_change")
        return updated

    async def forgot_password(self, email: str) -> str:
        await reset.request(self.pool, self.mailer, email, self.settings.reset_token_ttl)
        return reset.GENERIC_MESSAGE

    async def reset_password(self, token: str, password: str) -> None:
        await reset.reset(self.pool, token, password)

    async def create_api_key(self, principal: Principal | None, name: str) -> tuple[apikeys.ApiKey, str]:
        user = await users.me(self.pool, principal)
        return await apikeys.create(self.pool, user.id, name)

    async def list_api_keys(self, principal: Principal | None) -> list[apikeys.ApiKey]:
        user = await users.me(self.pool, principal)
        return await apikeys.list_for(self.pool, user.id)

    async def revoke_api_key(self, principal: Principal | None, key_id: str) -> None:
        if principal is None:
            raise Unauthorized("Authentication required")
        if not principal.is_admin:  # admins (static operator keys included) may revoke any key
            await users.me(self.pool, principal)
        await apikeys.revoke(self.pool, key_id, principal)
        self.exchanged.clear()  # a key revoked here is refused here at once

    async def jwks(self) -> list[dict[str, str]]:
        # Retired keys stay published for one access-token lifetime (+1 min of margin).
        return await keys.public_jwks(self.pool, self.settings.access_token_ttl + 60)

    async def verify_api_key(self, key: str) -> Principal:
        return await apikeys.verify(self.pool, self.static_keys, key)

    async def exchange_api_key(self, key: str, audience: str) -> str:
        """For a gateway that only transcodes (Envoy, services/auth/envoy_authz.py): an internal token for the
        one service a call goes to, standing for the key's owner; Unauthorized for a bad key. It gives the
        holder of a valid key no more than the key itself does: that user, on that service, for 5 minutes."""
        if audience not in GATEWAY_AUDIENCES:
            raise errors.Forbidden(f"No gateway calls the {audience} service", details={"audience": audience})
        kept = (hashlib.sha256(key.encode()).digest(), audience)  # never the key itself
        token = self.exchanged.get(kept)
        if token is None:
            subject = await self.verify_api_key(key)
            signing = await self.keyring.active()
            token = tokens.issue_internal_token(self.settings, signing, subject=subject, audience=audience,
                                                issued_to="gateway")
            self.exchanged[kept] = token  # only for keys that verified (a refusal raised above)
        return token

    async def issue_internal_token(self, service: str, secret: str, subject: Principal, audience: str) -> str:
        """A token for `service` to call `audience` as `subject`: only with the service's own credential, and
        only for the services it calls (service_identity.MAY_CALL)."""
        if not secret_matches(self.settings.internal_secret, service, secret):
            raise errors.Unauthorized("Unknown service credential")
        if audience not in MAY_CALL.get(service, ()):
            raise errors.Forbidden(f"The {service} service does not call the {audience} service",
                                   details={"audience": f"one of {', '.join(MAY_CALL.get(service, ())) or 'none'}"})
        if not subject.user_id or subject.role not in ROLES or subject.method not in METHODS:
            raise errors.InvalidRequest("The subject needs a user id, a known role and a known method",
                                        details={"subject": "user_id, role and method"})
        key = await self.keyring.active()
        return tokens.issue_internal_token(self.settings, key, subject=subject, audience=audience, issued_to=service)
