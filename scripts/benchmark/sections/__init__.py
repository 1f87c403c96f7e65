"""The benchmark's sections. Each starts the servers it needs, measures, stops them, and returns
its raw figures as a JSON-ready dict; scripts.benchmark.targets turns those figures into the
targets' ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scripts.benchmark.run import Run
from scripts.benchmark.sections import audit, memory, million, overload, reference, scaleout, search, throughput

# In run order. A section is a function of the Run that returns its raw figures.
SECTIONS: dict[str, Callable[[Run], dict[str, Any]]] = {
    "throughput": throughput.gatehouse_throughput,
    "reference": reference.reference,
    "memory": memory.memory,
    "million": million.database_size,
    "scaleout": scaleout.scaleout,
    "overload": overload.overload,
    "audit": audit.audit,
    "search": search.search,
}
