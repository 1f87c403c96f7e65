"""The product's name, as mail shows it and as the password policy keeps out of passwords."""

from __future__ import annotations

PRODUCT_NAME = "Gatehouse"
