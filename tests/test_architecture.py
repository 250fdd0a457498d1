"""The layers import only downward: core <- forecasts <- scheduler (the data flow), checked on the source.

``core/`` is the base layer both steps use; ``forecasts/`` (history, calendar, forecast) must not know the
scheduler; ``scenarios/`` holds only the bundled data's paths; nothing in the library imports the tests
or the benchmarks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": set(), "forecasts": {"core", "scenarios"}, "scheduler": {"core", "forecasts", "scenarios"},
          "scenarios": set()}  # scenarios/ is the bundled data (scenario files, agent pool): paths, no code
FIRST_PARTY = set(LAYERS) | {"tests", "benchmarks"}


def _imports(path: Path) -> set[str]:
    """Top-level first-party packages ``path`` imports (anywhere in the file)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        out |= {n.split(".")[0] for n in names} & FIRST_PARTY
    return out


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(package):
    allowed = LAYERS[package] | {package}
    wrong = {str(p.relative_to(ROOT)): sorted(_imports(p) - allowed)
             for p in sorted((ROOT / package).rglob("*.py")) if _imports(p) - allowed}
    assert not wrong, f"{package}/ may import only {sorted(allowed)}: {wrong}"


def test_the_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from scheduler.plan import run_plan\n", encoding="utf-8")
    assert _imports(bad) == {"scheduler"}
