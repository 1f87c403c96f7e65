"""`python -m scripts.servers start --dir DIR`: start a throwaway PostgreSQL and Redis as daemons
for a whole test run, and print the shell lines `export TEST_DATABASE_URL=... TEST_REDIS_URL=...`;
`python -m scripts.servers stop --dir DIR` stops them. scripts/test-servers runs this with the
project's virtualenv. DIR keeps the servers' state (and Redis' files) between the two.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from scripts.servers.errors import ServerFailed, ServerUnavailable
from scripts.servers.postgres_cluster import PostgresCluster
from scripts.servers.redis_server import RedisServer

STATE_FILE = "servers.json"


def start_command(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    state_path = directory / STATE_FILE
    if state_path.exists():
        print(f"servers already started from {directory}; stop them first", file=sys.stderr)
        return 1
    postgres = PostgresCluster.start()
    try:
        redis_server = RedisServer.start(directory / "redis")
    except BaseException:
        postgres.stop()
        raise
    state = {
        "postgres": {"root": str(postgres.root), "port": postgres.port, "bindir": str(postgres.bindir)},
        "redis": {"root": str(redis_server.root), "port": redis_server.port},
    }
    state_path.write_text(json.dumps(state, indent=2) + "\n")
    print(f"export TEST_DATABASE_URL={shlex.quote(postgres.url)}")
    print(f"export TEST_REDIS_URL={shlex.quote(redis_server.url)}")
    print(f"# PostgreSQL log: {postgres.log}; Redis log: {redis_server.log}", file=sys.stderr)
    return 0


def stop_command(directory: Path) -> int:
    state_path = directory / STATE_FILE
    if not state_path.exists():
        print(f"no servers started from {directory}", file=sys.stderr)
        return 0
    state = json.loads(state_path.read_text())
    problems = []
    servers: tuple[RedisServer | PostgresCluster, ...] = (
        RedisServer(root=Path(state["redis"]["root"]), port=int(state["redis"]["port"])),
        PostgresCluster(
            root=Path(state["postgres"]["root"]),
            port=int(state["postgres"]["port"]),
            bindir=Path(state["postgres"]["bindir"]),
        ),
    )
    for server in servers:
        try:
            server.stop()
        except ServerFailed as error:
            problems.append(str(error))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    state_path.unlink()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.servers",
        description="Start or stop a throwaway PostgreSQL and Redis on loopback for the test suite.",
    )
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--dir", type=Path, required=True, help="where the servers' state (and Redis' files) live")
    arguments = parser.parse_args(argv)
    directory: Path = arguments.dir.resolve()
    try:
        if arguments.action == "start":
            return start_command(directory)
        return stop_command(directory)
    except (ServerUnavailable, ServerFailed) as error:
        print(f"{arguments.action}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
