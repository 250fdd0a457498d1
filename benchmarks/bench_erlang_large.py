"""Benchmark: Erlang C for many agents, the closed form against the exact O(N) recursion in the same run.

    python3 benchmarks/bench_erlang_large.py [--repeats 5]

Above ``EXACT_MAX_AGENTS`` agents, :mod:`scheduler.staffing.erlang` evaluates Erlang B in closed form
(Poisson pmf / cdf in log space) and searches the required agents by bracketing and bisection. Printed:

- accuracy, where both run: the largest relative difference in Erlang B and service level over loads
  from 0.5 to 200,000 Erlang and agents from A - 40 sqrt(A) to A + 40 sqrt(A), and how many required-agent
  answers differ over 2,000 random intervals (loads 20 .. 200,000 Erlang, random AHT, threshold, target,
  occupancy cap);
- time: required agents for one interval at 10^4 .. 10^6 Erlang by each path, and their ratio;
- the cases of issue 14: 10^9 contacts an hour at 180 s (5 x 10^7 Erlang) and 2 x 10^9 agents.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.staffing import erlang  # noqa: E402

EXACT_EVERYWHERE = 10**12


def both(fn, *args):
    saved = erlang.EXACT_MAX_AGENTS
    try:
        erlang.EXACT_MAX_AGENTS = EXACT_EVERYWHERE
        exact = fn(*args)
        erlang.EXACT_MAX_AGENTS = 0
        closed = fn(*args)
    finally:
        erlang.EXACT_MAX_AGENTS = saved
    return exact, closed


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def accuracy() -> None:
    worst_b = worst_sl = 0.0
    for a in (0.5, 5.0, 40.0, 300.0, 2_000.0, 12_000.0, 60_000.0, 200_000.0):
        n = np.unique(np.clip(np.round(a + np.linspace(-40, 40, 321) * math.sqrt(a)), 1, None)).astype(np.int64)
        b_exact, b_closed = both(erlang.erlang_b, n, a)
        keep = b_exact > 1e-300
        worst_b = max(worst_b, float(np.max(np.abs(b_closed[keep] / b_exact[keep] - 1))))
        sl_exact, sl_closed = both(erlang.service_level, n, a, 180.0, 20.0)
        worst_sl = max(worst_sl, float(np.max(np.abs(sl_closed - sl_exact))))
    print(f"largest relative difference in Erlang B, closed form vs recursion: {worst_b:.1e}")
    print(f"largest absolute difference in service level:                    {worst_sl:.1e}")
    rng = np.random.default_rng(2025)
    size = 2000
    a = np.exp(rng.uniform(math.log(20), math.log(2e5), size))
    args = (a, rng.uniform(30, 900, size), rng.uniform(0, 120, size), rng.uniform(0.3, 0.99, size),
            rng.choice([1.0, 0.9, 0.85], size))
    exact, closed = both(erlang.required_agents, *args)
    print(f"required agents: {int(np.sum(exact != closed))} of {size} answers differ")


def speed(repeats: int) -> None:
    erlang.required_agents(10.0, 180, 20, 0.8)  # compile or load the kernel first
    print(f"{'load [Erl]':>12} {'exact [ms]':>11} {'closed [ms]':>12} {'ratio':>8}")
    for a in (1e4, 1e5, 1e6):
        exact, closed = both(lambda x=a: timed(lambda: erlang.required_agents(x, 180, 20, 0.8), repeats))
        print(f"{a:>12.0e} {1e3 * exact:>11.2f} {1e3 * closed:>12.2f} {exact / closed:>8.1f}")
    load = float(erlang.offered_load(1e9, 60, 180))
    t = timed(lambda: erlang.required_agents(load, 180, 20, 0.8), repeats)
    n = int(erlang.required_agents(load, 180, 20, 0.8))
    print(f"10^9 contacts/h, AHT 180 s, 80% in 20 s: {n:,} agents in {1e3 * t:.2f} ms (load {load:.3g} Erl)")
    t = timed(lambda: (erlang.erlang_c(2_000_000_000, load), erlang.service_level(2_000_000_000, load, 180, 20),
                       erlang.asa_s(2_000_000_000, load, 180)), repeats)
    print(f"2 x 10^9 agents on that load: p_wait, service level and ASA in {1e3 * t:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    accuracy()
    speed(args.repeats)


if __name__ == "__main__":
    main()
