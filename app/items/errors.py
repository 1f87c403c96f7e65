from __future__ import annotations

from app.errors import NotFound


class ItemNotFound(NotFound):
    code = "ITEM_NOT_FOUND"
    message = "No item with this id."
