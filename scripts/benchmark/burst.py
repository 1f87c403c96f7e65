"""A registration burst: many clients registering at once, each with an email of its own, over
asyncio and httpx (one connection per client, all released together), every answer kept.

The burst runs in a process of its own, so that its client work (200 connections and answers in
Python) never shares a GIL with the caller's probe, whose latencies would then be the client's.
Both read CLOCK_MONOTONIC, so the burst's `started` and `ended` compare with the caller's times.

httpx comes with the project's `test` extra; the overload section imports this module only when
it runs, so the other sections need nothing beyond the service's own dependencies.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from scripts.benchmark.accounts import new_password
from scripts.benchmark.probe import percentile

TIMEOUT_S = 120  # far beyond any queue the service admits: a slow answer counts as slow, not as lost
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (connection refused or reset, timeout)
    seconds: float  # from the burst's start to this answer
    retry_after: str | None  # the Retry-After header, when there is one
    detail: str | None  # the error body's `detail`, when there is one
    excerpt: str  # the start of the body, or the transport error


@dataclass(frozen=True)
class Burst:
    started: float  # time.monotonic() when every request was released
    ended: float  # when the last answer arrived
    answers: list[Answer]

    @property
    def duration_s(self) -> float:
        return self.ended - self.started

    def by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for answer in self.answers:
            key = "no answer" if answer.status is None else str(answer.status)
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, Any]:
        """The raw figures: answers by status and by error `detail`, the 503s without Retry-After,
        the Retry-After values, each status's answer times, and a few bodies of unexpected answers."""
        by_detail: dict[str, int] = {}
        times: dict[str, list[float]] = {}
        examples: dict[str, list[str]] = {}
        retry_after: list[str] = []
        for answer in self.answers:
            key = "no answer" if answer.status is None else str(answer.status)
            times.setdefault(key, []).append(answer.seconds)
            if answer.detail is not None:
                by_detail[f"{key} {answer.detail}"] = by_detail.get(f"{key} {answer.detail}", 0) + 1
            if answer.status == 503 and answer.retry_after is not None:
                retry_after.append(answer.retry_after)
            if answer.status not in (201, 503) and len(examples.setdefault(key, [])) < 3:
                examples[key].append(answer.excerpt)
        seconds = [int(value) for value in retry_after if value.isdigit()]
        return {
            "clients": len(self.answers),
            "duration_s": round(self.duration_s, 3),
            "by_status": self.by_status(),
            "by_detail": dict(sorted(by_detail.items())),
            "503_without_retry_after": sum(
                1 for answer in self.answers if answer.status == 503 and answer.retry_after is None
            ),
            "retry_after_s": {"min": min(seconds), "max": max(seconds)} if seconds else None,
            "answer_s": {
                key: {"p50": round(percentile(values, 50), 3), "max": round(max(values), 3)}
                for key, values in sorted(times.items())
            },
            "examples": examples,
        }


def accounts(count: int) -> list[tuple[str, str]]:
    """`count` new (email, password) pairs, every email unused so far."""
    run = secrets.token_hex(4)
    return [(f"overload-{run}-{index:04d}@example.com", new_password()) for index in range(count)]


def register_burst(base_url: str, credentials: list[tuple[str, str]], *, timeout_s: float = TIMEOUT_S) -> Burst:
    """One client per (email, password), all sending `POST /auth/register` at the same moment, from
    a new process (spawned: nothing of this one's threads is copied into it)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_burst, base_url, credentials, timeout_s).result()


def run_burst(base_url: str, credentials: list[tuple[str, str]], timeout_s: float) -> Burst:
    """The burst in this process (`register_burst` runs it in another)."""
    return asyncio.run(_burst(base_url, credentials, timeout_s))


async def _burst(base_url: str, credentials: list[tuple[str, str]], timeout_s: float) -> Burst:
    count = len(credentials)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout_s) as client:
        go = asyncio.Event()
        started = 0.0

        async def register(email: str, password: str) -> Answer:
            await go.wait()
            try:
                response = await client.post("/auth/register", json={"email": email, "password": password})
            except httpx.HTTPError as error:
                return Answer(None, time.monotonic() - started, None, None, f"{type(error).__name__}: {error}")
            return Answer(
                status=response.status_code,
                seconds=time.monotonic() - started,
                retry_after=response.headers.get("Retry-After"),
                detail=_detail(response),
                excerpt=response.text[:EXCERPT_CHARS],
            )

        tasks = [asyncio.create_task(register(email, password)) for email, password in credentials]
        await asyncio.sleep(0)  # every client is waiting at the start line
        started = time.monotonic()
        go.set()
        answers = await asyncio.gather(*tasks)
        ended = max((started + answer.seconds for answer in answers), default=started)
    return Burst(started=started, ended=ended, answers=list(answers))


def _detail(response: httpx.Response) -> str | None:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None
