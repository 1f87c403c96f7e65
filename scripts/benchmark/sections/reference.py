"""Target 3's denominator: fastapi-users' documented example, measured as Gatehouse is."""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

from scripts.benchmark.accounts import USER_EMAIL, new_password
from scripts.benchmark.client import bearer
from scripts.benchmark.login_load import LOGIN_CLIENTS, LoginLoad
from scripts.benchmark.measure import throughput
from scripts.benchmark.run import Run
from scripts.benchmark.services import reference_app, running


def reference(run: Run) -> dict[str, Any]:
    """Target 3's denominator: fastapi-users' documented example, measured the same way; and, for
    comparison with target 4, its authenticated latency while clients log in."""
    workdir = run.workdir("reference")
    password = new_password()
    route, label = "/authenticated-route", "reference JWT GET /authenticated-route"
    with running(reference_app(workdir)) as server:
        client = server.client()
        client.register(USER_EMAIL, password)
        headers = bearer(client.login(USER_EMAIL, password))
        client.close()
        results = {
            "fastapi_users": version("fastapi-users"),
            "health": throughput(run, server, "/health", "reference GET /health"),
            "authenticated_route": throughput(run, server, route, label, headers),
        }
        with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
            time.sleep(1)
            started = time.monotonic()
            during = throughput(run, server, route, f"{label}, during logins", headers)
            results["authenticated_route_during_logins"] = during | {"logins": load.summary(started, time.monotonic())}
        return results
