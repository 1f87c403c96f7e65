"""Drive HTTP load with wrk and read its report.

Two ways to run it: for a fixed time (`run`), or until a number of responses (`run_until`). wrk
has no request-count option: a thread can stop itself from Lua, but wrk's main thread still sleeps
for the whole `-d`, so each thread leaves a marker file when it reaches its share and the driver
then sends SIGINT, which makes wrk print its report with the real elapsed time.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

THREADS = 2
CONNECTIONS = 32
# Far above any latency we expect, so a slow response counts as slow, not as a lost one.
TIMEOUT_SECONDS = 10

_UNITS_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TIME = r"([\d.]+)(us|ms|s|m|h)"

# Each thread counts its responses and, at its share, leaves a marker and stops itself.
_COUNTING_SCRIPT = """
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local limit = tonumber(os.getenv("BENCH_WRK_PER_THREAD"))
local marker = os.getenv("BENCH_WRK_MARKER")
local count = 0

function response(status, headers, body)
  count = count + 1
  if count == limit then
    local file = io.open(marker .. "." .. id, "w")
    file:write(tostring(count))
    file:close()
    wrk.thread:stop()
  end
end
"""


class WrkError(RuntimeError):
    """wrk failed or printed a report this module cannot read."""


@dataclass(frozen=True)
class WrkResult:
    url: str
    threads: int
    connections: int
    requests: int
    duration_s: float
    rps: float
    latency_ms: dict[str, float]  # avg, max, p50, p75, p90, p99
    non_2xx: int
    socket_errors: dict[str, int]
    raw: str = field(repr=False)

    @property
    def p50_ms(self) -> float:
        return self.latency_ms["p50"]

    @property
    def problems(self) -> list[str]:
        """Why the figures may not describe the route measured: answers that were not 2xx (an
        error page is fast), timeouts, or fewer answers than connections (wrk only counts what
        arrives within the run, so a server that stalls leaves a few lucky answers, too few to read)."""
        found = []
        if self.non_2xx:
            found.append(f"{self.non_2xx} non-2xx answers")
        if self.socket_errors.get("timeout"):
            found.append(f"{self.socket_errors['timeout']} timeouts")
        if self.requests < self.connections:
            found.append(f"only {self.requests} answers on {self.connections} connections")
        return found

    @property
    def clean(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"clean": self.clean, "problems": self.problems}


def version() -> str:
    completed = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).splitlines()[0].strip()


def run(
    url: str,
    *,
    duration_s: int,
    headers: dict[str, str] | None = None,
    threads: int = THREADS,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """`wrk -t<threads> -c<connections> -d<duration>s --latency` against one URL."""
    argv = _argv(url, duration_s=duration_s, headers=headers, threads=threads, connections=connections)
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    if completed.returncode != 0:
        raise WrkError(f"wrk exited with {completed.returncode}: {completed.stderr.strip() or completed.stdout}")
    return parse(completed.stdout, url=url, threads=threads, connections=connections)


def run_until(
    url: str,
    *,
    responses: int,
    max_duration_s: int,
    headers: dict[str, str] | None = None,
    threads: int = THREADS,
    connections: int = CONNECTIONS,
) -> tuple[WrkResult, bool]:
    """Run until `responses` responses have arrived (rounded up to a multiple of `threads`), or
    until `max_duration_s`. Returns the report and whether the count was reached."""
    per_thread = math.ceil(responses / threads)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        script = Path(scratch) / "count.lua"
        script.write_text(_COUNTING_SCRIPT)
        marker = Path(scratch) / "done"
        env = dict(os.environ, BENCH_WRK_PER_THREAD=str(per_thread), BENCH_WRK_MARKER=str(marker))
        argv = _argv(
            url, duration_s=max_duration_s, headers=headers, threads=threads, connections=connections, script=script
        )
        markers = [Path(f"{marker}.{index}") for index in range(1, threads + 1)]
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        reached = False
        try:
            deadline = time.monotonic() + max_duration_s + 30
            while process.poll() is None and time.monotonic() < deadline:
                if all(path.exists() for path in markers):
                    reached = True
                    process.send_signal(signal.SIGINT)  # wrk prints its report with the real elapsed time
                    break
                time.sleep(0.02)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        reached = reached or all(path.exists() for path in markers)
    if process.returncode not in (0, -signal.SIGINT):
        raise WrkError(f"wrk exited with {process.returncode}: {stderr.strip() or stdout}")
    return parse(stdout, url=url, threads=threads, connections=connections), reached


def _argv(
    url: str,
    *,
    duration_s: int,
    headers: dict[str, str] | None,
    threads: int,
    connections: int,
    script: Path | None = None,
) -> list[str]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the benchmark only loads local servers, not {url}")
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={TIMEOUT_SECONDS}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    return [*argv, url]


def parse(report: str, *, url: str, threads: int, connections: int) -> WrkResult:
    """Read a `wrk --latency` report."""
    totals = re.search(rf"(\d+) requests in {_TIME}", report)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", report)
    thread_latency = re.search(rf"^\s+Latency\s+{_TIME}\s+{_TIME}\s+{_TIME}", report, re.MULTILINE)
    percentiles = {
        f"p{match[1]}": _milliseconds(match[2], match[3])
        for match in re.finditer(rf"^\s+(50|75|90|99)%\s+{_TIME}", report, re.MULTILINE)
    }
    if not (totals and rps and thread_latency) or "p50" not in percentiles:
        raise WrkError(f"unexpected wrk report:\n{report}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    if sockets:
        socket_errors = dict(zip(socket_errors, map(int, sockets.groups()), strict=True))
    return WrkResult(
        url=url,
        threads=threads,
        connections=connections,
        requests=int(totals[1]),
        duration_s=float(totals[2]) * _UNITS_SECONDS[totals[3]],
        rps=float(rps[1]),
        latency_ms={
            "avg": _milliseconds(thread_latency[1], thread_latency[2]),
            "max": _milliseconds(thread_latency[5], thread_latency[6]),
            **percentiles,
        },
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=socket_errors,
        raw=report,
    )


def _milliseconds(value: str, unit: str) -> float:
    return round(float(value) * _UNITS_SECONDS[unit] * 1000, 3)
