"""Security headers on every answer: routes, errors, 404s, 413/431 refusals and the docs.

* `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`.
* `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` on every answer but the
  interactive docs: a JSON API loads nothing, and no page of it may be framed.
* The docs pages (`/docs`, `/redoc`, Swagger UI's OAuth2 redirect) get a policy that lets them
  run, from this origin only: they load Swagger UI and ReDoc from the service itself
  (`app.http.docs`) and start them with an inline script. That script is allowed by its SHA-256,
  computed from the page as it goes out (it names the OpenAPI URL, so it depends on the root
  path), never by 'unsafe-inline'. Styles may be inline: ReDoc writes its own <style> elements.
  ReDoc runs its search in a worker made from a blob.
* `Cache-Control: no-store` on the answer to every request that carries credentials
  (`Authorization` or `X-API-Key`): what it returns is that caller's, and no cache may keep it.
  Answers that carry a token or key without being asked with credentials (login, refresh) set
  it themselves (`app.http.responses.NO_STORE`).
* `Strict-Transport-Security: max-age=N; includeSubDomains` when HSTS_SECONDS > 0.

An exception that no handler turns into an answer would reach Starlette's ServerErrorMiddleware,
which sits outside every middleware and answers 500 without these headers; this middleware
answers that 500 itself, with them (same body), and lets the exception go on to be logged.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.responses import NO_STORE

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = (
    "default-src 'none'; "
    "script-src {scripts}; "
    "style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "worker-src 'self' blob:; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")
_CACHING = frozenset({b"cache-control", b"pragma", b"expires"})
# The docs pages are about 2 KB; anything larger on those paths goes out with no inline script allowed.
MAX_DOCS_PAGE_BYTES = 256 * 1024
_INLINE_SCRIPT = re.compile(rb"<script(?P<attributes>[^>]*)>(?P<code>.*?)</script>", re.DOTALL | re.IGNORECASE)
_SOURCE_ATTRIBUTE = re.compile(rb"\ssrc\s*=", re.IGNORECASE)


def docs_policy(page: bytes) -> str:
    """The docs policy, allowing exactly the inline scripts of `page` by their hashes."""
    hashes = []
    for script in _INLINE_SCRIPT.finditer(page):
        if _SOURCE_ATTRIBUTE.search(script["attributes"]):
            continue
        digest = base64.b64encode(hashlib.sha256(script["code"]).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return DOCS_POLICY.format(scripts=" ".join(["'self'", *dict.fromkeys(hashes)]))


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(path for path in docs_paths if path)
        headers = dict(STATIC_HEADERS)
        if hsts_seconds > 0:
            headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
        self.headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        self.no_store = [(name.lower().encode(), value.encode()) for name, value in NO_STORE.items()]
        self.api_policy = API_POLICY.encode()

    def secured(self, start: Message, *, policy: bytes, credentials: bool) -> Message:
        """`start` with every header that it does not set itself; with credentials, no-store."""
        headers = list(start.get("headers", ()))
        present = {name.lower() for name, _ in headers}
        if credentials:
            if not present.isdisjoint(_CACHING):
                headers = [(name, value) for name, value in headers if name.lower() not in _CACHING]
            headers += self.no_store
        headers += [(name, value) for name, value in self.headers if name not in present]
        if b"content-security-policy" not in present:
            headers.append((b"content-security-policy", policy))
        start["headers"] = headers
        return start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentials = False
        for name, _ in scope["headers"]:
            if name in CREDENTIAL_HEADERS:
                credentials = True
                break
        docs = _route_path(scope) in self.docs_paths if self.docs_paths else False
        started = False
        held: list[Message] = []  # a docs page, until its last byte tells which scripts it runs
        held_bytes = 0

        async def send_secured(message: Message) -> None:
            nonlocal started, held_bytes
            if message["type"] == "http.response.start":
                started = True
                if docs and _is_html(message):
                    held.append(message)
                    return
                await send(self.secured(message, policy=self.api_policy, credentials=credentials))
                return
            if held:
                held.append(message)
                held_bytes += len(message.get("body", b""))
                if message.get("more_body", False) and held_bytes <= MAX_DOCS_PAGE_BYTES:
                    return
                fits = held_bytes <= MAX_DOCS_PAGE_BYTES
                page = b"".join(part.get("body", b"") for part in held[1:]) if fits else b""
                await send(self.secured(held[0], policy=docs_policy(page).encode(), credentials=credentials))
                for part in held[1:]:
                    await send(part)
                held.clear()
                return
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            if not started:
                body = b"Internal Server Error"  # Starlette's own
                start: Message = {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
                await send(self.secured(start, policy=self.api_policy, credentials=credentials))
                await send({"type": "http.response.body", "body": body})
            raise


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _is_html(start: Message) -> bool:
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-type":
            return bytes(value).lower().startswith(b"text/html")
    return False
