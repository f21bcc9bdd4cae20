"""The web page (/app) in a real headless Chromium against the real system: upload a shared clip, follow the
progress, read the result (skeleton pixels where the analysis put the landmarks, radar, curves, corrections
that seek the video, slow motion, frame stepping, the coach's reference beside and ghosted), and the bad
inputs on the way (a file that is not a video, a dropped socket). Screenshots: testkit/browser.py."""

from __future__ import annotations

import pytest

from testkit.browser import (DESKTOP, PHONE, REFERENCE_RGB, STUDENT_RGB, coloured_share, inked_share, near,
                             pixels_at, sign_in, unlabelled_controls, until, visible)
from testkit.web_app import analyse, new_page, sent, timeline_of

pytestmark = pytest.mark.integration


async def test_analyse_a_clip_and_read_its_result(chromium, dojo, shots):
    import httpx

    page, watched = await new_page(chromium["browser"], PHONE)
    await page.goto(f"{dojo['base']}/app")
    await visible(page, "#signin-form")
    await shots.take(page, "sign-in-phone", "sign-in on a 390x844 phone, with 'Create an account' below", size=PHONE)
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, dojo["base"], dojo["student"])
    assert await unlabelled_controls(page) == []
    await analyse(page, dojo)
    # The progress bar, fed by /ws/analyze, seen part-way.
    await until(page, "() => { const p = document.querySelector('#analyse-progress').value; return p > 0 && p < 1; }",
                timeout=120, what="the progress bar part-way")
    await shots.take(page, "analyse-progress-desktop", "the analyse form at 1280x800 while the clip is analysed: "
                     "coach, technique, the progress bar and the stage from /ws/analyze", full_page=False)
    await visible(page, "#view-result", timeout=300)
    statuses = sent(watched, "status")
    assert len(statuses) >= 3 and statuses[-1]["progress"] > statuses[0]["progress"]  # the bar was fed
    analysis_id = sent(watched, "complete")[-1]["data"]["analysis_id"]
    async with httpx.AsyncClient(base_url=dojo["base"]) as http:
        stored = (await http.get(f"/analyses/{analysis_id}", headers=dojo["student_headers"])).json()
    timeline = timeline_of(watched, stored)
    landmarks = timeline["landmarks"]
    width, height = timeline["image_size"]["width"], timeline["image_size"]["height"]

    # Frame stepping from the keyboard: the frame range steps one frame per arrow key.
    seen = [sum(v >= 0.5 for v in lm["points"][2::3]) for lm in landmarks]
    frame = max(range(len(seen) // 3, len(seen)), key=lambda i: seen[i])  # a well-seen frame past the start
    await page.focus("#scrub")
    await page.keyboard.press("Home")
    for _ in range(frame):
        await page.keyboard.press("ArrowRight")
    await until(page, "(k) => document.querySelector('#overlay').dataset.frame === String(k)"
                      " && !document.querySelector('#result-video').seeking", frame, what=f"frame {frame} drawn")
    assert await page.evaluate("() => [document.querySelector('#overlay').width, document.querySelector('#overlay').height]") \
        == [width, height]

    # Skeleton pixels where the analysis put this frame's landmarks, and not everywhere.
    points = landmarks[frame]["points"]
    joints = [(points[3 * j] * width, points[3 * j + 1] * height) for j in range(33)
              if points[3 * j + 2] >= 0.5 and 0 <= points[3 * j] < 1 and 0 <= points[3 * j + 1] < 1]
    assert len(joints) >= 15
    hits = [near(p, STUDENT_RGB) for p in await pixels_at(page, "#overlay", joints)]
    assert sum(hits) >= 0.9 * len(joints), hits
    far = [(x, y) for x in range(20, width, width // 10) for y in range(20, height, height // 10)
           if min((x - jx) ** 2 + (y - jy) ** 2 for jx, jy in joints) > (0.12 * height) ** 2]
    assert len(far) >= 20 and not any(p[3] for p in await pixels_at(page, "#overlay", far, reach=0))
    assert 0.001 < await coloured_share(page, "#overlay", STUDENT_RGB) < 0.1
    # The next frame's landmarks are drawn after one more arrow key.
    await page.keyboard.press("ArrowRight")
    await until(page, "(k) => document.querySelector('#overlay').dataset.frame === String(k)", frame + 1)

    # The radar and the curves (a speed, a joint angle) are drawn; the coach's reference on the same axes.
    assert await inked_share(page, "#radar") > 0.03
    curves = await page.evaluate("() => [...document.querySelectorAll('#curves canvas')].map(c => c.dataset.series)")
    units = {s["name"]: s["unit"] for s in timeline["series"]}
    assert [units[c] for c in curves] == ["m/s", "deg"]
    assert curves[0] == f"{stored['details']['effector']}_speed"  # the analysed effector's speed first
    for i in range(len(curves)):
        assert await inked_share(page, f"#curves canvas:nth-of-type({i + 1})") > 0.02
    assert timeline.get("reference"), "the analysis was compared with the coach's reference"
    assert await coloured_share(page, "#curves canvas:nth-of-type(1)", (0xB2, 0x6A, 0x00), 40) > 0.0005
    # Another joint's angle, chosen from the list.
    angle = next(name for name, unit in units.items() if unit == "deg" and name != curves[1])
    await page.select_option("#curve-angle", angle)
    await until(page, "(n) => document.querySelector('#curves canvas:nth-of-type(2)').dataset.series === n", angle)

    # Repetitions with their phases on the timeline.
    phases = [p["name"] for r in timeline["repetitions"] for p in r["phases"] if p["end_ms"] > p["start_ms"]]
    assert phases and await page.evaluate("() => [...document.querySelectorAll('#timeline-marks .phase')]"
                                          ".map(b => b.textContent)") == phases

    # Each figure's reliability beside it, from details.quality.
    verdict = stored["details"]["quality"]["max_speed"]["verdict"]
    speed_line = await page.inner_text("#scores li:nth-child(2)")
    assert speed_line.lower().startswith("speed") and verdict in speed_line
    assert verdict in await page.inner_text("#measures li:first-child")
    chain = stored["details"]["quality"]["kinetic_chain"]   # coordination follows the performer, if measured
    assert (await page.inner_text("#scores li:nth-child(6)")).lower().startswith("coordination")
    assert await page.inner_text("#scores li:nth-child(6) .badge") == chain["verdict"].replace("_", " ")
    if chain["verdict"] == "not_measured":   # a punch: no order of the arm is asked (chain.NOT_TIMED)
        assert stored["details"]["chain_not_measured_because"] in await page.inner_text("#scores li:nth-child(6) .why")
    balance = stored["details"]["quality"]["balance"]                  # from one camera: uncertain, with why
    assert (await page.inner_text("#scores li:nth-child(5)")).lower().startswith("balance")
    assert await page.inner_text("#scores li:nth-child(5) .badge") == balance["verdict"] == "uncertain"
    assert "one camera" in await page.inner_text("#scores li:nth-child(5) .why")

    # A correction, clicked (and one from the keyboard), seeks the video to the moment it speaks of.
    timed = [(i, t) for i, t in enumerate(timeline["correction_times_ms"]) if t is not None]
    assert timed and len(timeline["correction_times_ms"]) == len(stored["corrections"])
    buttons = page.locator("#corrections button.correction")
    await buttons.nth(0).click()
    await until(page, "(ms) => Math.abs(document.querySelector('#result-video').currentTime * 1000 - ms) < 1",
                timed[0][1], what="the video at the correction's time")
    if len(timed) > 1:
        await buttons.nth(1).focus()
        await page.keyboard.press("Enter")
        await until(page, "(ms) => Math.abs(document.querySelector('#result-video').currentTime * 1000 - ms) < 1",
                    timed[1][1], what="the video at the second correction's time")

    # Slow motion: a quarter of the speed plays a quarter of the time.
    await page.select_option("#speed", "0.25")
    start = await page.evaluate("() => { const v = document.querySelector('#result-video'); v.currentTime = 0; return 0; }")
    await page.click("#play")
    await page.wait_for_timeout(1200)
    await page.click("#play")
    played = await page.evaluate("() => document.querySelector('#result-video').currentTime") - start
    assert await page.evaluate("() => document.querySelector('#result-video').playbackRate") == 0.25
    assert 0.1 < played < 0.6, played

    # The coach's reference in step: beside the video, then ghosted over it.
    await page.select_option("#compare-mode", "beside")
    await visible(page, "#reference-canvas")
    await page.click("#step-forward")
    assert await coloured_share(page, "#reference-canvas", REFERENCE_RGB) > 0.0005
    await shots.take(page, "result-beside-desktop", "result at 1280x800: video with the skeleton, the coach's "
                     "reference beside it in step, timeline with phases, radar, corrections, curves")
    await page.select_option("#compare-mode", "ghost")
    await page.click("#step-forward")
    assert await coloured_share(page, "#overlay", REFERENCE_RGB) > 0.0005
    await shots.take(page, "result-ghost-desktop", "result at 1280x800 with the coach's reference ghosted "
                     "(orange) over the student's skeleton (cyan)")
    await page.select_option("#compare-mode", "off")
    await shots.take(page, "result-desktop", "result at 1280x800: scores radar with reliability, measurements, "
                     "corrections with their times, speed and knee-angle curves with the reference dashed")
    await shots.take(page, "result-phone", "the same result on a 390x844 phone: one column", size=PHONE)
    assert watched.csp_violations() == []


async def test_a_file_that_is_not_a_video_shows_the_apis_message(chromium, dojo, shots, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_bytes(b"these are my training notes, not a video\n" * 50)
    page, watched = await new_page(chromium["browser"])
    await sign_in(page, dojo["base"], dojo["student"])
    await analyse(page, dojo, video=notes)
    await visible(page, "#analyse-error", timeout=120)
    error = sent(watched, "error")[-1]["error"]
    assert error["message"] and await page.inner_text("#analyse-error") == error["message"]
    await shots.take(page, "bad-file-phone", "a text file named .mp4 refused, on a 390x844 phone: the API's message "
                     "under the analyse form", size=PHONE)
    assert watched.csp_violations() == []


async def test_a_dropped_socket_is_reconnected_and_the_analysis_completes(chromium, dojo):
    page, watched = await new_page(chromium["browser"])
    opened = []

    async def drop_the_first(route):
        opened.append(route.url)
        server = route.connect_to_server()
        if len(opened) > 1:
            return  # passed through untouched

        async def forward(message):
            route.send(message)
            if '"status"' in str(message):
                await route.close(code=4000, reason="network lost (test)")
        server.on_message(forward)

    await page.route_web_socket("**/ws/analyze", drop_the_first)
    await sign_in(page, dojo["base"], dojo["student"])
    await analyse(page, dojo)
    await until(page, "() => /Reconnecting/.test(document.querySelector('#analyse-stage').textContent)",
                timeout=120, what="the reconnecting message")
    await visible(page, "#view-result", timeout=300)
    assert len(opened) == 2
    assert watched.csp_violations() == []
