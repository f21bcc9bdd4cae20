"""The web page (/app) in a real headless Chromium against the real system: live mode on Chromium's fake camera
(a shared clip as the camera), and a camera the user refused."""

from __future__ import annotations

import pytest

from testkit.browser import PHONE, STUDENT_RGB, coloured_share, sign_in, until, visible
from testkit.web_app import new_page, sent

pytestmark = pytest.mark.integration


async def test_live_mode_on_the_fake_camera(chromium, dojo, shots):
    page, watched = await new_page(chromium["browser"])
    await sign_in(page, dojo["base"], dojo["student"], route="#/live")
    await page.click("#live-start")
    await until(page, "() => Number(document.querySelector('#live-overlay').dataset.drawn || 0) >= 30", timeout=90,
                what="the skeleton drawn over 30 camera frames")
    for _ in range(50):  # a frame without a person found is drawn empty: look at a few frames
        share = await coloured_share(page, "#live-overlay", STUDENT_RGB)
        if share > 0.0005:
            break
        await page.wait_for_timeout(100)
    assert 0.0005 < share < 0.1, share
    poses = sent(watched, "landmarks")
    assert poses and sum(p["detected"] for p in poses) >= 0.8 * len(poses)
    await until(page, "() => document.querySelectorAll('#live-feedback li').length > 0", timeout=120,
                what="feedback after a repetition")
    feedback = sent(watched, "repetition")[0]["data"]
    assert f"Repetition {feedback['repetition']}" in await page.inner_text("#live-feedback li:last-child")
    await shots.take(page, "live-desktop", "live mode at 1280x800: the fake camera (cam01 looping) with the "
                     "skeleton drawn over it, feedback after each repetition", full_page=False)
    await shots.take(page, "live-phone", "live mode on a 390x844 phone", size=PHONE)
    await page.click("#live-stop")
    assert watched.csp_violations() == []


async def test_a_refused_camera_is_told_clearly(chromium, dojo, shots):
    page, watched = await new_page(chromium["refusing"])
    await sign_in(page, dojo["base"], dojo["student"], route="#/live")
    await page.click("#live-start")
    await visible(page, "#live-error")
    assert "Camera permission was refused" in await page.inner_text("#live-error")
    await page.goto(f"{dojo['base']}/app#/analyse")
    await page.click("#record-start")
    await visible(page, "#analyse-error")
    assert "Camera permission was refused" in await page.inner_text("#analyse-error")
    await shots.take(page, "camera-refused-desktop", "the camera refused while recording a video to analyse: "
                     "the message says how to allow it")
    assert watched.csp_violations() == []
