"""The error answers of the OpenAPI document: their bodies as named schemas, and what each one says.

Every error body is one of these shapes (`app.core.errors.DomainError.body`, `app.http.errors`):

* `ErrorBody`: `{"detail": CODE, "message": text}`, the answer of every domain error;
* `OAuthErrorBody`: the same with `error`, the OAuth2 error code (RFC 6749 5.2), on the token
  routes' errors, rate limits and 503s;
* `PasswordRejectedBody`: `{"detail": {"code": CODE, "reason": text}, "message": text}`, the
  password policy's refusal on Gatehouse's own routes (fastapi-users' codes and shape, plus
  `message`);
* `LibraryErrorBody`: `{"detail": CODE}` or `{"detail": {"code": CODE, "reason": text}}`, what
  fastapi-users' own routes (registration, password reset, verification) answer for the errors
  they raise themselves;
* `ValidationErrorBody`: the 422, `{"detail": [errors], "message": text, "omitted_errors": n}`
  (`app.http.errors.validation_error_body`), in place of FastAPI's `HTTPValidationError`.

`Documented` is one documented answer (status, code, example body, schema); `documented(Error)`
makes one from a domain error class, and `error_responses(Error, ...)` turns them into a route's
`responses=`. `app.http.openapi` puts them on every operation.

`SERVICE_ERRORS` lists the errors that come from a route's services rather than from its
dependencies (which `app.http.openapi` derives); it names them by code, so this module imports no
domain. A router may instead declare its errors with `responses=error_responses(...)`: declared
examples are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import DomainError, MalformedBody

COMPONENTS = "#/components/schemas/"


class ErrorBody(BaseModel):
    """The answer of every refused request: a stable code, and a sentence for people."""

    model_config = ConfigDict(extra="forbid", title="ErrorBody")

    detail: str = Field(description="A stable machine-readable code, e.g. `NOT_FOUND`: switch on this.")
    message: str = Field(description="What went wrong, for people; its wording may change.")


class OAuthErrorBody(ErrorBody):
    """An error of the token routes, a rate limit or a 503: `error` is the OAuth2 code."""

    model_config = ConfigDict(extra="forbid", title="OAuthErrorBody")

    error: str = Field(description="The OAuth2 error code (RFC 6749 5.2), e.g. `invalid_grant`.")
    error_description: str = Field(description="The `message` again, where OAuth2 clients look for it.")


class ErrorReason(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ErrorReason")

    code: str = Field(description="A stable machine-readable code, e.g. `REGISTER_INVALID_PASSWORD`.")
    reason: str = Field(
        description="Why: `PASSWORD_TOO_COMMON` or `PASSWORD_CONTAINS_CONTEXT` for the password policy's "
        "rules that have a code, a sentence for people otherwise."
    )


class PasswordRejectedBody(BaseModel):
    """The password policy refused a password (fastapi-users' codes and shape, plus `message`)."""

    model_config = ConfigDict(extra="forbid", title="PasswordRejectedBody")

    detail: ErrorReason
    message: str = Field(description="The reason again, as in every error body.")


class LibraryErrorBody(BaseModel):
    """What the libraries answer themselves: fastapi-users' routes (registration, password reset,
    verification) for the errors they raise, `detail` being a code or a code with a reason; and
    FastAPI or Starlette for a request body they cannot decode, `detail` being a sentence."""

    model_config = ConfigDict(extra="forbid", title="LibraryErrorBody")

    detail: str | ErrorReason


class ValidationErrorItem(BaseModel):
    """One reason a request is not valid (pydantic's, with a bounded excerpt of the input)."""

    model_config = ConfigDict(extra="forbid", title="ValidationErrorItem")

    type: str = Field(description="pydantic's error type, e.g. `missing`.")
    loc: list[str | int] = Field(description="Where: `body`, `query`, `path` or `header`, then the field.")
    msg: str
    input: Any = Field(default=None, description="A short excerpt of the offending input.")
    ctx: dict[str, Any] | None = Field(default=None, description='The constraint, e.g. `{"max_length": 200}`.')


class ValidationErrorBody(BaseModel):
    """The 422 answer: what is wrong and where, at most `app.http.errors.MAX_REPORTED_ERRORS` of it."""

    model_config = ConfigDict(extra="forbid", title="ValidationErrorBody")

    detail: list[ValidationErrorItem]
    message: str
    omitted_errors: int = Field(ge=0, description="How many more errors the request has than are listed.")


class MfaRequiredBody(OAuthErrorBody):
    """The password was right and the account has a second factor: continue at `POST /auth/jwt/mfa`."""

    model_config = ConfigDict(extra="forbid", title="MfaRequiredBody")

    mfa_token: str = Field(description="Opaque and single-use: send it to POST /auth/jwt/mfa with a code.")
    expires_in: int = Field(description="Seconds the mfa_token stays valid (MFA_TOKEN_TTL_SECONDS).")


ERROR_MODELS: tuple[type[BaseModel], ...] = (
    ValidationErrorItem,
    ValidationErrorBody,
    ErrorBody,
    OAuthErrorBody,
    ErrorReason,
    PasswordRejectedBody,
    LibraryErrorBody,
    MfaRequiredBody,
)

# What each status means, whatever the route.
STATUS_DESCRIPTIONS: Mapping[int, str] = {
    400: "The request cannot be carried out: `detail` says why.",
    401: "Missing, malformed, expired or revoked credentials.",
    403: "Authenticated, but your role or your kind of credential does not allow this.",
    404: "No such resource, or none that you may see.",
    409: "The request conflicts with the current state.",
    413: "The request body is larger than the service accepts (MAX_REQUEST_BODY_BYTES).",
    429: "Too many requests from your address; retry after `Retry-After` seconds.",
    431: "The request's headers are larger than the service accepts.",
    503: "The service is busy or its database does not answer; retry after `Retry-After` seconds.",
}

RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}
AUTHENTICATE_CHALLENGE = {
    "description": "The scheme to authenticate with: `Bearer` (RFC 6750), or `Basic` where a client's own "
    "credentials were refused (the token endpoint, RFC 6749 section 5.2).",
    "schema": {"type": "string"},
}
# Headers an answer may carry, by name.
OPTIONAL_HEADERS: Mapping[str, Mapping[str, Any]] = {"Retry-After": RETRY_AFTER}
# The headers every answer of a status carries.
STATUS_HEADERS: Mapping[int, Mapping[str, Mapping[str, Any]]] = {
    401: {"WWW-Authenticate": AUTHENTICATE_CHALLENGE},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}

