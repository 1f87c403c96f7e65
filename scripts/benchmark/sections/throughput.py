"""Targets 1, 2, 4 and 5: Gatehouse's authenticated throughput and login behaviour, one server."""

from __future__ import annotations

import os
import time
from typing import Any

from scripts.benchmark.accounts import USER_EMAIL, new_password
from scripts.benchmark.client import bearer
from scripts.benchmark.hashing import password_verification
from scripts.benchmark.login_load import LOGIN_CLIENTS, LoginLoad
from scripts.benchmark.measure import throughput
from scripts.benchmark.run import Run, log
from scripts.benchmark.services import Server, gatehouse, gatehouse_environment, running


def api_key(server: Server, token: str) -> tuple[str | None, str]:
    """An API key for the bench user, or None and why there is none."""
    client = server.client()
    try:
        answer = client.request("POST", "/api-keys", json_body={"name": "bench"}, headers=bearer(token))
    finally:
        client.close()
    if answer.status == 404:
        return None, "not available: POST /api-keys answered 404 (API keys are not in this checkout)"
    if answer.status != 201 or "key" not in answer.json():
        return None, f"error: POST /api-keys answered {answer.status} {answer.body[:200]!r}"
    key: str = answer.json()["key"]
    return key, "created"


def gatehouse_throughput(run: Run) -> dict[str, Any]:
    """Targets 1, 2, 4 and 5: authenticated throughput and login behaviour on one fresh server."""
    workdir = run.workdir("throughput")
    env = gatehouse_environment(workdir, admin_password=new_password())
    password = new_password()
    results: dict[str, Any] = {"cores": len(os.sched_getaffinity(0))}
    with running(gatehouse(workdir, env)) as server:
        client = server.client()
        client.register(USER_EMAIL, password)
        token = client.login(USER_EMAIL, password)
        client.close()
        key, key_status = api_key(server, token)

        results["password_verification"] = verification = password_verification()
        log(f"  one password verification ({verification['scheme']}): {verification['median_s'] * 1000:.0f} ms")
        results["health"] = throughput(run, server, "/health", "GET /health")
        results["jwt_me"] = throughput(run, server, "/users/me", "JWT GET /users/me", bearer(token))
        if key is None:
            log(f"  X-API-Key GET /users/me: {key_status}")
            results["api_key_me"] = {"available": False, "reason": key_status}
        else:
            measured = throughput(run, server, "/users/me", "X-API-Key GET /users/me", {"X-API-Key": key})
            results["api_key_me"] = {"available": True, **measured}

        # Target 4: the same measurement idle, then while LOGIN_CLIENTS clients log in back to back.
        results["jwt_me_idle"] = throughput(run, server, "/users/me", "JWT GET /users/me, idle", bearer(token))
        with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
            time.sleep(1)  # every client is mid-login before measuring
            started = time.monotonic()
            during = throughput(run, server, "/users/me", "JWT GET /users/me, during logins", bearer(token))
            results["jwt_me_during_logins"] = during | {"logins": load.summary(started, time.monotonic())}

        # Target 5: login throughput alone.
        with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
            time.sleep(1)
            cpu_before, started = server.cpu_seconds(), time.monotonic()
            time.sleep(run.durations.logins_s)
            ended = time.monotonic()
            cpu_percent = 100 * (server.cpu_seconds() - cpu_before) / (ended - started)
            logins = load.summary(started, ended) | {"server_cpu_percent": round(cpu_percent, 1)}
        log(f"  logins, {LOGIN_CLIENTS} clients: {logins['logins_per_s']:.2f}/s, server CPU {cpu_percent:.0f}%")
        results["logins"] = logins
    return results
