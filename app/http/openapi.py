"""The OpenAPI document, made true: both credentials where they are accepted, and every error answer.

FastAPI documents what a route declares; the rest is added here, once, when the document is built:

* **The API key scheme.** Protected routes declare the bearer scheme through their caller
  dependency (`app.http.caller.CallerFromCredentials`), which also accepts `X-API-Key`; the API key
  scheme is added as the alternative ("either one") to exactly the operations that depend on it,
  so /docs and generated clients know both. Routes that take only a bearer token (logout) keep
  only the bearer scheme.
* **Every status an operation can answer**, with its body's schema (`app.http.responses_doc`),
  derived from what the route depends on:

  ======================================  =====================================================
  the caller dependency                   401 (with `WWW-Authenticate`), 400 AMBIGUOUS_CREDENTIALS
  the access-token caller (logout)        401 INVALID_TOKEN
  a `RoleChecker` gate                    403 FORBIDDEN
  `LoggedInCaller`                        403 API_KEY_NOT_ALLOWED
  a loader of a path parameter            404 (its code: `NOT_FOUND_CODES`)
  a request body                          413 REQUEST_TOO_LARGE, 422, and FastAPI's 400 for a
                                          body it cannot decode
  a registered rate limit                 429 RATE_LIMITED (with `Retry-After`)
  the database or the caller              503 SERVICE_BUSY, DATABASE_UNAVAILABLE (`Retry-After`)
  every route                             431 (request headers too large)
  ======================================  =====================================================

  plus the errors of the route's services (`SERVICE_ERRORS`) and those a Gatehouse router declares
  itself (`responses=`, kept). fastapi-users documents its routes' errors with bodies Gatehouse's
  adapter does not answer (its login's), so its declarations are replaced by `SERVICE_ERRORS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.authstate.errors import (
    AmbiguousCredentials,
    ApiKeyExpired,
    ApiKeyMalformed,
    ApiKeyNotAllowed,
    ApiKeyOwnerInactive,
    ApiKeyRevoked,
    ApiKeyUnknown,
)
from app.core.errors import DatabaseUnavailable, Forbidden, InvalidToken, NotAuthenticated, ServiceBusy
from app.http.caller import api_key_scheme, get_access_token_caller, get_logged_in_caller
from app.http.limits import REQUEST_HEADERS_TOO_LARGE, REQUEST_TOO_LARGE
from app.http.mfa_policy import MfaEnrollmentRequired, MfaStepUpRequired
from app.http.ratelimit import enforce_rate_limit
from app.http.rbac import RoleChecker
from app.http.responses_doc import (
    COMPONENTS,
    NOT_FOUND_CODES,
    SERVICE_ERRORS,
    UNDECODABLE_BODY,
    Documented,
    ErrorBody,
    LibraryErrorBody,
    OAuthErrorBody,
    PasswordRejectedBody,
    ValidationErrorBody,
    by_code,
    by_status,
    component_schemas,
    documented,
    group_by_status,
    model_name,
    plain_error,
    resolve,
    response_object,
)
from app.http.services import get_db
from app.ratelimit.errors import RateLimited

CALLER_ERRORS = [
    documented(error)
    for error in (
        NotAuthenticated,
        InvalidToken,
        ApiKeyMalformed,
        ApiKeyUnknown,
        ApiKeyRevoked,
        ApiKeyExpired,
        ApiKeyOwnerInactive,
        AmbiguousCredentials,
    )
]
UNAVAILABLE_ERRORS = [documented(ServiceBusy), documented(DatabaseUnavailable)]
# The request limits' answers (`app.http.limits`, a middleware: no domain error class).
BODY_TOO_LARGE = plain_error(413, REQUEST_TOO_LARGE, "The request body is larger than MAX_REQUEST_BODY_BYTES.")
HEADERS_TOO_LARGE = plain_error(431, REQUEST_HEADERS_TOO_LARGE, "The request headers are too large.")
# fastapi-users' module prefix: its routes' declared errors are not what Gatehouse answers.
LIBRARY_MODULE = "fastapi_users"
# FastAPI's 422 (which FastAPI documents on every route with parameters: its schema is replaced
# by the bounded body `app.http.errors` answers).
VALIDATION_STATUS = "422"
# The error models that FastAPI and fastapi-users put in the document, replaced by Gatehouse's.
REPLACED_MODELS = ("ErrorModel", "HTTPValidationError", "ValidationError")

RateLimitedRoute = Callable[[str], bool]


def operation_id(route: APIRoute) -> str:
    """A route's `operationId`: its own when it declares one, else its name, which is the
    endpoint function's (`read_me`, `list_users`), so generated clients get readable methods."""
    return route.operation_id or route.name


