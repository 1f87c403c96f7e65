"""The answer of GET /ready."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from app.health.checks import CheckStatus


class ReadinessOut(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, CheckStatus]
