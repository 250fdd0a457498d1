"""``schedule compare``: plan one week under several scenarios side by side, on local cores.

Each scenario is a full ``schedule plan`` (forecast -> requirements -> roster -> validation) run in its
own process; its plan folder is kept as ``<out>/<scenario>/<YYYY-Www>/``. Beside them the comparison
writes ``comparison.csv`` (one row per scenario, columns ``COMPARISON_COLUMNS``), two charts and a
self-contained ``report.html`` a planner can mail to the brand. Everything is written into a temporary
folder renamed into place at the end (:func:`core.atomic.atomic_folder`): a failed scenario
leaves nothing behind.

Cores: one CP-SAT solve uses ``roster.workers`` threads. ``compare`` runs ``min(scenarios, cores)``
processes (or ``max_workers``), and each scenario keeps its own worker count, so that a compared plan
is the plan ``schedule plan`` makes of the same scenario: a solve is reproducible for a given worker
count but may differ with another (measured on the Double 11 week: 1 and 2 workers stop at different
rosters; on 7x24, 8 interleaved subsolvers reach a 0.5% gap where 2 stop at 16%). The threads may
then outnumber the cores for a while, which costs wall time but, with the deterministic search, never
changes the roster. ``summary.json`` records the worker count used (``solver.workers``).

The same job machinery (:class:`PlanJob`, :func:`run_job`, the executors) runs ``schedule sweep``.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

import core
import forecasts
import scenarios
import scheduler
from core.atomic import atomic_folder
from core.errors import InputError, SolverError, check_input_file
from core.events import read_events_csv
from core.names import channel_rank, folder_name
from core.scenario import Scenario, load_scenario
from scenarios import default_agents
from scheduler.agents import load_agents, temporary_agents
from scheduler.plan import load_inputs, run_plan, served_history, write_plan
from scheduler.plan_folder import write_csv
from scheduler.report_html import compare_report
from scheduler.simulation import simulate_result
from scheduler.weeks import parse_week

DEFAULT_OUT = Path("out") / "compare"
KNOWN_FILES = ("comparison.csv", "staffing.png", "cost_service.png", "report.html")  # besides a folder per scenario
MAX_SCENARIOS = 50  # scenarios per compare: each is a full plan (about 20 s of roster search)
PROJECT_ROOT = Path(__file__).resolve().parents[1]

# comparison.csv: channel columns are expanded per channel in the published order (chat, phone, email);
# agents_in_pool, solver_status, week and forecast_contacts_<channel> follow them.
COMPARISON_COLUMNS = ["scenario", "contacts_<channel>", "required_agent_hours", "paid_hours", "cost",
                      "agents_used", "overtime_hours", "premium_cost", "service_level_<channel>",
                      "simulated_service_level_<channel>", "shortfall_agent_intervals", "solver_gap"]


# -- jobs -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanJob:
    """One plan to run, picklable (it crosses process and Ray boundaries).

    ``scenario`` is resolved and validated in the parent process (``extends`` merged, overrides
    applied), so a worker never re-reads the TOML and a bad file fails before any work starts.
    ``plan_dir``: write the plan folder there (None: keep only the summary).
    """

    label: str
    scenario: Scenario
    week: str
    history_path: str | None = None
    agents_path: str | None = None
    calendar: str | None = None
    plan_dir: str | None = None
    overrides: tuple[tuple[str, object], ...] = ()
    simulate: bool = False
    events: str | None = None      # --events: dated campaigns replacing the scenario's
    requests_path: str | None = None  # --requests: the agents' requests CSV


@dataclass
class PlanOutcome:
    """What a worker hands back: the plan summary and the series the charts need."""

    label: str
    summary: dict
    series: pd.DataFrame = field(default_factory=pd.DataFrame)  # interval_start, channel, contacts,
    #                                      required_scheduled, scheduled_heads, open
    offered: dict[str, float] = field(default_factory=dict)  # channel -> contacts taken in during open hours
    wall_s: float = 0.0
    error: str | None = None
    error_kind: str | None = None  # "input" (the user's files or settings) or "solver" (no roster in time)
    stopped_by: str = ""  # with error_kind "solver": what ended the search (SolverError.stopped_by)


def with_workers(scenario: Scenario, workers: int) -> Scenario:
    """The scenario with ``roster.workers`` set (frozen models: copy)."""
    return scenario.model_copy(update={"roster": scenario.roster.model_copy(update={"workers": int(workers)})})


def run_job(job: PlanJob) -> PlanOutcome:
    """Run one plan (the function every executor maps). Errors a user can cause, and no roster within
    the time limit, come back as ``PlanOutcome.error`` (one line); anything else (a bug) raises."""
    t0 = time.perf_counter()
    try:
        week = parse_week(job.week)
        sc_path = Path(job.scenario.path) if job.scenario.path and Path(job.scenario.path).is_file() else None
        inputs = load_inputs(week, sc_path, _path(job.history_path), _path(job.agents_path), job.calendar,
                             events_path=_path(job.events), requests_path=_path(job.requests_path))
        pool = load_agents(_path(job.agents_path) or default_agents())
        inputs = dataclasses.replace(inputs, scenario=job.scenario,
                                     agents=pool + temporary_agents(job.scenario, pool),
                                     history=served_history(job.scenario, inputs.history),
                                     size_capacity=False)  # a sizing per point would multiply the time
        result = run_plan(inputs)
        if job.simulate:
            result.simulation, result.summary["simulation"] = simulate_result(result, reps=10,
                                                                              seed=job.scenario.seed)
        result.summary.setdefault("solver", {})["workers"] = job.scenario.roster.workers
        if job.overrides:
            result.summary["overrides"] = {k: v for k, v in job.overrides}
        if job.plan_dir:
            write_plan(result, Path(job.plan_dir))
        series = _series(result)
        offered = offered_contacts(result.coverage)
    except SolverError as exc:  # no roster within roster.time_limit_s: the user can raise it
        return PlanOutcome(job.label, {}, wall_s=time.perf_counter() - t0, error=f"scenario {job.label}: {exc}",
                           error_kind="solver", stopped_by=exc.stopped_by)
    except InputError as exc:
        return PlanOutcome(job.label, {}, wall_s=time.perf_counter() - t0, error=str(exc), error_kind="input")
    return PlanOutcome(job.label, result.summary, series, offered, time.perf_counter() - t0)


def offered_contacts(coverage: pd.DataFrame) -> dict[str, float]:
    """Contacts the service takes in per channel: arrivals in open intervals plus the share of
    closed-hour arrivals that wait for opening (coverage ``contacts`` over open intervals). Unlike the
    forecast, this depends on the scenario's service windows."""
    cov = coverage[coverage["open"].astype(bool)]
    return {str(ch): round(float(v), 1) for ch, v in cov.groupby("channel", sort=False)["contacts"].sum().items()}


