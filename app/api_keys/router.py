"""`/api-keys`: the caller's own API keys."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api_keys.dependencies import ApiKeyCreator, ApiKeyServiceDep, OwnedApiKey
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.http.caller import CurrentCaller
from app.http.responses import no_store

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    data: ApiKeyCreate, caller: ApiKeyCreator, api_keys: ApiKeyServiceDep, response: Response
) -> ApiKeyCreated:
    """Create a key for yourself. The answer holds the key itself: this is the only time it is shown."""
    issued = await api_keys.create(caller=caller, data=data)
    no_store(response)
    return ApiKeyCreated.of(issued.api_key, secret=issued.secret)


@router.get("", response_model=list[ApiKeyRead])
async def list_api_keys(caller: CurrentCaller, api_keys: ApiKeyServiceDep) -> list[ApiKeyRead]:
    """Your keys, newest first, revoked ones included (with `revoked_at`)."""
    return [ApiKeyRead.model_validate(key) for key in await api_keys.list_for_owner(user_id=caller.id)]


@router.delete("/{api_key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(api_key: OwnedApiKey, caller: CurrentCaller, api_keys: ApiKeyServiceDep) -> None:
    """Revoke one of your keys. It stops working at once; it stays listed, with `revoked_at`."""
    await api_keys.revoke(api_key=api_key, actor=caller)
