"""`/admin/api-keys`: every account's API keys, for those who manage keys (admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.api_keys.dependencies import ApiKeyManager, ManagedApiKey
from app.api_keys.schemas import AdminApiKeyRead, ApiKeyPage
from app.api_keys.service import ApiKeyServiceDep
from app.rbac.dependencies import RoleChecker
from app.rbac.roles import Permission
from app.storable import MAX_INTEGER

router = APIRouter(
    prefix="/admin/api-keys",
    tags=["admin"],
    dependencies=[Depends(RoleChecker.for_permission(Permission.API_KEYS_MANAGE))],
)


@router.get("", response_model=ApiKeyPage)
async def list_all_api_keys(
    api_keys: ApiKeyServiceDep,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this account's keys")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
) -> ApiKeyPage:
    found, total = await api_keys.list(user_id=user_id, limit=limit, offset=offset)
    return ApiKeyPage(
        items=[AdminApiKeyRead.model_validate(key) for key in found], total=total, limit=limit, offset=offset
    )


@router.delete("/{api_key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_any_api_key(api_key: ManagedApiKey, admin: ApiKeyManager, api_keys: ApiKeyServiceDep) -> None:
    await api_keys.revoke(api_key=api_key, actor=admin)
