"""`/admin/api-keys`: every account's API keys, for those who manage keys (admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api_keys.dependencies import ApiKeyManager, ApiKeyServiceDep, ManagedApiKey
from app.api_keys.schemas import AdminApiKeyRead, ApiKeyPage
from app.core.roles import Permission
from app.http.pagination import PageParams
from app.http.rbac import require

router = APIRouter(prefix="/admin/api-keys", tags=["admin"], dependencies=[require(Permission.API_KEYS_MANAGE)])


@router.get("", response_model=ApiKeyPage)
async def list_all_api_keys(
    api_keys: ApiKeyServiceDep,
    page: PageParams,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this account's keys")] = None,
) -> ApiKeyPage:
    """A page of every user's API keys (never the keys themselves), newest first."""
    found, total = await api_keys.list(user_id=user_id, limit=page.limit, offset=page.offset)
    return ApiKeyPage(
        items=[AdminApiKeyRead.model_validate(key) for key in found],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.delete("/{api_key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_any_api_key(api_key: ManagedApiKey, admin: ApiKeyManager, api_keys: ApiKeyServiceDep) -> None:
    """Revoke any user's API key -> 204; it stops working at once."""
    await api_keys.revoke(api_key=api_key, actor=admin)
