"""`gatehouse serve` (and `python -m app`) with several workers: warnings however the count is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.servers.gatehouse import gatehouse
from tests.cli.support import base_environment
from tests.cli.support import gatehouse as run_gatehouse

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


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_refusal_met_by_the_workers_themselves_exits_2_without_a_traceback(workers: str, tmp_path: Path):
    # The first admin's password is refused when a worker creates it, after serve's own checks.
    settings = {"FIRST_ADMIN_EMAIL": "root@example.com", "FIRST_ADMIN_PASSWORD": "short"}

    result = run_gatehouse("serve", "--port", "0", "--workers", workers, workdir=tmp_path, env=settings)

    assert result.returncode == 2, result.stderr
    assert "refused: FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr
