"""Service credentials and the internal tokens minted with them (services/kit/service_identity.py), against
the session's real auth service; and what `kataforge serve` hands each process."""

from __future__ import annotations

import jwt
import pytest

from services.kit.config import ConfigError, replace
from services.kit.context import Principal
from services.kit.service_identity import (ServiceCredentials, own_secret, secret_matches, service_secret)

ANN = Principal(user_id="u_ann", username="ann", role="coach", method="api_key")


def test_each_service_has_a_secret_of_its_own_that_only_the_master_secret_checks():
    assert service_secret("master", "scoring") == service_secret("master", "scoring")
    assert service_secret("master", "scoring") != service_secret("master", "pose")
    assert service_secret("master", "scoring") != service_secret("other master", "scoring")
    assert secret_matches("master", "scoring", service_secret("master", "scoring"))
    assert not secret_matches("master", "scoring", service_secret("master", "pose"))
    assert not secret_matches("", "scoring", service_secret("", "scoring"))  # no master: nothing matches


def test_a_service_without_a_credential_does_not_start(base_settings):
    bare = replace(base_settings, internal_secret="", service_secret="")
    with pytest.raises(ConfigError, match="DOJO_SERVICE_SECRET"):
        own_secret(bare, "scoring")
    assert own_secret(replace(bare, service_secret="given"), "scoring") == "given"


async def test_tokens_are_kept_per_caller_and_audience_until_near_expiry(base_settings, auth_service):
    credentials = ServiceCredentials.from_settings(base_settings, "scoring")
    try:
        first = await credentials.token(ANN, "coach")
        assert await credentials.token(ANN, "coach") == first  # kept, not minted again
        claims = jwt.decode(first, options={"verify_signature": False})
        assert (claims["aud"], claims["sub"], claims["azp"]) == ("kataforge-coach", "u_ann", "scoring")
        assert await credentials.token(ANN, "pose") != first
        other = Principal(user_id="u_bob", username="bob", role="student", method="jwt")
        assert jwt.decode(await credentials.token(other, "coach"), options={"verify_signature": False})["sub"] == "u_bob"
        credentials._kept[(ANN, "coach")] = (first, 0.0)  # as if it expired: minted again
        assert await credentials.token(ANN, "coach") != first
    finally:
        await credentials.close()
