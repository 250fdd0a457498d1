"""Rolling-origin backtests: how far off the forecaster is, against simple references and the noise floor.

Each fold is a forecast made at an origin (a Monday) for ``horizon_days`` days, fitted only on the
history before the origin, then scored against what happened. Models:

| model | what |
|---|---|
| ``ours`` | :func:`forecasts.models.forecast_range` (p10/p90 too, so coverage is scored) |
| ``seasonal_naive`` | last observed same weekday before the origin |
| ``mean4_same_weekday`` | mean of the last four observed same weekdays before the origin |
| ``statsforecast`` | statsforecast MSTL peer, only where the package is importable |
| ``poisson_floor`` | the expected error of a forecast that knows each interval's true mean: |
|  | ``sum E\\|X - lam\\| / sum lam`` with ``lam`` the actual counts and ``X ~ Poisson(lam)`` |

Scores use the days of the fold that have rows in the history (a day with no rows at all is closed
or not recorded and is skipped, as the actuals are unknown). WAPE = ``sum |actual - forecast| /
sum actual`` over the fold's intervals. Coverage is the share of intervals whose actual lies inside
[p10, p90], counted where the forecast mean is at least :data:`MIN_COVER_MEAN` contacts
(``coverage_p10_p90``): below that the band of an integer count holds more than 80% by construction
(for a mean of 2 the band 0..4 already holds 95%), so ``coverage_all`` (every interval with a forecast
or an actual above 0) reads high on sparse channels even when the spread is right.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.csvio import read_text_csv, sniff_csv
from core.errors import InputError
from core.names import HOLIDAY_DAY_TYPES
from core.scenario import load_scenario
from core.values import parse_timestamps
from forecasts import kernels as K
from forecasts.baselines import BASELINES, StatsForecastPeer
from forecasts.calendar import Calendar
from forecasts.history import History, _infer_interval, check_contacts_bound, find_outliers, read_history
from forecasts.inputs import calendar_notes, prepare
from forecasts.models import ForecastConfig, forecast_range
from scenarios import default_scenario

MODELS = ("ours", "seasonal_naive", "mean4_same_weekday", "statsforecast", "poisson_floor")
COLUMNS = ("origin", "channel", "model", "kind", "wape", "abs_error", "actual_total",
           "coverage_p10_p90", "n_covered", "coverage_all", "n_active", "n_intervals", "forecast_s")
MIN_COVER_MEAN = 5.0  # [contacts] intervals scored for coverage: forecast mean at least this


# -- input ------------------------------------------------------------------------------------------
def read_history_any(path: str | Path, channel: str = "phone") -> History:
    """Read a history CSV in our schema, or the ``rownames, DateTime, Calls`` layout of the bank-call
    data (fpp3 ``bank_calls``), whose calls become ``channel``.

    In that layout a trailing ``Z`` is dropped and the clock time kept: the bank data labels its
    local clock times with ``Z`` (see ``../shared/data/README.md``). In our schema a ``Z`` means UTC
    and is converted to local time like any offset (:mod:`core.values`)."""
    path = Path(path)
    head = sniff_csv(path, what="history file", option="--history").header
    if "interval_start" in head or not {"DateTime", "Calls"} <= set(head):
        return read_history(path)
    raw = read_text_csv(path, ("DateTime", "Calls"), what="history file", option="--history")
    ts = parse_timestamps(raw["DateTime"], offsets="drop")
    calls = pd.to_numeric(raw["Calls"], errors="coerce")
    for mask, field, what in ((ts.isna(), "DateTime", "is not a time"),
                              (calls.isna() | (calls < 0), "Calls", "is not a count >= 0")):
        hits = np.flatnonzero(mask.to_numpy())
        if len(hits):
            i = int(hits[0])
            raise InputError(f"'{raw[field].iloc[i]}' {what}", file=path, row=i + 2, field=field)
    check_contacts_bound(calls, raw["Calls"], path, "Calls")
    frame = pd.DataFrame({"interval_start": ts, "channel": channel, "contacts": calls.astype(float),
                          "aht_s": np.nan})
    if frame["interval_start"].duplicated().any():
        i = int(np.flatnonzero(frame["interval_start"].duplicated().to_numpy())[0])
        raise InputError(f"duplicate row for {ts.iloc[i]:%Y-%m-%dT%H:%M}", file=path, row=i + 2, field="DateTime")
    interval = _infer_interval(frame["interval_start"], path)
    outliers = find_outliers(frame, np.arange(len(frame)) + 2, "Calls")
    frame = frame.sort_values("interval_start", kind="stable").reset_index(drop=True)
    return History(frame, interval, str(path), outliers)


def neutral_scenario(scenario=None):
    """The scenario without campaigns (for data from elsewhere, whose events we don't know)."""
    return (scenario or load_scenario(default_scenario())).without_campaigns()


# -- folds -------------------------------------------------------------------------------------------
def fold_origins(history: History, folds: int = 8, horizon_days: int = 7) -> list[dt.date]:
    """The last ``folds`` origins whose horizon lies inside the history: the last one a Monday,
    each earlier one ``horizon_days`` before the next (every Monday for a 7-day horizon)."""
    if folds < 1 or horizon_days < 1:
        raise ValueError("folds and horizon_days must be at least 1")
    span_days = (history.last_date - history.first_date).days
    if folds * horizon_days > span_days:  # checked before any date arithmetic, which could overflow
        raise InputError(f"{folds} folds of {horizon_days} days need {folds * horizon_days} days of history "
                         f"before the last; it holds {span_days} ({history.first_date} .. {history.last_date}); "
                         f"use fewer folds or a shorter horizon", file=history.source, field="--folds")
    last_start = history.last_date - dt.timedelta(days=horizon_days - 1)
    last = last_start - dt.timedelta(days=last_start.weekday())
    origins = [last - dt.timedelta(days=horizon_days * k) for k in range(folds - 1, -1, -1)]
    if origins[0] <= history.first_date:
        raise InputError(f"{folds} folds of {horizon_days} days reach back to {origins[0]}, before the "
                         f"history starts ({history.first_date}); use fewer folds",
                         file=history.source, field="--folds")
    return origins


def fold_kind(calendar: Calendar, scenario, start: dt.date, days: int) -> str:
    """``promotion_main`` (a campaign's main day inside), ``holiday``, ``promotion`` (lead or
    tail days only) or ``normal``; the campaigns are the scenario's (dated events and promotions)."""
    end = start + dt.timedelta(days=days - 1)
    promo = scenario.promotion_days(start, end)
    if any(ev.offset == 0 for ev in promo.values()):
        return "promotion_main"
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    if any(calendar.day_type(d) in HOLIDAY_DAY_TYPES for d in dates):
        return "holiday"
    return "promotion" if promo else "normal"


# -- the backtest ------------------------------------------------------------------------------------
def _dows(start: dt.date, n: int) -> np.ndarray:
    return (start.weekday() + np.arange(n)) % 7


def rolling_backtest(history: History, scenario=None, calendar: Calendar | None = None, folds: int = 8,
                     horizon_days: int = 7, interval_min: int = 60, models=MODELS,
                     origins: list[dt.date] | None = None, config: ForecastConfig | None = None,
                     baseline_days: int = 140) -> pd.DataFrame:
    """One row per fold x channel x model (columns :data:`COLUMNS`).

    ``scenario=None`` uses the baseline scenario without promotions; ``calendar=None`` is
    ``Calendar.none()``. ``origins`` overrides the rolling origins of :func:`fold_origins`.
    ``df.attrs["notes"]`` lists what was skipped and why.
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; allowed: {', '.join(MODELS)}")
    calendar = calendar or Calendar.none()
    scenario = neutral_scenario(scenario) if scenario is None else scenario
    hist = history.aggregate(interval_min)
    origins = list(origins) if origins is not None else fold_origins(hist, folds, horizon_days)
    config = config or ForecastConfig(interval_min=interval_min, seed=scenario.seed)
    notes: list[str] = []
    models = list(models)
    if "statsforecast" in models and not StatsForecastPeer.available():
        models.remove("statsforecast")
        notes.append("statsforecast is not importable: peer skipped (pip install statsforecast)")
    slots = 1440 // interval_min
    rows = []
    for origin in origins:
        end = origin + dt.timedelta(days=horizon_days - 1)
        kind = fold_kind(calendar, scenario, origin, horizon_days)
        fc, fc_notes, fc_s = None, [], float("nan")
        if "ours" in models:
            t0 = time.perf_counter()
            fc, fc_notes = forecast_range(hist, scenario, calendar, origin, horizon_days, config)
            fc_s = time.perf_counter() - t0
            for n in fc_notes:  # what holds for every fold (the calendar's) is said once
                text = n if n.startswith("--calendar") else f"{origin}: {n}"
                if text not in notes:
                    notes.append(text)
        past_start = max(hist.first_date, origin - dt.timedelta(days=baseline_days))
        for ch in hist.channels:
            actual, observed = hist.matrix(ch, origin, end)
            if not observed.any():
                continue
            a = actual[observed]
            a_total = float(a.sum())

            def score(model: str, mean: np.ndarray, lo=None, hi=None, seconds=float("nan"), *,
                      a=a, a_total=a_total, observed=observed, origin=origin, ch=ch, kind=kind):
                m = mean[observed]
                cov = cov_all = float("nan")
                n_cov = n_act = 0
                if lo is not None:
                    inside = (a >= lo[observed]) & (a <= hi[observed])
                    active = (m > 0) | (a > 0)
                    big = m >= MIN_COVER_MEAN
                    n_cov, n_act = int(big.sum()), int(active.sum())
                    cov = float(inside[big].mean()) if n_cov else float("nan")
                    cov_all = float(inside[active].mean()) if n_act else float("nan")
                rows.append({"origin": origin, "channel": ch, "model": model, "kind": kind,
                             "wape": K.wape(a, m), "abs_error": float(np.abs(a - m).sum()),
                             "actual_total": a_total, "coverage_p10_p90": cov, "n_covered": n_cov,
                             "coverage_all": cov_all, "n_active": n_act, "n_intervals": int(a.size),
                             "forecast_s": seconds})

            if fc is not None:
                sub = fc[fc["channel"] == ch].sort_values("interval_start")
                shape = (horizon_days, slots)
                score("ours", sub["contacts"].to_numpy().reshape(shape),
                      sub["contacts_p10"].to_numpy().reshape(shape),
                      sub["contacts_p90"].to_numpy().reshape(shape), fc_s)
            y_past, obs_past = hist.matrix(ch, past_start, origin - dt.timedelta(days=1))
            dow_past = _dows(past_start, len(obs_past))
            for name in ("seasonal_naive", "mean4_same_weekday", "statsforecast"):
                if name not in models:
                    continue
                t0 = time.perf_counter()
                try:
                    pred = BASELINES[name]().fit(y_past, obs_past, dow_past).predict(horizon_days)["mean"]
                except Exception as exc:  # the peer may fail on odd series; say so, go on
                    notes.append(f"{origin} {ch}: {name} failed ({type(exc).__name__}: {exc})")
                    continue
                score(name, pred, seconds=time.perf_counter() - t0)
            if "poisson_floor" in models:
                rows.append({"origin": origin, "channel": ch, "model": "poisson_floor", "kind": kind,
                             "wape": K.poisson_floor_wape(a), "abs_error": float(K.poisson_mad(a).sum()),
                             "actual_total": a_total, "coverage_p10_p90": float("nan"), "n_covered": 0,
                             "coverage_all": float("nan"), "n_active": 0, "n_intervals": int(a.size),
                             "forecast_s": float("nan")})
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df.attrs["notes"] = notes
    return df


def summarize(df: pd.DataFrame, by: tuple[str, ...] = ("channel",)) -> pd.DataFrame:
    """WAPE pooled over folds (sum of absolute errors / sum of actuals) per ``by`` x model, the mean
    p10-p90 coverage (weighted by intervals), and the ratios to ``mean4_same_weekday`` and to the
    Poisson floor of the same group."""
    keys = list(by) + ["model"]
    g = df.assign(cov_n=df["coverage_p10_p90"].fillna(0) * df["n_covered"],
                  all_n=df["coverage_all"].fillna(0) * df["n_active"])
    out = g.groupby(keys, sort=False).agg(abs_error=("abs_error", "sum"), actual_total=("actual_total", "sum"),
                                          cov_n=("cov_n", "sum"), cov_w=("n_covered", "sum"),
                                          all_n=("all_n", "sum"), all_w=("n_active", "sum"),
                                          folds=("origin", "nunique"),
                                          forecast_s=("forecast_s", "mean")).reset_index()
    out["wape"] = out["abs_error"] / out["actual_total"]
    out["coverage_p10_p90"] = out["cov_n"] / out["cov_w"].where(out["cov_w"] > 0)
    out["coverage_all"] = out["all_n"] / out["all_w"].where(out["all_w"] > 0)
    for to, col in (("mean4_same_weekday", "vs_mean4"), ("poisson_floor", "vs_floor")):
        ref = out.loc[out["model"] == to, list(by) + ["wape"]].rename(columns={"wape": "_ref"})
        if by:
            refs = out[list(by)].merge(ref, on=list(by), how="left")["_ref"].to_numpy()
        else:
            refs = ref["_ref"].iloc[0] if len(ref) else np.nan
        out[col] = out["wape"] / refs
    return out[keys + ["folds", "wape", "vs_mean4", "vs_floor", "coverage_p10_p90", "coverage_all", "forecast_s"]]


def format_summary(summary: pd.DataFrame, notes: list[str] | None = None) -> str:
    """A plain-text table: WAPE in %, ratios, coverage in %, seconds per weekly forecast."""
    t = summary.copy()
    t["wape"] = (100 * t["wape"]).map(lambda v: f"{v:6.2f}%")
    for c in ("coverage_p10_p90", "coverage_all"):
        t[c] = (100 * t[c]).map(lambda v: "" if np.isnan(v) else f"{v:5.1f}%")
    for c in ("vs_mean4", "vs_floor"):
        t[c] = t[c].map(lambda v: "" if np.isnan(v) else f"{v:5.2f}x")
    t["forecast_s"] = t["forecast_s"].map(lambda v: "" if np.isnan(v) else f"{v:6.2f}")
    text = t.rename(columns={"coverage_p10_p90": f"cover(mean>={MIN_COVER_MEAN:g})",
                                   "coverage_all": "cover(all)", "forecast_s": "s/forecast"}).to_string(index=False)
    if notes:
        text += "\n" + "\n".join(f"note: {n}" for n in notes)
    return text


def run_backtest_cli(history_path: str | Path, folds: int = 8, horizon_days: int = 7,
                     calendar_option: str | Path | None = None, scenario_path: str | Path | None = None,
                     events_option: str | Path | None = None, *, models=MODELS) -> tuple[str, pd.DataFrame]:
    """What ``schedule backtest`` prints and the per-fold frame it saves as ``backtest.csv``.

    Writes nothing. ``calendar_option`` and ``events_option`` as for ``--calendar`` and ``--events``
    (see :mod:`forecasts.inputs`: with ``--calendar none`` the scenario's campaigns are dropped unless
    ``--events`` gives dated ones). The interval is the scenario's (60 min by default); a finer history
    is aggregated to it.
    """
    hist = read_history_any(history_path)
    inputs = prepare(load_scenario(scenario_path or default_scenario()), calendar_option, events_option)
    df = rolling_backtest(hist, inputs.scenario, inputs.calendar, folds=folds, horizon_days=horizon_days,
                          interval_min=max(inputs.scenario.interval_min, hist.interval_min), models=models)
    origins = sorted(df["origin"].unique())
    head = (f"rolling backtest: {len(origins)} folds of {horizon_days} days, origins {origins[0]} .. "
            f"{origins[-1]}, {hist.source}")
    notes = calendar_notes(inputs.scenario, inputs.calendar)
    notes += [n for n in df.attrs.get("notes", []) if n not in notes]
    return head + "\n" + format_summary(summarize(df), notes), df
