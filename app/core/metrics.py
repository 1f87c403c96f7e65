"""The service's Prometheus metrics: what is counted, under which names, and how several workers add up.

Every metric is defined here, once per process, with its label values bound ahead where they are
known, so that counting on a hot path is one increment. Where an event happens, its module
increments the metric; `GET /metrics` (app/http/metrics.py) writes them out.

Several workers: prometheus-client's multiprocess mode. Each worker writes its figures to files of
its own in one directory, and a scrape of any worker adds up the files of all of them (counters and
histograms over every worker that ever ran since start-up, gauges over the live ones). The mode is
chosen when prometheus-client is first imported, by PROMETHEUS_MULTIPROC_DIR in the environment:
`gatehouse serve --workers N` prepares the directory and sets the variable before uvicorn starts the
workers (app/cli/serve.py), which import it fresh.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Requests that matched no route share one label value: a scanner's made-up paths must not
# create a time series each.
UNMATCHED_ROUTE = "unmatched"
# Latency buckets, in seconds: from a cached authenticated read (about a millisecond) to a login
# queued behind other password hashes (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HASH_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "gatehouse_http_requests_total",
    "Answered HTTP requests, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "gatehouse_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)

LOGIN_OUTCOMES = ("succeeded", "bad_credentials", "locked", "mfa_required", "unverified", "rate_limited", "busy")
LOGINS = Counter("gatehouse_logins_total", "Password logins (POST /auth/jwt/login), by outcome.", ["outcome"])
MFA_LOGIN_OUTCOMES = ("succeeded", "code_invalid", "token_invalid")
MFA_LOGINS = Counter(
    "gatehouse_mfa_logins_total", "Second steps of a login (POST /auth/jwt/mfa), by outcome.", ["outcome"]
)
REGISTRATIONS = Counter("gatehouse_registrations_total", "Accounts registered through POST /auth/register.")
REFRESH_OUTCOMES = ("rotated", "grace", "reuse_detected", "invalid")
REFRESHES = Counter(
    "gatehouse_refreshes_total", "Refresh-token exchanges (POST /auth/jwt/refresh), by outcome.", ["outcome"]
)
RATE_LIMITED = Counter(
    "gatehouse_rate_limit_rejections_total", "Requests refused 429 by a per-client rate limit, by route.", ["route"]
)

PASSWORD_QUEUE_DEPTH = Gauge(
    "gatehouse_password_hash_queue_depth",
    "Password operations admitted and not finished (waiting for a hashing thread or hashing).",
    multiprocess_mode="livesum",
)
PASSWORD_QUEUE_WAIT = Histogram(
    "gatehouse_password_hash_wait_seconds",
    "Time a password hash or verification waited for a hashing thread.",
    buckets=HASH_BUCKETS,
)
PASSWORD_HASH_DURATION = Histogram(
    "gatehouse_password_hash_duration_seconds",
    "Time of one password hash or verification on its thread.",
    buckets=HASH_BUCKETS,
)
PASSWORD_BUSY = Counter(
    "gatehouse_password_hash_refusals_total", "Password operations refused 503 SERVICE_BUSY: the queue was full."
)

AUTH_CACHE_LOOKUPS = Counter(
    "gatehouse_auth_cache_lookups_total",
    "Look-ups in a worker's auth cache (token claims, users, sessions, API keys), hit or miss.",
    ["cache", "result"],
)
DATABASE_CONNECTIONS_IN_USE = Gauge(
    "gatehouse_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)


def tally(child: Counter) -> Callable[[], None]:
    """`child.inc()` for the request path, at the cost of one call: prometheus-client's `inc`
    checks on every call that the counter has all its labels, which a bound child always has
    (checked here, once)."""
    child.inc(0)
    return partial(child._value.inc, 1)


class CacheCounters:
    """The hit and miss counters of one auth cache, bound once (called on every authenticated request)."""

    __slots__ = ("hit", "miss")

    def __init__(self, cache: str) -> None:
        self.hit = tally(AUTH_CACHE_LOOKUPS.labels(cache=cache, result="hit"))
        self.miss = tally(AUTH_CACHE_LOOKUPS.labels(cache=cache, result="miss"))


# Every labelled family shows all its known label values from the start, at 0, so that a rate()
# over a family sees an event's first occurrence.
LOGIN = {outcome: LOGINS.labels(outcome=outcome) for outcome in LOGIN_OUTCOMES}
MFA_LOGIN = {outcome: MFA_LOGINS.labels(outcome=outcome) for outcome in MFA_LOGIN_OUTCOMES}
REFRESH = {outcome: REFRESHES.labels(outcome=outcome) for outcome in REFRESH_OUTCOMES}


# --- the exposition ---------------------------------------------------------------------------
class _Figures(Collector):
    def __init__(self, figures: Sequence[Metric]) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Metric]:
        return self.figures


def exposition(figures: Sequence[Metric] = ()) -> bytes:
    """Every metric in Prometheus' text format: this process's, or with several workers the sums
    over all of them, then `figures` (computed for this scrape, the same whichever worker answers).
    Blocking (it reads every worker's files): call it from a thread."""
    directory = multiprocess_directory()
    if directory is None:
        counted = generate_latest(REGISTRY)
    else:
        mark_dead_workers(directory)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
        counted = generate_latest(registry)
    return counted + generate_latest(_Figures(figures)) if figures else counted


# --- several workers -------------------------------------------------------------------------
def multiprocess() -> bool:
    """Whether this process writes its figures to the shared directory (chosen at import)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def multiprocess_directory() -> Path | None:
    if not multiprocess():
        return None
    # prometheus-client's own variable, read where prometheus-client reads it.
    path = os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE)
    return Path(path) if path else None


_FILE_PID = re.compile(r"_(\d+)\.db$")


def clear_stale_files(directory: Path) -> None:
    """Remove the figures of an earlier run from `directory` (before any worker starts), keeping
    this process's own, if it writes there."""
    directory.mkdir(parents=True, exist_ok=True)
    own = str(os.getpid())
    for path in directory.glob("*.db"):
        match = _FILE_PID.search(path.name)
        if match is None or match[1] != own:
            path.unlink(missing_ok=True)


def mark_dead_workers(directory: Path) -> None:
    """Drop the live gauges of workers that are gone (a crashed worker leaves its files behind;
    its counters still count, its gauges must not)."""
    pids = {int(match[1]) for name in glob.glob(str(directory / "gauge_live*.db")) if (match := _FILE_PID.search(name))}
    for pid in pids:
        if not _alive(pid):
            mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def mark_this_worker_dead() -> None:
    """At a worker's shutdown: its live gauges leave the sums."""
    directory = multiprocess_directory()
    if directory is not None:
        mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: that pid is not ours to judge
        return True
    return True
