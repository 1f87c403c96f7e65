"""Why a credential is refused.

Every refused key is a 401 (with the Bearer challenge) and a code that says why, so a script's
operator can tell a typo from a revoked or expired key. The codes reveal nothing to a guesser:
only the holder of a real key can see anything but `API_KEY_MALFORMED` or `API_KEY_UNKNOWN`.
"""

from __future__ import annotations

from app.core.errors import DomainError, Forbidden, NotAuthenticated


class ApiKeyMalformed(NotAuthenticated):
    code = "API_KEY_MALFORMED"
    message = "The X-API-Key header is not a Gatehouse API key: wrong prefix, length or checksum (mistyped?)."


class ApiKeyUnknown(NotAuthenticated):
    code = "API_KEY_UNKNOWN"
    message = "No such API key."


class ApiKeyRevoked(NotAuthenticated):
    code = "API_KEY_REVOKED"
    message = "This API key has been revoked."


class ApiKeyExpired(NotAuthenticated):
    code = "API_KEY_EXPIRED"
    message = "This API key has expired."


class ApiKeyOwnerInactive(NotAuthenticated):
    code = "API_KEY_OWNER_INACTIVE"
    message = "The account that owns this API key is deactivated."


class AmbiguousCredentials(DomainError):
    status_code = 400
    code = "AMBIGUOUS_CREDENTIALS"
    message = "The bearer token and the X-API-Key belong to different users: send one credential."


class ApiKeyNotAllowed(Forbidden):
    code = "API_KEY_NOT_ALLOWED"
    message = "API keys cannot do this; log in with your password and use the access token."
