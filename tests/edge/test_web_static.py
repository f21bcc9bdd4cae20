"""The web page's files (services/edge/web/) and how the edge serves them at /app: the strict CSP (no inline
script or style, nothing from another origin, no eval), every asset referenced present and shipped with the
package, every element the scripts look up present, and /app outside the versioned API and the rate limit.
The page's behaviour is tested in a real browser: tests/integration/web/."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.edge import errors as edge_errors
from services.edge.middleware import APP_CSP, EdgeMiddleware
from services.edge.rate_limit import RateLimiter, RateLimitMiddleware
from services.edge.routes import web
from services.kit.paths import REPO

WEB = web.WEB_DIR
SCRIPTS = sorted(WEB.glob("*.js"))


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts, self.links, self.ids, self.inline, self.problems = [], [], set(), [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        self.problems += [f"<{tag} {k}=...>" for k in a if k.startswith("on") or k == "style"]
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._in_script = True
            self.scripts.append(a.get("src"))
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith("#"):
                self.links.append(a[key])

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:60])


@pytest.fixture(scope="module")
def page() -> Page:
    parsed = Page()
    parsed.feed((WEB / "index.html").read_text())
    return parsed


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    edge_errors.install(app)
    app.include_router(web.router)
    app.add_middleware(EdgeMiddleware, max_body=1024)
    return TestClient(app)


def test_the_page_has_no_inline_script_or_style_and_loads_only_its_own_files(page):
    assert page.inline == [] and page.problems == []
    assert page.scripts == ["/app/app.js"]
    for link in page.links:
        assert link.startswith("/app/"), f"{link}: not one of the page's own files"
        assert (WEB / link.removeprefix("/app/")).is_file(), f"{link}: no such file in {WEB}"


def test_every_module_imported_exists_and_none_reaches_outside(page):
    for script in SCRIPTS:
        text = script.read_text()
        for target in re.findall(r"from '(\.[^']+)'", text):
            assert (WEB / target).is_file(), f"{script.name} imports {target}, which does not exist"
        assert not re.search(r"\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write", text), \
            f"{script.name}: builds code or markup from strings"
        assert not re.search(r"https?://|wss?://[a-z]", text), f"{script.name}: names another origin"


def test_every_element_the_scripts_look_up_is_on_the_page(page):
    lookup = r"""(?:\$\(|querySelector(?:All)?\()\s*['"`]#([a-z][\w-]*)"""
    wanted = {m for s in SCRIPTS for m in re.findall(lookup, s.read_text())}
    assert len(wanted) > 50  # the pattern finds the look-ups
    missing = sorted(w for w in wanted if w not in page.ids)
    assert missing == [], f"looked up by the scripts but not in index.html: {missing}"


def test_the_style_sheet_loads_nothing_from_outside():
    css = (WEB / "app.css").read_text()
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:|//)", css)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed on this machine")
def test_every_module_parses(tmp_path):
    for script in SCRIPTS:  # as an ES module: Node checks .mjs files as modules
        copy = tmp_path / f"{script.stem}.mjs"
        copy.write_text(script.read_text())
        check = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True)
        assert check.returncode == 0, f"{script.name}: {check.stderr}"


def test_the_files_ship_with_the_package():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = [p for ps in data.values() for p in ps]
    for path in WEB.iterdir():
        assert any(fnmatch(path.name, p) for p in patterns), f"{path.name} is not in package-data"


def test_app_is_served_with_the_strict_policy(client):
    reply = client.get("/app")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    csp = reply.headers["content-security-policy"]
    assert csp == APP_CSP.decode() and "unsafe" not in csp and "script-src" not in csp
    assert reply.headers["x-content-type-options"] == "nosniff" and reply.headers["cache-control"] == "no-cache"
    script = client.get("/app/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/app/app.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
    assert client.get("/app/", follow_redirects=False).headers["location"] == "/app"


@pytest.mark.parametrize("path", ["/app/missing.js", "/app/../routes/web.py", "/app/%2e%2e/app.py",
                                  "/app/..%2fmiddleware.py", "/app//etc/passwd"])
def test_nothing_outside_the_web_folder_is_served(client, path):
    reply = client.get(path)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"


def test_the_page_is_not_part_of_the_versioned_api():
    from services.edge.app import create_app
    from services.kit.config import Settings

    edge = TestClient(create_app(Settings(rate_limit_enabled=False)))  # no lifespan: no backend is called
    assert edge.get("/app").status_code == 200 and edge.get("/app/ui.js").status_code == 200
    assert edge.get("/v1/app").status_code == 404 and edge.get("/v1/app/ui.js").status_code == 404
    assert not [p for p in edge.get("/openapi.json").json()["paths"] if p.startswith("/app")]  # not an API call


def test_loading_the_page_does_not_count_against_the_rate_limit():
    app = FastAPI()
    app.include_router(web.router)

    @app.get("/counted")
    async def counted():  # a stand-in API route: counted
        return {}

    class NoCredentials:
        async def authenticate(self, request):
            return None

    app.state.authenticator = NoCredentials()
    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(requests=2, window_s=60, burst=0))
    client = TestClient(app)
    assert all(client.get(p).status_code == 200 for p in ["/app", "/app/app.js", "/app/app.css"] * 4)
    assert [client.get("/counted").status_code for _ in range(3)] == [200, 200, 429]
