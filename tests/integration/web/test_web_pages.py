"""The web page (/app) in a real headless Chromium against the real system: a student's history (progress per
technique) and a coach's pages (references added from a video and deleted, the analyses made against it)."""

from __future__ import annotations

import pytest

from services.kit.paths import VIDEOS
from testkit.browser import DESKTOP, PHONE, inked_share, sign_in, until, visible
from testkit.web_app import CAM01, CAM02, TECHNIQUE, new_page

pytestmark = pytest.mark.integration


async def test_history_shows_progress_per_technique(chromium, dojo, shots):
    import httpx

    async with httpx.AsyncClient(base_url=dojo["base"], timeout=300) as http:
        for video in (CAM01, CAM02):  # two more analyses: a line, and a change
            with video.open("rb") as handle:
                reply = await http.post("/analyze", data={"coach": dojo["coach"], "technique": TECHNIQUE},
                                        files={"file": (video.name, handle, "video/mp4")},
                                        headers=dojo["student_headers"])
            assert reply.status_code == 200, reply.text
        progress = (await http.get("/analyses/progress", params={"technique": TECHNIQUE},
                                   headers=dojo["student_headers"])).json()
    page, watched = await new_page(chromium["browser"])
    await sign_in(page, dojo["base"], dojo["student"], route="#/history")
    await until(page, "() => document.querySelector('#history-chart').dataset.drawn === 'true'")
    assert await inked_share(page, "#history-chart") > 0.05
    rows = await page.locator("#history-rows tr").count()
    assert rows == len(progress["points"]) >= 2
    assert "Overall change" in await page.inner_text("#history-change")
    await shots.take(page, "history-desktop", "history at 1280x800: overall and aspect scores of lunge punch "
                     "over time, the list of analyses")
    await shots.take(page, "history-phone", "history on a 390x844 phone", size=PHONE)
    # The newest analysis was not verbose: its result opens without frame-by-frame data, and says so.
    await page.set_viewport_size(DESKTOP)
    await page.click("#history-rows tr:first-child a")
    await visible(page, "#timeline-missing")
    await until(page, "() => document.querySelector('#radar').dataset.drawn === 'true'")
    assert await page.is_visible("#result-novideo") and "not available" in await page.inner_text("#curves")
    assert watched.csp_violations() == []


async def test_coach_pages(chromium, dojo, shots):
    page, watched = await new_page(chromium["browser"])
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete the reference?"
    await sign_in(page, dojo["base"], dojo["owner"], route=f"#/coaches/{dojo['coach']}")
    await until(page, "() => document.querySelectorAll('#reference-rows tr').length === 1", what="one reference")
    assert await page.inner_text("#coach-title") == "Nagato"
    await until(page, "() => document.querySelectorAll('#coach-analyses tr a').length >= 1",
                what="the student's analyses against this coach")
    # A reference added from a video, then deleted.
    await page.set_input_files("#reference-file", str(VIDEOS / "pose2sim-balancing-cam03.mp4"))
    await page.fill("#reference-technique", "front_stance")
    await page.fill("#reference-name", "from the side")
    await page.click("#reference-add button[type=submit]")
    await until(page, "() => document.querySelectorAll('#reference-rows tr').length === 2", timeout=300,
                what="the new reference listed")
    await shots.take(page, "coach-desktop", "a coach's page at 1280x800 (its owner): the entry, two references "
                     "with Delete buttons, the add-a-reference form, the analyses made against the coach")
    await page.click("#reference-rows button[aria-label*='front_stance']")
    await until(page, "() => document.querySelectorAll('#reference-rows tr').length === 1", what="the deletion")
    await shots.take(page, "coach-phone", "the coach's page on a 390x844 phone", size=PHONE)
    await page.goto(f"{dojo['base']}/app#/coaches")
    await until(page, "(c) => [...document.querySelectorAll('#coach-list a')].some(a => a.hash === '#/coaches/' + c)",
                dojo["coach"])
    assert watched.csp_violations() == []
