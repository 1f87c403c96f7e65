"""Figures printed at the end of a test run: what the attack suites tried and what they found (the
README's "Hardening" section quotes them).

Tests hand their figures over in their reports' `user_properties`, which pytest-xdist sends from
the workers to the controller; the hooks in tests/conftest.py (an initial conftest, loaded by the
process that prints the summary, with or without xdist) collect them here and print them.

* every test under tests/hardening/ is a case of its suite; `attacks.add(n)` (its conftest) counts
  the attack requests it sent;
* a test may report a line of its own with `report_figures(node, section, line, counts)`; the
  counts of a section's lines are summed into its last line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

HARDENING_PREFIX = "tests/hardening/"
ATTACKS_PROPERTY = "hardening_attacks"
FIGURES_PROPERTY = "figures"


@dataclass
class SuiteTally:
    cases: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    attacks: int = 0


@dataclass
class Section:
    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


_suites: dict[str, SuiteTally] = defaultdict(SuiteTally)
_sections: dict[str, Section] = defaultdict(Section)


def report_figures(node: pytest.Item, section: str, line: str, counts: Mapping[str, int]) -> None:
    node.user_properties.append((FIGURES_PROPERTY, (section, line, dict(counts))))


def _suite_of(nodeid: str) -> str | None:
    if not nodeid.startswith(HARDENING_PREFIX):
        return None
    return nodeid.removeprefix(HARDENING_PREFIX).split("::", 1)[0].removesuffix(".py")


def record(report: pytest.TestReport) -> None:
    if report.when == "call":
        for name, value in report.user_properties:
            if name == FIGURES_PROPERTY:
                section, line, counts = value
                _sections[section].lines.append(line)
                _sections[section].counts.update(counts)
    suite = _suite_of(report.nodeid)
    if suite is None:
        return
    tally = _suites[suite]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        tally.cases += 1
        tally.attacks += sum(value for name, value in report.user_properties if name == ATTACKS_PROPERTY)
        if report.failed:
            tally.failed += 1
        elif report.skipped:
            tally.skipped += 1
        else:
            tally.passed += 1
    elif report.when == "teardown" and report.failed:
        tally.failed += 1


def hardening_lines() -> list[str]:
    return [
        f"{suite}: {tally.cases} cases ({tally.attacks} attack requests), {tally.failed} failures, "
        f"{tally.passed} passed, {tally.skipped} skipped"
        for suite, tally in sorted(_suites.items())
    ]


def write_summary(terminalreporter: Any) -> None:
    if _suites:
        terminalreporter.section("hardening: cases tried and failures found")
        for line in hardening_lines():
            terminalreporter.write_line(line)
    for title, section in sorted(_sections.items()):
        terminalreporter.section(title)
        for line in sorted(section.lines):
            terminalreporter.write_line(f"  {line}")
        if section.counts:
            totals = ", ".join(f"{count} {name}" for name, count in sorted(section.counts.items()))
            terminalreporter.write_line(f"  all: {totals}")
