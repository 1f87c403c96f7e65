"""The benchmark: `python -m scripts.benchmark` (scripts/bench prepares ./.venv and wrk, then runs it).

How it fits together, from the top:

* `__main__`: the command line; runs the sections, prints the targets table, writes the JSON;
* `sections/`: one module per section, each a function of the `run.Run` that returns its raw
  figures (`sections.SECTIONS` lists them in run order);
* `targets`: the targets as ratios of those figures, built from the row machinery in `rows`;
* `measure`: one route measured with wrk (`wrk`); `login_load`: clients logging in meanwhile;
* `burst`: many clients registering at once (asyncio, httpx); `probe`: one route probed meanwhile;
* `services`: the servers under test, Gatehouse and fastapi-users' example (`reference_app`),
  started with scripts.servers and read through `procfs`;
* `client`, `accounts`, `hashing`, `seed`, `machine`: the HTTP client, the accounts the sections
  create, the service's password hashing, the large-database seeder, the machine's description.
"""
