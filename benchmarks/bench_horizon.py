"""Benchmark: a calendar month in one model, and a year of chained weeks, on the bundled data and the
default scenario (52 agents), as ``schedule plan --month`` and ``schedule plan --weeks`` run them.

    python benchmarks/bench_horizon.py month [--month 2025-10]
    python benchmarks/bench_horizon.py year [--weeks 2025-W01:2025-W52] [--out /tmp/year]

``month``: ``plan --month`` as the command runs it (``horizon.run_month``): the month planned week by week
with a week of look-ahead (the warm start, ``[roster.month] warm_start_weeks_s`` per two-week window), then the
month model from that start under ``[roster.month]`` (the bundled scenario's budget and gap). Printed: the
solver settings, the warm start's wall time, pay cost and understaffed agent-intervals, the month
model's status, proven gap (the bound: the higher of CP-SAT's and HiGHS's root bound, ``[roster.month]
root_bound``, whose rounds and time are printed), objective by kind, wall time (warm start included)
and the same figures, the highest monthly overtime, the validator's verdict, and the month model against its
own chained-weeks start measured in this run (cost and shortfall ratios).

``year``: ``plan --weeks`` over the range, each week carrying the one before. Printed: the chain's
wall time, the mean and slowest week, the weeks meeting every target, and the mean week against one
week planned alone in this run (2025-W11, no --previous), the baseline.

Times depend on the machine and its load (2 cores shared here); only ratios measured in the same
run compare runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.chain import YEAR_SUMMARY, parse_weeks, plan_weeks  # noqa: E402
from scheduler.horizon import month_scenario, parse_month, run_month  # noqa: E402
from scheduler.plan import load_inputs, run_plan  # noqa: E402
from scheduler.weeks import parse_week  # noqa: E402


def bench_month(label: str) -> None:
    """``plan --month`` as the command runs it (``horizon.run_month``: its week-by-week start, then the month
    model), with the start's figures printed as it goes and the month model measured against them."""
    month = parse_month(label)
    inputs = load_inputs(month)
    spec = month_scenario(inputs.scenario).roster.month
    print(f"{month.describe()}, {len(inputs.agents)} agents")
    print(f"solver: time_limit_s={spec.time_limit_s:g} (deterministic), relative_gap={spec.relative_gap:g}, "
          f"search={spec.search}, workers={spec.workers}, warm start {spec.warm_start_weeks_s:g} s per week")
    t0 = time.perf_counter()
    result = run_month(inputs, echo=lambda line: print("  " + line))
    total = time.perf_counter() - t0
    s, solver = result.summary, result.summary["solver"]
    start = solver.get("warm_start") or {"wall_s": 0.0, "cost": float("nan"), "understaffed": 0}  # none: no start
    print(f"chained weeks (the start): {start['wall_s']:.0f} s, cost CNY {start['cost']:,.0f}, "
          f"understaffed {start['understaffed']}")
    print(f"month model: {solver['status']}, gap {100 * solver['gap']:.2f}% (objective {solver['objective']:,.0f}, "
          f"bound {solver['best_bound']:,.0f}), solve {solver['wall_s']:.0f} s, {total:.0f} s in all, "
          f"{solver['deterministic_time']:.0f} deterministic units, stopped by {solver['stopped_by']}")
    second = solver.get("root_bound")
    if second is not None:  # HiGHS's root bound of the month, on one more thread from the start
        print(f"  HiGHS root bound {second['bound'] or 0:,.0f} after {second['rounds']} rounds of cuts, "
              f"{second['wall_s']:.0f} s, stopped by {second['stopped_by']}; CP-SAT's bound is its LP's")
    print("  objective by kind: " + ", ".join(f"{k} {v:,.0f}" for k, v in solver.get("objective_terms", {}).items()))
    print(f"  cost CNY {s['cost']:,.0f}, understaffed {s['understaffed_agent_intervals']}, "
          f"service " + ", ".join(f"{ch} {100 * c['service_level']:.1f}%" for ch, c in s["channels"].items()))
    pairs = s["agent_friendly"]["paired_rest_days"]
    print(f"  paired rest days {pairs['with_two_consecutive_rest_days']}/{pairs['full_timer_weeks']} full-timer weeks, "
          f"start-time changes {s['agent_friendly']['start_time_changes']}")
    print(f"  max overtime in the month {s['labour']['max_month_overtime_h']:g} h (cap "
          f"{s['labour']['max_overtime_h_per_month']:g}), rest-day shifts {s['labour']['rest_day_shifts']}, "
          f"validator {'clean' if not s['validation']['violations'] else s['validation']['violations'][:3]}")
    print(f"ratio, month model cost / its week-by-week start: {s['cost'] / start['cost']:.4f}, understaffed "
          f"{s['understaffed_agent_intervals'] / max(start['understaffed'], 1):.2f}")


def bench_year(text: str, out: Path | None) -> None:
    weeks = parse_weeks(text)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        one = run_plan(load_inputs(parse_week("2025-W11")))
        t_one = time.perf_counter() - t0
        root = out or Path(tmp) / "chain"
        t0 = time.perf_counter()
        plan_weeks(weeks, out=root, echo=print)
        t_chain = time.perf_counter() - t0
        table = pd.read_csv(root / YEAR_SUMMARY)
    print(f"baseline: 2025-W11 alone {t_one:.0f} s (gap {100 * one.summary['solver']['gap']:.2f}%)")
    walls = t_chain / len(weeks)
    sl = [c for c in table.columns if c.startswith("service_level_")]
    targets = {f"service_level_{ch}": c["target"] for ch, c in one.summary["channels"].items()}
    meets = (table[sl] >= pd.Series(targets)[sl]).all(axis=1)
    print(f"chain {weeks[0].label}..{weeks[-1].label}: {len(weeks)} weeks in {t_chain:.0f} s "
          f"({t_chain / 60:.1f} min), {walls:.0f} s a week on average; {int(meets.sum())}/{len(weeks)} weeks meet "
          f"every target; mean gap {100 * table['gap'].mean():.2f}%, worst {100 * table['gap'].max():.2f}%")
    print(f"ratio: mean chained week / week alone {walls / t_one:.2f}")
    if not meets.all():
        print("weeks short of a target: " + ", ".join(table.loc[~meets, "week"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("month")
    m.add_argument("--month", default="2025-10")
    y = sub.add_parser("year")
    y.add_argument("--weeks", default="2025-W01:2025-W52")
    y.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.what == "month":
        bench_month(args.month)
    else:
        bench_year(args.weeks, args.out)


if __name__ == "__main__":
    main()
