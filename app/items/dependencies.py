"""Who may touch items, and the loader that fetches one the caller may see."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.caller import Caller
from app.auth.dependencies import CurrentCaller
from app.items.errors import ItemNotFound
from app.items.models import Item
from app.items.service import ItemServiceDep
from app.rbac.dependencies import RoleChecker
from app.rbac.roles import Permission

ItemReader = Annotated[Caller, Depends(RoleChecker.for_permission(Permission.ITEMS_READ))]
ItemWriter = Annotated[Caller, Depends(RoleChecker.for_permission(Permission.ITEMS_WRITE))]


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
