"""Response helpers shared by routes."""

from __future__ import annotations

from fastapi import Response

# For answers that carry a credential (tokens, a new API key): never cached anywhere.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def no_store(response: Response) -> None:
    response.headers.update(NO_STORE)
