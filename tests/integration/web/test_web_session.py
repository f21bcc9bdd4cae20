"""The web page (/app) in a real headless Chromium against the real system: registering, signing out and in
(a wrong password told), and a session that expires while the user types."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from testkit.browser import DESKTOP, PHONE, sign_in, until, visible
from testkit.web_app import new_page

pytestmark = pytest.mark.integration


async def test_register_sign_out_and_sign_in_again(chromium, dojo):
    page, watched = await new_page(chromium["browser"])
    await page.goto(f"{dojo['base']}/app")
    await visible(page, "#signin-form")
    name = f"new_{uuid.uuid4().hex[:8]}"
    await page.click("#register summary")
    for field, value in (("username", name), ("email", f"{name}@example.com"), ("password", "a-long-enough-pass"),
                         ("name", "New Student")):
        await page.fill(f"#register-{field}", value)
    await page.press("#register-password", "Enter")
    await until(page, "() => document.querySelector('#who').textContent.length > 0", what="signed in")
    assert await page.inner_text("#who") == f"{name} (student)"
    await visible(page, "#analyse-form")
    # Sign-out sets the hash, then reloads (app.js): evaluate only once the reloaded page has loaded.
    async with page.expect_event("load"):
        await page.click("#sign-out")
    await visible(page, "#signin-form")
    assert await page.evaluate("() => sessionStorage.getItem('kataforge.session')") is None
    await page.fill("#signin-username", name)
    await page.fill("#signin-password", "wrong-password")
    await page.press("#signin-password", "Enter")
    await visible(page, "#signin-error")  # the API's message, and still on the sign-in view
    assert await page.inner_text("#signin-error") and await page.is_visible("#signin-form")
    await sign_in(page, dojo["base"], name, "a-long-enough-pass")
    assert await page.inner_text("#who") == f"{name} (student)"
    assert watched.csp_violations() == []


def expired(token: str) -> str:
    """The same access token with its expiry (exp) a minute ago: what a tab holds after a long pause."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 60
    return ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), signature])


async def test_an_expired_session_returns_to_sign_in_and_keeps_what_was_typed(chromium, dojo, shots):
    import httpx

    page, watched = await new_page(chromium["browser"])
    await sign_in(page, dojo["base"], dojo["owner"], route="#/coaches")
    await visible(page, "#coach-create-box")
    await page.click("#coach-create-box summary")
    new_id = f"kept_{uuid.uuid4().hex[:6]}"
    for field, value in (("id", new_id), ("name", "Kept Typing"), ("style", "Shotokan"), ("techniques", "oi_zuki")):
        await page.fill(f"#coach-new-{field}", value)
    # Meanwhile the session ended: the access token expired and its refresh token is revoked.
    session = json.loads(await page.evaluate("() => sessionStorage.getItem('kataforge.session')"))
    async with httpx.AsyncClient(base_url=dojo["base"]) as http:
        assert (await http.post("/auth/logout", json={"refresh_token": session["refresh_token"]})).status_code == 200
    await page.evaluate("(s) => sessionStorage.setItem('kataforge.session', JSON.stringify(s))",
                        {**session, "access_token": expired(session["access_token"])})
    await page.click("#coach-create button[type=submit]")
    await visible(page, "#signin-expired")
    await shots.take(page, "session-expired-phone", "an expired session on a 390x844 phone: back to sign-in, "
                     "saying that the page and what was typed are kept", size=PHONE)
    assert await page.input_value("#coach-new-name") == "Kept Typing"  # still there, hidden
    await page.set_viewport_size(DESKTOP)
    await page.fill("#signin-username", dojo["owner"])
    await page.fill("#signin-password", "correct-horse-battery")
    await page.click("#signin-form button[type=submit]")
    # The request that could not be sent is sent now: the coach is created and its page opens.
    await until(page, "(id) => location.hash === '#/coaches/' + id", new_id, what="the new coach's page")
    await until(page, "() => document.querySelector('#coach-title').textContent === 'Kept Typing'")
    assert watched.csp_violations() == []
