"""Who may touch items, the injected service, and the loaders that fetch one the caller may see."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.core.identity import Caller
from app.core.roles import Permission
from app.http.caller import CurrentCaller
from app.http.rbac import require
from app.http.services import DbSession
from app.items.errors import ItemNotFound
from app.items.models import Item
from app.items.service import ItemService

ItemReader = Annotated[Caller, require(Permission.ITEMS_READ)]
ItemWriter = Annotated[Caller, require(Permission.ITEMS_WRITE)]


async def get_item_service(db: DbSession) -> ItemService:
    return ItemService(db=db)


ItemServiceDep = Annotated[ItemService, Depends(get_item_service)]


async def visible_item(item_id: uuid.UUID, caller: CurrentCaller, items: ItemServiceDep) -> Item:
    item = await items.get(item_id=item_id)
    if item is None or (item.owner_id != caller.id and not caller.can(Permission.ITEMS_READ_ANY)):
        raise ItemNotFound()  # someone else's item answers like a missing one: no existence oracle
    return item


async def writable_item(caller: ItemWriter, item: Annotated[Item, Depends(visible_item)]) -> Item:
    if item.owner_id != caller.id and not caller.can(Permission.ITEMS_WRITE_ANY):
        raise ItemNotFound()
    return item


VisibleItem = Annotated[Item, Depends(visible_item)]
WritableItem = Annotated[Item, Depends(writable_item)]
