"""Login load: clients logging in back to back, each on its own connection, counted over time."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from scripts.benchmark.client import Client

# How many clients log in at once while a section measures under login load (target 4's "8 logins").
LOGIN_CLIENTS = 8


@dataclass
class LoginLoad:
    """`clients` threads, each logging in back to back with correct credentials on its own
    connection, until stopped or until `max_duration_s` has passed."""

    port: int
    email: str
    password: str
    clients: int = LOGIN_CLIENTS
    max_duration_s: float = 600
    _completions: list[tuple[float, float]] = field(default_factory=list)  # (finished at, seconds)
    _failures: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> LoginLoad:
        deadline = time.monotonic() + self.max_duration_s
        self._threads = [
            threading.Thread(target=self._loop, args=(deadline,), name=f"login-{index}", daemon=True)
            for index in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _loop(self, deadline: float) -> None:
        client = Client(self.port, timeout_s=60)
        form = {"username": self.email, "password": self.password}
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    answer = client.request("POST", "/auth/jwt/login", form=form)
                except (OSError, http.client.HTTPException) as error:
                    self._fail(type(error).__name__)
                    client.close()
                    time.sleep(0.1)
                    continue
                finished = time.monotonic()
                if answer.status == 200:
                    with self._lock:
                        self._completions.append((finished, finished - started))
                else:
                    self._fail(f"HTTP {answer.status}")
        finally:
            client.close()

    def _fail(self, reason: str) -> None:
        with self._lock:
            self._failures[reason] = self._failures.get(reason, 0) + 1

    def summary(self, start: float, end: float) -> dict[str, Any]:
        """Logins that completed between two `time.monotonic()` instants."""
        with self._lock:
            window = [seconds for finished, seconds in self._completions if start <= finished <= end]
            failures = dict(self._failures)
            total = len(self._completions)
        return {
            "clients": self.clients,
            "window_s": end - start,
            "logins_in_window": len(window),
            "logins_per_s": len(window) / (end - start),
            "login_latency_ms_p50": statistics.median(window) * 1000 if window else None,
            "logins_total": total,
            "failures": failures,
        }
