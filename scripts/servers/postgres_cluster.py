"""A throwaway PostgreSQL cluster on loopback: initdb into a temporary directory, then pg_ctl.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (which
Debian's package creates), in a directory of its own under the system temp directory that this
user owns and can reach. Durability is off (fsync, synchronous_commit): the data is thrown away.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scripts.servers.errors import INSTALL_HINT, ServerFailed, ServerUnavailable, log_tail
from scripts.servers.ports import LOOPBACK, PORT_ATTEMPTS, free_port

SERVER_USER = "postgres"  # who runs PostgreSQL when we are root
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
POSTGRES_SETTINGS = {
    "listen_addresses": f"'{LOOPBACK}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Several service processes, each with its own pool, plus the tests' own connections.
    "max_connections": "300",
}


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServerUnavailable("running as root, PostgreSQL must run as another user, and runuser is missing")
    return [runuser, "-u", SERVER_USER, "--", *argv]


def _give_to_server_user(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ServerUnavailable(
            f"running as root, PostgreSQL must run as the unprivileged user {SERVER_USER!r}, which does not exist. "
            + INSTALL_HINT
        ) from None
    for directory, _, files in os.walk(path):
        os.chown(directory, account.pw_uid, account.pw_gid)
        for name in files:
            os.chown(Path(directory) / name, account.pw_uid, account.pw_gid)


@dataclass
class PostgresCluster:
    root: Path  # data/, socket/ and postgres.log; removed by stop()
    port: int
    bindir: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        """The server's own `postgres` database; callers create databases of their own on it."""
        return f"postgresql+asyncpg://{SERVER_USER}@{LOOPBACK}:{self.port}/postgres"

    @classmethod
    def start(cls) -> PostgresCluster:
        bindir = postgres_bindir()
        if bindir is None:
            raise ServerUnavailable("PostgreSQL (initdb, pg_ctl) is not installed. " + INSTALL_HINT)
        root = Path(tempfile.mkdtemp(prefix="gatehouse-postgres-"))
        try:
            (root / "socket").mkdir()
            _give_to_server_user(root)
            cluster = cls(root=root, port=0, bindir=bindir)
            cluster._initdb()
            for _ in range(PORT_ATTEMPTS):
                cluster.port = free_port()
                if cluster._pg_ctl_start():
                    return cluster
                if "already in use" not in cluster.log.read_text(errors="replace"):
                    break
            raise ServerFailed(f"PostgreSQL did not start:\n{log_tail(cluster.log)}")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        # stdin and stdout never reach the daemon, so `$(python -m scripts.servers start)` returns.
        return subprocess.run(
            _as_server_user(argv),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS + 30,
            check=False,
        )

    def _initdb(self) -> None:
        argv = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", SERVER_USER]
        argv += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        done = self._run(argv)
        if done.returncode != 0:
            raise ServerFailed(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        settings = POSTGRES_SETTINGS | {"unix_socket_directories": f"'{self.root / 'socket'}'"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# throwaway server (scripts/servers/postgres_cluster.py)\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pg_ctl_start(self) -> bool:
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        argv += ["-o", f"-p {self.port}", "-w", "-t", str(START_TIMEOUT_SECONDS), "start"]
        return self._run(argv).returncode == 0

    def stop(self) -> None:
        """Stop the server and remove its directory. Stopping a stopped cluster does nothing."""
        if (self.data / "postmaster.pid").exists():
            argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w"]
            done = self._run([*argv, "-t", str(STOP_TIMEOUT_SECONDS), "stop"])
            if done.returncode != 0 and (self.data / "postmaster.pid").exists():
                raise ServerFailed(f"PostgreSQL did not stop:\n{done.stderr}\n{log_tail(self.log)}")
        shutil.rmtree(self.root, ignore_errors=True)
