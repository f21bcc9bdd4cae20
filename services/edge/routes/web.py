"""GET /app: the web page (services/edge/web/), served by the edge on the API's own origin.

Same origin as the API, so the page needs no CORS and runs under the edge's strict CSP (middleware.APP_CSP).
Its files ship inside the package (pyproject's package-data); nothing is fetched from a CDN. Starlette's
StaticFiles does the lookup: paths are confined to the folder, and ETag / If-None-Match answers 304.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from services.kit import errors

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
router = APIRouter(include_in_schema=False)
_files = StaticFiles(directory=WEB_DIR)
# Revalidated on each load (a cheap 304): a new release of the page is never mixed with a cached module.
_CACHE = {"cache-control": "no-cache"}


async def _file(request: Request, name: str) -> Response:
    try:
        response = await _files.get_response(name, request.scope)
    except HTTPException as exc:  # StaticFiles' 404 for a missing or unsafe path (../, a folder)
        raise errors.NotFound("web page file", name[:100]) from exc
    response.headers.update(_CACHE)
    return response


@router.get("/app")
async def page(request: Request) -> Response:
    return await _file(request, "index.html")


@router.get("/app/{asset_path:path}")
async def asset(asset_path: str, request: Request) -> Response:
    if asset_path == "":  # /app/ -> /app, so that the page's relative URLs resolve one way only
        return RedirectResponse("/app", status_code=308)
    return await _file(request, os.path.normpath(asset_path))  # as StaticFiles would: "a/../b" -> "b"
