"""`GET /metrics` (Prometheus text format) and the middleware that counts every request.

The route exists only with METRICS_ENABLED=true (otherwise 404, like any unknown path). With
METRICS_TOKEN set it asks for `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time,
and answers 401 NOT_AUTHENTICATED without it. A scrape reads the counters (app/core/metrics.py)
off the event loop, and adds the figures that are computed from the database when asked
(`ScrapeFigures`, e.g. the mail outbox), so that a request never pays for them.

`RequestMetrics` counts each request by route template (`/admin/users/{user_id}`, never the
path itself; `unmatched` for paths no route has), method and status, and times it from its
arrival to the end of its answer: a few dictionary look-ups and two increments per request.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram
from prometheus_client.metrics_core import Metric
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.container import Services
from app.core import metrics
from app.core.errors import NotAuthenticated
from app.http.services import ServicesDep

METRICS_PATH = "/metrics"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"  # any other method a client makes up shares one label value

# Figures a scrape computes (from the database, say), the same whichever worker answers.
ScrapeFigures = Callable[[Services], Awaitable[Sequence[Metric]]]


def metrics_router(settings: Settings, *, figures: Sequence[ScrapeFigures] = ()) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    @router.get(METRICS_PATH)
    async def scrape(services: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Response:
        if token is not None and not _bearer_matches(authorization, token):
            raise NotAuthenticated("GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.")
        computed = [figure for compute in figures for figure in await compute(services)]
        body = await run_in_threadpool(metrics.exposition, computed)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def _bearer_matches(authorization: str | None, token: bytes) -> bool:
    scheme, _, presented = (authorization or "").partition(" ")
    # compare_digest on both outcomes of the scheme test: the answer takes the same time.
    matches = hmac.compare_digest(presented.strip().encode(), token)
    return scheme.lower() == "bearer" and matches


_templates: dict[int, str] = {}


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (`/admin/users/{user_id}`), `unmatched` when
    none did. The router leaves the route in the scope with its path under its own router's
    prefix: the prefixes (which hold no parameters) are the leading segments of the request path."""
    route = scope.get("route")
    relative = getattr(route, "path", None)
    if relative is None:
        return metrics.UNMATCHED_ROUTE
    template = _templates.get(id(route))
    if template is None:
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        prefix_segments = path.rstrip("/").count("/") - relative.rstrip("/").count("/")
        prefix = "/".join(path.split("/")[: prefix_segments + 1]) if prefix_segments > 0 else ""
        template = _templates[id(route)] = prefix + relative
    return template


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # (route, method, status) -> counter, (route, method) -> histogram: bound once each.
        self._counters: dict[tuple[str, str, int], Callable[[], None]] = {}
        self._timers: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts: an error no handler answered

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
        counter = self._counters.get((route, method, status))
        if counter is None:
            counter = self._counters[(route, method, status)] = metrics.tally(
                metrics.HTTP_REQUESTS.labels(route, method, str(status))
            )
        counter()
        timer = self._timers.get((route, method))
        if timer is None:
            timer = self._timers[(route, method)] = metrics.HTTP_REQUEST_DURATION.labels(route, method)
        timer.observe(seconds)
