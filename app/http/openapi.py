"""The OpenAPI document offers both credentials wherever the caller dependency accepts them.

Protected routes declare the bearer scheme through their caller dependency
(`app.http.caller.CallerFromCredentials`), which also accepts `X-API-Key`; this adds the
API key scheme as the alternative ("either one") to exactly the operations that depend on it,
so /docs and generated clients know both. Routes that take only a bearer token (fastapi-users'
logout) keep only the bearer scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.http.caller import api_key_scheme


def with_api_key_scheme(app: FastAPI, *, routers: Iterable[APIRouter], caller_dependency: Callable[..., Any]) -> None:
    """`routers`: the routers the app includes (their own routes are walked, with their paths)."""
    routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        declared = api_key_scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[api_key_scheme.scheme_name] = declared
        alternative: dict[str, list[str]] = {api_key_scheme.scheme_name: []}
        for route in routes:
            if not _depends_on(route.dependant, caller_dependency):
                continue
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None and alternative not in operation.setdefault("security", []):
                    operation["security"].append(alternative)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(sub.call is call for sub in _walk(dependant))


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)
