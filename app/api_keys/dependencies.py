"""Who may touch API keys, and the loaders that fetch the key a path names."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.api_keys.errors import ApiKeyNotFound
from app.api_keys.models import ApiKey
from app.api_keys.service import ApiKeyServiceDep
from app.auth.caller import Caller
from app.auth.dependencies import CurrentCaller
from app.rbac.dependencies import RoleChecker
from app.rbac.roles import Permission

# Creating keys needs API_KEYS_WRITE (users and admins). Listing and revoking one's own keys needs
# only a login: someone demoted to guest must still be able to see and retire their old keys.
ApiKeyCreator = Annotated[Caller, Depends(RoleChecker.for_permission(Permission.API_KEYS_WRITE))]
ApiKeyManager = Annotated[Caller, Depends(RoleChecker.for_permission(Permission.API_KEYS_MANAGE))]


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
