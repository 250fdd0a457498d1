"""The contract's KPI report from the actuals database: per channel, per day and hour, top topics,
plan versus actual, and a self-contained HTML page.

A report covers a **period**: a month (``--month 2025-11``), an ISO week (``--week 2025-W46``,
anything :func:`scheduler.weeks.parse_week` accepts) or a day (``--day 2025-11-12``). A contact
belongs to the period in which it *arrived* (``arrived_at``), all times local.

Definitions (one row per channel in ``report.csv``, plus a ``total`` row):

- ``contacts``: contacts that arrived in the period. ``answered``: those with a first response
  (``answered_at`` set). ``abandoned``: those the customer left before an answer.
- ``service_level``: contacts answered within the channel's threshold ``threshold_s``, divided
  by **all** contacts that arrived (abandoned and never-answered contacts count as missed). The
  threshold is the scenario's ``answer_within_s`` (chat 30 s, phone 20 s), or for a deferred
  channel its response window ``response_window_h`` x 3600 (email 24 h = 86400 s). "Within"
  means ``answered_at - arrived_at <= threshold_s``.
- ``avg_response_s`` [s]: mean of ``answered_at - arrived_at`` over answered contacts (ASA).
- ``avg_resolution_s`` [s]: mean of ``ended_at - arrived_at`` over answered contacts that have
  an ``ended_at``.
- ``satisfaction_rate``: share of rated contacts (``satisfaction`` given) scoring 4 or 5;
  ``rated`` is how many were rated.
- ``target``: the scenario's ``service_level_target``; ``met``: ``service_level >= target``.
- ``vip_contacts``, ``vip_service_level``: the same service level over VIP contacts only.
- The ``total`` row pools all contacts: its service level counts each contact against its own
  channel's threshold; its ``target`` is the contact-weighted mean of the channel targets (the
  pooled level a team exactly on target in every channel would reach), so ``met`` is meaningful;
  its ``threshold_s`` is empty. A channel missing from the scenario has no threshold: its service
  level is empty and its contacts are left out of the total's service level and target.
- Rates over zero contacts are empty, never 0.

Other files: ``by_day.csv`` and ``by_hour.csv`` (the same measures per date, and per date and
hour, for every date that has any contact, zero-contact rows included), ``topics.csv`` (top 10
topics per channel and overall; ``share`` is over all the channel's contacts in the period, so
contacts without a topic lower every share), and, where a saved plan covers the period,
``plan_vs_actual.csv``:

- ``wape``: sum over the plan's intervals of |forecast contacts - actual arrivals| divided by
  the sum of actual arrivals; ``bias``: (sum forecast - sum actual) / sum actual (positive =
  over-forecast). Intervals are the plan's own (60 min by default), restricted to the period.
- ``forecast_aht_s`` / ``actual_aht_s`` [s]: forecast handle time (contact-weighted) versus the
  mean ``ended_at - answered_at`` of answered contacts.
- ``mean_required_agents`` / ``mean_scheduled_agents``: means of ``required_agents`` and
  ``scheduled_agents`` from the plan's ``coverage.csv`` over its open intervals in the period;
  ``understaffed_intervals``: open intervals with fewer scheduled than required. The ``total``
  row sums channels per interval first.

A plan is the folder given as ``plan_dir`` or, for each ISO week the period touches,
``out/<scenario>/<YYYY-Www>/`` (else any ``out/*/<YYYY-Www>/``, the newest) holding
``forecast.csv`` and ``coverage.csv``.

All aggregation runs in DuckDB: one scan yields per date, hour and channel sums and counts from
which every measure is derived, plus one scan for topics.

Modules: :mod:`~scheduler.actuals.kpi` (periods and the KPI SQL), :mod:`~scheduler.actuals.plan_vs_actual`,
:mod:`~scheduler.actuals.report_charts` and :mod:`~scheduler.actuals.report_page` (the HTML page); this one
builds a :class:`Report` from them and writes its folder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.atomic import atomic_folder, check_output_folder
from core.scenario import Scenario, load_scenario
from scenarios import default_scenario
from scheduler.actuals.kpi import (
    BY_DAY_COLUMNS,
    BY_HOUR_COLUMNS,
    REPORT_COLUMNS,
    TOP_TOPICS,
    TOPIC_COLUMNS,
    Period,
    PeriodKind,
    as_period,
    kpi_frames,
    parse_period,
    period_from_options,
    thresholds,
)
from scheduler.actuals.plan_vs_actual import PLAN_COLUMNS, find_plans, plan_vs_actual
from scheduler.actuals.report_page import render_html
from scheduler.actuals.store import open_checked
from scheduler.plan_folder import write_csv
from scheduler.report_html import fmt_duration, fmt_pct, fmt_yes

__all__ = ["BY_DAY_COLUMNS", "BY_HOUR_COLUMNS", "PLAN_COLUMNS", "REPORT_COLUMNS", "TOPIC_COLUMNS", "TOP_TOPICS",
           "Period", "PeriodKind", "Report", "build_report", "check_report_folder", "find_plans", "parse_period",
           "period_from_options", "render_html", "write_report"]

_ROUND = {"service_level": 4, "avg_response_s": 1, "avg_resolution_s": 1, "satisfaction_rate": 4, "target": 4,
          "vip_service_level": 4, "share": 4, "wape": 4, "bias": 4, "forecast_aht_s": 1, "actual_aht_s": 1,
          "mean_required_agents": 2, "mean_scheduled_agents": 2, "forecast_contacts": 1, "threshold_s": 0}


@dataclass
class Report:
    """Frames of one report (unrounded; :func:`write_report` rounds for the CSV files)."""

    period: Period
    scenario_name: str
    db_path: str
    summary: pd.DataFrame          # report.csv
    by_day: pd.DataFrame           # by_day.csv
    by_hour: pd.DataFrame          # by_hour.csv
    topics: pd.DataFrame           # topics.csv
    plan_vs_actual: pd.DataFrame | None = None      # plan_vs_actual.csv
    plan_intervals: pd.DataFrame | None = None      # forecast vs actual per interval (chart)
    notes: list[str] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    def table(self) -> str:
        """A plain-text summary for the terminal."""
        f = self.summary
        lines = [f"{'channel':<8}{'contacts':>10}{'answered':>10}{'abandoned':>10}{'SL':>8}{'target':>8}"
                 f"{'met':>5}{'ASA':>10}{'resolution':>12}{'CSAT':>7}"]
        for r in f.itertuples(index=False):
            lines.append(f"{r.channel:<8}{r.contacts:>10,}{r.answered:>10,}{r.abandoned:>10,}"
                         f"{fmt_pct(r.service_level):>8}{fmt_pct(r.target, 0):>8}{fmt_yes(r.met):>5}"
                         f"{fmt_duration(r.avg_response_s):>10}{fmt_duration(r.avg_resolution_s):>12}"
                         f"{fmt_pct(r.satisfaction_rate):>7}")
        return "\n".join(lines)


def build_report(db_path: str | Path, period, scenario=None,
                 plan_dir: str | Path | None = None, *, plans_root: str | Path = "out") -> Report:
    """Compute the report for ``period`` (a :class:`Period` or ``(kind, text)``) from ``db_path``.

    ``scenario``: a Scenario, a path, or None for ``scenarios/baseline.toml`` (thresholds and
    targets). ``plan_dir``: a plan folder to compare with; without it, plans are looked up under
    ``plans_root`` (see the module docstring)."""
    per = as_period(period)
    sc = _load_scenario(scenario)
    db_path = Path(db_path)
    con = open_checked(db_path)
    try:
        kpi = kpi_frames(con, per, thresholds(sc))
        plan = plan_vs_actual(con, per, sc.name, plan_dir, plans_root)
    finally:
        con.close()
    report = Report(per, sc.name, str(db_path), kpi.summary, kpi.by_day, kpi.by_hour, kpi.topics,
                    plan.table, plan.intervals, plan.notes)
    if report.summary["contacts"].iloc[-1] == 0:
        report.notes.insert(0, f"no contacts arrived in {per.describe()}")
    return report


def _load_scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario if scenario is not None else default_scenario())


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "date" in out.columns:
        out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    for c, nd in _ROUND.items():
        if c in out.columns:
            out[c] = out[c].astype(float).round(nd)
    if "threshold_s" in out.columns:
        out["threshold_s"] = out["threshold_s"].astype("Int64")
    return out


REPORT_FILES = ("report.csv", "by_day.csv", "by_hour.csv", "topics.csv", "plan_vs_actual.csv", "report.html")


def check_report_folder(out_dir: str | Path, force: bool = False) -> None:
    """Refuse, before any work, a folder a report may not be written into (:func:`core.atomic.check_output_folder`)."""
    check_output_folder(out_dir, "report", force=force, known=REPORT_FILES)


def write_report(report: Report, out_dir: str | Path, force: bool = False) -> Path:
    """Write report.csv, by_day.csv, by_hour.csv, topics.csv, [plan_vs_actual.csv] and report.html,
    all or nothing, into a new or empty folder or an earlier report (``force``: any folder; see
    :func:`core.atomic.atomic_folder`)."""
    out_dir = Path(out_dir)
    page = render_html(report)
    with atomic_folder(out_dir, "report", force=force, known=REPORT_FILES) as tmp:
        _write_files(report, page, tmp)
    return out_dir


def _write_files(report: Report, page: str, folder: Path) -> None:
    """The report's files into ``folder`` (CSV rounded as :data:`_ROUND` says)."""
    write_csv(_rounded(report.summary), folder / "report.csv", bom=True)
    write_csv(_rounded(report.by_day), folder / "by_day.csv")
    write_csv(_rounded(report.by_hour), folder / "by_hour.csv")
    write_csv(_rounded(report.topics), folder / "topics.csv", bom=True)
    if report.plan_vs_actual is not None:
        write_csv(_rounded(report.plan_vs_actual), folder / "plan_vs_actual.csv", bom=True)
    (folder / "report.html").write_text(page, encoding="utf-8")
