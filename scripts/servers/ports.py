"""Free TCP ports on loopback."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"
# A free port can be taken by someone else before the server binds it: launchers that can tell
# (the server's log says so) try again on another one, this many times in all.
PORT_ATTEMPTS = 3


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port