def _path(p: str | None) -> Path | None:
    return Path(p) if p else None


def _series(result) -> pd.DataFrame:
    """Forecast contacts (arrivals), required and scheduled heads per interval and channel."""
    fc = result.forecast[["interval_start", "channel", "contacts"]]
    cov = result.coverage
    cols = [c for c in ("interval_start", "channel", "required_scheduled", "scheduled_heads", "open")
            if c in cov.columns]
    out = fc.merge(cov[cols], on=["interval_start", "channel"], how="left")
    for c in ("required_scheduled", "scheduled_heads"):
        if c in out.columns:
            out[c] = out[c].fillna(0.0).astype(float)
    return out.reset_index(drop=True)


# -- executors ----------------------------------------------------------------------------------------
class Executor(Protocol):
    """Maps one function over jobs and returns the results in job order."""

    name: str
    slots: int  # jobs that run at once

    def map(self, fn: Callable, items: list, on_done: Callable | None = None) -> list: ...


class InlineExecutor:
    """Runs jobs one after another in this process (tests, one scenario, one core)."""

    name = "inline"
    slots = 1

    def map(self, fn, items, on_done=None):
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if on_done:
                on_done(i, out[-1])
        return out


class LocalExecutor:
    """``concurrent.futures.ProcessPoolExecutor`` (spawned processes: no solver threads are forked)."""

    name = "local processes"

    def __init__(self, max_workers: int | None = None):
        self.slots = max(1, int(max_workers or os.cpu_count() or 1))

    def map(self, fn, items, on_done=None):
        items = list(items)
        if self.slots == 1 or len(items) <= 1:
            return InlineExecutor().map(fn, items, on_done)
        out: list = [None] * len(items)
        with ProcessPoolExecutor(max_workers=min(self.slots, len(items)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            for fut in as_completed(futures):
                i = futures[fut]
                out[i] = fut.result()
                if on_done:
                    on_done(i, out[i])
        return out


class RayExecutor:
    """The same function mapped through Ray tasks: ``address`` is ``local`` (start a Ray runtime on
    this machine), ``auto`` (join the running cluster) or ``ray://host:10001`` (Ray client).

    Each task reserves ``cpus_per_task`` CPUs (= the plan's CP-SAT workers). On a remote cluster the
    workers must be able to import this package (install it there, or it is shipped as
    ``py_modules``) and read the history and agent files when they are not the bundled ones.
    """

    name = "ray"

    def __init__(self, address: str = "local", cpus_per_task: int = 1, num_cpus: int | None = None):
        try:
            import ray  # an optional dependency: loaded only for --ray
        except ImportError:
            raise InputError("Ray is not installed: pip install 'cs-schedule[ray]'", field="--ray") from None
        self._ray = ray
        self.cpus_per_task = max(1, int(cpus_per_task))
        self._started = False
        if not ray.is_initialized():
            if address in (None, "", "local"):
                env = {"env_vars": {"PYTHONPATH": os.pathsep.join(
                    p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)}}
                from scheduler.roster.model import WALL_SAFETY_ENV

                if os.environ.get(WALL_SAFETY_ENV):  # the workers' clock safety net, as this process's
                    env["env_vars"][WALL_SAFETY_ENV] = os.environ[WALL_SAFETY_ENV]
                ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                         runtime_env=env, configure_logging=False)
            else:
                mods = [Path(m.__file__).parent for m in (core, scheduler, forecasts, scenarios)]
                try:
                    ray.init(address=address, runtime_env={"py_modules": [str(m) for m in mods]},
                             log_to_driver=False, configure_logging=False)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    raise InputError(f"cannot reach the Ray cluster at '{address}' ({exc})", field="--ray") from None
            self._started = True
        total = int(ray.cluster_resources().get("CPU", 1))
        self.slots = max(1, total // self.cpus_per_task)

    def map(self, fn, items, on_done=None):
        ray = self._ray
        task = ray.remote(num_cpus=self.cpus_per_task, max_retries=0)(fn)
        refs = [task.remote(item) for item in items]
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            if on_done:
                for ref in done:
                    on_done(index[ref], ray.get(ref))
        return ray.get(refs)

    def shutdown(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def split_cores(n_jobs: int, max_workers: int | None = None, cores: int | None = None) -> tuple[int, int]:
    """(processes, CP-SAT workers per process) with processes x workers <= cores."""
    cores = max(1, int(cores or os.cpu_count() or 1))
    procs = max(1, min(n_jobs, int(max_workers) if max_workers else cores, cores))
    return procs, max(1, cores // procs)


def run_jobs(jobs: list[PlanJob], executor: Executor, log: Callable = print,
             tolerate_solver: bool = False) -> list[PlanOutcome]:
    """Map :func:`run_job` over ``jobs``; the first error is raised as ``InputError`` (with
    ``tolerate_solver``, plans the solver could not make in time are returned with their error)."""
    t0 = time.perf_counter()

    def done(i, outcome: PlanOutcome):
        if outcome.error:
            log(f"  {outcome.label}: error: {outcome.error}")
        else:
            s = outcome.summary
            log(f"  {outcome.label}: done in {outcome.wall_s:.0f} s (solver {s['solver'].get('status')}, "
                f"gap {_pct(s['solver'].get('gap'))}), {time.perf_counter() - t0:.0f} s since start")

    outcomes = executor.map(run_job, jobs, done)
    for o in outcomes:
        if o.error and not (tolerate_solver and o.error_kind == "solver"):
            raise InputError(o.error)
    return outcomes


# -- the comparison table -----------------------------------------------------------------------------
def channel_order(summaries: Iterable[dict]) -> list[str]:
    """The channels of any of the plans, in the published order (:data:`core.names.CHANNELS`)."""
    present = {ch for s in summaries for ch in s.get("channels", {})}
    return sorted(present, key=lambda ch: (channel_rank(ch), ch))


def comparison_row(label: str, summary: dict, channels: list[str], offered: dict[str, float] | None = None) -> dict:
    """One comparison.csv row. ``contacts_<channel>``: contacts the service takes in during its open
    hours (:func:`offered_contacts`; the forecast total when not given); ``forecast_contacts_<channel>``
    (an extra column at the end): every forecast arrival, open or closed, the same for every scenario
    with the same promotions."""
    chans = summary.get("channels", {})
    sim = summary.get("simulation") or {}
    sim_ch = sim.get("channels", sim) if isinstance(sim, dict) else {}
    row: dict = {"scenario": label}
    for ch in channels:
        row[f"contacts_{ch}"] = (offered or {}).get(ch, chans.get(ch, {}).get("contacts", np.nan))
    row.update({k: summary.get(k, np.nan) for k in ("required_agent_hours", "paid_hours", "cost", "agents_used",
                                                    "overtime_hours", "premium_cost")})
    for ch in channels:
        row[f"service_level_{ch}"] = _num(chans.get(ch, {}).get("service_level"))
    for ch in channels:
        entry = sim_ch.get(ch) if isinstance(sim_ch, dict) else None
        row[f"simulated_service_level_{ch}"] = _num(entry.get("service_level")) if isinstance(entry, dict) else np.nan
    row["shortfall_agent_intervals"] = summary.get("understaffed_agent_intervals", np.nan)
    row["solver_gap"] = _num(summary.get("solver", {}).get("gap"))
    row["agents_in_pool"] = summary.get("agents_in_pool", np.nan)
    row["solver_status"] = summary.get("solver", {}).get("status", "")
    row["week"] = summary.get("week", "")
    for ch in channels:
        row[f"forecast_contacts_{ch}"] = chans.get(ch, {}).get("contacts", np.nan)
    return row


def comparison_frame(outcomes: list[PlanOutcome]) -> pd.DataFrame:
    channels = channel_order(o.summary for o in outcomes)
    rows = [comparison_row(o.label, o.summary, channels, o.offered) for o in outcomes]
    df = pd.DataFrame(rows)
    rounding = {c: 4 for c in df.columns if "service_level" in c or c == "solver_gap"}
    rounding.update({c: 1 for c in df.columns if "contacts_" in c})
    rounding.update({"required_agent_hours": 1, "paid_hours": 2, "cost": 2, "overtime_hours": 2, "premium_cost": 2})
    for c, n in rounding.items():
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float).round(n)
    return df


def comparison_table(df: pd.DataFrame, wall_s: dict[str, float] | None = None) -> str:
    """The comparison as a planner reads it: one column per scenario, one row per figure."""
    labels = list(df["scenario"])
    lines: list[tuple[str, list[str]]] = []
    channels = [c.removeprefix("contacts_") for c in df.columns if c.startswith("contacts_")]
    for ch in channels:
        lines.append((f"contacts {ch} (open hours)", [_int(v) for v in df[f"contacts_{ch}"]]))
    lines.append(("required agent-hours", [_int(v) for v in df["required_agent_hours"]]))
    lines.append(("paid hours", [_int(v) for v in df["paid_hours"]]))
    lines.append(("cost CNY", [_int(v) for v in df["cost"]]))
    lines.append(("  premium CNY", [_int(v) for v in df["premium_cost"]]))
    lines.append(("overtime hours", [_int(v) for v in df["overtime_hours"]]))
    used = [f"{_int(a)}/{_int(b)}" for a, b in zip(df["agents_used"], df["agents_in_pool"])]
    lines.append(("agents used / pool", used))
    for ch in channels:
        lines.append((f"service level {ch}", [_pct(v) for v in df[f"service_level_{ch}"]]))
    for ch in channels:
        col = df[f"simulated_service_level_{ch}"]
        if col.notna().any():
            lines.append((f"simulated SL {ch}", [_pct(v) for v in col]))
    lines.append(("understaffed agent-intervals", [_int(v) for v in df["shortfall_agent_intervals"]]))
    lines.append(("solver gap", [f"{_pct(g)} {s}" for g, s in zip(df["solver_gap"], df["solver_status"])]))
    if wall_s:
        lines.append(("wall time", [f"{wall_s.get(lbl, float('nan')):.0f} s" for lbl in labels]))
    w0 = max(len(name) for name, _ in lines)
    widths = [max(len(lbl), *(len(vals[i]) for _, vals in lines)) for i, lbl in enumerate(labels)]
    out = [" " * w0 + "".join(f"  {lbl:>{w}}" for lbl, w in zip(labels, widths))]
    for name, vals in lines:
        out.append(f"{name:<{w0}}" + "".join(f"  {v:>{w}}" for v, w in zip(vals, widths)))
    return "\n".join(out)


def _num(v) -> float:
    try:
        return float(v) if v is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _int(v) -> str:
    return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{float(v):,.0f}"


def _pct(v) -> str:
    return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{100 * float(v):.1f}%"


# -- the command ----------------------------------------------------------------------------------------
@dataclass
class CompareResult:
    table: pd.DataFrame
    outcomes: list[PlanOutcome]
    out_dir: Path
    wall_s: float
    files: list[str]


def scenario_labels(scenarios: list[Scenario]) -> list[str]:
    """Folder-safe, unique labels from the scenario names (``name``, ``name-2``, ...)."""
    out, seen = [], {}
    for sc in scenarios:
        base = folder_name(sc.name)
        n = seen.get(base, 0) + 1
        seen[base] = n
        out.append(base if n == 1 else f"{base}-{n}")
    return out


def check_before_plans(scenarios: list[Scenario], *, history: str | Path | None, agents: str | Path | None,
                       requests: str | Path | None, events: str | Path | None) -> None:
    """Refuse, before any plan starts, an input file that is missing or bad (the events file is read
    whole), and a history that some scenario cannot plan: a channel it does not define, or intervals its
    ``interval_min`` is not a multiple of (a 15-minute scenario on a 30-minute history). Found by the plans
    themselves, the error came after the other scenarios had been solved."""
    from forecasts.history import DEFAULT_HISTORY, read_history

    for p, what, option in ((history, "history file", "--history"), (agents, "agent pool file", "--agents"),
                            (requests, "requests file", "--requests")):
        if p is not None:
            check_input_file(p, what, option)
    if events is not None:
        read_events_csv(events)
    hist = read_history(history or DEFAULT_HISTORY)
    for sc in scenarios:
        served_history(sc, hist)
        hist.check_interval(sc.interval_min)


def compare_scenarios(scenario_paths: list[str | Path], week: str, out: str | Path | None = None, *,
                      history: str | Path | None = None, agents: str | Path | None = None,
                      calendar: str | None = None, max_workers: int | None = None,
                      executor: Executor | None = None, charts: bool = True, simulate: bool = False,
                      events: str | Path | None = None, log: Callable = print, force: bool = False,
                      requests: str | Path | None = None) -> CompareResult:
    """Plan ``week`` under each scenario in parallel and write the comparison folder.

    ``out``: default ``out/compare/<YYYY-Www>/``. ``max_workers``: processes (default: one per core,
    at most one per scenario). ``simulate``: also simulate each roster (as ``schedule plan --simulate``)
    and fill ``simulated_service_level_<channel>``. ``requests``: the agents' requests CSV, for every
    scenario (``schedule plan --requests``). ``force``: write into ``out`` even when it is not new,
    empty or an earlier comparison (:func:`core.atomic.atomic_folder`). Returns the table
    (``comparison.csv``) and each plan's summary.
    """
    t0 = time.perf_counter()
    if not scenario_paths:
        raise InputError("give at least one scenario file", field="SCENARIO")
    if len(scenario_paths) > MAX_SCENARIOS:
        raise InputError(f"{len(scenario_paths)} scenarios; compare at most {MAX_SCENARIOS} at once (each is a "
                         "full plan)", field="SCENARIO")
    wk = parse_week(week)
    scenarios = [load_scenario(p) for p in scenario_paths]
    check_before_plans(scenarios, history=history, agents=agents, requests=requests, events=events)
    labels = scenario_labels(scenarios)
    procs, _ = split_cores(len(scenarios), max_workers)
    if executor is None:
        executor = LocalExecutor(procs)
    target = Path(out) if out else DEFAULT_OUT / wk.label
    log(f"{wk.describe()}: {len(scenarios)} scenario(s) on {min(executor.slots, len(scenarios))} "
        f"{executor.name}; CP-SAT workers " + ", ".join(f"{lbl} {sc.roster.workers}"
                                                      for lbl, sc in zip(labels, scenarios)))
    with atomic_folder(target, "compare", force=force, known=KNOWN_FILES) as tmp:
        # every scenario keeps its own worker count (see the module docstring)
        jobs = [PlanJob(lbl, sc, wk.label, _str(history), _str(agents or default_agents()), calendar,
                        str(tmp / lbl / wk.label), simulate=simulate, events=_str(events),
                        requests_path=_str(requests))
                for lbl, sc in zip(labels, scenarios)]
        outcomes = run_jobs(jobs, executor, log)
        table = comparison_frame(outcomes)
        write_csv(table, tmp / "comparison.csv", bom=True)
        files = ["comparison.csv"] + [f"{lbl}/{wk.label}/" for lbl in labels]
        if charts:
            files += write_compare_charts(tmp, outcomes, table, scenarios, wk,
                                          wall_s={o.label: o.wall_s for o in outcomes})
    return CompareResult(table, outcomes, target, time.perf_counter() - t0, files)


def write_compare_charts(folder: Path, outcomes: list[PlanOutcome], table: pd.DataFrame,
                         scenarios: list[Scenario], week, wall_s: dict[str, float]) -> list[str]:
    from scheduler import charts  # matplotlib: not loaded by the worker processes that import run_job

    channels = channel_order(o.summary for o in outcomes)
    staffing = charts.staffing_figure({o.label: o.series for o in outcomes}, channels)
    cost_sl = charts.cost_service_figure(table, channels)
    pngs = {"staffing.png": charts.save_png(staffing, folder / "staffing.png"),
            "cost_service.png": charts.save_png(cost_sl, folder / "cost_service.png")}
    html = compare_report(table, outcomes, scenarios, week, pngs, wall_s)
    (folder / "report.html").write_text(html, encoding="utf-8")
    return list(pngs) + ["report.html"]


def _str(p) -> str | None:
    return str(Path(p).resolve()) if p is not None else None
