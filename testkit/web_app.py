"""Steps the web page's tests share (tests/integration/web/): the shared clips they send, a fresh page whose
socket is watched, the analyse form filled in, and what the page's socket received."""

from __future__ import annotations

import json

from services.kit.paths import VIDEOS
from testkit.browser import DESKTOP, Watched, until, visible

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"
CAM02 = VIDEOS / "pose2sim-balancing-cam02.mp4"
TECHNIQUE = "lunge_punch"


async def new_page(browser, size=DESKTOP):
    context = await browser.new_context(viewport=size)
    page = await context.new_page()
    return page, Watched(page)


def sent(watched: Watched, kind: str) -> list[dict]:
    return [m for m in (json.loads(f) for f in watched.frames if isinstance(f, str)) if m.get("type") == kind]


async def analyse(page, dojo, video=CAM01, technique=TECHNIQUE) -> None:
    await visible(page, "#analyse-form")
    await until(page, "(c) => [...document.querySelectorAll('#analyse-coach option')].some(o => o.value === c)",
                dojo["coach"], what="the coach choices")
    await page.select_option("#analyse-coach", dojo["coach"])
    await page.fill("#analyse-technique", technique)
    await page.set_input_files("#analyse-file", str(video))
    await page.click("#analyse-submit")


def timeline_of(watched: Watched, stored: dict) -> dict:
    complete = sent(watched, "complete")[-1]["data"]
    timeline = complete.get("timeline") or stored.get("timeline")
    assert timeline, "the analysis carries no timeline (the verbose analysis' frame-by-frame data)"
    return timeline
