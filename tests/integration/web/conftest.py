"""The web page's fixtures: one headless Chromium for the package (and one that refuses the camera), the
screenshots, and a dojo: a coach with a reference, its owner and a student, against the real system."""

from __future__ import annotations

import uuid

import pytest

from testkit.browser import Screenshots, fake_camera_clip, launch
from testkit.rest_calls import new_user
from testkit.web_app import CAM01, CAM02, TECHNIQUE


@pytest.fixture(scope="package")
async def chromium(tmp_path_factory):
    from playwright.async_api import async_playwright

    camera = fake_camera_clip(CAM01, tmp_path_factory.mktemp("camera") / "cam01.y4m")
    async with async_playwright() as playwright:
        browser = await launch(playwright, camera)
        refusing = await launch(playwright, camera, permission_prompt_accepted=False)
        yield {"browser": browser, "refusing": refusing}
        await browser.close()
        await refusing.close()


@pytest.fixture(scope="package")
def shots():
    return Screenshots()


@pytest.fixture(scope="package")
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
