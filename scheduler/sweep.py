"""``schedule sweep``: plan one week over a grid of scenario settings and draw the cost/service trade-off.

Grid specifications (``--grid``, repeatable; the grid is their cartesian product, in the order given):

- ``key=a:b:step`` an inclusive range (``promo_multiplier=2:6:1`` -> 2, 3, 4, 5, 6);
- ``key=a,b,c`` a list (numbers, ``true``/``false``, or text).

Keys:

- ``promo_multiplier``: forces the multiplier of every promotion touching the week, for every channel
  of the scenario (``effects.<channel>.multiplier = v`` and ``forced = true``), so the forecast uses
  it instead of what history taught (main day x v; lead-up and tail scaled as the forecaster does);
- ``service_level_target``: the target of every Erlang channel (``erlang_c``, ``erlang_a``; deferred
  channels such as email keep theirs);
- any dotted scenario key, e.g. ``channels.chat.concurrency``, ``shrinkage``, ``roster.time_limit_s``,
  ``labour.max_days_per_week``, ``temporary_agents.0.count`` (list items by position).

Every point is validated before any plan runs: a bad key or value is one line naming ``--grid``.

Sweeps run many plans, so by default the roster time limit is cut to ``DEFAULT_TIME_LIMIT_S`` (10 s) per
point, or to the scenario's own when that is lower (a sweep never plans a point longer than ``plan``
plans the week); ``time_limit_s`` sets it, and a ``roster.time_limit_s`` grid key overrides both. Points run in
local processes (:class:`scheduler.compare.LocalExecutor`) or, with ``ray_address``, as Ray tasks
(:class:`scheduler.compare.RayExecutor`): the same :func:`scheduler.compare.run_job` is mapped over
the points either way.

Outputs (``out/sweep/<scenario>/<YYYY-Www>/`` by default, written all or nothing): ``sweep.csv``
(one row per point, ``pareto`` marks the efficient ones), ``frontier.png``, ``report.html``.
Efficient = no other point is as cheap and reaches at least the same service level (contact-weighted
over the live channels), one of them strictly. ``promo_multiplier`` changes demand, not a decision,
so points are compared only with points of the same multiplier: there is one front per multiplier. A point
whose roster the solver cannot make within the time limit is kept as a row with ``solver_status =
NO_ROSTER`` and empty figures (it is never efficient); a bad grid key fails the whole sweep before
any plan runs.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from core.atomic import atomic_folder
from core.errors import InputError
from core.limits import MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from core.names import folder_name
from core.scenario import Scenario, load_scenario
from scenarios import default_agents, default_scenario
from scheduler import charts
from scheduler.compare import (
    Executor,
    LocalExecutor,
    PlanJob,
    PlanOutcome,
    RayExecutor,
    channel_order,
    check_before_plans,
    run_jobs,
    split_cores,
    with_workers,
)
from scheduler.plan_folder import write_csv
from scheduler.report_html import sweep_report
from scheduler.weeks import parse_week

DEFAULT_OUT = Path("out") / "sweep"
KNOWN_FILES = ("sweep.csv", "frontier.png", "report.html", "plans")
DEFAULT_TIME_LIMIT_S = 10.0
MAX_POINTS = 500
# Keys that change demand rather than a decision: points are compared (Pareto) only at the same demand.
DEMAND_KEYS = ("promo_multiplier",)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z0-9_]+))*$")


# -- grid -------------------------------------------------------------------------------------------------
def parse_value(text: str):
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        f = float(t)
    except ValueError:
        return t
    if not math.isfinite(f):
        raise InputError(f"'{text}' is not a finite number", field="--grid")
    return f


def parse_range(text: str, key: str) -> list:
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError(f"'{key}={text}': a range is start:stop:step", field="--grid")
    vals = [parse_value(p) for p in parts]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        raise InputError(f"'{key}={text}': range bounds and step must be numbers", field="--grid")
    a, b, step = vals
    if step <= 0:
        raise InputError(f"'{key}={text}': the step must be positive", field="--grid")
    if b < a:
        raise InputError(f"'{key}={text}': the range ends before it starts", field="--grid")
    n = int(math.floor((b - a) / step + 1e-9)) + 1
    if n > MAX_POINTS:
        raise InputError(f"'{key}={text}' has {n} values; at most {MAX_POINTS}", field="--grid")
    if all(isinstance(v, int) for v in vals):
        return [a + i * step for i in range(n)]
    decimals = max(_decimals(p) for p in parts)
    return [round(a + i * step, decimals + 2) for i in range(n)]


def _decimals(text: str) -> int:
    t = text.strip().lower()
    if "e" in t:
        return 12
    return len(t.split(".")[1]) if "." in t else 0


def _is_range(values: str) -> bool:
    """``2:6:1`` (or a mistyped ``2:6``) is a range; ``12:00`` and ``08:00-24:00`` are values."""
    if "," in values or ":" not in values or re.fullmatch(r"\d\d:\d\d", values.strip()):
        return False
    parts = values.split(":")
    return len(parts) in (2, 3) and all(isinstance(parse_value(p), (int, float)) for p in parts if p.strip())


def parse_grid(specs: list[str]) -> dict[str, list]:
    """``["promo_multiplier=2:6:1", "service_level_target=0.8,0.9"]`` -> {key: values} in order."""
    grid: dict[str, list] = {}
    for spec in specs:
        if "=" not in spec:
            raise InputError(f"'{spec}' is not key=values (e.g. promo_multiplier=2:6:1 or shrinkage=0.25,0.3)",
                             field="--grid")
        key, _, values = spec.partition("=")
        key, values = key.strip(), values.strip()
        if not _KEY.match(key):
            raise InputError(f"'{key}' is not a scenario key (dotted, e.g. channels.chat.concurrency)",
                             field="--grid")
        if key in grid:
            raise InputError(f"'{key}' is given twice", field="--grid")
        if not values:
            raise InputError(f"'{key}' has no values", field="--grid")
        if _is_range(values):
            vals = parse_range(values, key)
        else:
            vals = [parse_value(v) for v in values.split(",") if v.strip()]
        if len(set(map(repr, vals))) != len(vals):
            raise InputError(f"'{key}' lists a value twice", field="--grid")
        grid[key] = vals
    if not grid:
        raise InputError("give at least one --grid key=values", field="--grid")
    n = math.prod(len(v) for v in grid.values())
    if n > MAX_POINTS:
        raise InputError(f"the grid has {n} points; at most {MAX_POINTS}", field="--grid")
    return grid


def grid_points(grid: dict[str, list]) -> list[dict]:
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


# -- applying a point to a scenario ------------------------------------------------------------------------
def week_promotions(scenario: Scenario, week) -> list[str]:
    """Names of the scenario's promotions that touch a day of ``week`` (lead-up, main day or tail)."""

    days = scenario.promotion_days(week.start_date, week.end_date)
    return sorted({e.promo for e in days.values()})


