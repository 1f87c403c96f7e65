"""CSRF protection of the console's session routes, in three layers:

1. the cookie is `SameSite=Strict`, so a request started by another site's page carries none;
2. every route needs the `X-Gatehouse-Console` header, which a cross-site form cannot set and a
   cross-site script can only set after a CORS preflight that the service does not grant (the
   header is not in the CORS allow-list);
3. when the browser says where the request comes from (`Origin`, `Sec-Fetch-Site`), it must be the
   service itself: the origin of PUBLIC_URL or the one the request was sent to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from app.console.errors import ConsoleRequestRefused
from app.http.services import ServicesDep

CONSOLE_HEADER = "x-gatehouse-console"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def require_console_request(request: Request, services: ServicesDep) -> None:
    if request.headers.get(CONSOLE_HEADER) != "1":
        raise ConsoleRequestRefused()
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise ConsoleRequestRefused()
    origin = request.headers.get("origin")
    if origin is not None:
        allowed = {_origin(str(request.base_url))}
        if services.settings.public_url:
            allowed.add(_origin(services.settings.public_url))
        if origin.lower() not in allowed:
            raise ConsoleRequestRefused()
