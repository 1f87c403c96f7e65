"""How a launcher says that a server cannot run here, or did not start or stop."""

from __future__ import annotations

from pathlib import Path

INSTALL_HINT = (
    "Install them (Debian/Ubuntu: apt-get install postgresql redis-server) and run scripts/test again; "
    ".ci/run installs both. Or point TEST_DATABASE_URL (postgresql+asyncpg://...) and TEST_REDIS_URL "
    "(redis://...) at servers of your own."
)


class ServerUnavailable(RuntimeError):
    """The server's programs are not installed here; the message says how to get them."""


class ServerFailed(RuntimeError):
    """The server did not start or stop; the message ends with its log."""


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a server's log, for an error message."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
