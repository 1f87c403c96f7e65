"""Items: create, list, read, change and delete, always on behalf of a caller."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.identity import Caller
from app.core.roles import Permission
from app.items.models import Item
from app.items.schemas import ItemCreate, ItemUpdate


class ItemService:
    def __init__(self, *, db: AsyncSession) -> None:
        self.db = db

    async def create(self, *, owner_id: uuid.UUID, data: ItemCreate) -> Item:
        item = Item(owner_id=owner_id, **data.model_dump())
        self.db.add(item)
        await self.db.commit()
        return item

    async def get(self, *, item_id: uuid.UUID) -> Item | None:
        return await self.db.get(Item, item_id)

    async def list(
        self, *, caller: Caller, owner_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[Sequence[Item], int]:
        """The caller's own items; a caller who may read any item sees all, or `owner_id`'s."""
        if not caller.can(Permission.ITEMS_READ_ANY):
            owner_id = caller.id
        conditions = [] if owner_id is None else [Item.owner_id == owner_id]
        page = select(Item).where(*conditions).order_by(Item.created_at.desc(), Item.id).limit(limit).offset(offset)
        total = select(func.count()).select_from(Item).where(*conditions)
        return (await self.db.scalars(page)).all(), int(await self.db.scalar(total) or 0)

    async def update(self, *, item: Item, data: ItemUpdate) -> Item:
        for field, value in data.model_dump(exclude_unset=True).items():
            if field == "title" and value is None:
                continue  # a title cannot be removed
            setattr(item, field, value)
        await self.db.commit()
        await self.db.refresh(item)
        return item

    async def delete(self, *, item: Item) -> None:
        await self.db.delete(item)
        await self.db.commit()
