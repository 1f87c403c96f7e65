"""The operators' second-factor policy (MFA_REQUIRED_ROLES), applied to access tokens.

* A user whose role is listed and who has no confirmed factor may log in, but their tokens reach
  only `GET /users/me`, `/users/me/mfa*` and logout (which reads the token alone); anything else
  -> 403 MFA_ENROLLMENT_REQUIRED. Checked where the caller is resolved (`app.http.caller`).
* A route gated to listed roles only (the admin routes, when `admin` is listed) also needs a second
  factor in the token's `amr` (`otp` or `mfa`) from a user who has one: 403 MFA_STEP_UP_REQUIRED
  (`app.http.rbac.RoleChecker`, from the caller's `step_up_roles`).

API keys are separate credentials with their own role cap: the policy does not apply to them.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request

from app.config import Settings
from app.core.errors import Forbidden
from app.core.identity import Caller, Credential
from app.core.roles import Role
from app.http.services import get_services

SECOND_FACTOR_METHODS = frozenset({"otp", "mfa"})
ENROLMENT_PATH = "/users/me/mfa"


class MfaEnrollmentRequired(Forbidden):
    code = "MFA_ENROLLMENT_REQUIRED"
    message = "Your role requires a second factor: enrol one at POST /users/me/mfa/totp first."


class MfaStepUpRequired(Forbidden):
    code = "MFA_STEP_UP_REQUIRED"
    message = "This route requires a login with a second factor: log in again with your code."


def required_roles(settings: Settings) -> frozenset[Role]:
    return frozenset(Role(role) for role in settings.mfa_required_roles)


def apply_mfa_policy(caller: Caller, request: Request) -> Caller:
    """The caller of an access token under the policy: 403 MFA_ENROLLMENT_REQUIRED for a listed
    role without a factor (except on the routes that let them enrol); for a user with a factor
    whose login did not use it, the listed roles become `step_up_roles` (`RoleChecker` refuses a
    route only those roles may call with 403 MFA_STEP_UP_REQUIRED)."""
    settings = get_services(request).settings
    if not settings.mfa_required_roles or caller.credential is not Credential.ACCESS_TOKEN:
        return caller  # (the common case costs one attribute read)
    listed = required_roles(settings)
    if caller.user.mfa_enabled:
        if SECOND_FACTOR_METHODS.intersection(caller.amr):
            return caller
        return replace(caller, step_up_roles=listed)
    if caller.user.role in listed and not _enrolment_route(request.method, request.url.path):
        raise MfaEnrollmentRequired()
    return caller


def _enrolment_route(method: str, path: str) -> bool:
    return (method == "GET" and path == "/users/me") or path == ENROLMENT_PATH or path.startswith(ENROLMENT_PATH + "/")
