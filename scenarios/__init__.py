"""Bundled scenario files and the default agent pool (package data), and where defaults come from.

A command's default scenario is ``scenarios/baseline.toml`` **in the working directory** when there is
one, else the copy bundled with the package (in site-packages after ``pip install .``); the default
agent pool likewise ``scenarios/agents.csv``. ``schedule init DIR`` copies the bundled files into
``DIR/scenarios/`` for editing (:func:`scheduler.project.init_folder`), so that commands run from ``DIR`` use the edited
copies, and so do commands run from a checkout of the repository. Edits to a checkout are therefore
never silently ignored after ``pip install .``; ``schedule plan`` prints which scenario file it used.
"""

from __future__ import annotations

from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = SCENARIO_DIR / "baseline.toml"  # the bundled copies
DEFAULT_AGENTS = SCENARIO_DIR / "agents.csv"
LOCAL_DIR = Path("scenarios")  # the working directory's, preferred when present


def _local_or_bundled(bundled: Path) -> Path:
    local = Path.cwd() / LOCAL_DIR / bundled.name
    return local if local.is_file() else bundled


def default_scenario() -> Path:
    """``scenarios/baseline.toml`` in the working directory if present, else the bundled one."""
    return _local_or_bundled(DEFAULT_SCENARIO)


def default_agents() -> Path:
    """``scenarios/agents.csv`` in the working directory if present, else the bundled one."""
    return _local_or_bundled(DEFAULT_AGENTS)


def describe_input(path: str | Path, given: bool) -> str:
    """Where an input file came from, for one line of output: given, the working directory's default,
    or the bundled default."""
    path = Path(path)
    if given:
        return str(path)
    if path.parent == SCENARIO_DIR:
        return f"{path} (bundled; schedule init DIR copies it for editing)"
    try:
        shown = path.relative_to(Path.cwd())
    except ValueError:
        shown = path
    return f"{shown} (the working directory's default)"


def bundled_files() -> list[Path]:
    """The files ``schedule init`` copies: every scenario, the events file and the agent pool."""
    return sorted(p for p in SCENARIO_DIR.iterdir() if p.suffix in (".toml", ".csv") and p.is_file())
