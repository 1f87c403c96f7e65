"""The console's pages and assets, read once from the package (`app/console/static/`).

Every path under `/console/` that is not an asset answers the same page (`index.html`): the
modules route in the browser, so a mail link such as `/console/reset-password?token=...` lands on
the page that handles it. The page carries a policy that lets it run its own files and nothing
else: no inline script or style, no eval, no frame, no other origin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response

CONSOLE_POLICY = (
    "default-src 'none'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
ROOT_MARK = "{{root}}"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def assets() -> dict[str, Asset]:
    """Every file of `static/assets/`, by name (one level: the modules import each other by name)."""
    found: dict[str, Asset] = {}
    folder = resources.files("app.console").joinpath("static", "assets")
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in MEDIA_TYPES:
            body = entry.read_bytes()
            found[entry.name] = Asset(body, MEDIA_TYPES[suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return found


@cache
def page_template() -> str:
    return resources.files("app.console").joinpath("static", "index.html").read_text(encoding="utf-8")


router = APIRouter(include_in_schema=False)


def _page(request: Request) -> Response:
    root = request.scope.get("root_path", "").rstrip("/")
    return Response(
        page_template().replace(ROOT_MARK, root),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": CONSOLE_POLICY, "Cache-Control": "no-cache"},
    )


@router.get("/console/assets/{name}")
async def console_asset(name: str, request: Request) -> Response:
    asset = assets().get(name)
    if asset is None:
        return Response(status_code=404, content=b"Not found", media_type="text/plain")
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/console")
@router.get("/console/")
@router.get("/console/{path:path}")
async def console_page(request: Request, path: str = "") -> Response:
    """The console (any page of it: the modules read the path)."""
    return _page(request)
