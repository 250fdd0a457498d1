"""Benchmark: what the plan's page (report.html) and ``schedule validate`` cost on real plan folders.

    python benchmarks/bench_plan_page.py out/baseline/2025-W11 out/double11/2025-W46 [--runs 5]

For each plan folder (written by ``schedule plan``): the page built from the plan's tables (median of
``--runs``), its size, and as the baseline measured in the same run, writing the plan folder's CSV and
JSON files themselves (``PlanFolder.write`` without the page, into a temporary folder), so the ratio
says what the page adds to writing a plan. Then ``schedule validate`` of the untouched plan (one run:
rebuilding the problem from summary.json's inputs, reading the shifts, the channel split, the
validator), against the baseline of loading the plan's inputs alone (scenario, pool, history).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.plan_folder import PlanFolder  # noqa: E402
from scheduler.plan_page import PageData, plan_page  # noqa: E402
from scheduler.revalidate import Options, _plan_inputs, _summary_week, recheck  # noqa: E402
from scheduler.vendor_export import load_plan  # noqa: E402


def _median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(plan_dir: Path, runs: int) -> None:
    folder = PlanFolder(plan_dir)
    summary = folder.summary()
    plan = load_plan(plan_dir)
    frames = dict(forecast=folder.forecast(), requirements=folder.requirements(), shifts=plan.shifts,
                  coverage=folder.coverage(), assignments=folder.assignments(), shortfall=folder.shortfall())
    data = PageData(summary=summary, shifts=plan.shifts, coverage=frames["coverage"], shortfall=frames["shortfall"],
                    assignments=frames["assignments"], teams=plan.teams)
    page_s = _median_s(lambda: plan_page(data), runs)
    size = len(plan_page(data).encode("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        write_s = _median_s(lambda: PlanFolder(Path(tmp) / "plan").write(**frames, summary=summary), runs)
    print(f"{plan_dir}: {len(plan.shifts)} shifts, {plan.shifts['agent_id'].nunique()} agents")
    print(f"  page   {page_s:6.3f} s  {size / 1024:6.0f} KB   plan files written {write_s:6.3f} s   "
          f"ratio {page_s / write_s:5.2f}")
    t0 = time.perf_counter()
    _plan_inputs(folder, summary, _summary_week(folder, summary), Options(plan=plan_dir), [])
    inputs_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = recheck(Options(plan=plan_dir))
    validate_s = time.perf_counter() - t0
    print(f"  validate {validate_s:6.2f} s ({len(result.findings)} violation(s))   inputs loaded {inputs_s:6.2f} s   "
          f"ratio {validate_s / inputs_s:5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plans", nargs="+", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for plan_dir in args.plans:
        bench(plan_dir, args.runs)


if __name__ == "__main__":
    main()
