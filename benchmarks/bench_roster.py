"""Benchmark: the roster optimizer on a default-like week, against a daily relaxation bound; or on a
scenario's real week.

    python3 benchmarks/bench_roster.py [--week 2025-W46] [--agents 50] [--time-limit 20] [--seed 7]
    python3 benchmarks/bench_roster.py --scenario scenarios/double11.toml --week 2025-W46 [--runs 3]

Requirements are synthetic (no forecast needed): a weekday intraday profile for chat, phone and email
in the baseline 09:00-18:00 window with peaks of about 17 chat, 9 phone and 3 email heads; weekends
carry similar chat and lower phone. The pool is ``scenarios/agents.csv`` when it exists, else a
generated pool of ``--agents`` agents.

Printed: status, objective, best bound, gap and wall time of the full model; and the "daily relaxation
bound": per day, anonymous shift counts over the same templates (any lunch option), no weekly rules and
no skills, minimising paid hours so that every interval's total requirement is covered (what
pyworkforce's MinRequiredResources computes; solved with a small CP-SAT here, and with pyworkforce
itself side by side when it is importable). The ratio roster paid hours / bound measures what the
weekly rules, skills and named agents cost in hours. Only ratios measured in this run are reported.

With ``--scenario``, the week is planned as ``schedule plan`` does (bundled history, forecast,
requirements, the scenario's agents and temporary agents) and the roster is solved ``--runs`` times
with the scenario's solver settings: each run prints status, objective, bound, gap, the time the solve
took and the validator's verdict. This is how the Double 11 week (150 agents) is measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.scenario import load_scenario  # noqa: E402
from scenarios import DEFAULT_AGENTS, DEFAULT_SCENARIO  # noqa: E402
from scheduler.agents import Agent, load_agents  # noqa: E402
from scheduler.roster import RosterProblem, solve_roster  # noqa: E402
from scheduler.roster.problem import shift_shapes  # noqa: E402
from scheduler.validation import validate_roster  # noqa: E402
from scheduler.weeks import parse_week  # noqa: E402

# heads per hour 09..17, weekday; weekend chat similar, phone lower
WEEKDAY = {"chat": [11, 15, 17, 12, 13, 16, 17, 15, 12],
           "phone": [6, 9, 9, 6, 6, 8, 8, 7, 5],
           "email": [3, 3, 3, 2, 2, 3, 3, 2, 2]}
WEEKEND = {"chat": [10, 14, 16, 12, 12, 15, 16, 14, 11],
           "phone": [3, 4, 4, 3, 3, 4, 4, 3, 3],
           "email": [2, 2, 2, 1, 1, 2, 2, 1, 1]}


def generated_pool(n: int, seed: int) -> list[Agent]:
    rng = np.random.default_rng(seed)
    mix = [("chat",), ("chat",), ("chat", "phone"), ("phone",), ("chat", "email"), ("chat", "phone", "email"),
           ("phone", "email"), ("chat",), ("chat", "phone"), ("chat",)]
    agents = []
    for i in range(n):
        part = i % 6 == 5
        skills = mix[i % len(mix)]
        cost = float(rng.choice([26.0, 28.0, 30.0, 32.0]))
        agents.append(Agent(f"A{i + 1:03d}", f"agent{i + 1}", skills, "part_time" if part else "full_time",
                            cost))
    return agents


def synthetic_requirements(problem_days, day_types, windows, interval_min: int) -> pd.DataFrame:
    rows = []
    for day in problem_days:
        w = windows[day]
        prof = WEEKEND if day_types[day] in ("weekend", "holiday_rest_day", "statutory_holiday") else WEEKDAY
        for minute in range(w.start_min, w.end_min, interval_min):
            hour = minute // 60 - 9
            if not 0 <= hour < 9:
                continue
            for ch, heads in prof.items():
                at = pd.Timestamp(day) + pd.Timedelta(minutes=minute)
                rows.append({"interval_start": at, "channel": ch, "required_scheduled": heads[hour],
                             "required_agents": heads[hour], "contacts": 0})
    return pd.DataFrame(rows)


def daily_relaxation_bound(problem: RosterProblem, time_limit_s: float = 10.0) -> tuple[float, list[float]]:
    """Sum over days of the fewest paid hours of anonymous shifts covering each interval's total."""
    total_req = problem.requirements.groupby(pd.to_datetime(problem.requirements["interval_start"]))[
        "required_scheduled"].sum()
    per_day = []
    for day in problem.days:
        shapes = shift_shapes(problem, day)
        grid = problem.grid(day)
        need = {t: int(total_req.get(problem.at(day, t), 0)) for t in grid}
        model = cp_model.CpModel()
        counts = {}
        cover = {t: [] for t in grid}
        for i, s in enumerate(shapes):
            for lunch in (s.lunch_starts or (None,)):
                v = model.new_int_var(0, 200, f"n{i}_{lunch}")
                counts[v.index] = (v, s.paid_min)
                for t in s.working(lunch, problem.interval_min):
                    cover[t].append(v)
        feasible = True
        for t in grid:
            if need[t] and not cover[t]:
                feasible = False
            elif need[t]:
                model.add(sum(cover[t]) >= need[t])
        if not feasible or not counts:
            per_day.append(float("nan"))
            continue
        model.minimize(sum(v * m for v, m in counts.values()))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit_s
        solver.parameters.num_workers = 2
        solver.solve(model)
        per_day.append(solver.best_objective_bound / 60)
    return float(np.nansum(per_day)), per_day


