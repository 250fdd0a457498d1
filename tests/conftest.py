"""Fixtures shared by the test modules (plain builders of tiny roster instances are in factories.py).

- ``shared_file``: a file of ../shared/data, or a clean skip where it is absent;
- ``small_plan_inputs``: a small agent pool and scenario, so that a week's plan solves in seconds;
- ``default_week_plan``: ``schedule plan --week 2025-11`` as the README's quickstart runs it (in an empty
  working directory, on the bundled data and scenario), solved once per run and shared by the xdist workers
  and by the README's test of that line.

Every solve of the suite stops at its deterministic budget, never at the wall clock: ``SUITE_WALL_SAFETY``
widens the clock's safety net (``roster.model.WALL_SAFETY``, 3 x the budget) for the whole session.
Two xdist workers of two CP-SAT workers each share CI's 2 cores, and the default week, 24 s on a quiet
machine, then met the 60 s net: its roster missed the targets and the plan sized hires it did not need
(149 s), so a test of the plain week failed on the machine's load, not on the code.

Tests that solve a full week or otherwise take more than a few seconds carry ``@pytest.mark.slow``;
``python -m pytest -m "not slow"`` is the development loop, ``python -m pytest`` runs everything.
"""

import contextlib
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from scenarios import DEFAULT_SCENARIO
from scheduler.cli import app

QUICKSTART_PLAN = ("plan", "--week", "2025-11")  # the README's first line, run in an empty working directory
SUITE_WALL_SAFETY = 10.0  # x roster.time_limit_s: the wall clock the suite's deterministic solves may take


# The modules that take longest, started first: the xdist workers take test files in collection order
# (--dist loadfile), and test_readme (4 min of examples run one after the other) collected in its
# alphabetical place started after 5 minutes and set the suite's wall time (526 s on a fresh clone). Its
# examples that stand alone are a module of their own (test_readme_alone), so the two halves run side by side.
# The order holds only with --no-loadscope-reorder (addopts): by default xdist queues the files by their
# number of tests, so these, with 4 to 40 tests each, went last and the suite ended on one worker (1,322 s
# of tests in 726 s). Ordered by their time in the suite of 2026-12-04 (pytest --durations=0).
LONGEST_FIRST = ("test_readme_alone.py", "test_windows.py", "test_readme.py", "test_revalidate.py", "test_limits.py",
                 "test_cli.py", "test_sweep.py", "test_capacity.py", "test_horizon_cli.py", "test_compare.py",
                 "test_friendly.py", "test_roster.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each module keeps its order


@pytest.fixture(scope="session", autouse=True)
def deterministic_budgets_rule():
    from scheduler.roster import model as roster_model

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roster_model, "WALL_SAFETY", SUITE_WALL_SAFETY)
        # Ray's workers import the model afresh: the environment carries the same net to them
        patch.setenv(roster_model.WALL_SAFETY_ENV, str(SUITE_WALL_SAFETY))
        yield


ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT / ".." / "shared" / "data"

# A 12-agent pool keeps each roster small (a few seconds to solve).
SMALL_POOL = """agent_id,name,skills,contract,hourly_cost,max_weekly_h,team,unavailable
A01,陆海峰,chat|phone,full_time,38,,A组,
A02,王晓燕,chat|email,full_time,44.5,,B组,
A03,许娜,chat,full_time,37,,A组,
A04,田涛,chat|email,full_time,41,,B组,
A05,许天宇,chat,full_time,38,,A组,
A06,龙丽娟,phone,full_time,38.5,,B组,
A07,刘敏,chat|phone,full_time,40,,A组,
A08,周杰,phone,full_time,39,,B组,
A09,徐晓雯,chat,part_time,31,24,A组,
A10,邱浩宇,chat,part_time,31,24,B组,
A11,谢佳怡,chat|phone,part_time,33,24,A组,
A12,陆颖,chat,part_time,30,24,B组,
"""
SMALL_SCENARIO = f"""extends = "{DEFAULT_SCENARIO.as_posix()}"
name = "small"
[roster]
time_limit_s = 5
workers = 1
[hire]
time_limit_s = 2
"""


def _shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="session")
def shared_file():
    """``shared_file(name)``: the path of ../shared/data/name, or skip the test cleanly where it is absent."""
    return _shared_file


def _write_small_plan_inputs(folder: Path, n_agents: int = 12) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    lines = SMALL_POOL.splitlines(keepends=True)
    (folder / "agents.csv").write_text("".join(lines[: n_agents + 1]), encoding="utf-8")
    (folder / "small.toml").write_text(SMALL_SCENARIO, encoding="utf-8")
    return folder / "small.toml", folder / "agents.csv"


@pytest.fixture(scope="session")
def small_plan_inputs():
    """``small_plan_inputs(folder, n_agents=12) -> (small.toml, agents.csv)``: the first ``n_agents`` of
    :data:`SMALL_POOL` and the default scenario named ``small`` with a 5 s roster time limit on one worker and a 2 s
    capacity sizing (the small pool misses targets, so every plan sizes it)."""
    return _write_small_plan_inputs


@dataclass(frozen=True)
class CliOutcome:
    """What the tests read of a CliRunner result, in a form the pytest-xdist workers can share."""

    exit_code: int
    output: str
    stdout: str


@pytest.fixture(scope="session")
def default_week_plan(tmp_path_factory, worker_id):
    """``(result, folder)`` of ``schedule plan --week 2025-11`` through typer's CliRunner (a full-week solve)
    in an empty working directory, as a new user runs the README's quickstart: ``folder`` is its
    ``out/baseline/2025-W11``. Solved once for the whole run: the pytest-xdist workers share it through their
    common temporary folder, the first to ask solving it under a file lock (pytest-xdist's documented recipe),
    the others reading it. Each worker solving it for itself cost a full-week solve per worker (50-57 s under
    the suite's load)."""
    if worker_id == "master":  # not under xdist (-n 0)
        return _plan_default_week(tmp_path_factory.mktemp("plan"))
    root = tmp_path_factory.getbasetemp().parent / "default_week_plan"
    root.mkdir(exist_ok=True)
    record = root / "result.json"
    with FileLock(str(root) + ".lock"):
        if record.is_file():
            return CliOutcome(**json.loads(record.read_text(encoding="utf-8"))), _plan_folder(root)
        result, out = _plan_default_week(root)
        record.write_text(json.dumps(dataclasses.asdict(result)), encoding="utf-8")
    return result, out


def _plan_folder(workdir: Path) -> Path:
    return workdir / "out" / "baseline" / "2025-W11"


def invoke_in(folder: Path, args):
    """``schedule ARGS`` through typer's CliRunner with ``folder`` as the working directory."""
    with contextlib.chdir(folder):
        return CliRunner().invoke(app, list(args))


def _plan_default_week(workdir: Path) -> tuple[CliOutcome, Path]:
    result = invoke_in(workdir, QUICKSTART_PLAN)
    return CliOutcome(result.exit_code, result.output, result.stdout), _plan_folder(workdir)
