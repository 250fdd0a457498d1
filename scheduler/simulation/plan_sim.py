"""Simulate a plan: replications of every channel's queue under the roster, per day and per week.

DataFrame orchestration over :mod:`scheduler.simulation.engine` (the model and its definitions are in
that module's docstring). Inputs per channel and interval come from the plan's coverage table
(``open, arrivals, aht_s, service_level``) and the heads on the channel: counted from
``assignments`` (``interval_start, agent_id, channel``) when there are any, else coverage's
``scheduled_heads``.

Figures per channel and day (and ``date = "week"``), each the mean over replications of the
replication's own figure, with a 95% Student-t confidence interval over replications (clipped to the
possible range: service level in [0, 1], ASA >= 0):

- ``contacts``: counted contacts (chat, phone: live arrivals in open intervals; email: emails handled,
  arrived in or carried into an open interval), the mean over replications;
- ``service_level``: share of them answered within ``answer_within_s`` (email: inside the response
  window, see the engine docstring); ``vip_service_level`` and ``regular_service_level`` the same per
  class (NaN without VIPs);
- ``asa_s``: mean wait to the first answer [s] (email: mean response time, arrival to answer);
- ``projected_service_level``: the coverage table's service level over the same rows, weighted as
  :func:`~scheduler.staffing.requirements.summarize_service` weights it (live arrivals; email:
  contacts handled), so the week row equals the plan summary's figure.

Replication ``r`` of channel ``c`` draws from ``default_rng([seed, r, crc32(c)])``: the same seed gives
the same figures, and adding replications or channels does not change the others.
"""

from __future__ import annotations

import math
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.atomic import atomic_file, record_output
from core.cells import write_table
from core.errors import InputError
from core.limits import MAX_REPS, MAX_SIM_CONTACTS, SEED_MAX
from scheduler.plan_folder import COMMAND, COVERAGE, SIMULATION, PlanFolder
from scheduler.simulation.engine import simulate_channel

__all__ = ["SIMULATION_COLUMNS", "simulate_plan", "simulate_result", "simulate_coverage", "write_simulation",
           "simulation_table", "t_quantile_975"]

SIMULATION_COLUMNS = ["channel", "date", "contacts", "service_level", "service_level_ci_low",
                      "service_level_ci_high", "asa_s", "asa_s_ci_low", "asa_s_ci_high", "projected_service_level",
                      "vip_service_level", "regular_service_level"]
_ROUND = {"contacts": 1, "service_level": 4, "service_level_ci_low": 4, "service_level_ci_high": 4, "asa_s": 1,
          "asa_s_ci_low": 1, "asa_s_ci_high": 1, "projected_service_level": 4, "vip_service_level": 4,
          "regular_service_level": 4}
_COVERAGE_NEEDS = ("interval_start", "channel", "open", "arrivals", "aht_s", "service_level")

