"""The rows of the targets table: how one row's value and verdict are reached, and the table.

A row's `compute` reads the sections' raw figures through `section`, which raises `Unavailable`
when the section was not run or failed; scripts.benchmark.targets holds the targets themselves.
"""

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


class Unavailable(Exception):
    """A row cannot be computed; `verdict` and `note` say why (skipped, error, n/a, INVALID)."""

    def __init__(self, verdict: str, note: str) -> None:
        super().__init__(note)
        self.verdict, self.note = verdict, note


def section(results: Results, name: str) -> dict[str, Any]:
    if name not in results:
        raise Unavailable("skipped", f"section {name} not run")
    if "error" in results[name]:
        raise Unavailable("error", f"section {name} failed: {results[name]['error']}")
    return results[name]


def row(
    number: str,
    measure: str,
    target: str,
    compute: Callable[[], tuple[float, list[dict[str, Any]]]],
    note: Callable[[], str] = lambda: "",
    failures: Callable[[], list[str]] = lambda: [],
) -> Row:
    """`compute` returns the value and the wrk results it rests on (an unclean one makes the row
    INVALID). `failures` lists what fails the row whatever its value (a 500 answered, say). A row
    without a target is shown for comparison only."""
    try:
        value, measurements = compute()
        failed = failures()
    except Unavailable as unavailable:
        return Row(number, measure, None, target, unavailable.verdict, unavailable.note)
    except (KeyError, ZeroDivisionError) as error:  # a figure missing or zero: say so, keep the table
        return Row(number, measure, None, target, "n/a", f"cannot compute: {type(error).__name__} {error}")
    if failed:
        return Row(number, measure, value, target, "FAIL", "; ".join(failed))
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
