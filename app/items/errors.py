"""Errors of the items domain."""

from __future__ import annotations

from app.core.errors import NotFound


class ItemNotFound(NotFound):
    code = "ITEM_NOT_FOUND"
    message = "No item with this id."
