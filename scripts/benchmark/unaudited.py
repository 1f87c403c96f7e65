"""`python -m scripts.benchmark.unaudited [uvicorn options]`: Gatehouse with audit recording
replaced by a no-op, for the audit section's baseline only (the service has no such switch).

Every module that imported `record_event` gets the no-op in its place before uvicorn imports the
application (one worker: in this process), so the flows run exactly as they do, minus the events.
"""

from __future__ import annotations

import sys
from typing import Any

import app.main  # noqa: F401  (imports every module that records events)
from app.audit import recorder
from app.cli import main

ORIGINAL = recorder.record_event


def _not_recorded(*_: Any, **__: Any) -> None:
    return None


def disable_recording() -> int:
    """Replace every reference to the recorder; how many modules held one."""
    replaced = 0
    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "record_event", None) is ORIGINAL:
            module.record_event = _not_recorded  # type: ignore[attr-defined]
            replaced += 1
    return replaced


if __name__ == "__main__":
    if disable_recording() < 5:
        raise SystemExit("the audit recorder was not found where the flows import it")
    sys.exit(main(["serve", *sys.argv[1:]]))
