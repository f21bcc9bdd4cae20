"""Forgot/reset password: generic answer, token mailed to the outbox only, single use, expiry."""

from __future__ import annotations

import email
import json
from pathlib import Path

import pytest

from services.auth import reset
from services.auth.mailer import Mail, OutboxMailer
from services.kit.errors import InvalidRequest, Unauthorized
from testkit.auth_users import PASSWORD, register, unique

NEW_PASSWORD = "a whole new secret"


def mailed(outbox: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(outbox.glob("*.json"))] if outbox.exists() else []


async def test_same_answer_whether_or_not_the_email_exists(core, outbox):
    user = await register(core)
    known = await core.forgot_password(user.email)
    unknown = await core.forgot_password(f"{unique()}@example.com")
    assert known == unknown == reset.GENERIC_MESSAGE
    messages = mailed(outbox)
    assert len(messages) == 1 and messages[0]["to"] == user.email
    token = messages[0]["data"]["reset_token"]
    assert token not in known


async def test_reset_sets_password_once_and_ends_sessions(core, outbox, pool):
    user = await register(core)
    session = await core.login(user.username, PASSWORD)
    await core.forgot_password(user.email.upper())
    token = mailed(outbox)[0]["data"]["reset_token"]
    assert await pool.fetchval("SELECT count(*) FROM password_resets WHERE token_hash = $1", token.encode()) == 0
    await core.reset_password(token, NEW_PASSWORD)
    await core.login(user.username, NEW_PASSWORD)
    with pytest.raises(Unauthorized):
        await core.refresh(session.refresh_token)
    with pytest.raises(InvalidRequest) as err:
        await core.reset_password(token, "yet another password")
    assert err.value.message == "Reset token is invalid or expired"


async def test_expired_and_unknown_tokens_rejected(core, outbox, pool):
    user = await register(core)
    await core.forgot_password(user.email)
    token = mailed(outbox)[0]["data"]["reset_token"]
    await pool.execute("UPDATE password_resets SET expires_at = now() - interval '1 second' "
                       "WHERE user_id = $1::uuid", user.id)
    for bad in (token, "made-up", ""):
        with pytest.raises(InvalidRequest) as err:
            await core.reset_password(bad, NEW_PASSWORD)
        assert err.value.message == "Reset token is invalid or expired"
    await core.login(user.username, PASSWORD)  # unchanged


async def test_a_new_token_is_still_checked_for_password_rules(core, outbox):
    user = await register(core)
    await core.forgot_password(user.email)
    token = mailed(outbox)[0]["data"]["reset_token"]
    with pytest.raises(InvalidRequest) as err:
        await core.reset_password(token, "short")
    assert "password" in err.value.details
    await core.reset_password(token, NEW_PASSWORD)  # not spent by the rejected attempt


async def test_outbox_writes_a_complete_eml_and_json(tmp_path):
    mailer = OutboxMailer(tmp_path / "box")
    await mailer.send(Mail(to="a@example.com", subject="Hi", text="body text\n", kind="test", data={"k": "v"}))
    files = sorted(p.name for p in (tmp_path / "box").iterdir())
    assert len(files) == 2 and files[0].endswith(".eml") and files[1].endswith(".json")
    assert not any(name.startswith(".tmp-") for name in files)
    parsed = email.message_from_bytes((tmp_path / "box" / files[0]).read_bytes())
    assert parsed["To"] == "a@example.com" and parsed["Subject"] == "Hi"
    assert parsed.get_payload(decode=True).decode().strip() == "body text"
    assert json.loads((tmp_path / "box" / files[1]).read_text())["data"] == {"k": "v"}