def pyworkforce_bound(problem: RosterProblem) -> float | None:
    try:
        from pyworkforce.scheduling import MinRequiredResources  # type: ignore
    except ImportError:
        return None
    total = 0.0
    total_req = problem.requirements.groupby(pd.to_datetime(problem.requirements["interval_start"]))[
        "required_scheduled"].sum()
    for day in problem.days:
        grid = problem.grid(day)
        shapes = shift_shapes(problem, day)
        names, matrix, costs = [], [], []
        for i, s in enumerate(shapes):
            for lunch in (s.lunch_starts or (None,)):
                work = set(s.working(lunch, problem.interval_min))
                names.append(f"s{i}_{lunch}")
                matrix.append([1 if t in work else 0 for t in grid])
                costs.append(s.paid_min / 60)
        demand = [[int(total_req.get(problem.at(day, t), 0)) for t in grid]]
        solver = MinRequiredResources(num_days=1, periods=len(grid), shifts_coverage=dict(zip(names, matrix)),
                                      required_resources=demand, cost_dict=dict(zip(names, costs)),
                                      max_period_concurrency=10_000, max_shift_concurrency=10_000,
                                      max_search_time=10.0, num_search_workers=2)
        res = solver.solve()
        total += sum(costs[names.index(r["shift"])] * r["resources"] for r in res["resources_shifts"])
    return total


