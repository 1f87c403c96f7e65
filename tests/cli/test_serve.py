"""`gatehouse serve` (and `python -m app`) with several workers: warnings however the count is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.servers.gatehouse import gatehouse
from tests.cli.support import base_environment

pytestmark = pytest.mark.processes

PER_WORKER_WARNING = "every worker counts on its own"


def test_workers_option_on_memory_storage_warns_that_each_worker_counts_alone(tmp_path: Path):
    server = gatehouse(tmp_path, base_environment(tmp_path), options=["--workers", "2"])
    try:
        server.start()
        log = server.log()
    finally:
        server.stop()

    assert PER_WORKER_WARNING in log
    assert "2 workers" in log


def test_one_worker_on_memory_storage_gets_no_warning(tmp_path: Path):
    server = gatehouse(tmp_path, base_environment(tmp_path))
    try:
        server.start()
        log = server.log()
    finally:
        server.stop()

    assert PER_WORKER_WARNING not in log
