"""Target 8: Gatehouse with 2 uvicorn workers against 1, on PostgreSQL and Redis.

Both runs share one throwaway PostgreSQL database and one Redis (started with scripts.servers,
stopped at the end), one account and its token, and measure the same thing: wrk's 32 connections
on JWT-authenticated GET /users/me. The target is the throughput of 2 workers over that of 1.
"""

from __future__ import annotations

import os
from typing import Any

from scripts.benchmark.accounts import USER_EMAIL, new_password
from scripts.benchmark.client import bearer
from scripts.benchmark.measure import throughput
from scripts.benchmark.run import Run, log
from scripts.benchmark.services import gatehouse, gatehouse_environment, postgres_and_redis, running

WORKER_COUNTS = (1, 2)


def scaleout(run: Run) -> dict[str, Any]:
    workdir = run.workdir("scaleout")
    results: dict[str, Any] = {"cores": len(os.sched_getaffinity(0))}
    with postgres_and_redis(workdir) as backing:
        results["postgres_bindir"] = str(backing.postgres_bindir)
        log(f"  PostgreSQL on port {backing.postgres_port}, Redis on port {backing.redis_port}")
        env = gatehouse_environment(workdir, admin_password=new_password()) | backing.environment()
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
    return results
