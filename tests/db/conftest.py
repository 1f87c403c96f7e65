"""The tests here watch the migrations run, so their databases start without even a schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import Databases


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    with databases.fresh(tmp_path, empty=True) as url:
        yield url
