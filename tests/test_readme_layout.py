"""The README's Development layout: every part of app/, in the order of the layer contract."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Beside the layers: they only import from them (pyproject.toml, exhaustive_ignores).
BESIDE_THE_LAYERS = {"tables", "__main__"}


def layout_entries() -> list[str]:
    """The names of app/'s entries in the README's layout block, top to bottom."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```\napp/ .*?^```$", readme, flags=re.MULTILINE | re.DOTALL)
    assert block is not None, "README.md has no layout block starting with app/"
    entries = []
    for line in block.group(0).splitlines()[2:]:  # after the fence and app/ itself
        if not line.startswith("  "):  # tests/, scripts/...: the block's part about app/ ended
            break
        match = re.match(r"^  (\w+)(?:/|\.py)\s", line)
        if match:
            entries.append(match.group(1))
    return entries


def contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(contract["layers"] for contract in contracts if contract["type"] == "layers")
    return [name.strip() for layer in layers for name in layer.split("|")]


def app_parts() -> set[str]:
    app = ROOT / "app"
    packages = {path.name for path in app.iterdir() if (path / "__init__.py").exists()}
    modules = {path.stem for path in app.glob("*.py") if path.stem != "__init__"}
    return packages | modules


def test_the_layout_names_every_part_of_app():
    assert set(layout_entries()) == app_parts() - {"__main__"}


def test_the_layout_lists_the_layers_from_top_to_bottom():
    in_layers = [name for name in layout_entries() if name not in BESIDE_THE_LAYERS]

    assert in_layers == contract_layers()
