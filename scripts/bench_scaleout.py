"""The scale-out section: Gatehouse with 2 uvicorn workers against 1, on PostgreSQL and Redis.

Both runs share one throwaway PostgreSQL database and one Redis (started with tests/servers.py,
stopped at the end), one account and its token, and measure the same thing: wrk's 32 connections
on JWT-authenticated GET /users/me. The target is the throughput of 2 workers over that of 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
from types import ModuleType
from typing import Any

from bench_client import bearer
from bench_sections import USER_EMAIL, Run, log, new_password, throughput
from bench_servers import REPO, gatehouse, gatehouse_environment, running
from bench_targets import Results, Row, _row, _section

WORKER_COUNTS = (1, 2)


def launcher() -> ModuleType:
    """tests/servers.py, which starts the throwaway servers (it needs the test tools installed)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    try:
        import tests.servers as servers
    except ModuleNotFoundError as error:
        raise RuntimeError(
            f"the scale-out section starts its servers with tests/servers.py, which needs {error.name}: "
            "install the test tools with .venv/bin/pip install -e '.[test]' (or run scripts/test once)"
        ) from error
    return servers


def scaleout(run: Run) -> dict[str, Any]:
    servers = launcher()
    workdir = run.workdir("scaleout")
    results: dict[str, Any] = {"cores": len(os.sched_getaffinity(0))}
    postgres = servers.PostgresCluster.start()
    try:
        redis_server = servers.RedisServer.start(workdir / "redis")
        try:
            database_url = asyncio.run(servers.create_database(postgres.url, prefix="gatehouse_bench"))
            results["postgres_bindir"] = str(postgres.bindir)
            log(f"  PostgreSQL on port {postgres.port}, Redis on port {redis_server.port}")
            env = gatehouse_environment(workdir, admin_password=new_password()) | {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_server.url,
            }
            password = new_password()
            for workers in WORKER_COUNTS:
                with running(gatehouse(workdir, env, workers=workers)) as server:
                    client = server.client()
                    if workers == WORKER_COUNTS[0]:
                        client.register(USER_EMAIL, password)
                    token = client.login(USER_EMAIL, password)
                    client.close()
                    label = f"{workers} worker{'s' if workers > 1 else ''}: JWT GET /users/me"
                    measured = throughput(run, server, "/users/me", label, bearer(token))
                    results[f"workers_{workers}"] = measured | {
                        "workers": workers,
                        "processes": len(server.processes()),  # uvicorn's supervisor too, with several
                    }
        finally:
            redis_server.stop()
    finally:
        postgres.stop()
    return results


def rows(results: Results) -> list[Row]:
    def measured(workers: int) -> dict[str, Any]:
        return _section(results, "scaleout")[f"workers_{workers}"]

    def ratio() -> tuple[float, list[dict[str, Any]]]:
        return measured(2)["rps"] / measured(1)["rps"], [measured(2), measured(1)]

    def note() -> str:
        # The servers' CPU use shows whether the second worker found a core to run on.
        two, one, cores = measured(2), measured(1), _section(results, "scaleout")["cores"]
        return (
            f"{two['rps']:,.0f} vs {one['rps']:,.0f} req/s, server CPU {two['server_cpu_percent']:.0f}% vs "
            f"{one['server_cpu_percent']:.0f}%, PostgreSQL + Redis, {cores} cores"
        )

    return [_row("8", "JWT /users/me rps, 2 workers / 1 worker", ">= 1.6", ratio, note)]
