"""Items: create, list, read, change and delete, always on behalf of a caller."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.caller import Caller
from app.db.session import SessionDep
from app.items.models import Item
from app.items.schemas import ItemCreate, ItemUpdate
from app.rbac.roles import Permission


class ItemService:
    def __init__(self, *, session: AsyncSession) -> None:
        self.session = session

    async def create(self, *, owner_id: uuid.UUID, data: ItemCreate) -> Item:
        item = Item(owner_id=owner_id, **data.model_dump())
        self.session.add(item)
        await self.session.commit()
        return item

    async def get(self, *, item_id: uuid.UUID) -> Item | None:
        return await self.session.get(Item, item_id)

    async def list(
        self, *, caller: Caller, owner_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[Sequence[Item], int]:
        """The caller's own items; a caller who may read any item sees all, or `owner_id`'s."""
        if not caller.can(Permission.ITEMS_READ_ANY):
            owner_id = caller.id
        conditions = [] if owner_id is None else [Item.owner_id == owner_id]
        page = select(Item).where(*conditions).order_by(Item.created_at.desc(), Item.id).limit(limit).offset(offset)
        total = select(func.count()).select_from(Item).where(*conditions)
        return (await self.session.scalars(page)).all(), int(await self.session.scalar(total) or 0)

    async def update(self, *, item: Item, data: ItemUpdate) -> Item:
        for field, value in data.model_dump(exclude_unset=True).items():
            if field == "title" and value is None:
                continue  # a title cannot be removed
            setattr(item, field, value)
        await self.session.commit()
        await self.session.refresh(item)
        return item

    async def delete(self, *, item: Item) -> None:
        await self.session.delete(item)
        await self.session.commit()


async def get_item_service(session: SessionDep) -> ItemService:
    return ItemService(session=session)


ItemServiceDep = Annotated[ItemService, Depends(get_item_service)]
