"""The targets, as ratios of the figures the sections measured (scripts.benchmark.sections): one
row each, in the table's order, built with scripts.benchmark.rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scripts.benchmark.rows import Results, Row, Unavailable, row, section
from scripts.benchmark.sections.overload import BACKENDS, BURST_CLIENTS, MIN_BURST_PROBES

# Target 9: the probe's p95 during the registration burst, at most this many times its idle p50.
OVERLOAD_P95_OVER_IDLE_P50 = 5


def rows(results: Results) -> list[Row]:
    """Every target's row: targets 1 to 7 and the reference app's figures on one SQLite worker,
    then target 8 (2 workers against 1 on PostgreSQL and Redis), then target 9 (a registration
    burst on each backend), target 10 (the audit trail) and target 11 (the admin user search)."""
    return (
        sqlite_rows(results)
        + scaleout_rows(results)
        + overload_rows(results)
        + audit_rows(results)
        + search_rows(results)
    )


def sqlite_rows(results: Results) -> list[Row]:
    def throughput() -> dict[str, Any]:
        return section(results, "throughput")

    def reference() -> dict[str, Any]:
        return section(results, "reference")

    def memory() -> dict[str, Any]:
        return section(results, "memory")

    def million() -> dict[str, Any]:
        return section(results, "million")

    def rps_ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> tuple[float, list[dict[str, Any]]]:
        return numerator["rps"] / denominator["rps"], [numerator, denominator]

    def p50_ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> tuple[float, list[dict[str, Any]]]:
        return numerator["latency_ms"]["p50"] / denominator["latency_ms"]["p50"], [numerator, denominator]

    def p50_note(loaded: dict[str, Any], idle: dict[str, Any]) -> str:
        return f"{idle['latency_ms']['p50']:.1f} -> {loaded['latency_ms']['p50']:.1f} ms"

    def api_key() -> tuple[float, list[dict[str, Any]]]:
        section = throughput()
        measured = section["api_key_me"]
        if not measured["available"]:
            raise Unavailable("n/a", measured["reason"])
        return rps_ratio(measured, section["health"])

    def no_failed_logins(summary: dict[str, Any]) -> None:
        """A refused login (a rate limit, say) is cheap: the load would not be what it claims."""
        if summary["failures"]:
            raise Unavailable("INVALID", f"failed logins during the load: {summary['failures']}")

    def latency_during_logins() -> tuple[float, list[dict[str, Any]]]:
        during = throughput()["jwt_me_during_logins"]
        no_failed_logins(during["logins"])
        return p50_ratio(during, throughput()["jwt_me_idle"])

    def logins() -> tuple[float, list[dict[str, Any]]]:
        section = throughput()
        no_failed_logins(section["logins"])
        ceiling = section["cores"] / section["password_verification"]["median_s"]
        return section["logins"]["logins_per_s"] / ceiling, []

    def logins_note() -> str:
        section = throughput()
        ceiling = section["cores"] / section["password_verification"]["median_s"]
        return f"{section['logins']['logins_per_s']:.2f}/s of {ceiling:.2f}/s ({section['cores']} cores)"

    def size_ratio(route: str) -> tuple[float, list[dict[str, Any]]]:
        large, small = million()["1m"][route], million()["1k"][route]
        return large["latency_ms"]["p50"] / small["latency_ms"]["p50"], [large, small]

    def size_note(route: str) -> str:
        large, small = million()["1m"][route], million()["1k"][route]
        return f"{small['latency_ms']['p50']:.2f} -> {large['latency_ms']['p50']:.2f} ms"

    def memory_phase(phase: str) -> dict[str, Any]:
        figures: dict[str, Any] = memory()[phase]
        if not figures["reached"]:
            raise Unavailable("n/a", f"only {figures['requests_so_far']:,} requests within the time bound")
        return figures

    def memory_ratio() -> tuple[float, list[dict[str, Any]]]:
        first, total = memory_phase("first"), memory_phase("total")
        return total["rss_kb"] / first["rss_kb"], [first["wrk"], total["wrk"]]

    def memory_absolute() -> tuple[float, list[dict[str, Any]]]:
        total = memory_phase("total")
        return total["rss_kb"] / 1024, [total["wrk"]]

    def memory_note() -> str:
        first, total = memory()["first"], memory()["total"]
        return (
            f"{first['rss_kb'] / 1024:.1f} MB after {first['requests_so_far']:,}, "
            f"{total['rss_kb'] / 1024:.1f} MB after {total['requests_so_far']:,}"
        )

    def rps_note(name: str, denominator: Callable[[], dict[str, Any]]) -> Callable[[], str]:
        return lambda: f"{throughput()[name]['rps']:,.0f} vs {denominator()['rps']:,.0f} req/s"

    first, total = 10_000, 200_000
    if "first" in results.get("memory", {}):
        first, total = results["memory"]["first"]["target_requests"], results["memory"]["total"]["target_requests"]

    return [
        row(
            "1",
            "JWT /users/me rps / /health rps",
            ">= 0.6",
            lambda: rps_ratio(throughput()["jwt_me"], throughput()["health"]),
            rps_note("jwt_me", lambda: throughput()["health"]),
        ),
        row(
            "2",
            "X-API-Key /users/me rps / /health rps",
            ">= 0.6",
            api_key,
            lambda: f"{throughput()['api_key_me']['rps']:,.0f} vs {throughput()['health']['rps']:,.0f} req/s",
        ),
        row(
            "3",
            "JWT /users/me rps / reference app's authenticated rps",
            ">= 5",
            lambda: rps_ratio(throughput()["jwt_me"], reference()["authenticated_route"]),
            rps_note("jwt_me", lambda: reference()["authenticated_route"]),
        ),
        row(
            "4",
            "JWT /users/me p50 during 8 logins / idle p50",
            "<= 3",
            latency_during_logins,
            lambda: p50_note(throughput()["jwt_me_during_logins"], throughput()["jwt_me_idle"]),
        ),
        row("5", "logins/s / (cores / one verification)", ">= 0.85", logins, logins_note),
        row(
            "6a",
            "/users/me p50, 1M users / 1k users",
            "<= 1.5",
            lambda: size_ratio("users_me"),
            lambda: size_note("users_me"),
        ),
        row(
            "6b",
            "/admin/users p50, 1M users / 1k users",
            "<= 1.5",
            lambda: size_ratio("admin_users"),
            lambda: size_note("admin_users"),
        ),
        row("7a", f"worker RSS after {total:,} requests / after {first:,}", "<= 1.1", memory_ratio, memory_note),
        row("7b", f"worker RSS after {total:,} requests (MB)", "< 150", memory_absolute),
        # For comparison: the reference app on the measures of targets 1 and 4.
        row(
            "ref",
            "reference: authenticated rps / /health rps",
            "",
            lambda: rps_ratio(reference()["authenticated_route"], reference()["health"]),
            lambda: f"{reference()['authenticated_route']['rps']:,.0f} vs {reference()['health']['rps']:,.0f} req/s",
        ),
        row(
            "ref",
            "reference: authenticated p50 during 8 logins / idle p50",
            "",
            lambda: p50_ratio(reference()["authenticated_route_during_logins"], reference()["authenticated_route"]),
            lambda: p50_note(reference()["authenticated_route_during_logins"], reference()["authenticated_route"]),
        ),
    ]


# Target 11: the admin email search answers a page in under this many milliseconds (p50).
SEARCH_P50_MS = 50


def search_rows(results: Results) -> list[Row]:
    """Target 11, two rows per backend: the search's p50 with 1,000,000 users over its p50 with
    1,000, and its p50 with 1,000,000 users in milliseconds."""

    def measured(backend: str, size: str) -> dict[str, Any]:
        figures: dict[str, Any] = section(results, "search")[backend][size]["narrow"]
        return figures

    def ratio(backend: str) -> tuple[float, list[dict[str, Any]]]:
        large, small = measured(backend, "1m"), measured(backend, "1k")
        return large["latency_ms"]["p50"] / small["latency_ms"]["p50"], [large, small]

    def absolute(backend: str) -> tuple[float, list[dict[str, Any]]]:
        large = measured(backend, "1m")
        return large["latency_ms"]["p50"], [large]

    def note(backend: str) -> str:
        large, small = measured(backend, "1m"), measured(backend, "1k")
        broad = section(results, "search")[backend]["1m"]["broad"]["latency_ms"]["p50"]
        return f"{small['latency_ms']['p50']:.2f} -> {large['latency_ms']['p50']:.2f} ms; broad term {broad:.2f} ms"

    def backend_rows(letter: str, backend: str, label: str) -> list[Row]:
        return [
            row(
                f"11{letter}",
                f"/admin/users?q= p50, 1M users / 1k users, {label}",
                "<= 2",
                lambda: ratio(backend),
                lambda: note(backend),
            ),
            row(
                f"11{chr(ord(letter) + 1)}",
                f"/admin/users?q= p50 with 1M users (ms), {label}",
                f"< {SEARCH_P50_MS}",
                lambda: absolute(backend),
            ),
        ]

    return backend_rows("a", "sqlite", "SQLite") + backend_rows("c", "postgres", "PostgreSQL")


def scaleout_rows(results: Results) -> list[Row]:
    def measured(workers: int) -> dict[str, Any]:
        figures: dict[str, Any] = section(results, "scaleout")[f"workers_{workers}"]
        return figures

    def ratio() -> tuple[float, list[dict[str, Any]]]:
        return measured(2)["rps"] / measured(1)["rps"], [measured(2), measured(1)]

    def note() -> str:
        # The servers' CPU use shows whether the second worker found a core to run on.
        two, one, cores = measured(2), measured(1), section(results, "scaleout")["cores"]
        return (
            f"{two['rps']:,.0f} vs {one['rps']:,.0f} req/s, server CPU {two['server_cpu_percent']:.0f}% vs "
            f"{one['server_cpu_percent']:.0f}%, PostgreSQL + Redis, {cores} cores"
        )

    return [row("8", "JWT /users/me rps, 2 workers / 1 worker", ">= 1.6", ratio, note)]


def overload_rows(results: Results) -> list[Row]:
    """Target 9, one row per backend: `GET /items` p95 during the registration burst over its idle
    p50. Any 5xx other than 503, an unanswered request, a 503 without Retry-After, a probe not
    answered 200, or a 201 that is not a row in the database fails the row; answers other than
    201 and 5xx (a 429 from the rate limiter, say) make the burst something else: INVALID."""

    def measured(backend: str) -> dict[str, Any]:
        figures: dict[str, Any] = section(results, "overload")[backend]
        return figures

    def failures(backend: str) -> list[str]:
        figures = measured(backend)
        burst, during = figures["burst"]["by_status"], figures["probe_during_burst"]["by_status"]
        found = []
        for name, counts in (("registrations", burst), ("probes", during)):
            errors = {status: count for status, count in counts.items() if status.startswith("5") and status != "503"}
            if errors:
                found.append(f"{name}: " + ", ".join(f"{count} x {status}" for status, count in errors.items()))
            if counts.get("no answer"):
                found.append(f"{name}: {counts['no answer']} unanswered")
        if figures["burst"]["503_without_retry_after"]:
            found.append(f"{figures['burst']['503_without_retry_after']} x 503 without Retry-After")
        not_ok = {status: count for status, count in during.items() if status not in ("200", "no answer")}
        if not_ok:
            found.append("probes answered " + ", ".join(f"{count} x {status}" for status, count in not_ok.items()))
        if figures["users_after"] != figures["users_expected"]:
            found.append(f"{figures['users_after']} users after the burst, expected {figures['users_expected']}")
        return found

    def ratio(backend: str) -> tuple[float, list[dict[str, Any]]]:
        figures = measured(backend)
        idle, during = figures["probe_idle"], figures["probe_during_burst"]
        failed = failures(backend)
        if idle["latency_ms"] is None or during["latency_ms"] is None:
            raise Unavailable("FAIL" if failed else "INVALID", "; ".join(failed) or "no probe answered")
        if not failed:
            unexpected = {
                status: count
                for status, count in figures["burst"]["by_status"].items()
                if status not in ("201", "no answer") and not status.startswith("5")
            }
            if unexpected:
                answers = ", ".join(f"{count} x {status}" for status, count in unexpected.items())
                raise Unavailable("INVALID", f"registrations answered {answers}")
            if set(idle["by_status"]) != {"200"}:
                raise Unavailable("INVALID", f"idle probes answered {idle['by_status']}")
            if during["probes"] < MIN_BURST_PROBES:
                raise Unavailable("INVALID", f"only {during['probes']} probes during the burst")
        return during["latency_ms"]["p95"] / idle["latency_ms"]["p50"], []

    def note(backend: str) -> str:
        figures = measured(backend)
        idle, during = figures["probe_idle"]["latency_ms"], figures["probe_during_burst"]["latency_ms"]
        answers = ", ".join(f"{count} x {status}" for status, count in figures["burst"]["by_status"].items())
        return f"{idle['p50']:.1f} -> {during['p95']:.1f} ms; {answers} in {figures['burst']['duration_s']:.1f} s"

    def backend_row(letter: str, backend: str, label: str) -> Row:
        return row(
            f"9{letter}",
            f"GET /items p95 during {BURST_CLIENTS} registrations / idle p50, {label}",
            f"<= {OVERLOAD_P95_OVER_IDLE_P50}",
            lambda: ratio(backend),
            lambda: note(backend),
            lambda: failures(backend),
        )

    return [
        backend_row(letter, backend, label)
        for letter, (backend, (label, _)) in zip("ab", BACKENDS.items(), strict=True)
    ]


def audit_rows(results: Results) -> list[Row]:
    """Target 10: login throughput with audit events recorded over the same without (at most a
    10% loss), and the audit listing's p50 at 1,000,000 events over 1,000."""

    def logins() -> dict[str, Any]:
        figures: dict[str, Any] = section(results, "audit")["logins"]
        for label in ("audited", "unaudited"):
            for measured in figures[label]["rounds"]:
                if measured["failures"]:
                    raise Unavailable("INVALID", f"failed logins during the load: {measured['failures']}")
        return figures

    def login_ratio() -> tuple[float, list[dict[str, Any]]]:
        return logins()["audited"]["logins_per_s"] / logins()["unaudited"]["logins_per_s"], []

    def login_note() -> str:
        figures = logins()
        return f"{figures['audited']['logins_per_s']:.2f} vs {figures['unaudited']['logins_per_s']:.2f} logins/s"

    def listing(size: str, route: str) -> dict[str, Any]:
        figures: dict[str, Any] = section(results, "audit")["listing"][size][route]
        return figures

    def size_ratio(route: str) -> tuple[float, list[dict[str, Any]]]:
        large, small = listing("1m", route), listing("1k", route)
        return large["latency_ms"]["p50"] / small["latency_ms"]["p50"], [*large["rounds"], *small["rounds"]]

    def size_note(route: str) -> str:
        large, small = listing("1m", route), listing("1k", route)
        return f"{small['latency_ms']['p50']:.2f} -> {large['latency_ms']['p50']:.2f} ms"

    return [
        row("10a", "logins/s with audit events / without", ">= 0.9", login_ratio, login_note),
        row(
            "10b",
            "/admin/audit-events?target_user_id p50, 1M events / 1k",
            "<= 1.5",
            lambda: size_ratio("by_target"),
            lambda: size_note("by_target"),
        ),
        row(
            "10c",
            "/admin/audit-events?type p50, 1M events / 1k",
            "<= 1.5",
            lambda: size_ratio("by_type"),
            lambda: size_note("by_type"),
        ),
    ]
