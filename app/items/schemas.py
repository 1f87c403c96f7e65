"""Item schemas: what clients send and what they get back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page
from app.core.storable import StorableText


class ItemCreate(BaseModel):
    title: Annotated[str, StorableText] = Field(min_length=1, max_length=200)
    description: Annotated[str | None, StorableText] = Field(default=None, max_length=10_000)


class ItemUpdate(BaseModel):
    title: Annotated[str | None, StorableText] = Field(default=None, min_length=1, max_length=200)
    description: Annotated[str | None, StorableText] = Field(default=None, max_length=10_000)


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class ItemPage(Page[ItemRead]):
    pass