def apply_point(scenario: Scenario, point: dict, week) -> Scenario:
    """The scenario with one grid point's settings, validated like a scenario file."""
    data = scenario.model_dump()
    for key, value in point.items():
        if key == "promo_multiplier":
            names = set(week_promotions(scenario, week))
            if not names:
                raise InputError(f"promo_multiplier: no promotion of scenario '{scenario.name}' touches "
                                 f"{week.label}", field="--grid")
            for p in data["promotions"]:
                if p["name"] in names:
                    p["effects"] = {**p.get("effects", {}),
                                    **{ch: {"multiplier": value, "forced": True} for ch in data["channels"]}}
        elif key == "service_level_target":
            for spec in data["channels"].values():
                if spec["model"] in ("erlang_c", "erlang_a"):
                    spec["service_level_target"] = value
        else:
            _set_dotted(data, key, value)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        point_text = ", ".join(f"{k}={v}" for k, v in point.items())
        raise InputError(f"{point_text}: {where + ': ' if where else ''}{msg}", field="--grid") from None


def _set_dotted(data: dict, key: str, value) -> None:
    parts = key.split(".")
    cur = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(cur, list):
            if not part.isdigit() or int(part) >= len(cur):
                raise InputError(f"'{key}': '{'.'.join(parts[:i]) or key}' has {len(cur)} item(s); "
                                 f"'{part}' is not one of them", field="--grid")
            if last:
                cur[int(part)] = value
            else:
                cur = cur[int(part)]
        elif isinstance(cur, dict):
            if part not in cur:
                allowed = ", ".join(sorted(map(str, cur)))
                raise InputError(f"'{key}': unknown key '{part}'; allowed: {allowed}", field="--grid")
            if last:
                if isinstance(cur[part], (dict, list)):
                    raise InputError(f"'{key}' is a table, not a value", field="--grid")
                cur[part] = value
            else:
                cur = cur[part]
        else:
            raise InputError(f"'{key}': '{'.'.join(parts[:i])}' is a value, not a table", field="--grid")


