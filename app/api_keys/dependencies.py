"""Who may touch API keys, the injected service, and the loaders that fetch the key a path names."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.api_keys.errors import ApiKeyNotFound
from app.api_keys.models import ApiKey
from app.api_keys.service import ApiKeyService
from app.core.identity import Caller
from app.core.roles import Permission
from app.core.secrets import SecretPurpose
from app.http.caller import CurrentCaller
from app.http.rbac import require
from app.http.services import DbSession, ServicesDep

# Creating keys needs API_KEYS_WRITE (users and admins). Listing and revoking one's own keys needs
# only a login: someone demoted to guest must still be able to see and retire their old keys.
ApiKeyCreator = Annotated[Caller, require(Permission.API_KEYS_WRITE)]
ApiKeyManager = Annotated[Caller, require(Permission.API_KEYS_MANAGE)]


async def get_api_key_service(db: DbSession, services: ServicesDep) -> ApiKeyService:
    return ApiKeyService(
        db=db,
        hasher=services.keys.hasher(SecretPurpose.API_KEY),
        max_active_per_user=services.settings.api_key_max_active_per_user,
        mail=services.mail,
        notify_created=services.settings.notify_api_key_created,
    )


ApiKeyServiceDep = Annotated[ApiKeyService, Depends(get_api_key_service)]


async def owned_api_key(api_key_id: uuid.UUID, caller: CurrentCaller, api_keys: ApiKeyServiceDep) -> ApiKey:
    api_key = await api_keys.get(api_key_id=api_key_id)
    if api_key is None or api_key.user_id != caller.id:
        raise ApiKeyNotFound()  # someone else's key answers like a missing one: no existence oracle
    return api_key


async def managed_api_key(api_key_id: uuid.UUID, _: ApiKeyManager, api_keys: ApiKeyServiceDep) -> ApiKey:
    """Any key, for those who manage keys (the 403 comes before any look-up)."""
    api_key = await api_keys.get(api_key_id=api_key_id)
    if api_key is None:
        raise ApiKeyNotFound()
    return api_key


OwnedApiKey = Annotated[ApiKey, Depends(owned_api_key)]
ManagedApiKey = Annotated[ApiKey, Depends(managed_api_key)]
