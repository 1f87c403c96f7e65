"""Target 7: the worker's resident memory after the first N authenticated requests and after M."""

from __future__ import annotations

from typing import Any

from scripts.benchmark import wrk
from scripts.benchmark.accounts import USER_EMAIL, new_password
from scripts.benchmark.client import bearer
from scripts.benchmark.measure import preflight, report
from scripts.benchmark.run import Run, log
from scripts.benchmark.services import gatehouse, gatehouse_environment, running


def memory(run: Run) -> dict[str, Any]:
    """Target 7: the worker's resident memory after the first N authenticated requests and after M."""
    durations = run.durations
    workdir = run.workdir("memory")
    env = gatehouse_environment(workdir, admin_password=new_password())
    password = new_password()
    with running(gatehouse(workdir, env)) as server:
        client = server.client()
        client.register(USER_EMAIL, password)
        headers = bearer(client.login(USER_EMAIL, password))
        client.close()
        # With one worker, uvicorn serves from the process it was started as: check, then read it.
        processes, listening = server.processes(), server.listening_pids()
        if processes != [server.pid] or listening != [server.pid]:
            raise RuntimeError(f"expected one serving process {server.pid}; found {processes}, listening {listening}")
        preflight(server, "/users/me", headers)
        results: dict[str, Any] = {"pid": server.pid, "rss_kb_at_start": server.rss_kb()}
        done = 0
        for name, target in (("first", durations.memory_first), ("total", durations.memory_total)):
            result, reached = wrk.run_until(
                server.url("/users/me"), responses=target - done, max_duration_s=durations.memory_max_s, headers=headers
            )
            done += result.requests
            report(f"JWT GET /users/me, requests {done - result.requests:,}..{done:,}", result)
            results[name] = {
                "target_requests": target,
                "requests_so_far": done,
                "reached": reached and done >= target,
                "rss_kb": server.rss_kb(),
                "peak_rss_kb": server.peak_rss_kb(),
                "wrk": result.as_dict(),
            }
            log(f"  RSS after {done:,} requests: {results[name]['rss_kb'] / 1024:.1f} MB")
    return results
