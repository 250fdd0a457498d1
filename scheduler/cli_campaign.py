"""The bodies of ``schedule compare``, ``schedule sweep`` and ``schedule export``, as plain functions.

Each parses nothing typer-specific, calls one library function and prints through ``echo``; an error
a user can cause is raised (``InputError``) and :func:`scheduler.cli.command` reports it as for every
other command. Each body imports its own library when it runs, as the command bodies in
:mod:`scheduler.cli` do: ``schedule export`` does not load the planner and matplotlib, which
``compare`` and ``sweep`` need (a second or more of start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import InputError
from core.names import ExportFormat


def _check_jobs(jobs: int | None) -> None:
    if jobs is not None and jobs < 1:
        raise InputError("--jobs must be at least 1", field="--jobs")


def compare_cmd(scenarios: list[Path], week: str, out: Path | None = None, history: Path | None = None,
                agents: Path | None = None, calendar: str | None = None, jobs: int | None = None,
                echo: Callable[[str], None] = print, events: Path | None = None, force: bool = False,
                requests: Path | None = None) -> None:
    """``schedule compare SCENARIO... --week W [--out DIR] [--jobs N] [--force] [--requests CSV]``."""
    from scheduler.compare import compare_scenarios, comparison_table

    _check_jobs(jobs)
    res = compare_scenarios(list(scenarios), week, out, history=history, agents=agents, calendar=calendar,
                            max_workers=jobs, events=events, log=echo, force=force, requests=requests)
    echo(comparison_table(res.table, {o.label: o.wall_s for o in res.outcomes}))
    echo(f"wrote {res.out_dir}/ ({', '.join(res.files)}) in {res.wall_s:.0f} s")


def sweep_cmd(week: str, grid: list[str], scenario: Path | None = None, out: Path | None = None,
              ray: str | None = None, time_limit_s: float | None = None, jobs: int | None = None,
              history: Path | None = None, agents: Path | None = None, calendar: str | None = None,
              keep_plans: bool = False, echo: Callable[[str], None] = print, events: Path | None = None,
              force: bool = False, requests: Path | None = None) -> None:
    """``schedule sweep --scenario S --week W --grid KEY=VALUES ... [--ray ADDRESS] [--time-limit-s T] [--force]``."""
    from scheduler.sweep import run_sweep, sweep_table

    _check_jobs(jobs)
    res = run_sweep(scenario, week, list(grid), out, time_limit_s=time_limit_s, ray_address=ray,
                    max_workers=jobs, history=history, agents=agents, calendar=calendar,
                    keep_plans=keep_plans, events=events, log=echo, force=force, requests=requests)
    echo(sweep_table(res.table, res.keys))
    front = res.table[res.table["pareto"]].sort_values("cost")
    echo(f"Pareto-efficient points (*): {', '.join(str(p) for p in front['point'])}")
    echo(f"wrote {res.out_dir}/ (sweep.csv, frontier.png, report.html) in {res.wall_s:.0f} s on {res.executor}")


def export_cmd(plan: Path, fmt: str | ExportFormat, out: Path | None = None, agents: Path | None = None,
               echo: Callable[[str], None] = print, force: bool = False, published: Path | None = None) -> None:
    """``schedule export --plan DIR --format wide|xlsx|ics [--out DIR] [--agents CSV] [--published DIR] [--force]``."""
    from scheduler.vendor_export import export_plan

    path = export_plan(plan, fmt, out, agents_path=agents, force=force, published=published)
    if path.is_dir():
        n, cancels = len(list(path.glob("*.ics"))), len(list(path.glob("cancelled/*.ics")))
        echo(f"wrote {path}/ ({n} calendar file(s), one per agent; index.csv says whose"
             + (f"; cancellations for {cancels} agent(s) in cancelled/)" if cancels else ")"))
    else:
        echo(f"wrote {path}")