def document_openapi(app: FastAPI, *, caller_dependency: Callable[..., Any], public_url: str | None = None) -> None:
    """Post-process the app's document when it is first built. `caller_dependency`: the
    dependency that accepts a bearer token or an API key; `public_url` (PUBLIC_URL) makes the
    password flow's `tokenUrl` absolute."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        routes = list(served_routes(app))
        _add_api_key_scheme(schema, routes, caller_dependency)
        if public_url:
            _absolute_token_urls(schema, public_url)
        # Which routes are rate-limited is known to the running service; a document built before
        # start-up (no services yet) documents 429 on every route that the limit dependency guards,
        # and is not kept.
        services = getattr(app.state, "services", None)
        rate_limited: RateLimitedRoute = services.rate_limits.limits if services is not None else _every_route
        document_errors(schema, routes, caller_dependency=caller_dependency, rate_limited=rate_limited)
        app.openapi_schema = schema if services is not None else None
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _every_route(_: str) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class ServedRoute:
    """An operation's route as the app serves it: its full path (as the document writes it), and
    every dependency it runs."""

    path: str
    methods: frozenset[str]
    name: str
    module: str
    dependant: Dependant
    has_body: bool


def served_routes(app: FastAPI) -> Iterator[ServedRoute]:
    """The app's API routes in the document. FastAPI 0.16x includes routers lazily: the routes
    with their inclusion's prefix and dependencies are route contexts, as the document uses."""
    iter_route_contexts = getattr(routing, "iter_route_contexts", None)
    routes: Iterable[Any] = iter_route_contexts(app.routes) if iter_route_contexts is not None else app.routes
    for route in routes:
        if not isinstance(getattr(route, "original_route", route), APIRoute) or not route.include_in_schema:
            continue
        yield ServedRoute(
            path=route.path_format,
            methods=frozenset(route.methods or ()),
            name=route.name,
            module=route.endpoint.__module__,
            dependant=route.dependant,
            has_body=route.body_field is not None,
        )


# --- the API key scheme ----------------------------------------------------------------------


def _add_api_key_scheme(
    schema: dict[str, Any], routes: list[ServedRoute], caller_dependency: Callable[..., Any]
) -> None:
    declared = api_key_scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[api_key_scheme.scheme_name] = declared
    alternative: dict[str, list[str]] = {api_key_scheme.scheme_name: []}
    for route, _, operation in _operations(schema, routes):
        if caller_dependency in _calls(route) and alternative not in operation.setdefault("security", []):
            operation["security"].append(alternative)


def _absolute_token_urls(schema: dict[str, Any], public_url: str) -> None:
    for scheme in schema.get("components", {}).get("securitySchemes", {}).values():
        password = scheme.get("flows", {}).get("password")
        if password is not None and "://" not in password.get("tokenUrl", "://"):
            password["tokenUrl"] = f"{public_url}/{password['tokenUrl'].lstrip('/')}"


# --- the error answers -----------------------------------------------------------------------


def document_errors(
    schema: dict[str, Any],
    routes: list[ServedRoute],
    *,
    caller_dependency: Callable[..., Any],
    rate_limited: RateLimitedRoute,
) -> None:
    """Give every operation of `routes` each error status it can answer, with its schema and codes."""
    for route, method, operation in _operations(schema, routes):
        answers = derived_errors(route, caller_dependency=caller_dependency, rate_limited=rate_limited)
        answers += [resolve(spec) for spec in SERVICE_ERRORS.get(f"{method} {route.path}", ())]
        responses: dict[str, Any] = operation.setdefault("responses", {})
        declared = _declared_errors(responses, from_library=route.module.startswith(LIBRARY_MODULE))
        grouped = group_by_status([*answers, *(answer for _, _, found in declared.values() for answer in found)])
        for status, found in grouped.items():
            description, declared_schema, _ = declared.get(status, (None, None, []))
            responses[str(status)] = response_object(
                status,
                found,
                description=description,
                extra_schemas=[declared_schema] if declared_schema else [],
            )
        operation["responses"] = dict(sorted(responses.items(), key=lambda item: _status_order(item[0])))
        validation = operation["responses"].get(VALIDATION_STATUS, {}).get("content", {}).get("application/json")
        if validation is not None:
            validation["schema"] = {"$ref": COMPONENTS + model_name(ValidationErrorBody)}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(component_schemas())
    # FastAPI's and fastapi-users' error models, once no operation refers to them any more.
    used = json.dumps(schema["paths"])
    for name in REPLACED_MODELS:
        if json.dumps(COMPONENTS + name) not in used:
            components.pop(name, None)


