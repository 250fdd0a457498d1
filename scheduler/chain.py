"""Weeks chained: ``schedule plan --weeks 2025-W01:2025-W52``.

Each week is planned as ``schedule plan --week W --previous <the week before's folder>`` would plan it,
through the same code (``scheduler.plan``), so everything ``--previous`` carries over is carried: rest
between shifts, consecutive days, the ISO week's rest day, the calendar month's overtime
(``month_overtime.csv``), the comp days off owed (``comp_off.csv``) and the warm start from last week's
pattern. Every week's plan folder is written as it finishes (``out/<scenario>/<YYYY-Www>/``, each in
one rename), and so is ``year_summary.csv`` (one row per week finished so far); ``year_summary.png``
(service level and cost by week) is drawn at the end.

The folder holding the weeks (``--out``, default ``out/<scenario>/``) carries the output marker of
``plan --weeks`` (:mod:`core.atomic`), updated as each week finishes: it may be new, empty, an earlier
chain's, or a scenario folder of plan folders (``YYYY-Www``, ``YYYY-MM``) written before markers;
anything else only with ``--force``. Each week's folder is checked like ``plan --out`` before the first
solve (an earlier plan is replaced, a folder of the user's is not without ``--force``).

An interrupted chain leaves every finished week and the summary of them intact. ``--resume`` keeps
the weeks whose folders already hold a complete plan of the same scenario, up to the first one that
does not, and plans on from there with the last kept week as ``--previous``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from core import interrupt
from core.atomic import atomic_file, check_output_folder, read_marker, write_marker
from core.errors import InputError
from core.names import folder_name
from core.scenario import load_scenario
from scenarios import default_scenario
from scheduler.plan_folder import LEDGER_FILES, PLAN_FILES, PlanFolder, write_csv
from scheduler.plan_health import interrupted
from scheduler.weeks import Week, parse_week

YEAR_SUMMARY = "year_summary.csv"
YEAR_CHART = "year_summary.png"
WEEKS_COMMAND = "plan --weeks"  # the output marker's command of the folder holding the weeks
# what a scenario folder written before markers may hold: plan folders of weeks and months, a chain's files
ROOT_KNOWN = ("[0-9][0-9][0-9][0-9]-W[0-9][0-9]", "[0-9][0-9][0-9][0-9]-[0-9][0-9]", YEAR_SUMMARY, YEAR_CHART)
MAX_WEEKS = 106  # two years of ISO weeks


def parse_weeks(text: str) -> list[Week]:
    """``2025-W01:2025-W52`` (either end as ``plan --week`` takes it) -> the ISO weeks from the first to
    the last, both included."""
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise InputError(f"'{text}' is not a range of weeks: use FIRST:LAST, such as 2025-W01:2025-W52",
                         field="--weeks")
    first, last = (parse_week(p) for p in parts)
    start, end = first.start_date, last.start_date
    if end < start:
        raise InputError(f"{last.label} comes before {first.label}", field="--weeks")
    n = (end - start).days // 7 + 1
    if n > MAX_WEEKS:
        raise InputError(f"{n} weeks is more than {MAX_WEEKS}; plan them in parts (--resume continues a chain)",
                         field="--weeks")
    weeks = []
    for i in range(n):
        year, number, _ = (start + pd.Timedelta(weeks=i)).isocalendar()
        weeks.append(Week(year, number))
    return weeks


def year_row(summary: dict, channels: list[str]) -> dict:
    """One row of ``year_summary.csv`` from a week's ``summary.json``."""
    row: dict = {"week": summary.get("week")}
    chans = summary.get("channels", {})
    for ch in channels:
        row[f"contacts_{ch}"] = chans.get(ch, {}).get("contacts")
    for ch in channels:
        sl = chans.get(ch, {}).get("service_level")
        row[f"service_level_{ch}"] = None if sl is None else round(float(sl), 4)
    solver = summary.get("solver", {})
    labour = summary.get("labour", {})
    row.update({k: summary.get(k) for k in ("paid_hours", "cost", "premium_cost", "overtime_hours",
                                             "understaffed_agent_intervals")})
    row["gap"] = None if solver.get("gap") is None else round(float(solver["gap"]), 6)
    row["status"] = solver.get("status")
    row["most_days_in_a_week"] = max((w.get("most_days_worked", 0) for w in labour.get("iso_weeks", {}).values()),
                                     default=None)
    row["comp_days_owed"] = labour.get("comp_off_days", {}).get("owed_at_end")
    row["max_month_overtime_h"] = labour.get("max_month_overtime_h")
    return row


