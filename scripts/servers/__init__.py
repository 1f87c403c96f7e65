"""Throwaway servers on loopback, for the tests and the benchmark: PostgreSQL, Redis and Gatehouse.

* `postgres_cluster.PostgresCluster` and `redis_server.RedisServer` start a PostgreSQL cluster and
  a Redis server of their own, and remove every file of theirs when stopped;
* `databases` creates and drops databases on a PostgreSQL server;
* `service.ServiceProcess` runs one HTTP service in a process group of its own, and
  `gatehouse` starts Gatehouse (`python -m app`) that way;
* `python -m scripts.servers start|stop --dir DIR` starts both servers as daemons for a whole test
  run (`scripts/test-servers` runs it with the project's virtualenv).

The pytest fixtures built on these launchers live in tests/servers.py. Nothing here imports
pytest or the tests.
"""