# The password policy's codes (fastapi-users' own): their `detail` is `{"code", "reason"}`.
POLICY_REASON = "Password must be at least 12 characters long."


@dataclass(frozen=True, slots=True)
class Documented:
    """One error answer as the document shows it: an example body and the schema it follows."""

    status: int
    code: str
    summary: str
    body: Mapping[str, Any] = field(hash=False)
    model: type[BaseModel]
    # Headers some answers of this kind carry (documented as optional).
    headers: tuple[str, ...] = ()

    @property
    def example(self) -> dict[str, Any]:
        return {"summary": self.summary, "value": dict(self.body)}


def documented(error: type[DomainError]) -> Documented:
    """The answer of a domain error class (built without arguments)."""
    body = error().body()
    model: type[BaseModel] = OAuthErrorBody if "error" in body else ErrorBody
    return Documented(status=error.status_code, code=error.code, summary=error.message, body=body, model=model)


def plain_error(status: int, code: str, message: str) -> Documented:
    """An `ErrorBody` answer, for errors that have no domain error class."""
    body = {"detail": code, "message": message}
    return Documented(status=status, code=code, summary=message, body=body, model=ErrorBody)


def password_rejected(code: str) -> Documented:
    """The password policy's refusal on Gatehouse's own routes."""
    body = {"detail": {"code": code, "reason": POLICY_REASON}, "message": POLICY_REASON}
    summary = "The password policy refuses the password; `reason` says why."
    return Documented(status=400, code=code, summary=summary, body=body, model=PasswordRejectedBody)


