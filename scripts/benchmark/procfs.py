"""What the kernel says about a server's processes (Linux /proc): descendants, listening
sockets, resident memory, CPU time."""

from __future__ import annotations

import os
from pathlib import Path

from scripts.servers.errors import ServerFailed


def descendants(pid: int) -> list[int]:
    """The process and all its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def listening(pids: list[int], port: int) -> list[int]:
    """Those of `pids` that hold the listening TCP socket of `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    holders = []
    for pid in pids:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if links & inodes:
            holders.append(pid)
    return holders


def status_kb(pid: int, field: str) -> int:
    """A kB figure of /proc/PID/status: VmRSS (resident now), VmHWM (peak resident), ..."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise ServerFailed(f"no {field} for process {pid}")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes, so far (those gone meanwhile are left out)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")
