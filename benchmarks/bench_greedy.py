"""Benchmark: the second search from the greedy start against CP-SAT's own first search.

    python3 benchmarks/bench_greedy.py [--week 2025-W46] [--scenario scenarios/7x24.toml]

One week's roster problem as ``schedule plan`` builds it (bundled history, forecast, requirements, the
scenario's pool), its first stage (``friendly_solve``: the counts) searched twice in this process on the
scenario's budget: from CP-SAT's own start (the baseline, what a plan searched before the greedy start),
and from the greedy roster (``scheduler.roster.greedy``) completed into a whole one, on the share of the
budget a plan gives that second search (``greedy.AGAIN_SHARE``). Printed per search:
objective, bound, gap, deterministic and wall time; for the greedy roster, its own objective once
completed and the time it took; then the ratios greedy / own. A plan searches from the greedy start only
when its first search ends more than ``greedy.RETRY_GAP`` from the bound; this runs both regardless.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.plan import build_problem, load_inputs  # noqa: E402
from scheduler.roster.friendly_solve import stage_one_families  # noqa: E402
from scheduler.roster.greedy import AGAIN_SHARE, greedy_shifts, greedy_start  # noqa: E402
from scheduler.roster.model import _add_hints, build_model, requirement_rows, set_hints  # noqa: E402
from scheduler.roster.windows import search  # noqa: E402
from scheduler.weeks import parse_week  # noqa: E402


def line(label: str, figures: dict, wall: float) -> str:
    gap = (figures["objective"] - figures["best_bound"]) / max(abs(figures["objective"]), 1e-9)
    return (f"{label:<14} objective {figures['objective']:>12,.1f}  bound {figures['best_bound']:>12,.1f}  "
            f"gap {100 * gap:6.2f}%  {figures['deterministic_time']:6.1f} units  {wall:6.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--week", default="2025-W46")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "7x24.toml")
    args = ap.parse_args()
    problem = build_problem(load_inputs(parse_week(args.week), args.scenario)).problem
    print(f"{args.week}, {args.scenario.name}: {len(problem.agents)} agents, "
          f"time_limit_s {problem.scenario.roster.time_limit_s:g}, {problem.scenario.roster.workers} workers")

    own = build_model(problem, families=stage_one_families())
    _add_hints(problem, own)
    t0 = time.perf_counter()
    first = search(problem, own).figures
    own_wall = time.perf_counter() - t0
    print(line("own start", first, own_wall))

    greedy = build_model(problem, families=stage_one_families())
    t0 = time.perf_counter()
    shifts = greedy_shifts(problem, greedy.rv.cands, requirement_rows(problem))
    greedy_s = time.perf_counter() - t0
    values, start = greedy_start(problem, greedy)
    set_hints(greedy.model, values)
    complete_s = time.perf_counter() - t0
    completed = "no completion" if start is None else f"objective {start:,.1f} once completed"
    print(f"greedy roster  {len(shifts)} shifts in {greedy_s:.1f} s, {completed} "
          f"({complete_s:.1f} s with a second greedy pass and the completion)")
    t0 = time.perf_counter()
    again = search(problem, greedy, problem.scenario.roster.time_limit_s * AGAIN_SHARE).figures
    again_wall = time.perf_counter() - t0
    print(line("greedy start", again, again_wall))
    print(f"ratios greedy / own: objective x{again['objective'] / first['objective']:.3f}, "
          f"wall x{(again_wall + complete_s) / own_wall:.2f} (completion included)")


if __name__ == "__main__":
    main()
