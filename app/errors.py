"""Domain errors and the one place that turns them into HTTP answers.

Services raise a `DomainError` subclass; they never build HTTP responses. Each subclass fixes a
status code and a stable machine-readable `code` that clients may switch on. The body is
`{"detail": code, "message": text}`, plus an `error` member where OAuth2 (RFC 6749 5.2) defines one.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    message: ClassVar[str] = "The request cannot be carried out."
    oauth_error: ClassVar[str | None] = None

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail_message = message or self.message
        self.headers = headers or {}
        super().__init__(self.detail_message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.code, "message": self.detail_message}
        if self.oauth_error:
            body["error"] = self.oauth_error
        return body


class NotAuthenticated(DomainError):
    status_code = 401
    code = "NOT_AUTHENTICATED"
    message = "Missing, malformed, expired or revoked credentials."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers={**BEARER_CHALLENGE, **(headers or {})})


class Forbidden(DomainError):
    status_code = 403
    code = "FORBIDDEN"
    message = "Your role does not allow this."


class NotFound(DomainError):
    status_code = 404
    code = "NOT_FOUND"
    message = "No such resource."


class Conflict(DomainError):
    status_code = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state."


async def _domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def _http_error_handler(request: Request, exc: Exception) -> Any:
    # fastapi-users' own dependencies raise a bare 401; RFC 6750 wants the Bearer challenge on
    # every 401, so it is added here once instead of in every route.
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 401:
        exc.headers = {**BEARER_CHALLENGE, **(exc.headers or {})}
    return await http_exception_handler(request, exc)


async def _validation_error_handler(_: Request, exc: Exception) -> Response:
    # FastAPI's own 422 body, echoing the input, written with ASCII escapes: input that is not
    # valid Unicode (a lone surrogate from a JSON "\ud800") cannot be encoded as UTF-8 and would
    # turn the answer into a 500.
    assert isinstance(exc, RequestValidationError)
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, separators=(",", ":"))
    return Response(body, status_code=422, media_type="application/json")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