# two-sided 95% Student-t quantiles t(0.975, df), df = 1..30
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def t_quantile_975(df: int) -> float:
    """t(0.975, df): a table to 30, then the Cornish-Fisher expansion (error < 1e-4)."""
    if df < 1:
        return math.nan
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def _mean_ci(x: np.ndarray, lo: float = 0.0, hi: float = math.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 ignoring NaN, and the 95% t interval clipped to ``[lo, hi]`` (NaN with fewer
    than 2 values)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    s = np.where(ok, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s.sum(axis=0) / np.maximum(n, 1), np.nan)
        var = np.where(ok, (x - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1)
        half = np.array([t_quantile_975(int(k) - 1) for k in n.ravel()]).reshape(n.shape) * np.sqrt(var / n)
    half = np.where(n >= 2, half, np.nan)
    return mean, np.clip(mean - half, lo, hi), np.clip(mean + half, lo, hi)


def _heads_frame(assignments: pd.DataFrame | None, coverage: pd.DataFrame) -> pd.DataFrame:
    """``interval_start, channel, heads``: from assignments when they list any, else coverage."""
    if assignments is not None and len(assignments):
        a = assignments.assign(interval_start=pd.to_datetime(assignments["interval_start"]),
                               channel=assignments["channel"].astype(str))
        return a.groupby(["interval_start", "channel"]).size().rename("heads").reset_index()
    if "scheduled_heads" not in coverage.columns:
        raise InputError("the plan has neither assignments nor a scheduled_heads column", field="scheduled_heads")
    out = coverage[["interval_start", "channel", "scheduled_heads"]].rename(columns={"scheduled_heads": "heads"})
    return out


def _flags(col: pd.Series) -> np.ndarray:
    """Open flags from booleans, 0/1, or the text True/False (any case)."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.fillna(False).to_numpy(bool)
    return col.astype(str).str.strip().str.lower().isin(["true", "1", "1.0"]).to_numpy()


def _channel_arrays(sub: pd.DataFrame, interval_s: float, channel: str) -> dict:
    sub = sub.sort_values("interval_start", kind="stable")
    starts = pd.DatetimeIndex(sub["interval_start"])
    offsets_s = ((starts - starts[0]) / pd.Timedelta(seconds=1)).to_numpy(float) if len(starts) else np.zeros(0)
    if np.any(np.abs(np.diff(offsets_s) - interval_s) > 1e-6):
        raise InputError(f"{channel} intervals are not back to back at the scenario's interval length",
                         field="interval_start")
    aht = pd.to_numeric(sub["aht_s"], errors="coerce").to_numpy(float)
    arrivals = pd.to_numeric(sub["arrivals"], errors="coerce").fillna(0.0).to_numpy(float)
    valid = np.isfinite(aht) & (aht > 0)
    if np.any(~valid & (arrivals > 0)):
        raise InputError(f"aht_s must be > 0 where {channel} has contacts", field="aht_s")
    fill = float(np.average(aht[valid], weights=arrivals[valid] + 1e-12)) if valid.any() else 1.0
    return {
        "dates": starts.strftime("%Y-%m-%d").to_numpy(),
        "is_open": _flags(sub["open"]),
        "arrivals": arrivals,
        "aht_s": np.where(valid, aht, fill),
        "heads": pd.to_numeric(sub["heads"], errors="coerce").fillna(0.0).to_numpy(float),
        "projected": pd.to_numeric(sub["service_level"], errors="coerce").to_numpy(float),
        "contacts": pd.to_numeric(sub["contacts"], errors="coerce").fillna(0.0).to_numpy(float)
        if "contacts" in sub.columns else arrivals,
    }


def check_reps_and_seed(reps: int, seed: int) -> None:
    """Replications 1 .. ``MAX_REPS`` (memory and time grow with them) and a seed numpy and CP-SAT take;
    checked before any file is read or any contact simulated."""
    if int(reps) != reps or not 1 <= reps <= MAX_REPS:
        raise InputError(f"reps must be a whole number from 1 to {MAX_REPS} (the confidence interval narrows "
                         f"as 1/sqrt(reps))", field="--reps")
    if int(seed) != seed or not 0 <= seed <= SEED_MAX:
        raise InputError(f"the seed must be a whole number from 0 to {SEED_MAX}", field="--seed")


def simulate_coverage(coverage: pd.DataFrame, scenario, heads: pd.DataFrame, reps: int = 10, seed: int = 7,
                      vip_share: dict[str, float] | None = None, handle_cv: float = 1.0
                      ) -> tuple[pd.DataFrame, dict]:
    """Simulate every channel of ``coverage`` under ``heads`` (``interval_start, channel, heads``).

    Returns ``(per_day, summary)``: ``per_day`` has :data:`SIMULATION_COLUMNS`, one row per channel and
    date plus ``date = "week"`` per channel; ``summary`` holds the week figures per channel
    (``service_level``, ``service_level_ci``, ``asa_s``, ``asa_s_ci``, ``projected_service_level``,
    ``difference_points`` = 100 x (simulated - projected), ``contacts``, ``vip_share``,
    ``vip_service_level``, ``regular_service_level``) with ``reps``, ``seed``, ``handle_time`` and
    ``wall_s``.
    """
    check_reps_and_seed(reps, seed)
    _check_arguments(coverage, reps, handle_cv)
    vip_share = dict(vip_share or {})
    t0 = time.perf_counter()
    interval_s = scenario.interval_min * 60.0
    cov = coverage.assign(interval_start=pd.to_datetime(coverage["interval_start"]),
                          channel=coverage["channel"].astype(str))
    hd = heads.assign(interval_start=pd.to_datetime(heads["interval_start"]), channel=heads["channel"].astype(str))
    cov = cov.drop(columns=["heads"], errors="ignore").merge(
        hd[["interval_start", "channel", "heads"]], on=["interval_start", "channel"], how="left")
    rows, summary_channels = [], {}
    for channel, sub in cov.groupby("channel", sort=False):
        scenario.check_channels([channel], what="the plan")
        spec = scenario.channels[channel]
        share = float(vip_share.get(channel, getattr(spec, "vip_share", 0.0) or 0.0))
        if not 0 <= share < 1:
            raise InputError(f"vip_share of {channel} must be in [0, 1)", field="vip_share")
        x = _channel_arrays(sub, interval_s, channel)
        days, day_idx = np.unique(x["dates"], return_inverse=True)
        stats = _replicate(x, day_idx, days.size, channel, spec, scenario.shrinkage, interval_s, share,
                           float(handle_cv), int(reps), int(seed))
        fig = _figures(stats, x, day_idx, days.size, spec.model == "deferred", share)
        labels = list(days) + ["week"]
        rows += [{"channel": channel, "date": label, **{c: fig[c][j] for c in SIMULATION_COLUMNS[2:]}}
                 for j, label in enumerate(labels)]
        summary_channels[channel] = _week_summary(fig, share)
    per_day = pd.DataFrame(rows, columns=SIMULATION_COLUMNS)
    summary = {"reps": int(reps), "seed": int(seed),
               "handle_time": "exponential" if handle_cv == 1.0 else f"lognormal, cv {handle_cv:g}",
               "channels": summary_channels, "wall_s": round(time.perf_counter() - t0, 3)}
    return per_day, summary


def _check_arguments(coverage: pd.DataFrame, reps, handle_cv) -> None:
    """``handle_cv``, the coverage columns, and the work asked for: at most ``MAX_SIM_CONTACTS`` simulated
    contacts over all replications (``check_reps_and_seed`` has checked ``reps`` itself)."""
    if not (isinstance(handle_cv, (int, float)) and handle_cv > 0):
        raise InputError("handle_cv must be > 0", field="handle_cv")
    missing = [c for c in _COVERAGE_NEEDS if c not in coverage.columns]
    if missing:
        raise InputError(f"coverage has no column '{missing[0]}'", field=missing[0])
    contacts = float(pd.to_numeric(coverage["arrivals"], errors="coerce").clip(lower=0).sum())
    if not contacts * reps <= MAX_SIM_CONTACTS:
        most = int(MAX_SIM_CONTACTS // contacts) if contacts > 0 else 0
        what = f"use at most {most} --reps" if most >= 2 else "too many contacts to simulate"
        raise InputError(f"{reps} replications of {contacts:,.0f} contacts would simulate {contacts * reps:.3g}, "
                         f"more than the {MAX_SIM_CONTACTS:.0e} a simulation takes: {what}", field="--reps")


_STATS = ("n", "ok", "wait", "n_vip", "ok_vip", "n_reg", "ok_reg")


def _replicate(x: dict, day_idx: np.ndarray, n_days: int, channel: str, spec, shrinkage: float, interval_s: float,
               share: float, handle_cv: float, reps: int, seed: int) -> dict[str, np.ndarray]:
    """``reps`` replications of one channel: per statistic (counted contacts, within target, summed wait,
    and the same per class) a ``reps x (n_days + 1)`` array, the last column the week."""
    key = zlib.crc32(channel.encode("utf-8"))
    stats = {k: np.zeros((reps, n_days + 1)) for k in _STATS}
    for r in range(reps):
        rng = np.random.default_rng([seed, r, key])
        res = simulate_channel(
            rng, is_open=x["is_open"], contacts=x["arrivals"], aht_s=x["aht_s"], heads=x["heads"],
            interval_s=interval_s, shrinkage=shrinkage, deferred=spec.model == "deferred",
            answer_within_s=spec.answer_within_s, concurrency=spec.concurrency,
            carry_over_closed=spec.carry_over_closed, backlog_clear_h=spec.backlog_clear_h,
            response_window_h=spec.response_window_h, vip_share=share, handle_cv=handle_cv)
        d = day_idx[res["position"]]
        vip, ok = res["vip"], res["ok"].astype(float)
        for name, sel, w in (("n", None, None), ("ok", None, ok), ("wait", None, res["wait_s"]),
                             ("n_vip", vip, None), ("ok_vip", vip, ok), ("n_reg", ~vip, None),
                             ("ok_reg", ~vip, ok)):
            dd = d if sel is None else d[sel]
            ww = None if w is None else (w if sel is None else w[sel])
            per_day = np.bincount(dd, weights=ww, minlength=n_days).astype(float)
            stats[name][r, :-1] = per_day
            stats[name][r, -1] = per_day.sum()
    return stats


def _figures(stats: dict[str, np.ndarray], x: dict, day_idx: np.ndarray, n_days: int, deferred: bool,
             share: float) -> dict[str, np.ndarray]:
    """Per day and week (the last position): the :data:`SIMULATION_COLUMNS` figures from ``stats``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        sl = np.where(stats["n"] > 0, stats["ok"] / stats["n"], np.nan)
        asa = np.where(stats["n"] > 0, stats["wait"] / stats["n"], np.nan)
        sl_vip = np.where(stats["n_vip"] > 0, stats["ok_vip"] / stats["n_vip"], np.nan)
        sl_reg = np.where(stats["n_reg"] > 0, stats["ok_reg"] / stats["n_reg"], np.nan)
    fig = {"contacts": stats["n"].mean(axis=0)}
    fig["service_level"], fig["service_level_ci_low"], fig["service_level_ci_high"] = _mean_ci(sl, 0.0, 1.0)
    fig["asa_s"], fig["asa_s_ci_low"], fig["asa_s_ci_high"] = _mean_ci(asa)
    # projected: the coverage service level weighted as summarize_service weights it
    w = np.where(x["is_open"], x["contacts"] if deferred else x["arrivals"], 0.0)
    psl = np.nan_to_num(x["projected"])
    num = np.bincount(day_idx, weights=w * psl, minlength=n_days)
    den = np.bincount(day_idx, weights=w, minlength=n_days)
    num, den = np.append(num, num.sum()), np.append(den, den.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        fig["projected_service_level"] = np.where(den > 0, num / den, np.nan)
    fig["vip_service_level"] = _mean_ci(sl_vip)[0] if share > 0 else np.full(n_days + 1, np.nan)
    fig["regular_service_level"] = _mean_ci(sl_reg)[0]
    return fig


def _week_summary(fig: dict[str, np.ndarray], share: float) -> dict:
    """The week figures of one channel for ``summary["channels"]`` (None where not a number)."""
    def num_or_none(v):
        return None if not np.isfinite(v) else float(v)

    week = {k: v[-1] for k, v in fig.items()}
    return {
        "contacts": float(week["contacts"]),
        "service_level": num_or_none(week["service_level"]),
        "service_level_ci": [num_or_none(week["service_level_ci_low"]), num_or_none(week["service_level_ci_high"])],
        "asa_s": num_or_none(week["asa_s"]),
        "asa_s_ci": [num_or_none(week["asa_s_ci_low"]), num_or_none(week["asa_s_ci_high"])],
        "projected_service_level": num_or_none(week["projected_service_level"]),
        "difference_points": num_or_none(100.0 * (week["service_level"] - week["projected_service_level"])),
        "vip_share": share,
        "vip_service_level": num_or_none(week["vip_service_level"]),
        "regular_service_level": num_or_none(week["regular_service_level"]),
    }


def simulate_result(result, reps: int = 10, seed: int = 7, vip_share: dict[str, float] | None = None,
                    handle_cv: float = 1.0) -> tuple[pd.DataFrame, dict]:
    """Simulate an in-memory :class:`~scheduler.plan.PlanResult` (see :func:`simulate_coverage`)."""
    roster = result.roster
    assignments = getattr(roster, "assignments", None)
    if assignments is not None and len(assignments):
        heads = _heads_frame(assignments, result.coverage)
    elif getattr(roster, "scheduled", None) is not None:
        heads = roster.scheduled.rename(columns={"scheduled_heads": "heads"})
    else:
        heads = _heads_frame(None, result.coverage)
    return simulate_coverage(result.coverage, result.inputs.scenario, heads, reps, seed, vip_share, handle_cv)


def simulate_plan(plan_dir, reps: int = 10, seed: int = 7, vip_share: dict[str, float] | None = None,
                  handle_cv: float = 1.0, scenario=None) -> tuple[pd.DataFrame, dict]:
    """Simulate a plan folder: ``coverage.csv``, ``assignments.csv`` when present, and the scenario
    named in ``summary.json`` (``inputs.scenario``) unless ``scenario`` is given. Writes nothing."""
    from core.scenario import load_scenario

    check_reps_and_seed(reps, seed)
    plan = PlanFolder(plan_dir)
    coverage = plan.coverage(required=_COVERAGE_NEEDS)
    cov_path = plan.file(COVERAGE)
    if scenario is None:
        scenario = load_scenario(plan.input_path("scenario"))
    assignments = plan.assignments(missing_ok=True)
    try:
        heads = _heads_frame(assignments, coverage)
        return simulate_coverage(coverage, scenario, heads, reps, seed, vip_share, handle_cv)
    except InputError as exc:
        if exc.file is None:
            raise InputError(exc.message, file=cov_path, field=exc.field) from None
        raise


def write_simulation(per_day: pd.DataFrame, folder) -> Path:
    """Write ``per_day`` as ``folder/simulation.csv`` atomically (a temporary file renamed into place), and
    list it among the plan folder's files (so that a re-plan replaces it)."""
    folder = Path(folder)
    out = per_day[SIMULATION_COLUMNS].copy()
    for c, digits in _ROUND.items():
        out[c] = pd.to_numeric(out[c]).round(digits)
    path = atomic_file(folder / SIMULATION, lambda tmp: write_table(out, tmp, bom=False))
    record_output(folder, COMMAND, [SIMULATION])
    return path


def simulation_table(summary: dict) -> str:
    """The week figures as a small text table for the CLI."""
    lines = [f"{'channel':<8} {'contacts':>9} {'simulated SL':>13} {'95% CI':>15} {'projected':>10} "
             f"{'ASA s':>9}  (reps {summary['reps']}, seed {summary['seed']})"]

    def pct(v):
        return "-" if v is None else f"{100 * v:.1f}%"

    for ch, s in summary["channels"].items():
        lo, hi = s["service_level_ci"]
        ci = "-" if lo is None else f"{100 * lo:.1f}-{100 * hi:.1f}%"
        asa = "-" if s["asa_s"] is None else f"{s['asa_s']:.1f}"
        line = (f"{ch:<8} {s['contacts']:>9.0f} {pct(s['service_level']):>13} {ci:>15} "
                f"{pct(s['projected_service_level']):>10} {asa:>9}")
        if s.get("vip_share"):
            line += f"  VIP {pct(s['vip_service_level'])}, regular {pct(s['regular_service_level'])}"
        lines.append(line)
    return "\n".join(lines)
