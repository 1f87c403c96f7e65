"""`/items`: create and list for the caller, and read, change or delete one item."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.http.pagination import PageParams
from app.items.dependencies import ItemReader, ItemServiceDep, ItemWriter, VisibleItem, WritableItem
from app.items.schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])


@router.post("", response_model=ItemRead, status_code=status.HTTP_201_CREATED)
async def create_item(data: ItemCreate, caller: ItemWriter, items: ItemServiceDep) -> ItemRead:
    """Create an item owned by the caller -> 201. Guests may not (403)."""
    return ItemRead.model_validate(await items.create(owner_id=caller.id, data=data))


@router.get("", response_model=ItemPage)
async def list_items(
    caller: ItemReader,
    items: ItemServiceDep,
    page: PageParams,
    owner_id: Annotated[uuid.UUID | None, Query(description="Admins only; others always see their own")] = None,
) -> ItemPage:
    """A page of the caller's items, newest first; admins see every item, or one owner's with `owner_id`."""
    found, total = await items.list(caller=caller, owner_id=owner_id, limit=page.limit, offset=page.offset)
    return ItemPage(
        items=[ItemRead.model_validate(i) for i in found], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{item_id}", response_model=ItemRead)
async def read_item(_: ItemReader, item: VisibleItem) -> ItemRead:
    """One item. Someone else's item answers 404 `ITEM_NOT_FOUND`, exactly like a missing one."""
    return ItemRead.model_validate(item)


@router.patch("/{item_id}", response_model=ItemRead)
async def update_item(item: WritableItem, data: ItemUpdate, items: ItemServiceDep) -> ItemRead:
    """Change `title` and/or `description` of an item of yours (admins: any item)."""
    return ItemRead.model_validate(await items.update(item=item, data=data))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item: WritableItem, items: ItemServiceDep) -> None:
    """Delete an item of yours (admins: any item) -> 204."""
    await items.delete(item=item)
