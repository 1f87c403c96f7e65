"""The targets, as ratios of the figures the sections measured, and the table that shows them."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

Results = dict[str, dict[str, Any]]  # section name -> its raw figures (or {"error": ...})


@dataclass(frozen=True)
class Row:
    number: str
    measure: str
    value: float | None
    target: str
    verdict: str  # PASS, FAIL, INVALID (a measurement saw errors), info (no target), n/a, skipped, error
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COMPARE = {">=": operator.ge, "<=": operator.le, "<": operator.lt}


class _Unavailable(Exception):
    def __init__(self, verdict: str, note: str) -> None:
        super().__init__(note)
        self.verdict, self.note = verdict, note


def _section(results: Results, name: str) -> dict[str, Any]:
    if name not in results:
        raise _Unavailable("skipped", f"section {name} not run")
    if "error" in results[name]:
        raise _Unavailable("error", f"section {name} failed: {results[name]['error']}")
    return results[name]


def _row(
    number: str,
    measure: str,
    target: str,
    compute: Callable[[], tuple[float, list[dict[str, Any]]]],
    note: Callable[[], str] = lambda: "",
) -> Row:
    """`compute` returns the value and the wrk results it rests on (an unclean one makes the row
    INVALID). A row without a target is shown for comparison only."""
    try:
        value, measurements = compute()
    except _Unavailable as unavailable:
        return Row(number, measure, None, target, unavailable.verdict, unavailable.note)
    except (KeyError, ZeroDivisionError) as error:  # a figure missing or zero: say so, keep the table
        return Row(number, measure, None, target, "n/a", f"cannot compute: {type(error).__name__} {error}")
    if target:
        comparison, threshold = target.split()
        verdict = "PASS" if _COMPARE[comparison](value, float(threshold)) else "FAIL"
    else:
        verdict = "info"
    problems = [
        f"/{measurement['url'].split('/', 3)[-1]}: {', '.join(measurement['problems'])}"
        for measurement in measurements
        if measurement["problems"]
    ]
    if problems:
        return Row(number, measure, value, target, "INVALID", "; ".join(problems))
    return Row(number, measure, value, target, verdict, note())


def rows(results: Results) -> list[Row]:
    def throughput() -> dict[str, Any]:
        return _section(results, "throughput")

    def reference() -> dict[str, Any]:
        return _section(results, "reference")

    def memory() -> dict[str, Any]:
        return _section(results, "memory")

    def million() -> dict[str, Any]:
        return _section(results, "million")

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
            raise _Unavailable("n/a", measured["reason"])
        return rps_ratio(measured, section["health"])

    def no_failed_logins(summary: dict[str, Any]) -> None:
        """A refused login (a rate limit, say) is cheap: the load would not be what it claims."""
        if summary["failures"]:
            raise _Unavailable("INVALID", f"failed logins during the load: {summary['failures']}")

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
        section = memory()
        if not section[phase]["reached"]:
            raise _Unavailable("n/a", f"only {section[phase]['requests_so_far']:,} requests within the time bound")
        return section[phase]

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
        _row(
            "1",
            "JWT /users/me rps / /health rps",
            ">= 0.6",
            lambda: rps_ratio(throughput()["jwt_me"], throughput()["health"]),
            rps_note("jwt_me", lambda: throughput()["health"]),
        ),
        _row(
            "2",
            "X-API-Key /users/me rps / /health rps",
            ">= 0.6",
            api_key,
            lambda: f"{throughput()['api_key_me']['rps']:,.0f} vs {throughput()['health']['rps']:,.0f} req/s",
        ),
        _row(
            "3",
            "JWT /users/me rps / reference app's authenticated rps",
            ">= 5",
            lambda: rps_ratio(throughput()["jwt_me"], reference()["authenticated_route"]),
            rps_note("jwt_me", lambda: reference()["authenticated_route"]),
        ),
        _row(
            "4",
            "JWT /users/me p50 during 8 logins / idle p50",
            "<= 3",
            latency_during_logins,
            lambda: p50_note(throughput()["jwt_me_during_logins"], throughput()["jwt_me_idle"]),
        ),
        _row("5", "logins/s / (cores / one verification)", ">= 0.85", logins, logins_note),
        _row(
            "6a",
            "/users/me p50, 1M users / 1k users",
            "<= 1.5",
            lambda: size_ratio("users_me"),
            lambda: size_note("users_me"),
        ),
        _row(
            "6b",
            "/admin/users p50, 1M users / 1k users",
            "<= 1.5",
            lambda: size_ratio("admin_users"),
            lambda: size_note("admin_users"),
        ),
        _row("7a", f"worker RSS after {total:,} requests / after {first:,}", "<= 1.1", memory_ratio, memory_note),
        _row("7b", f"worker RSS after {total:,} requests (MB)", "< 150", memory_absolute),
        # For comparison: the reference app on the measures of targets 1 and 4.
        _row(
            "ref",
            "reference: authenticated rps / /health rps",
            "",
            lambda: rps_ratio(reference()["authenticated_route"], reference()["health"]),
            lambda: f"{reference()['authenticated_route']['rps']:,.0f} vs {reference()['health']['rps']:,.0f} req/s",
        ),
        _row(
            "ref",
            "reference: authenticated p50 during 8 logins / idle p50",
            "",
            lambda: p50_ratio(reference()["authenticated_route_during_logins"], reference()["authenticated_route"]),
            lambda: p50_note(reference()["authenticated_route_during_logins"], reference()["authenticated_route"]),
        ),
    ]


def table(found: list[Row]) -> str:
    header = ("#", "measure", "value", "target", "result", "")
    lines = [
        (
            row.number,
            row.measure,
            "-" if row.value is None else f"{row.value:.2f}",
            row.target,
            row.verdict,
            row.note,
        )
        for row in found
    ]
    widths = [max(len(str(line[column])) for line in [header, *lines]) for column in range(len(header))]
    rendered = []
    for index, line in enumerate([header, *lines]):
        rendered.append("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            rendered.append("  ".join("-" * width for width in widths[:-1]))
    return "\n".join(rendered)
