"""Benchmark: what the agent-friendly terms cost, what they buy, and how requests fare.

    python3 benchmarks/bench_friendly.py [--week 2025-W11] [--scenario S] [--leave 3] [--day-off 10] [--seed 15]
    python3 benchmarks/bench_friendly.py --chain 2025-W44:2025-W48 [--month 2025-11]

Side by side on one week, planned as ``schedule plan`` plans it (bundled history, forecast, requirements,
the scenario's pool): the roster with ``roster.agent_friendly = false`` (the baseline, solved first in
this process) and with the terms on. Printed per solve: status, objective, bound, gap, what stopped it,
deterministic time and wall time, pay cost, the service objective (pay + shortfall + channel switches),
missing head-intervals, full-timers with paired rest days, start-time changes and the spread of weekend
days per full-timer; then the ratios on / off.

``--leave L --day-off D`` also samples L approved leaves and D day-off requests (distinct agents, dates in
the week, seeded), writes them as a requests CSV, reads it back through ``scheduler.requests`` and
plans with them: granted x of y per kind, whether a leave was rostered (it must not be), and one outcome
row per request.

``--chain FIRST:LAST`` plans the weeks FIRST..LAST one after another, each with the previous plan folder
as ``--previous`` (the ledger carries the counts), and prints every full-timer's weekend days over the
chain (or over the days of ``--month``): what month planning by weeks gives until ``--month`` exists.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from scheduler.friendly_summary import service_objective, without_terms  # noqa: E402
from scheduler.plan import build_problem, load_inputs, run_plan, write_plan  # noqa: E402
from scheduler.requests import read_requests, request_outcomes, requests_summary  # noqa: E402
from scheduler.roster import solve_roster  # noqa: E402
from scheduler.roster.friendly import friendly_measures  # noqa: E402
from scheduler.validation import validate_roster  # noqa: E402
from scheduler.weeks import Week, parse_week  # noqa: E402


def sample_requests(agents, days, n_leave: int, n_day_off: int, seed: int) -> list[dict]:
    """``n_leave`` leaves and ``n_day_off`` days off for distinct agents on random days of the week."""
    rng = random.Random(seed)
    chosen = rng.sample([a.agent_id for a in agents if not a.agent_id.startswith(("T", "D11", "N"))],
                        n_leave + n_day_off)
    return [{"agent_id": aid, "date": rng.choice(days).isoformat(), "kind": "leave" if i < n_leave else "day_off",
             "note": "sampled"} for i, aid in enumerate(chosen)]


def solve_and_measure(problem, label: str) -> dict:
    t0 = time.perf_counter()
    roster = solve_roster(problem)
    wall = time.perf_counter() - t0
    assert validate_roster(problem, roster) == [], label
    s = roster.solver
    m = friendly_measures(problem, roster.shifts)
    pr, wk = m["paired_rest_days"], m["weekend_days_per_full_timer"] or {}
    row = {"plan": label, "status": s["status"], "objective": s["objective"], "bound": s["best_bound"],
           "gap_pct": 100 * s["gap"], "stopped_by": s["stopped_by"], "dtime": s["deterministic_time"],
           "wall_s": wall, "cost": roster.cost, "service_objective": service_objective(roster),
           "missing": int(roster.shortfall["missing"].sum()) if len(roster.shortfall) else 0,
           "paired_rest": f"{pr['with_two_consecutive_rest_days']}/{pr['full_timer_weeks']}",
           "paired_share": pr["share"], "start_changes": m["start_time_changes"],
           "weekend_spread": wk.get("spread")}
    return {"row": row, "roster": roster}


def side_by_side(args) -> None:
    week = parse_week(args.week)
    inputs = load_inputs(week, Path(args.scenario) if args.scenario else None)
    problem = build_problem(inputs).problem
    off = solve_and_measure(without_terms(problem), "terms off")["row"]
    on = solve_and_measure(problem, "terms on")["row"]
    table = pd.DataFrame([off, on]).set_index("plan")
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.precision", 2):
        print(f"{week.label}, scenario {inputs.scenario.name}")
        print(table.to_string())
    print(f"ratios on/off: cost x{on['cost'] / off['cost']:.4f}, service objective "
          f"x{on['service_objective'] / off['service_objective']:.4f}, wall x{on['wall_s'] / off['wall_s']:.2f}, "
          f"deterministic time x{on['dtime'] / off['dtime']:.2f}")
    if args.leave or args.day_off:
        with_requests(args, week, inputs, problem)


def with_requests(args, week: Week, inputs, problem) -> None:
    rows = sample_requests(inputs.agents, week.days, args.leave, args.day_off, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        requests = read_requests(path, inputs.agents, week.days, inputs.scenario)
    p = dataclasses.replace(problem, requests=requests)
    got = solve_and_measure(p, "terms on + requests")
    roster = got["roster"]
    t0 = time.perf_counter()
    out = request_outcomes(p, roster)
    explain_s = time.perf_counter() - t0
    worked = {(r.agent_id, pd.Timestamp(r.shift_start).date()) for r in roster.shifts.itertuples()}
    leave_rostered = [f"{r.agent_id} {r.date}" for r in requests
                      if r.kind == "leave" and (r.agent_id, r.date) in worked]
    s = requests_summary(out)
    print(pd.DataFrame([got["row"]]).set_index("plan").to_string())
    print(f"requests: {s}; outcome rows {len(out)} of {len(requests)}; leave rostered: {leave_rostered or 'none'}; "
          f"denials explained in {explain_s:.1f} s")
    with pd.option_context("display.width", 250, "display.max_colwidth", 200):
        print(out.to_string(index=False))


def chain(args) -> None:
    first, last = (parse_week(t) for t in args.chain.split(":"))
    weeks, wk = [], first
    while (wk.year, wk.number) <= (last.year, last.number):
        weeks.append(wk)
        wk = parse_week((wk.start_date + pd.Timedelta(days=7)).isoformat())
    shifts = []
    with tempfile.TemporaryDirectory() as tmp:
        previous = None
        for wk in weeks:
            inputs = load_inputs(wk, Path(args.scenario) if args.scenario else None, previous_plan=previous)
            t0 = time.perf_counter()
            result = run_plan(inputs)
            folder = Path(tmp) / wk.label
            write_plan(result, folder)
            a = result.summary["agent_friendly"]
            pr = a["paired_rest_days"]
            print(f"{wk.label}: {time.perf_counter() - t0:.0f} s, gap {100 * result.summary['solver']['gap']:.2f}%, "
                  f"paired {pr['with_two_consecutive_rest_days']}/{pr['full_timer_weeks']}, "
                  f"weekend days per full-timer {a['weekend_days_per_full_timer']}")
            shifts.append(result.roster.shifts)
            previous = folder
        full = [a.agent_id for a in inputs.agents if a.contract == "full_time"]
    every = pd.concat(shifts, ignore_index=True)
    if args.month:
        y, m = map(int, args.month.split("-"))
        every = every[(pd.to_datetime(every["date"]).dt.year == y) & (pd.to_datetime(every["date"]).dt.month == m)]
    counts = every[every["day_type"] == "weekend"].groupby("agent_id").size().reindex(full, fill_value=0)
    print(f"weekend days per full-timer over {args.month or args.chain}: min {counts.min()}, max {counts.max()}, "
          f"spread {counts.max() - counts.min()}; distribution {counts.value_counts().sort_index().to_dict()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--week", default="2025-W11")
    ap.add_argument("--scenario")
    ap.add_argument("--leave", type=int, default=0)
    ap.add_argument("--day-off", type=int, default=0)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--chain", help="FIRST:LAST weeks, e.g. 2025-W44:2025-W48")
    ap.add_argument("--month", help="count weekend days of this month only (with --chain), e.g. 2025-11")
    ap.add_argument("--wall-safety", type=float, help="wall-clock cap as a multiple of roster.time_limit_s "
                    "(default 3): raise it on a loaded machine so that the deterministic budget decides, "
                    "as on an idle one")
    args = ap.parse_args()
    if args.wall_safety:
        import scheduler.roster.model as roster_model

        roster_model.WALL_SAFETY = args.wall_safety
    chain(args) if args.chain else side_by_side(args)


if __name__ == "__main__":
    main()
