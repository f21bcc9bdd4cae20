"""A real headless Chromium for the web page's tests: Debian's chromium package (`make chromium`) driven by
Playwright for Python through its executable path, its fake camera fed by a shared clip; helpers that read
what the page drew (canvas pixels), wait without eval (the page's CSP forbids it, and Playwright's polling
waits use it), and write screenshots as test artefacts."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from services.kit.paths import REPO

CHROMIUM = os.environ.get("KATAFORGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("KATAFORGE_ARTIFACTS") or REPO / ".artifacts" / "screenshots")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
STUDENT_RGB = (0x00, 0xE5, 0xFF)    # skeleton.js STUDENT_COLOR
REFERENCE_RGB = (0xFF, 0xB0, 0x00)  # skeleton.js REFERENCE_COLOR
PASSWORD = "correct-horse-battery"  # tests.integration.conftest.new_user's


def require_chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make chromium` installs Debian's chromium package")
    return CHROMIUM


def fake_camera_clip(video: Path, out: Path) -> Path:
    """The clip as a Y4M file (what Chromium's fake camera plays, looping), 360 x 640 at 30 frames/s."""
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(video),
                    "-vf", "scale=360:640,fps=30", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


async def launch(playwright, camera: Path | None, *, permission_prompt_accepted: bool = True):
    """Headless Chromium; with a camera clip, its fake camera plays it. Without permission_prompt_accepted the
    camera prompt is refused, as a user refusing it would."""
    args = []
    if camera is not None:
        args += ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}"]
        if permission_prompt_accepted:
            args.append("--use-fake-ui-for-media-stream")
    return await playwright.chromium.launch(executable_path=require_chromium(), headless=True, args=args)


class Watched:
    """A page with what it reported: console errors (a CSP violation is one), uncaught errors, socket frames."""

    def __init__(self, page) -> None:
        self.page, self.errors, self.frames = page, [], []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: self.frames.append(payload)))

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "uncaught" in e]


async def until(page, expression: str, arg=None, timeout: float = 60.0, what: str = ""):
    """Polls a JavaScript function (page.evaluate runs outside the page's CSP) until it returns truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await page.evaluate(expression, arg)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or expression}")
        await asyncio.sleep(0.2)


async def visible(page, selector: str, timeout: float = 60.0):
    await until(page, "(s) => { const n = document.querySelector(s); return n && n.offsetParent !== null; }",
                selector, timeout, f"{selector} to be visible")


async def sign_in(page, base: str, username: str, password: str = PASSWORD, route: str = "#/analyse") -> None:
    await page.goto(f"{base}/app{route}")
    await visible(page, "#signin-form")
    await page.fill("#signin-username", username)
    await page.fill("#signin-password", password)
    await page.press("#signin-password", "Enter")  # the keyboard submits the form
    await until(page, "() => document.querySelector('#view-signin').hidden", what="the sign-in view to close")


async def pixels_at(page, selector: str, points: list[tuple[float, float]], reach: int = 2) -> list[list[int]]:
    """RGBA of a canvas at pixel positions (the most opaque pixel within `reach`: a dot's edge is anti-aliased)."""
    return await page.evaluate("""([s, points, reach]) => {
        const c = document.querySelector(s);
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return points.map(([x, y]) => {
            let best = [0, 0, 0, 0];
            for (let dy = -reach; dy <= reach; dy++) for (let dx = -reach; dx <= reach; dx++) {
                const px = Math.round(x) + dx, py = Math.round(y) + dy;
                if (px < 0 || py < 0 || px >= c.width || py >= c.height) continue;
                const i = (py * c.width + px) * 4;
                if (data[i + 3] > best[3]) best = [data[i], data[i + 1], data[i + 2], data[i + 3]];
            }
            return best;
        });
    }""", [selector, points, reach])


async def coloured_share(page, selector: str, rgb: tuple[int, int, int], tolerance: int = 60) -> float:
    """The share of a canvas' pixels that are opaque and near a colour."""
    return await page.evaluate("""([s, rgb, tol]) => {
        const c = document.querySelector(s);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let hit = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) <= tol && Math.abs(d[i + 1] - rgb[1]) <= tol
                && Math.abs(d[i + 2] - rgb[2]) <= tol) hit++;
        }
        return hit / (d.length / 4);
    }""", [selector, list(rgb), tolerance])


async def inked_share(page, selector: str) -> float:
    """The share of a canvas' pixels that something was drawn on (not transparent)."""
    return await page.evaluate("""(s) => {
        const c = document.querySelector(s);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
        return ink / (d.length / 4);
    }""", selector)


def near(rgba, rgb, tolerance: int = 60) -> bool:
    return rgba[3] > 200 and all(abs(a - b) <= tolerance for a, b in zip(rgba[:3], rgb))


async def unlabelled_controls(page) -> list[str]:
    """Inputs, selects and buttons without an accessible name (a label, aria-label or their own text)."""
    return await page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((n) => n.type !== 'hidden')
        .filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label')
                 && !n.getAttribute('aria-labelledby') && !(n.tagName === 'BUTTON' && n.textContent.trim()))
        .map((n) => n.outerHTML.slice(0, 120))""")


class Screenshots:
    """Screenshots written as test artefacts, each with what it shows (index.md beside them)."""

    def __init__(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.index = ARTIFACTS / "index.md"

    async def take(self, page, name: str, shows: str, *, size: dict = DESKTOP, full_page: bool = True) -> Path:
        await page.set_viewport_size(size)
        await asyncio.sleep(0.4)  # the page redraws its canvases on resize
        path = ARTIFACTS / f"{name}.png"
        await page.screenshot(path=str(path), full_page=full_page)
        lines = [line for line in (self.index.read_text().splitlines() if self.index.exists() else [])
                 if not line.startswith(f"- {path.name}:")]
        self.index.write_text("\n".join(sorted(lines + [f"- {path.name}: {shows}"])) + "\n")
        print(f"screenshot {path}: {shows}")
        return path
