"""Benchmark: forecast accuracy by rolling-origin backtest, against references measured in the same run.

    python3 benchmarks/bench_forecast.py [--folds 8] [--no-peer] [--bundled-weeks 78] [--bank PATH]

1. The US bank call centre (``../shared/data/us_bank_calls_2003_5min.csv``, real 5-minute arrivals,
   weekdays 07:00-21:05), aggregated hourly, ``--calendar none``, no promotions: ``--folds`` weekly
   origins (the last complete weeks), 7-day horizon. Models: ours, one-week seasonal naive, mean of
   the last four same weekdays, the statsforecast MSTL peer (when importable; ``--no-peer`` skips it)
   and the Poisson floor.
2. The bundled synthetic history (CN calendar, baseline scenario): every Monday origin of the last
   ``--bundled-weeks`` weeks, each week classed ``normal``, ``holiday``, ``promotion`` (campaign lead or
   tail days) or ``promotion_main`` (a promotion's main day inside); the issue's promotion weeks are
   the weeks of Nov 11 2024, Nov 11 2025 and Jun 18 2025.

Printed: WAPE pooled over folds per model and channel with its ratio to the four-week mean and to
the Poisson floor of the same intervals, p10-p90 coverage (intervals with a forecast mean of at least
5 contacts; and all active intervals), and the wall time per weekly forecast (fit + predict, all
channels).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecasts.backtest import (MODELS, format_summary, read_history_any, rolling_backtest,  # noqa: E402
                                summarize)
from forecasts.calendar import Calendar  # noqa: E402
from forecasts.history import load_default_history  # noqa: E402
from scenarios import DEFAULT_SCENARIO  # noqa: E402
from scheduler.scenario import load_scenario  # noqa: E402

PROMO_WEEKS = (dt.date(2024, 11, 11), dt.date(2025, 11, 10), dt.date(2025, 6, 16))


def pooled_wape(df, model: str) -> float:
    sub = df[df["model"] == model]
    return float(sub["abs_error"].sum() / sub["actual_total"].sum())


def bank(path: Path, folds: int, peer: bool) -> None:
    if not path.is_file():
        print(f"bank data: {path} not found, skipped")
        return
    hist = read_history_any(path)
    models = MODELS if peer else tuple(m for m in MODELS if m != "statsforecast")
    t0 = time.perf_counter()
    df = rolling_backtest(hist, None, Calendar.none(), folds=folds, horizon_days=7, interval_min=60, models=models)
    wall = time.perf_counter() - t0
    origins = sorted(df["origin"].unique())
    print(f"== US bank calls, hourly, {len(origins)} folds {origins[0]} .. {origins[-1]} ({wall:.1f} s)")
    print(format_summary(summarize(df), df.attrs.get("notes")))
    print()


def bundled(weeks: int) -> None:
    hist = load_default_history()
    sc = load_scenario(DEFAULT_SCENARIO)
    last = hist.last_date - dt.timedelta(days=6)
    last -= dt.timedelta(days=last.weekday())
    origins = sorted({last - dt.timedelta(days=7 * k) for k in range(weeks)} | set(PROMO_WEEKS))
    t0 = time.perf_counter()
    df = rolling_backtest(hist, sc, Calendar.cn(), origins=origins,
                          models=("ours", "seasonal_naive", "mean4_same_weekday", "poisson_floor"))
    wall = time.perf_counter() - t0
    print(f"== bundled synthetic history (CN calendar, baseline scenario), {len(origins)} weekly folds "
          f"{origins[0]} .. {origins[-1]} ({wall:.1f} s)")
    print(format_summary(summarize(df, ("kind", "channel"))))
    print()
    df = df.assign(week=np.where(df["origin"].isin(PROMO_WEEKS), "promo(11.11, 618)", df["kind"]))
    s = summarize(df, ("week",))
    print("all channels pooled, by week class:")
    print(format_summary(s))
    ours = s[s["model"] == "ours"].set_index("week")["wape"]
    if "normal" in ours and "promo(11.11, 618)" in ours:
        print(f"\npromotion weeks / normal weeks WAPE (ours): {ours['promo(11.11, 618)'] / ours['normal']:.2f}x "
              f"(target <= 1.5x)")
    for wk in PROMO_WEEKS:
        sub = df[(df["origin"] == wk) & (df["model"] == "ours")]
        print(f"  week of {wk}: WAPE {100 * sub['abs_error'].sum() / sub['actual_total'].sum():.2f}%")
    times = df.loc[df["model"] == "ours"].drop_duplicates("origin")["forecast_s"]
    print(f"\nwall time per weekly forecast (fit + predict, 3 channels): median {times.median():.2f} s, "
          f"max {times.max():.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=8)
    ap.add_argument("--no-peer", action="store_true", help="skip the statsforecast peer")
    ap.add_argument("--bundled-weeks", type=int, default=78)
    ap.add_argument("--bank", type=Path, default=ROOT / ".." / "shared" / "data" / "us_bank_calls_2003_5min.csv")
    args = ap.parse_args()
    bank(args.bank, args.folds, not args.no_peer)
    bundled(args.bundled_weeks)


if __name__ == "__main__":
    main()