def library_error(code: str, summary: str, *, reason: bool = False) -> Documented:
    """An error fastapi-users' own routes answer: `{"detail": code}`, or with a reason."""
    detail: str | dict[str, str] = {"code": code, "reason": POLICY_REASON} if reason else code
    return Documented(status=400, code=code, summary=summary, body={"detail": detail}, model=LibraryErrorBody)


# The answer to a body that cannot be decoded (bytes that are not UTF-8 in a JSON body, a broken
# form), given before any dependency runs, so before the caller is authenticated.
UNDECODABLE_BODY = documented(MalformedBody)


def error_responses(*errors: type[DomainError] | Documented) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=` for the errors its services raise, e.g.
    `@router.patch(..., responses=error_responses(LastAdminError))`."""
    answers = [error if isinstance(error, Documented) else documented(error) for error in errors]
    return {status: response_object(status, found) for status, found in group_by_status(answers).items()}


def group_by_status(answers: Iterable[Documented]) -> dict[int, list[Documented]]:
    grouped: dict[int, list[Documented]] = {}
    for answer in answers:
        listed = grouped.setdefault(answer.status, [])
        if all(known.code != answer.code for known in listed):
            listed.append(answer)
    return grouped


def response_object(
    status: int,
    answers: Iterable[Documented],
    *,
    description: str | None = None,
    extra_schemas: Iterable[Mapping[str, Any]] = (),
    examples: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI response object of `status`: the union of the answers' schemas, one named
    example per code, and the headers every answer of the status carries."""
    answers = list(answers)
    schemas: list[dict[str, Any]] = []
    for candidate in [*({"$ref": COMPONENTS + model_name(a.model)} for a in answers), *map(dict, extra_schemas)]:
        if candidate not in schemas:
            schemas.append(candidate)
    media: dict[str, Any] = {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
    all_examples = {**(examples or {}), **{answer.code: answer.example for answer in answers}}
    if all_examples:
        media["examples"] = all_examples
    response: dict[str, Any] = {
        "description": description or STATUS_DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": media},
    }
    headers = {name: {**header, "required": True} for name, header in STATUS_HEADERS.get(status, {}).items()}
    for name in (name for answer in answers for name in answer.headers):
        headers.setdefault(name, {**OPTIONAL_HEADERS[name], "required": False})
    if headers:
        response["headers"] = headers
    return response


def model_name(model: type[BaseModel]) -> str:
    title = model.model_config.get("title")
    return title if isinstance(title, str) else model.__name__


def component_schemas() -> dict[str, dict[str, Any]]:
    """The error bodies' schemas, by component name."""
    schemas: dict[str, dict[str, Any]] = {}
    for model in ERROR_MODELS:
        schema = model.model_json_schema(ref_template=COMPONENTS + "{model}")
        schema.pop("$defs", None)
        schemas[model_name(model)] = schema
    return schemas


# --- domain errors by code -------------------------------------------------------------------


def domain_errors() -> Iterator[type[DomainError]]:
    """Every domain error class loaded (the app imports every domain's errors)."""
    pending = [DomainError]
    while pending:
        error = pending.pop()
        yield error
        pending.extend(error.__subclasses__())


def by_code(code: str) -> Documented:
    """The answer of the domain error with this code; a `LookupError` names a code nobody raises."""
    found = {error for error in domain_errors() if error.code == code}
    if len(found) != 1:
        raise LookupError(f"{len(found)} domain error classes have the code {code!r}; SERVICE_ERRORS needs one")
    return documented(found.pop())


def by_status(status: int) -> list[Documented]:
    """The answers of the concrete domain errors of a status (e.g. the request limits' 413 and 431)."""
    return [documented(error) for error in domain_errors() if error.status_code == status]


# --- the errors that come from the services ---------------------------------------------------

# The codes a loader of a path parameter answers 404 with.
NOT_FOUND_CODES: Mapping[str, str] = {
    "user_id": "USER_NOT_FOUND",
    "item_id": "ITEM_NOT_FOUND",
    "session_id": "SESSION_NOT_FOUND",
    "api_key_id": "API_KEY_NOT_FOUND",
    "mail_id": "MAIL_NOT_FOUND",
}


@dataclass(frozen=True, slots=True)
class Coded:
    """The domain error with this code (looked up when the document is built), which sometimes
    carries `headers`."""

    code: str
    headers: tuple[str, ...] = ()


ErrorSpec = str | Coded | Documented

MFA_REQUIRED_MESSAGE = "A second factor is required: POST /auth/jwt/mfa with mfa_token and otp or recovery_code."
# The password step of an account with a second factor (app.mfa.errors.MfaRequired).
MFA_REQUIRED = Documented(
    status=403,
    code="MFA_REQUIRED",
    summary="The password is right; the login continues at POST /auth/jwt/mfa.",
    body={
        "detail": "MFA_REQUIRED",
        "message": MFA_REQUIRED_MESSAGE,
        "error": "mfa_required",
        "error_description": MFA_REQUIRED_MESSAGE,
        "mfa_token": "gatehouse_mfa_...",
        "expires_in": 300,
    },
    model=MfaRequiredBody,
)

# "METHOD path" -> what the route's services answer beyond what its dependencies imply (codes of
# domain errors, or answers of fastapi-users' routes).
SERVICE_ERRORS: Mapping[str, tuple[ErrorSpec, ...]] = {
    # fastapi-users' routes: errors the library raises answer with its own bodies; Gatehouse's
    # errors raised inside them (the login) with Gatehouse's.
    # A locked email's refusal says when to try again.
    "POST /auth/jwt/login": (
        Coded("LOGIN_BAD_CREDENTIALS", headers=("Retry-After",)),
        "LOGIN_USER_NOT_VERIFIED",
        MFA_REQUIRED,
    ),
    # The console's cookie sign-in runs the same login (app/console/session_router.py).
    "POST /console/session": (
        Coded("LOGIN_BAD_CREDENTIALS", headers=("Retry-After",)),
        "LOGIN_USER_NOT_VERIFIED",
        MFA_REQUIRED,
    ),
    "POST /auth/register": (
        library_error("REGISTER_USER_ALREADY_EXISTS", "An account with this email already exists."),
        library_error("REGISTER_INVALID_PASSWORD", "The password policy refuses the password.", reason=True),
    ),
    "POST /auth/reset-password": (
        library_error("RESET_PASSWORD_BAD_TOKEN", "The token is invalid, expired or already used."),
        library_error("RESET_PASSWORD_INVALID_PASSWORD", "The password policy refuses the password.", reason=True),
    ),
    "POST /auth/verify": (
        library_error("VERIFY_USER_BAD_TOKEN", "The token is invalid or expired, or the email has changed."),
        library_error("VERIFY_USER_ALREADY_VERIFIED", "The account is already verified."),
    ),
    # Gatehouse's routes.
    "POST /auth/jwt/revoke": ("INVALID_TOKEN_REQUEST",),
    "PATCH /users/me": (
        "CURRENT_PASSWORD_INVALID",
        "UPDATE_USER_EMAIL_ALREADY_EXISTS",
        password_rejected("UPDATE_USER_INVALID_PASSWORD"),
    ),
    "POST /auth/confirm-email-change": ("EMAIL_CHANGE_BAD_TOKEN", "UPDATE_USER_EMAIL_ALREADY_EXISTS"),
    "POST /admin/mail/{mail_id}/retry": ("MAIL_ALREADY_SENT",),
    "POST /admin/users": ("REGISTER_USER_ALREADY_EXISTS", password_rejected("REGISTER_INVALID_PASSWORD")),
    "PATCH /admin/users/{user_id}": (
        "UPDATE_USER_EMAIL_ALREADY_EXISTS",
        password_rejected("UPDATE_USER_INVALID_PASSWORD"),
        "API_KEY_NOT_ALLOWED",
        "LAST_ADMIN",
    ),
    "DELETE /admin/users/{user_id}": ("LAST_ADMIN",),
    "GET /admin/users": ("QUERY_TOO_SHORT",),
    "POST /api-keys": ("API_KEY_ROLE_NOT_ALLOWED", "API_KEY_LIMIT_REACHED"),
}


def resolve(spec: ErrorSpec) -> Documented:
    if isinstance(spec, Documented):
        return spec
    if isinstance(spec, Coded):
        return replace(by_code(spec.code), headers=spec.headers)
    return by_code(spec)
