"""Gatehouse as separate processes (`python -m app`), the way a deployment runs it.

Each process runs this checkout's code in the working directory it is given (so a developer's
`.env` is not read) with exactly the environment the caller gives, so a caller states everything
the service is told.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from scripts.servers.ports import LOOPBACK, free_port
from scripts.servers.service import ServiceProcess, stop_all

REPO = Path(__file__).resolve().parents[2]

# One Gatehouse process started by `start_instances`.
Instance = ServiceProcess


def gatehouse(
    workdir: Path, env: dict[str, str], *, port: int | None = None, options: Sequence[str] = ()
) -> ServiceProcess:
    """Gatehouse on a port of its own (a free one unless given), not yet started; `options` are
    more of uvicorn's (`--workers 2`, say). It imports `app` from this checkout."""
    port = port or free_port()
    argv = [sys.executable, "-m", "app", "--host", LOOPBACK, "--port", str(port), *options]
    return ServiceProcess(
        name="gatehouse",
        argv=argv,
        cwd=workdir,
        env={"PYTHONPATH": str(REPO), **env},
        port=port,
        log_path=workdir / f"gatehouse-{port}.log",
    )


def start_instances(count: int, *, workdir: Path, env: dict[str, str]) -> list[Instance]:
    """Start `count` processes at once (they race through start-up together), each on a port of
    its own, and wait until every one answers /health. On failure, all are stopped."""
    workdir.mkdir(parents=True, exist_ok=True)
    instances: list[Instance] = []
    try:
        for _ in range(count):
            instance = gatehouse(workdir, env)
            instances.append(instance)
            instance.launch()
        for instance in instances:
            instance.wait_healthy()
    except BaseException:
        stop_all(instances)
        raise
    return instances


def stop_instances(instances: list[Instance]) -> None:
    stop_all(instances)
