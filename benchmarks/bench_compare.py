"""Benchmark: the acceptance comparison, baseline against Double 11 for 2025-W46, on local cores.

    python3 benchmarks/bench_compare.py [--week 2025-W46] [--jobs N] [--out DIR] [--sequential]

Runs ``schedule compare scenarios/baseline.toml scenarios/double11.toml --week 2025-W46`` through the
library (the same call the command makes), then prints the wall time of the whole comparison and of
each plan, the ratio of the parallel run to the sum of the plans (what running them one after another
would take, measured in this run), the plans' solver figures, and the direction checks a planner
expects of Double 11 against the contract baseline: more contacts taken in, more paid hours, and
more overtime or premium pay. ``--sequential`` also runs the plans one after another in this process
(every core for each solve) and prints that ratio too. Exits 1 when a direction check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scenarios import SCENARIO_DIR  # noqa: E402
from scheduler.compare import InlineExecutor, compare_scenarios, comparison_table  # noqa: E402

SCENARIOS = [SCENARIO_DIR / "baseline.toml", SCENARIO_DIR / "double11.toml"]


def direction_checks(table) -> list[tuple[str, bool, str]]:
    t = table.set_index("scenario")
    b, d = t.loc["baseline"], t.loc["double11"]
    chans = [c.removeprefix("contacts_") for c in table.columns if c.startswith("contacts_")]
    more_contacts = sum(d[f"contacts_{c}"] for c in chans) > sum(b[f"contacts_{c}"] for c in chans)
    return [
        ("more contacts taken in", more_contacts,
         f"{sum(b[f'contacts_{c}'] for c in chans):,.0f} -> {sum(d[f'contacts_{c}'] for c in chans):,.0f}"),
        ("more paid hours", d["paid_hours"] > b["paid_hours"], f"{b['paid_hours']:,.0f} -> {d['paid_hours']:,.0f}"),
        ("more overtime or premium", d["overtime_hours"] > b["overtime_hours"] or d["premium_cost"] > b["premium_cost"],
         f"overtime {b['overtime_hours']:,.0f} -> {d['overtime_hours']:,.0f} h, "
         f"premium CNY {b['premium_cost']:,.0f} -> {d['premium_cost']:,.0f}"),
        ("more agents used", d["agents_used"] > b["agents_used"], f"{b['agents_used']:.0f} -> {d['agents_used']:.0f}"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--week", default="2025-W46")
    ap.add_argument("--jobs", type=int, default=None, help="processes (default: one per core, one per scenario)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--sequential", action="store_true", help="also time the plans one after another")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_compare.")) / "compare"
    print(f"cores: {os.cpu_count()}")
    t0 = time.perf_counter()
    res = compare_scenarios(SCENARIOS, args.week, out, max_workers=args.jobs)
    wall = time.perf_counter() - t0
    walls = {o.label: o.wall_s for o in res.outcomes}
    print(comparison_table(res.table, walls))
    print(f"\ncompare wall time {wall:.1f} s (acceptance: under 180 s on 2 cores)")
    for o in res.outcomes:
        s = o.summary["solver"]
        print(f"  {o.label:<10} plan {o.wall_s:6.1f} s  solver {s.get('status')} gap {100 * (s.get('gap') or 0):.1f}% "
              f"stopped by {s.get('stopped_by', '-')}, {s.get('num_variables', '-')} variables")
    print(f"  parallel / sum of plans = {wall / sum(walls.values()):.2f}")
    if args.sequential:
        t1 = time.perf_counter()
        compare_scenarios(SCENARIOS, args.week, Path(str(out) + "-seq"), executor=InlineExecutor(), charts=False,
                          log=lambda *_: None)
        seq = time.perf_counter() - t1
        print(f"  sequential in one process {seq:.1f} s; parallel / sequential = {wall / seq:.2f}")
    print("\ndirection checks (Double 11 against baseline):")
    ok = True
    for name, passed, detail in direction_checks(res.table):
        ok &= bool(passed)
        print(f"  [{'ok' if passed else 'FAIL'}] {name}: {detail}")
    print(f"\nwrote {res.out_dir}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