def _complete(folder: Path, scenario: str, label: str) -> dict | None:
    """The summary of a complete plan of ``scenario`` for week ``label`` in ``folder``, else None (also for
    a week whose search Ctrl-C cut short: ``--resume`` plans it again)."""
    plan = PlanFolder(folder)
    if not all(plan.file(name).is_file() for name in (*PLAN_FILES, *LEDGER_FILES)):
        return None
    summary = plan.summary()
    if summary.get("scenario") != scenario or summary.get("week") != label:
        return None
    return None if interrupted(summary) else summary


def plan_weeks(weeks: list[Week], *, scenario: Path | None = None, history: Path | None = None,
               agents: Path | None = None, calendar: str | None = None, previous: Path | None = None,
               events: Path | None = None, out: Path | None = None, resume: bool = False, force: bool = False,
               hire_auto: bool = False, echo: Callable[[str], object] = print) -> Path:
    """Plan ``weeks`` one after the other, each with the one before as ``--previous`` (the first with
    ``previous``); write each week's folder under ``out`` (default ``out/<scenario>``), the
    summary and the chart. Returns the folder."""
    from scheduler.plan import load_inputs, run_plan, write_plan

    sc = load_scenario(scenario or default_scenario())
    channels = list(sc.channels)
    root = out or Path("out") / folder_name(sc.name)
    check_roots(root, weeks, force)
    rows: list[dict] = []
    keeping = resume
    t_chain = time.perf_counter()
    for i, wk in enumerate(weeks, start=1):
        if interrupt.requested():  # Ctrl-C: the weeks planned so far stay; --resume goes on from here
            echo(f"{interrupt.STOPPED}: stopped before {wk.label}; the same command with --resume goes on from "
                 "the first week missing or cut short")
            break
        folder = root / wk.label
        t0 = time.perf_counter()
        summary = _complete(folder, sc.name, wk.label) if keeping else None
        if summary is None:
            keeping = False
            inputs = load_inputs(wk, scenario, history, agents, calendar, previous, None, events)
            inputs.hire_auto = hire_auto
            result = run_plan(inputs)
            write_plan(result, folder, force=force)
            summary = result.summary
        rows.append(year_row(summary, channels))
        table = pd.DataFrame(rows)
        atomic_file(root / YEAR_SUMMARY, lambda tmp, t=table: write_csv(t, tmp, YEAR_SUMMARY))
        _mark(root, {wk.label, YEAR_SUMMARY})
        how = "kept (--resume)" if keeping else f"{time.perf_counter() - t0:.0f} s"
        echo(progress_line(rows[-1], channels, i, len(weeks), how))
        previous = folder
    _write_chart(pd.DataFrame(rows), channels, {ch: spec.service_level_target for ch, spec in sc.channels.items()},
                 root / YEAR_CHART)
    _mark(root, {YEAR_CHART})
    echo(f"{len(rows)} weeks in {time.perf_counter() - t_chain:.0f} s; wrote {root}/ ({YEAR_SUMMARY}, {YEAR_CHART}, "
         f"a folder per week)")
    return root


def check_roots(root: Path, weeks: list[Week], force: bool) -> None:
    """Refuse, before any solve, a chain folder or a week folder the chain may not write (InputError
    naming ``--out``): see the module docstring."""
    check_output_folder(root, WEEKS_COMMAND, force=force, known=ROOT_KNOWN, writes=[YEAR_SUMMARY, YEAR_CHART])
    for wk in weeks:
        PlanFolder(root / wk.label).check_writable(force)


def _mark(root: Path, names: set[str]) -> None:
    """Add ``names`` to the chain folder's marker (written the first time)."""
    marker = read_marker(root)
    listed = set(marker.get("files", [])) if marker is not None and marker["command"] == WEEKS_COMMAND else set()
    write_marker(root, WEEKS_COMMAND, listed | names)


def progress_line(row: dict, channels: list[str], i: int, n: int, how: str) -> str:
    """``2025-W40 [3/4]  chat 96.2%  phone 89.2%  email 100.0%  cost CNY 102,678  gap 0.02%  55 s``."""
    parts = [f"{row['week']} [{i}/{n}]"]
    for ch in channels:
        sl = row.get(f"service_level_{ch}")
        parts.append(f"{ch} {100 * sl:.1f}%" if sl is not None and sl == sl else f"{ch} -")
    parts.append(f"cost CNY {row['cost']:,.0f}")
    parts.append(f"understaffed {row['understaffed_agent_intervals']}")
    gap = row.get("gap")
    parts.append(f"gap {100 * gap:.2f}%" if gap is not None else "gap -")
    parts.append(how)
    return "  ".join(parts)


def _write_chart(table: pd.DataFrame, channels: list[str], targets: dict[str, float], path: Path) -> None:
    from scheduler.charts import save_png, weeks_figure

    fig = weeks_figure(table, channels, targets)
    atomic_file(path, lambda tmp: save_png(fig, tmp))
