"""The web page (/app) in a real headless Chromium against the real system: sign in, upload a shared clip,
follow the progress, read the result (skeleton pixels where the analysis put the landmarks, radar, curves,
corrections that seek the video, slow motion, frame stepping, the coach's reference beside and ghosted),
history, coach pages, live mode on Chromium's fake camera, and the bad inputs (an expired session, a file
that is not a video, a dropped socket, a camera refused). Screenshots: testkit/browser.py."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from services.kit.paths import VIDEOS
from testkit.browser import (DESKTOP, PHONE, REFERENCE_RGB, STUDENT_RGB, Screenshots, Watched, coloured_share,
                             fake_camera_clip, inked_share, launch, near, pixels_at, sign_in, unlabelled_controls,
                             until, visible)
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"
CAM02 = VIDEOS / "pose2sim-balancing-cam02.mp4"
TECHNIQUE = "lunge_punch"


@pytest.fixture(scope="module")
async def chromium(tmp_path_factory):
    from playwright.async_api import async_playwright

    camera = fake_camera_clip(CAM01, tmp_path_factory.mktemp("camera") / "cam01.y4m")
    async with async_playwright() as playwright:
        browser = await launch(playwright, camera)
        refusing = await launch(playwright, camera, permission_prompt_accepted=False)
        yield {"browser": browser, "refusing": refusing}
        await browser.close()
        await refusing.close()


@pytest.fixture(scope="module")
def shots():
    return Screenshots()


@pytest.fixture(scope="module")
async def dojo(system):
    """A coach entry whose lunge punch reference is cam02 (the trial that cam01 films from another side), its
    owner, and a student."""
    import httpx

    async with httpx.AsyncClient(base_url=system, timeout=300) as http:
        owner_name, owner = await new_user(http, "coach")
        coach_id = f"sensei_{uuid.uuid4().hex[:6]}"
        reply = await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Karate",
                                                  "techniques": [TECHNIQUE]}, headers=owner)
        assert reply.status_code == 201, reply.text
        with CAM02.open("rb") as video:
            reply = await http.post(f"/coaches/{coach_id}/references", headers=owner, data={"technique": TECHNIQUE},
                                    files={"file": (CAM02.name, video, "video/mp4")})
        assert reply.status_code == 201, reply.text
        student_name, student = await new_user(http)
        with CAM01.open("rb") as video:  # one analysis against the coach already (coach page, history)
            reply = await http.post("/analyze", data={"coach": coach_id, "technique": TECHNIQUE}, headers=student,
                                    files={"file": (CAM01.name, video, "video/mp4")})
        assert reply.status_code == 200, reply.text
    return {"coach": coach_id, "owner": owner_name, "owner_headers": owner, "student": student_name,
            "student_headers": student, "base": system}


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