# -- Pareto front ---------------------------------------------------------------------------------------------
def pareto_mask(cost, service_level) -> np.ndarray:
    """True for points no other point dominates (cost <= and service level >=, one of them strictly).
    Points with a non-finite figure are never efficient. Along the efficient points sorted by cost,
    the service level strictly rises."""
    c = np.asarray(cost, dtype=float)
    s = np.asarray(service_level, dtype=float)
    ok = np.isfinite(c) & np.isfinite(s)
    mask = np.zeros(len(c), dtype=bool)
    idx = np.flatnonzero(ok)
    # sort by cost, then best service first; keep a point when it beats the best service seen so far
    order = idx[np.lexsort((-s[idx], c[idx]))]
    best = -np.inf
    for i in order:
        if s[i] > best:
            mask[i] = True
            best = s[i]
    return mask


def overall_service_level(summary: dict, scenario: Scenario) -> float:
    """Contact-weighted service level over the live (Erlang) channels of a plan."""
    num = den = 0.0
    for ch, s in summary.get("channels", {}).items():
        spec = scenario.channels.get(ch)
        if spec is None or spec.model == "deferred":
            continue
        sl = s.get("service_level")
        w = s.get("contacts_measured", s.get("contacts_handled", s.get("contacts")))
        if sl is None or w is None or not math.isfinite(float(sl)):
            continue
        num += float(sl) * float(w)
        den += float(w)
    return num / den if den > 0 else math.nan


# -- the command ------------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    table: pd.DataFrame
    keys: list[str]
    out_dir: Path
    wall_s: float
    executor: str


def sweep_frame(points: list[dict], outcomes: list[PlanOutcome], scenarios: list[Scenario]) -> pd.DataFrame:
    channels = channel_order(o.summary for o in outcomes)
    rows = []
    for i, (pt, o, sc) in enumerate(zip(points, outcomes, scenarios), start=1):
        s = o.summary or {"channels": {}, "solver": {"status": "NO_ROSTER"}}
        rec = {"point": i, **pt}
        for ch in channels:
            rec[f"contacts_{ch}"] = o.offered.get(ch, s["channels"].get(ch, {}).get("contacts", np.nan))
        rec.update({k: s.get(k, np.nan) for k in ("required_agent_hours", "paid_hours", "cost", "agents_used",
                                                  "overtime_hours", "premium_cost")})
        for ch in channels:
            v = s["channels"].get(ch, {}).get("service_level")
            rec[f"service_level_{ch}"] = float(v) if v is not None else np.nan
        rec["service_level_overall"] = overall_service_level(s, sc)
        rec["shortfall_agent_intervals"] = s.get("understaffed_agent_intervals", np.nan)
        rec["solver_status"] = s.get("solver", {}).get("status", "")
        gap = s.get("solver", {}).get("gap")
        rec["solver_gap"] = float(gap) if gap is not None else np.nan
        # roster.report.stopped_by_clock reads it: a point the clock stopped may differ from run to run
        rec["solver_stopped_by"] = s.get("solver", {}).get("stopped_by", o.stopped_by)
        rec["wall_s"] = round(o.wall_s, 1)
        rows.append(rec)
    df = pd.DataFrame(rows)
    df["pareto"] = False
    groups = [k for k in points[0] if k in DEMAND_KEYS] if points else []
    by = groups[0] if len(groups) == 1 else groups
    for _, idx in (df.groupby(by, sort=False).groups.items() if groups else [(None, df.index)]):
        df.loc[idx, "pareto"] = pareto_mask(df.loc[idx, "cost"], df.loc[idx, "service_level_overall"])
    df["pareto"] = df["pareto"].astype(bool)
    for c in df.columns:
        if "service_level" in c or c == "solver_gap":
            df[c] = df[c].astype(float).round(4)
    return df


def point_time_limit(base: Scenario, time_limit_s: float | None) -> float:
    """The roster time limit of every point [s]: ``time_limit_s`` when given, else ``DEFAULT_TIME_LIMIT_S`` or
    the scenario's own when that is lower."""
    if time_limit_s is None:
        return float(min(DEFAULT_TIME_LIMIT_S, base.roster.time_limit_s))
    if not MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise InputError(f"the sweep time limit must be from {MIN_TIME_LIMIT_S:g} to {MAX_TIME_LIMIT_S:g} s",
                         field="--time-limit-s")
    return float(time_limit_s)