def derived_errors(
    route: ServedRoute, *, caller_dependency: Callable[..., Any], rate_limited: RateLimitedRoute
) -> list[Documented]:
    """The errors the route's dependencies answer (see the module's table)."""
    calls = _calls(route)
    answers: list[Documented] = []
    authenticates = caller_dependency in calls or get_access_token_caller in calls
    if caller_dependency in calls:
        answers += [*CALLER_ERRORS, documented(MfaEnrollmentRequired)]  # (with MFA_REQUIRED_ROLES)
    if get_access_token_caller in calls:
        answers.append(documented(InvalidToken))
    if any(isinstance(call, RoleChecker) for call in calls):
        answers += [documented(Forbidden), documented(MfaStepUpRequired)]
    if get_logged_in_caller in calls:
        answers.append(documented(ApiKeyNotAllowed))
    for dependency in _walk(route.dependant):
        for parameter in dependency.path_params:
            if parameter.name not in NOT_FOUND_CODES:
                raise LookupError(f"{route.path}: no NOT_FOUND_CODES entry for {parameter.name!r}")
            answers.append(by_code(NOT_FOUND_CODES[parameter.name]))
    if route.has_body:
        answers += [UNDECODABLE_BODY, *(by_status(413) or [BODY_TOO_LARGE])]
    if enforce_rate_limit in calls and rate_limited(route.name):
        answers.append(documented(RateLimited))
    if authenticates or get_db in calls:
        answers += UNAVAILABLE_ERRORS
    answers += by_status(431) or [HEADERS_TOO_LARGE]
    return answers


def _declared_errors(
    responses: dict[str, Any], *, from_library: bool
) -> dict[int, tuple[str | None, Mapping[str, Any] | None, list[Documented]]]:
    """The error responses a route declared itself: (description, schema, examples) by status.
    fastapi-users' are dropped: `SERVICE_ERRORS` says what its routes answer."""
    declared: dict[int, tuple[str | None, Mapping[str, Any] | None, list[Documented]]] = {}
    for key in list(responses):
        if not key.isdigit() or int(key) < 400 or key == VALIDATION_STATUS:
            continue
        if from_library:
            del responses[key]
            continue
        status = int(key)
        media = responses[key].get("content", {}).get("application/json", {})
        examples = [
            _from_example(status, example) for example in media.get("examples", {}).values() if "value" in example
        ]
        declared[status] = (responses[key].get("description"), media.get("schema"), examples)
    return declared


def _from_example(status: int, example: Mapping[str, Any]) -> Documented:
    """A declared example, with the schema its body follows."""
    body: Mapping[str, Any] = example["value"]
    detail = body.get("detail")
    model: type[ErrorBody] | type[OAuthErrorBody] | type[PasswordRejectedBody] | type[LibraryErrorBody]
    if isinstance(detail, Mapping):
        code = str(detail.get("code"))
        model = PasswordRejectedBody if "message" in body else LibraryErrorBody
    else:
        code = str(detail)
        model = OAuthErrorBody if "error" in body else ErrorBody if "message" in body else LibraryErrorBody
    return Documented(status=status, code=code, summary=str(example.get("summary", code)), body=body, model=model)


def _status_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1000, key)


def _operations(schema: dict[str, Any], routes: list[ServedRoute]) -> Iterator[tuple[ServedRoute, str, dict[str, Any]]]:
    """(route, METHOD, operation) for every operation of `routes` in the document."""
    for route in routes:
        for method in sorted(route.methods):
            operation = schema["paths"].get(route.path, {}).get(method.lower())
            if operation is not None:
                yield route, method, operation


def _calls(route: ServedRoute) -> list[Callable[..., Any]]:
    return [dependency.call for dependency in _walk(route.dependant) if dependency.call is not None]


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)
