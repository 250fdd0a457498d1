"""Benchmark: required agents for a week of intervals, ours against pyworkforce's ErlangC in the same run.

    python3 benchmarks/bench_staffing.py [--repeats 200] [--seed 7]

Two sets of 3 channels x 168 hourly intervals (one week each):

- the default week 2025-W11 from the bundled history, contacts and AHT as recorded (contacts around the
  clock; chat peaks near 26 Erlang);
- a synthetic busier week with an intraday and weekly shape, offered loads from 0 to 60 Erlang (chat
  peaks near 60, phone near 30, email near 12; nights closed, with no contacts).

Targets: 80% within 30 s (chat), 20 s (phone) and 60 s (email), occupancy cap 0.85.

Printed for each: the median wall time of :func:`scheduler.staffing.erlang.required_agents` on all 504
intervals in one vectorized call; the median time of a loop of pyworkforce
``ErlangC(...).required_positions(...)`` over the same intervals, in rounds interleaved with more runs
of ours (when ``pyworkforce`` is importable:
it is an optional benchmark dependency, ``pip install pyworkforce``); their ratio; and how many answers
differ (pyworkforce searches from ``round(A + 1)`` and applies the occupancy cap without a rounding
slack, so a few borderline intervals may differ; each difference is listed with both service levels).
pyworkforce rejects intervals without contacts; those count as 0 agents on its side. Erlang A for the
same intervals (patience 120 s) is timed too, for information. Last, the whole requirements step of
``schedule plan`` (``compute_requirements``) on the default week, against the 20 ms target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.staffing.erlang import (  # noqa: E402
    offered_load,
    required_agents,
    required_agents_erlang_a,
    service_level,
)

INTERVAL_MIN = 60
CHANNELS = {  # peak load [Erlang], AHT [s], answer within [s]
    "chat": (60.0, 420.0, 30.0),
    "phone": (30.0, 240.0, 20.0),
    "email": (12.0, 480.0, 60.0),
}
TARGET, MAX_OCC = 0.8, 0.85


def week_intervals(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    hour = np.arange(168) % 24
    day = np.arange(168) // 24
    shape = np.clip(np.sin(np.pi * (hour - 7) / 15), 0, None) ** 0.7  # 0 at night, peak mid-afternoon
    weekly = np.where(day >= 5, 0.8, 1.0) * np.where(day == 0, 1.1, 1.0)
    cols = {k: [] for k in ("channel", "load", "aht_s", "answer_s", "contacts")}
    for ch, (peak, aht, answer) in CHANNELS.items():
        load = peak * shape * weekly * rng.uniform(0.85, 1.15, 168)
        load = np.clip(load, 0, 60)
        contacts = load * INTERVAL_MIN * 60 / aht
        cols["channel"] += [ch] * 168
        cols["load"].append(load)
        cols["aht_s"].append(np.full(168, aht))
        cols["answer_s"].append(np.full(168, answer))
        cols["contacts"].append(contacts)
    out = {k: np.concatenate(v) if k != "channel" else np.array(v) for k, v in cols.items()}
    out["load"] = offered_load(out["contacts"], INTERVAL_MIN, out["aht_s"])
    return out


def median_ms(fn, repeats: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times), result


def default_week_intervals() -> dict[str, np.ndarray]:
    """The bundled history's default week 2025-W11 (Mon 2025-03-10 .. Sun 03-16), hourly contacts and
    AHT per channel as recorded: contacts arrive around the clock (chat peaks near 26 Erlang)."""
    from forecasts.history import load_default_history

    hist = load_default_history().aggregate(INTERVAL_MIN)
    start, end = dt.date(2025, 3, 10), dt.date(2025, 3, 16)
    cols = {k: [] for k in ("channel", "aht_s", "answer_s", "contacts")}
    for ch, (_, aht_default, answer) in CHANNELS.items():
        contacts, _ = hist.matrix(ch, start, end)
        aht, _ = hist.matrix(ch, start, end, "aht_s")
        contacts = contacts.ravel()
        cols["channel"] += [ch] * contacts.size
        cols["contacts"].append(contacts)
        cols["aht_s"].append(np.where(np.isfinite(aht.ravel()), aht.ravel(), aht_default))
        cols["answer_s"].append(np.full(contacts.size, answer))
    out = {k: np.concatenate(v) if k != "channel" else np.array(v) for k, v in cols.items()}
    out["load"] = offered_load(out["contacts"], INTERVAL_MIN, out["aht_s"])
    return out


def compare(label: str, w: dict[str, np.ndarray], repeats: int) -> float | None:
    """Time ours and pyworkforce on one set of intervals; print and return the speed ratio."""
    n = w["load"].size
    print(f"\n{label}: {n} intervals (3 channels x 168 h), load {w['load'].min():.1f}-{w['load'].max():.1f} "
          f"Erlang, {int((w['load'] == 0).sum())} with no contacts; target {TARGET:.0%}, occupancy cap {MAX_OCC}")

    ours_ms, ours = median_ms(lambda: required_agents(w["load"], w["aht_s"], w["answer_s"], TARGET, MAX_OCC),
                              repeats)
    print(f"ours         required_agents (one vectorized call): {ours_ms:8.3f} ms  (median of {repeats})")
    a_ms, _ = median_ms(lambda: required_agents_erlang_a(w["load"], w["aht_s"], 120.0, w["answer_s"], TARGET,
                                                        MAX_OCC), max(3, repeats // 20))
    print(f"ours         required_agents_erlang_a (patience 120 s): {a_ms:8.3f} ms  (for information)")

    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:
        print("pyworkforce is not importable: no comparison (pip install pyworkforce to measure it)")
        return None
    def theirs():
        out = np.zeros(n, dtype=np.int64)
        for i in range(n):
            if w["contacts"][i] <= 0:
                continue
            e = ErlangC(transactions=float(w["contacts"][i]), aht=float(w["aht_s"][i]) / 60,
                        asa=float(w["answer_s"][i]) / 60, interval=INTERVAL_MIN, shrinkage=0.0)
            out[i] = e.required_positions(service_level=TARGET, max_occupancy=MAX_OCC)["raw_positions"]
        return out

    # Interleaved rounds, so that both sides see the same machine: in each round pyworkforce runs once
    # and ours runs 10 times; the ratio is of the medians over all rounds.
    pwf = theirs()
    reps = max(5, repeats // 10)
    ours_t, pwf_t = [], []
    for _ in range(reps):
        for _ in range(10):
            t0 = time.perf_counter()
            required_agents(w["load"], w["aht_s"], w["answer_s"], TARGET, MAX_OCC)
            ours_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs()
        pwf_t.append(time.perf_counter() - t0)
    ours_ms, pwf_ms = 1000 * statistics.median(ours_t), 1000 * statistics.median(pwf_t)
    print(f"pyworkforce  ErlangC.required_positions (loop):      {pwf_ms:8.3f} ms  (median of {reps}, "
          f"interleaved with {10 * reps} more runs of ours at a median {ours_ms:.3f} ms)")
    ratio = pwf_ms / ours_ms
    print(f"speed ratio  pyworkforce / ours: {ratio:.1f}x  (target >= 50x)")
    diff = np.flatnonzero(pwf != ours)
    print(f"answers agree on {n - diff.size}/{n} intervals; {diff.size} differ")
    for i in diff[:10]:
        sl = service_level([ours[i], pwf[i]], w["load"][i], w["aht_s"][i], w["answer_s"][i])
        print(f"  {w['channel'][i]:<5} hour {i % 168:3d}: A={w['load'][i]:.6f} ours {ours[i]} (SL {sl[0]:.6f}, "
              f"occ {w['load'][i] / max(ours[i], 1):.6f}) pyworkforce {pwf[i]} (SL {sl[1]:.6f})")
    return ratio


def requirements_step_ms(repeats: int) -> float:
    """Median time of the whole requirements step of ``schedule plan`` (compute_requirements: chat
    slots and concurrency, the deferred email model, opening backlog, shrinkage) on the default week's
    forecast, baseline scenario, 3 channels x 168 hourly intervals."""
    from forecasts.models import ForecastConfig, forecast_range
    from scheduler.plan import load_inputs, open_mask
    from scheduler.staffing.requirements import compute_requirements
    from scheduler.weeks import parse_week

    inputs = load_inputs(parse_week("2025-W11"))
    sc, week, cal = inputs.scenario, inputs.week, inputs.calendar
    forecast, _ = forecast_range(inputs.history, sc, cal, week.start_date, 7,
                                 ForecastConfig(interval_min=INTERVAL_MIN, seed=sc.seed))
    mask, _ = open_mask(sc, cal, week.days)
    ms, _ = median_ms(lambda: compute_requirements(forecast, sc, mask), max(10, repeats // 10))
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ratios = [compare("default week 2025-W11 (bundled history)", default_week_intervals(), args.repeats),
              compare(f"synthetic busy week (seed {args.seed}, nights closed)", week_intervals(args.seed),
                      args.repeats)]
    req_ms = requirements_step_ms(args.repeats)
    print(f"\nwhole requirements step (compute_requirements, default week, 3 channels x 168 h): {req_ms:.1f} ms "
          f"(target <= 20 ms)")
    if None not in ratios:
        print(f"\nspeed ratios pyworkforce / ours: default week {ratios[0]:.1f}x, synthetic week "
              f"{ratios[1]:.1f}x (target >= 50x)")


if __name__ == "__main__":
    main()
