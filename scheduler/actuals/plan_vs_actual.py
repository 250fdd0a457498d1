"""Plan versus actual: a saved plan's forecast and coverage against what arrived, per channel and week.

The columns of ``plan_vs_actual.csv`` and where plans are looked up are defined in
:mod:`scheduler.actuals.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.names import folder_name
from scheduler.actuals.kpi import Period, channel_order
from scheduler.plan_folder import COVERAGE, FORECAST, PlanFolder

PLAN_COLUMNS = ["week", "channel", "plan", "intervals", "forecast_contacts", "actual_contacts", "wape", "bias",
                "forecast_aht_s", "actual_aht_s", "mean_required_agents", "mean_scheduled_agents",
                "understaffed_intervals"]
_FORECAST_NEEDS = ("interval_start", "channel", "contacts")
_COVERAGE_NEEDS = ("interval_start", "channel", "required_agents", "scheduled_agents")


@dataclass
class PlanComparison:
    """``table``: :data:`PLAN_COLUMNS` (None without a plan); ``intervals``: forecast and actual contacts
    per week, interval and channel, for the chart; ``notes`` for the report."""

    table: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def find_plans(per: Period, scenario_name: str, plan_dir: str | Path | None = None,
               plans_root: str | Path = "out") -> list[tuple[str, Path]]:
    """(week label, folder) of the saved plans to compare with ``per``."""
    if plan_dir is not None:
        p = Path(plan_dir)
        if not p.is_dir():
            raise InputError("plan folder not found", file=p, field="--plan")
        return [(p.name, p)]
    root = Path(plans_root)
    found = []
    for week in per.weeks:
        own = root / folder_name(scenario_name) / week  # where schedule plan puts it by default
        if _has_plan(own):
            found.append((week, own))
            continue
        cands = [c for c in root.glob(f"*/{week}") if _has_plan(c)]
        if cands:
            found.append((week, max(cands, key=lambda c: (c / FORECAST).stat().st_mtime)))
    return found


def plan_vs_actual(con, per: Period, scenario_name: str, plan_dir=None, plans_root: str | Path = "out"
                   ) -> PlanComparison:
    """Compare the plans :func:`find_plans` finds with the contacts of ``per`` in the open database ``con``."""
    plans_root = Path(plans_root)
    out = PlanComparison()
    plans = find_plans(per, scenario_name, plan_dir, plans_root)
    if not plans:
        out.notes.append(f"no saved plan for {', '.join(per.weeks)} (looked for {FORECAST} and {COVERAGE} "
                         f"in {plans_root}/{folder_name(scenario_name)}/<week>/, then {plans_root}/*/<week>/): "
                         "plan vs actual left out")
        return out
    rows, intervals = [], []
    lo, hi = pd.Timestamp(per.start), pd.Timestamp(per.stop)
    for week, folder in plans:
        fc, cov = _read_plan(folder)
        fc = fc[(fc["interval_start"] >= lo) & (fc["interval_start"] < hi)].copy()
        cov = cov[(cov["interval_start"] >= lo) & (cov["interval_start"] < hi)].copy()
        if fc.empty:
            out.notes.append(f"plan {folder} has no forecast inside {per.describe()}")
            continue
        m = _forecast_and_actual(con, fc)
        m["week"] = week
        intervals.append(m[["week", "interval_start", "channel", "forecast", "actual"]])
        rows += _week_rows(week, folder, m, _open_coverage(cov))
    if rows:
        out.table = pd.DataFrame(rows, columns=PLAN_COLUMNS)
        out.intervals = pd.concat(intervals, ignore_index=True)
    return out


def _has_plan(folder: Path) -> bool:
    return (folder / FORECAST).is_file() and (folder / COVERAGE).is_file()


def _read_plan(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's forecast and coverage, with the columns compared here numeric."""
    plan = PlanFolder(folder)
    return (plan.forecast(numbers=_FORECAST_NEEDS[2:]), plan.coverage(numbers=_COVERAGE_NEEDS[2:]))