def run_sweep(scenario_path: str | Path | None, week: str, grid_specs: list[str], out: str | Path | None = None, *,
              time_limit_s: float | None = None, ray_address: str | None = None,
              max_workers: int | None = None, history: str | Path | None = None, agents: str | Path | None = None,
              calendar: str | None = None, keep_plans: bool = False, executor: Executor | None = None,
              events: str | Path | None = None, log: Callable = print, force: bool = False,
              requests: str | Path | None = None) -> SweepResult:
    """Plan ``week`` at every grid point and write ``sweep.csv``, ``frontier.png`` and ``report.html``
    (``force``: even into a folder that is not new, empty or an earlier sweep, :func:`core.atomic.atomic_folder`;
    ``requests``: the agents' requests CSV for every point)."""
    t0 = time.perf_counter()
    wk = parse_week(week)
    grid = parse_grid(grid_specs)
    base = load_scenario(scenario_path or default_scenario())
    if "roster.time_limit_s" not in grid:
        limit = point_time_limit(base, time_limit_s)
        base = base.model_copy(update={"roster": base.roster.model_copy(update={"time_limit_s": limit})})
    points = grid_points(grid)
    scenarios = [apply_point(base, pt, wk) for pt in points]  # all validated before any plan runs
    check_before_plans(scenarios, history=history, agents=agents, requests=requests, events=events)
    procs, workers = split_cores(len(points), max_workers)
    if executor is None:
        executor = RayExecutor(ray_address, cpus_per_task=workers) if ray_address else LocalExecutor(procs)
    target = Path(out) if out else DEFAULT_OUT / folder_name(base.name) / wk.label
    if out is None and folder_name(base.name) != base.name:
        log(f"note: the scenario name '{base.name}' is not a folder name; writing under {target}/")
    limit = scenarios[0].roster.time_limit_s
    log(f"{wk.describe()}: sweep of {base.name} over {len(points)} point(s) "
        f"({' x '.join(f'{k}[{len(v)}]' for k, v in grid.items())}) on {executor.name}, "
        f"{min(executor.slots, len(points))} at a time x {workers} CP-SAT worker(s); "
        f"roster time limit {limit:g} s per point")
    with atomic_folder(target, "sweep", force=force, known=KNOWN_FILES) as tmp:
        jobs = [PlanJob(f"point{i:03d}", with_workers(sc, workers), wk.label,
                        str(Path(history).resolve()) if history else None,
                        str(Path(agents or default_agents()).resolve()), calendar,
                        str(tmp / "plans" / f"point{i:03d}") if keep_plans else None,
                        tuple(pt.items()), events=str(Path(events).resolve()) if events else None,
                        requests_path=str(Path(requests).resolve()) if requests else None)
                for i, (sc, pt) in enumerate(zip(scenarios, points), start=1)]
        outcomes = run_jobs(jobs, executor, log, tolerate_solver=True)
        if all(o.error for o in outcomes):
            raise InputError(f"no grid point got a roster ({outcomes[0].error}); raise --time-limit-s",
                             field="--time-limit-s")
        df = sweep_frame(points, outcomes, scenarios)
        write_csv(df, tmp / "sweep.csv", bom=True)
        groups = [k for k in grid if k in DEMAND_KEYS]
        png = charts.save_png(charts.frontier_figure(df, list(grid), groups=groups,
                                                     title=f"{base.name} {wk.label}: cost against service level"),
                              tmp / "frontier.png")
        (tmp / "report.html").write_text(sweep_report(df, list(grid), base, wk, png, limit), encoding="utf-8")
    return SweepResult(df, list(grid), target, time.perf_counter() - t0, executor.name)


def sweep_table(df: pd.DataFrame, keys: list[str]) -> str:
    cols = ["point", *keys, "cost", "paid_hours", "service_level_overall", "shortfall_agent_intervals",
            "solver_gap", "pareto"]
    show = df[[c for c in cols if c in df.columns]].copy()
    for c in ("service_level_overall", "solver_gap"):
        show[c] = show[c].map(lambda v: "-" if not np.isfinite(v) else f"{100 * v:.1f}%")
    for c in ("cost", "paid_hours"):
        show[c] = show[c].map(lambda v: f"{v:,.0f}")
    show["pareto"] = show["pareto"].map(lambda v: "*" if v else "")
    return show.to_string(index=False)