def campaign(args) -> None:
    """Solve a scenario's real week ``args.runs`` times (see the module docstring)."""
    from scheduler.plan import build_problem, load_inputs

    inputs = load_inputs(parse_week(args.week), Path(args.scenario))
    if args.time_limit is not None or args.gap is not None:
        upd = {k: v for k, v in (("time_limit_s", args.time_limit), ("relative_gap", args.gap)) if v is not None}
        inputs.scenario = inputs.scenario.model_copy(update={"roster": inputs.scenario.roster.model_copy(update=upd)})
    built = build_problem(inputs)
    problem, spec = built.problem, inputs.scenario.roster
    print(f"{inputs.scenario.name}, week {inputs.week.describe()}: {len(problem.agents)} agents, "
          f"{problem.interval_min}-min intervals, {int(built.requirements['required_scheduled'].sum())} required "
          f"head-intervals; search {spec.search}, {spec.workers} workers, time limit {spec.time_limit_s:g} s, "
          f"relative gap {spec.relative_gap:g}")
    gaps, walls = [], []
    for run in range(args.runs):
        t0 = time.perf_counter()
        roster = solve_roster(problem)
        wall = time.perf_counter() - t0
        s = roster.solver
        violations = validate_roster(problem, roster)
        gaps.append(s["gap"])
        walls.append(wall)
        print(f"run {run + 1}: status {s['status']}  objective {s['objective']:.1f}  bound {s['best_bound']:.1f}  "
              f"gap {s['gap'] * 100:.2f}%  wall {wall:.1f} s (stopped by {s['stopped_by']})  "
              f"paid h {roster.paid_hours:.0f}  validator {'OK' if not violations else violations[0]}")
    print(f"worst gap {max(gaps) * 100:.2f}%, slowest {max(walls):.1f} s over {args.runs} runs")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--week", default="2025-W46")
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--time-limit", type=float, default=None, help="[s] override roster.time_limit_s")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--interval", type=int, default=None, help="[min] override interval_min")
    ap.add_argument("--gap", type=float, default=None, help="override roster.relative_gap")
    ap.add_argument("--demand-scale", type=float, default=1.0, help="multiply the synthetic heads")
    ap.add_argument("--scenario", default=None, help="plan this scenario's real week instead (see above)")
    ap.add_argument("--runs", type=int, default=1, help="with --scenario: solves to run")
    args = ap.parse_args(argv)
    if args.scenario:
        return campaign(args)

    scenario = load_scenario(DEFAULT_SCENARIO)
    updates = {}
    if args.interval:
        updates["interval_min"] = args.interval
    roster_upd = {k: v for k, v in (("time_limit_s", args.time_limit), ("relative_gap", args.gap)) if v is not None}
    if roster_upd:
        updates["roster"] = scenario.roster.model_copy(update=roster_upd)
    if updates:
        scenario = scenario.model_copy(update=updates)
    agents = load_agents(DEFAULT_AGENTS) if Path(DEFAULT_AGENTS).is_file() else generated_pool(args.agents, args.seed)
    week = parse_week(args.week)
    probe = RosterProblem.build(scenario, agents, pd.DataFrame(columns=["interval_start", "channel",
                                                                         "required_scheduled"]),
                                week.days, seed=args.seed)
    req = synthetic_requirements(probe.days, probe.day_types, probe.open_windows, probe.interval_min)
    req["required_scheduled"] = np.ceil(req["required_scheduled"] * args.demand_scale).astype(int)
    problem = RosterProblem.build(scenario, agents, req, week.days, seed=args.seed)

    print(f"week {week.describe()}; {len(agents)} agents "
          f"({sum(a.contract == 'full_time' for a in agents)} full time); interval {problem.interval_min} min; "
          f"{scenario.roster.workers} workers; time limit {scenario.roster.time_limit_s:g} s; "
          f"relative gap {scenario.roster.relative_gap:g}; demand x{args.demand_scale:g}")
    t0 = time.perf_counter()
    roster = solve_roster(problem)
    wall = time.perf_counter() - t0
    s = roster.solver
    print(f"status {s['status']}  objective {s['objective']:.2f}  best bound {s['best_bound']:.2f}  "
          f"gap {s['gap'] * 100:.2f}%  wall {wall:.1f} s (solver {s['solve_wall_s']:.1f} s, "
          f"dtime {s['deterministic_time']:.1f}, stopped by {s['stopped_by']})  variables {s['num_variables']}")
    missing = int(roster.shortfall["missing"].sum()) if len(roster.shortfall) else 0
    print(f"pay cost {roster.cost:.2f}  paid hours {roster.paid_hours:.1f}  overtime {roster.overtime_hours:.1f} h  "
          f"premium {roster.premium_cost:.2f}  shifts {len(roster.shifts)}  missing head-intervals {missing}")
    violations = validate_roster(problem, roster)
    print(f"validator: {'OK' if not violations else f'{len(violations)} violations, first: {violations[0]}'}")

    bound, per_day = daily_relaxation_bound(problem)
    print(f"daily relaxation bound {bound:.1f} paid h  (per day: {', '.join(f'{h:g}' for h in per_day)})")
    print(f"ratio paid hours / daily relaxation bound = {roster.paid_hours / bound:.4f}")
    if missing:
        print("  (the roster leaves heads missing, so its paid hours are not directly comparable)")
    pw = pyworkforce_bound(problem)
    if pw is None:
        print("pyworkforce not importable: its MinRequiredResources was not run")
    else:
        print(f"pyworkforce MinRequiredResources: {pw:.1f} paid h; ratio {roster.paid_hours / pw:.4f}")
    if len(roster.shortfall):
        print(roster.shortfall.groupby("cause")["missing"].sum().sort_values(ascending=False).head(5).to_string())


if __name__ == "__main__":
    main()