def _forecast_and_actual(con, fc: pd.DataFrame) -> pd.DataFrame:
    """Per forecast interval and channel: ``forecast``, ``forecast_aht_s``, and from the database
    ``actual`` arrivals, ``handle_sum`` [s] and ``handle_n`` (answered contacts with an end)."""
    uniq = np.unique(fc["interval_start"].to_numpy())
    step_min = int(np.diff(uniq).min() / np.timedelta64(1, "m")) if len(uniq) > 1 else 60
    if step_min <= 0 or 1440 % step_min:
        step_min = 60
    act = con.execute(f"""
        SELECT time_bucket(INTERVAL '{step_min} minutes', arrived_at) AS interval_start, channel,
               count(*) AS actual,
               sum(epoch_us(ended_at) - epoch_us(answered_at)) FILTER (WHERE answered_at IS NOT NULL) / 1e6
                   AS handle_sum,
               count(*) FILTER (WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL) AS handle_n
        FROM contacts WHERE arrived_at >= ? AND arrived_at < ?
        GROUP BY ALL""", [uniq.min().astype("datetime64[us]").item(),
                          (uniq.max() + np.timedelta64(step_min, "m")).astype("datetime64[us]").item()]).df()
    act["interval_start"] = pd.to_datetime(act["interval_start"])
    fc["channel"] = fc["channel"].astype(str).str.strip().str.lower()
    if "aht_s" not in fc.columns:
        fc["aht_s"] = np.nan
    m = fc[["interval_start", "channel", "contacts", "aht_s"]].rename(
        columns={"contacts": "forecast", "aht_s": "forecast_aht_s"}).merge(
        act, on=["interval_start", "channel"], how="left")
    m[["actual", "handle_sum", "handle_n"]] = m[["actual", "handle_sum", "handle_n"]].fillna(0.0).astype(float)
    return m


def _open_coverage(cov: pd.DataFrame) -> pd.DataFrame:
    """Coverage rows of open intervals (all rows when the plan has no ``open`` column)."""
    cov["channel"] = cov["channel"].astype(str).str.strip().str.lower()
    if "open" in cov.columns:
        cov = cov[cov["open"].astype(str).str.strip().str.lower().isin(("true", "1", "1.0", "yes"))]
    return cov


def _week_rows(week: str, folder: Path, m: pd.DataFrame, cov: pd.DataFrame) -> list[dict]:
    """One row per channel and a ``total`` row (channels summed per interval first)."""
    rows = []
    for ch in channel_order(m["channel"].unique()) + ["total"]:
        mm = m if ch == "total" else m[m["channel"] == ch]
        cc = cov if ch == "total" else cov[cov["channel"] == ch]
        if ch == "total":
            cc = cc.groupby("interval_start")[["required_agents", "scheduled_agents"]].sum().reset_index()
        act_sum = mm["actual"].sum()
        w = mm["forecast"].where(mm["forecast_aht_s"].notna(), 0.0)
        fc_work, handle_n = (w * mm["forecast_aht_s"].fillna(0)).sum(), mm["handle_n"].sum()
        rows.append({
            "week": week, "channel": ch, "plan": str(folder), "intervals": int(mm["interval_start"].nunique()),
            "forecast_contacts": float(mm["forecast"].sum()), "actual_contacts": int(act_sum),
            "wape": float((mm["forecast"] - mm["actual"]).abs().sum() / act_sum) if act_sum > 0 else np.nan,
            "bias": float((mm["forecast"].sum() - act_sum) / act_sum) if act_sum > 0 else np.nan,
            "forecast_aht_s": float(fc_work / w.sum()) if w.sum() > 0 else np.nan,
            "actual_aht_s": float(mm["handle_sum"].sum() / handle_n) if handle_n > 0 else np.nan,
            "mean_required_agents": float(cc["required_agents"].mean()) if len(cc) else np.nan,
            "mean_scheduled_agents": float(cc["scheduled_agents"].mean()) if len(cc) else np.nan,
            "understaffed_intervals": int((cc["scheduled_agents"] < cc["required_agents"] - 1e-9).sum()),
        })
    return rows
