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
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from core.atomic import atomic_folder
from core.errors import InputError
from core.names import CHANNELS
from core.scenario import Scenario
from scheduler.actuals.store import open_checked, sql_str
from scheduler.plan_folder import PlanFolder, write_csv

PeriodKind = Literal["month", "week", "day"]
REPORT_COLUMNS = ["channel", "contacts", "answered", "abandoned", "service_level", "avg_response_s",
                  "avg_resolution_s", "satisfaction_rate", "threshold_s", "target", "met", "rated",
                  "vip_contacts", "vip_service_level"]
BY_DAY_COLUMNS = ["date", "channel", "contacts", "answered", "abandoned", "service_level", "avg_response_s",
                  "avg_resolution_s", "satisfaction_rate", "target", "met"]
BY_HOUR_COLUMNS = ["date", "hour", "channel", "contacts", "answered", "abandoned", "service_level",
                   "avg_response_s"]
TOPIC_COLUMNS = ["channel", "rank", "topic", "contacts", "share"]
PLAN_COLUMNS = ["week", "channel", "plan", "intervals", "forecast_contacts", "actual_contacts", "wape", "bias",
                "forecast_aht_s", "actual_aht_s", "mean_required_agents", "mean_scheduled_agents",
                "understaffed_intervals"]
TOP_TOPICS = 10
CHANNEL_COLORS = {"chat": "#2563eb", "phone": "#ea580c", "email": "#16a34a", "total": "#334155"}
_ROUND = {"service_level": 4, "avg_response_s": 1, "avg_resolution_s": 1, "satisfaction_rate": 4, "target": 4,
          "vip_service_level": 4, "share": 4, "wape": 4, "bias": 4, "forecast_aht_s": 1, "actual_aht_s": 1,
          "mean_required_agents": 2, "mean_scheduled_agents": 2, "forecast_contacts": 1, "threshold_s": 0}


# ---------------------------------------------------------------------------------------------
# periods
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """Dates ``start`` .. ``end`` inclusive; contacts with ``start <= arrived_at < stop``."""

    kind: PeriodKind
    label: str
    start: dt.date
    end: dt.date

    @property
    def stop(self) -> dt.date:
        return self.end + dt.timedelta(days=1)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def weeks(self) -> list[str]:
        """ISO week labels the period touches."""
        out: list[str] = []
        for d in self.days:
            y, w, _ = d.isocalendar()
            label = f"{y}-W{w:02d}"
            if label not in out:
                out.append(label)
        return out

    def describe(self) -> str:
        if self.kind == "day":
            return f"{self.start:%A} {self.start.isoformat()}"
        name = f"{self.start:%B %Y}" if self.kind == "month" else f"week {self.label}"
        return f"{name}: {self.start.isoformat()} .. {self.end.isoformat()}"


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_period(kind: str, text: str) -> Period:
    """``("month", "2025-11")``, ``("week", "2025-W46")`` or ``("day", "2025-11-12")`` -> Period."""
    raw = str(text).strip()
    if kind == "month":
        m = _MONTH.match(raw)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise InputError(f"'{text}' is not a month YYYY-MM", field="--month")
        y, mo = int(m.group(1)), int(m.group(2))
        start = dt.date(y, mo, 1)
        end = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1))
        return Period("month", f"{y}-{mo:02d}", start, end)
    if kind == "week":
        from scheduler.weeks import parse_week

        wk = parse_week(raw)
        return Period("week", wk.label, wk.start_date, wk.end_date)
    if kind == "day":
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise InputError(f"'{text}' is not a date YYYY-MM-DD", field="--day") from None
        return Period("day", day.isoformat(), day, day)
    raise InputError(f"unknown period kind '{kind}'; use month, week or day", field="period")


def period_from_options(month: str | None = None, week: str | None = None, day: str | None = None) -> Period:
    """The CLI's ``--month M | --week W | --day D``: exactly one must be given."""
    given = [(k, v) for k, v in (("month", month), ("week", week), ("day", day)) if v is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --month YYYY-MM, --week YYYY-Www or --day YYYY-MM-DD",
                         field="--month/--week/--day")
    return parse_period(*given[0])


def _as_period(period) -> Period:
    if isinstance(period, Period):
        return period
    if isinstance(period, (tuple, list)) and len(period) == 2:
        return parse_period(period[0], period[1])
    raise TypeError("period must be a Period or a (kind, text) pair such as ('month', '2025-11')")


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------
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
                         f"{_pct(r.service_level):>8}{_pct(r.target, 0):>8}{_yes(r.met):>5}"
                         f"{_dur(r.avg_response_s):>10}{_dur(r.avg_resolution_s):>12}{_pct(r.satisfaction_rate):>7}")
        return "\n".join(lines)


def _thresholds(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """channel -> (threshold_s, target)."""
    out = {}
    for name, spec in scenario.channels.items():
        if spec.model == "deferred" and spec.response_window_h is not None:
            thr = spec.response_window_h * 3600.0
        else:
            thr = float(spec.answer_within_s)
        out[name] = (thr, float(spec.service_level_target))
    return out


def _load_scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    from core.scenario import load_scenario
    from scenarios import DEFAULT_SCENARIO

    return load_scenario(scenario if scenario is not None else DEFAULT_SCENARIO)


_PARTS_SQL = """
WITH t(channel, threshold_s, target) AS (VALUES {values}),
c AS (
    SELECT c.channel, c.arrived_at, c.abandoned, c.vip, c.satisfaction,
           (epoch_us(c.answered_at) - epoch_us(c.arrived_at)) / 1e6 AS response_s,
           (epoch_us(c.ended_at) - epoch_us(c.arrived_at)) / 1e6 AS resolution_s,
           t.threshold_s, t.target
    FROM contacts c LEFT JOIN t ON c.channel = t.channel
    WHERE c.arrived_at >= ? AND c.arrived_at < ?
)
SELECT CAST(arrived_at AS DATE) AS date, hour(arrived_at) AS hour, channel,
       count(*) AS contacts,
       count(response_s) AS answered,
       count(*) FILTER (WHERE abandoned) AS abandoned,
       count(*) FILTER (WHERE NOT abandoned AND response_s <= threshold_s) AS within,
       count(*) FILTER (WHERE threshold_s IS NOT NULL) AS sl_base,
       sum(target) FILTER (WHERE threshold_s IS NOT NULL) AS target_sum,
       coalesce(sum(response_s), 0) AS response_sum,
       coalesce(sum(resolution_s) FILTER (WHERE response_s IS NOT NULL), 0) AS resolution_sum,
       count(resolution_s) FILTER (WHERE response_s IS NOT NULL) AS resolution_n,
       count(satisfaction) AS rated,
       count(*) FILTER (WHERE satisfaction >= 4) AS satisfied,
       count(*) FILTER (WHERE vip) AS vip_contacts,
       count(*) FILTER (WHERE vip AND threshold_s IS NOT NULL) AS vip_base,
       count(*) FILTER (WHERE vip AND NOT abandoned AND response_s <= threshold_s) AS vip_within
FROM c
GROUP BY ALL
"""
_SUM_COLS = ["contacts", "answered", "abandoned", "within", "sl_base", "target_sum", "response_sum",
             "resolution_sum", "resolution_n", "rated", "satisfied", "vip_contacts", "vip_base", "vip_within"]

_TOPICS_SQL = """
WITH c AS (
    SELECT channel, topic FROM contacts WHERE arrived_at >= ? AND arrived_at < ?
),
n AS (SELECT channel, count(*) AS n FROM c GROUP BY ALL),
tc AS (
    SELECT coalesce(channel, 'total') AS channel, topic, count(*) AS contacts
    FROM c WHERE topic IS NOT NULL
    GROUP BY GROUPING SETS ((channel, topic), (topic))
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY channel ORDER BY contacts DESC, topic) AS rank FROM tc
)
SELECT r.channel, r.rank, r.topic, r.contacts,
       r.contacts / CASE WHEN r.channel = 'total' THEN (SELECT sum(n) FROM n)
                         ELSE (SELECT n FROM n WHERE n.channel = r.channel) END AS share
FROM ranked r WHERE rank <= {top}
"""


def _ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _measures(g: pd.DataFrame) -> pd.DataFrame:
    """Rates from summed parts (rows of ``g`` are groups)."""
    out = pd.DataFrame(index=g.index)
    for c in ("contacts", "answered", "abandoned", "rated", "vip_contacts"):
        out[c] = g[c].astype(np.int64)
    out["service_level"] = _ratio(g["within"], g["sl_base"])
    out["avg_response_s"] = _ratio(g["response_sum"], g["answered"])
    out["avg_resolution_s"] = _ratio(g["resolution_sum"], g["resolution_n"])
    out["satisfaction_rate"] = _ratio(g["satisfied"], g["rated"])
    out["target"] = _ratio(g["target_sum"], g["sl_base"])
    out["vip_service_level"] = _ratio(g["vip_within"], g["vip_base"])
    met = out["service_level"] >= out["target"]
    out["met"] = pd.array(np.where(out["service_level"].notna() & out["target"].notna(), met, None),
                          dtype="boolean")
    return out


def build_report(db_path: str | Path, period, scenario=None,
                 plan_dir: str | Path | None = None, *, plans_root: str | Path = "out") -> Report:
    """Compute the report for ``period`` (a :class:`Period` or ``(kind, text)``) from ``db_path``.

    ``scenario``: a Scenario, a path, or None for ``scenarios/baseline.toml`` (thresholds and
    targets). ``plan_dir``: a plan folder to compare with; without it, plans are looked up under
    ``plans_root`` (see the module docstring)."""
    per = _as_period(period)
    sc = _load_scenario(scenario)
    thr = _thresholds(sc)
    db_path = Path(db_path)
    con = open_checked(db_path)
    try:
        values = ", ".join(f"({sql_str(ch)}, CAST({t!r} AS DOUBLE), CAST({target!r} AS DOUBLE))"
                           for ch, (t, target) in thr.items())
        lo, hi = dt.datetime.combine(per.start, dt.time()), dt.datetime.combine(per.stop, dt.time())
        parts = con.execute(_PARTS_SQL.format(values=values), [lo, hi]).df()
        topics = con.execute(_TOPICS_SQL.format(top=TOP_TOPICS), [lo, hi]).df()
        report = _assemble(per, sc, thr, parts, topics, str(db_path))
        _plan_section(report, con, per, sc, plan_dir, Path(plans_root))
    finally:
        con.close()
    if report.summary["contacts"].iloc[-1] == 0:
        report.notes.insert(0, f"no contacts arrived in {per.describe()}")
    return report


def _channel_order(present) -> list[str]:
    extra = sorted(c for c in set(present) if c not in CHANNELS)
    return [c for c in CHANNELS if c in set(present)] + extra


def _assemble(per: Period, sc: Scenario, thr: dict, parts: pd.DataFrame, topics: pd.DataFrame,
              db: str) -> Report:
    for c in _SUM_COLS:
        parts[c] = pd.to_numeric(parts[c]).astype(float)
    parts["date"] = pd.to_datetime(parts["date"])
    channels = _channel_order(list(thr) + parts["channel"].unique().tolist())

    # per channel and total
    by_ch = parts.groupby("channel")[_SUM_COLS].sum().reindex(channels, fill_value=0.0)
    total = parts[_SUM_COLS].sum().to_frame("total").T
    g = pd.concat([by_ch, total])
    summary = _measures(g)
    summary.insert(0, "channel", g.index)
    summary["threshold_s"] = [thr[c][0] if c in thr else np.nan for c in channels] + [np.nan]
    ch_target = [thr[c][1] if c in thr else np.nan for c in channels]
    summary["target"] = ch_target + [summary["target"].iloc[-1]]
    met = summary["service_level"] >= summary["target"]
    summary["met"] = pd.array(np.where(summary["service_level"].notna() & summary["target"].notna(), met, None),
                              dtype="boolean")
    summary = summary[REPORT_COLUMNS].reset_index(drop=True)

    # grid of dates with any record x hours x channels
    dates = sorted(parts["date"].unique())
    idx_day = pd.MultiIndex.from_product([dates, channels], names=["date", "channel"])
    d = parts.groupby(["date", "channel"])[_SUM_COLS].sum().reindex(idx_day, fill_value=0.0)
    by_day = _measures(d).reset_index()
    by_day["target"] = by_day["channel"].map({c: t[1] for c, t in thr.items()}).astype(float)
    met = by_day["service_level"] >= by_day["target"]
    by_day["met"] = pd.array(np.where(by_day["service_level"].notna() & by_day["target"].notna(), met, None),
                             dtype="boolean")
    by_day = by_day[BY_DAY_COLUMNS]

    idx_hour = pd.MultiIndex.from_product([dates, range(24), channels], names=["date", "hour", "channel"])
    h = parts.groupby(["date", "hour", "channel"])[_SUM_COLS].sum().reindex(idx_hour, fill_value=0.0)
    by_hour = _measures(h).reset_index()[BY_HOUR_COLUMNS]

    topics = topics.copy()
    if len(topics):
        order = {c: i for i, c in enumerate(channels + ["total"])}
        topics["rank"] = topics["rank"].astype(int)
        topics["contacts"] = topics["contacts"].astype(np.int64)
        topics["share"] = topics["share"].astype(float)
        topics = topics.assign(_o=topics["channel"].map(order).fillna(len(order))).sort_values(
            ["_o", "rank"]).drop(columns="_o")
    topics = topics.reindex(columns=TOPIC_COLUMNS).reset_index(drop=True)
    return Report(per, sc.name, db, summary, by_day, by_hour, topics)


# ---------------------------------------------------------------------------------------------
# plan versus actual
# ---------------------------------------------------------------------------------------------
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
        own = root / scenario_name / week
        if (own / "forecast.csv").is_file() and (own / "coverage.csv").is_file():
            found.append((week, own))
            continue
        cands = [c for c in root.glob(f"*/{week}") if (c / "forecast.csv").is_file() and (c / "coverage.csv").is_file()]
        if cands:
            found.append((week, max(cands, key=lambda c: (c / "forecast.csv").stat().st_mtime)))
    return found


def _plan_section(report: Report, con, per: Period, sc: Scenario, plan_dir, plans_root: Path) -> None:
    plans = find_plans(per, sc.name, plan_dir, plans_root)
    if not plans:
        report.notes.append(f"no saved plan for {', '.join(per.weeks)} (looked for forecast.csv and coverage.csv "
                            f"in {plans_root}/{sc.name}/<week>/, then {plans_root}/*/<week>/): plan vs actual left out")
        return
    rows, intervals = [], []
    lo, hi = pd.Timestamp(per.start), pd.Timestamp(per.stop)
    for week, folder in plans:
        fc = PlanFolder(folder).forecast(numbers=("contacts",))
        cov = PlanFolder(folder).coverage(numbers=("required_agents", "scheduled_agents"))
        fc = fc[(fc["interval_start"] >= lo) & (fc["interval_start"] < hi)].copy()
        cov = cov[(cov["interval_start"] >= lo) & (cov["interval_start"] < hi)].copy()
        if fc.empty:
            report.notes.append(f"plan {folder} has no forecast inside {per.describe()}")
            continue
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
        m["week"] = week
        intervals.append(m[["week", "interval_start", "channel", "forecast", "actual"]])
        cov["channel"] = cov["channel"].astype(str).str.strip().str.lower()
        if "open" in cov.columns:
            cov = cov[cov["open"].astype(str).str.strip().str.lower().isin(("true", "1", "1.0", "yes"))]
        for ch in _channel_order(m["channel"].unique()) + ["total"]:
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
    if rows:
        report.plan_vs_actual = pd.DataFrame(rows, columns=PLAN_COLUMNS)
        report.plan_intervals = pd.concat(intervals, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
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


def write_report(report: Report, out_dir: str | Path) -> Path:
    """Write report.csv, by_day.csv, by_hour.csv, topics.csv, [plan_vs_actual.csv] and report.html,
    all or nothing (the folder is replaced whole)."""
    out_dir = Path(out_dir)
    page = render_html(report)
    with atomic_folder(out_dir) as tmp:
        write_csv(_rounded(report.summary), tmp / "report.csv")
        write_csv(_rounded(report.by_day), tmp / "by_day.csv")
        write_csv(_rounded(report.by_hour), tmp / "by_hour.csv")
        write_csv(_rounded(report.topics), tmp / "topics.csv")
        if report.plan_vs_actual is not None:
            write_csv(_rounded(report.plan_vs_actual), tmp / "plan_vs_actual.csv")
        (tmp / "report.html").write_text(page, encoding="utf-8")
    return out_dir


# ---------------------------------------------------------------------------------------------
# formatting helpers
# ---------------------------------------------------------------------------------------------
def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and not np.isfinite(x))


def _pct(x, digits: int = 1) -> str:
    return "–" if _missing(x) else f"{100 * float(x):.{digits}f}%"


def _dur(x) -> str:
    if _missing(x):
        return "–"
    x = float(x)
    if x < 120:
        text, unit = f"{x:.1f}", "s"
    elif x < 7200:
        text, unit = f"{x / 60:.1f}", "min"
    else:
        text, unit = f"{x / 3600:.1f}", "h"
    return f"{text.removesuffix('.0')} {unit}"


def _yes(x) -> str:
    return "–" if _missing(x) else ("yes" if bool(x) else "no")


def _met_class(x) -> str:
    return "na" if _missing(x) else ("ok" if bool(x) else "bad")


# ---------------------------------------------------------------------------------------------
# charts (matplotlib, Agg canvas, embedded as base64 PNG)
# ---------------------------------------------------------------------------------------------
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
              "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Arial Unicode MS", "Droid Sans Fallback")


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in _CJK_FONTS if n in names), None)


def _label(text: str, cjk: bool) -> str:
    """Without a CJK font, '退款 (refunds)' is drawn as 'refunds' rather than as empty boxes."""
    if cjk or text.isascii():
        return text
    m = re.search(r"\(([^()]*)\)", text)
    return m.group(1) if m and m.group(1).isascii() else text


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=108)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _style():
    import matplotlib

    cjk = _cjk_font()
    family = ["DejaVu Sans"] + ([cjk] if cjk else [])
    return matplotlib.rc_context({"font.family": family, "font.size": 9, "figure.constrained_layout.use": True,
                                  "axes.spines.top": False,
                                  "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
                                  "axes.titlesize": 10, "axes.titleweight": "bold"}), cjk is not None


def _chart_contacts(report: Report) -> str | None:
    from matplotlib.figure import Figure

    bh = report.by_hour
    if bh.empty or bh["contacts"].sum() == 0:
        return None
    chans = [c for c in report.summary["channel"] if c != "total" and bh.loc[bh["channel"] == c, "contacts"].sum() > 0]
    fig = Figure(figsize=(10, 1.3 + 1.7 * len(chans)))
    axes = fig.subplots(len(chans), 1, sharex=True, squeeze=False)[:, 0]
    ts = pd.to_datetime(bh["date"]) + pd.to_timedelta(bh["hour"], unit="h")
    one_day = report.period.kind == "day" or bh["date"].nunique() == 1
    for ax, ch in zip(axes, chans):
        sel = (bh["channel"] == ch).to_numpy()
        x, y = ts[sel].to_numpy(), bh.loc[sel, "contacts"].to_numpy()
        color = CHANNEL_COLORS.get(ch, "#64748b")
        if one_day:
            ax.bar(x, y, width=1 / 24 * 0.85, align="edge", color=color)
        else:
            ax.fill_between(x, y, step="post", color=color, alpha=0.25, linewidth=0)
            ax.step(x, y, where="post", color=color, linewidth=0.9)
        ax.set_ylabel("contacts / h")
        ax.set_title(f"{ch}: {int(y.sum()):,} contacts", loc="left")
        ax.set_ylim(bottom=0)
    if one_day:
        from matplotlib.dates import DateFormatter

        axes[-1].xaxis.set_major_formatter(DateFormatter("%H:%M"))
    else:
        fig.autofmt_xdate()
    fig.suptitle("Contacts per hour by channel", x=0.01, ha="left", fontweight="bold")
    return _png(fig)


def _chart_service_level(report: Report) -> str | None:
    from matplotlib.figure import Figure

    bd = report.by_day
    s = report.summary[report.summary["channel"] != "total"]
    s = s[s["contacts"] > 0]
    if s.empty:
        return None
    fig = Figure(figsize=(10, 3.6))
    ax = fig.subplots()
    dates = sorted(bd["date"].unique())
    if len(dates) <= 1:  # one day: bars per channel with target markers
        x = np.arange(len(s))
        ax.bar(x, s["service_level"].fillna(0), color=[CHANNEL_COLORS.get(c, "#64748b") for c in s["channel"]],
               width=0.55)
        ax.hlines(s["target"], x - 0.36, x + 0.36, color="#0f172a", linewidth=2, zorder=3, label="target")
        ax.set_xticks(x, s["channel"])
        for xi, v in zip(x, s["service_level"]):
            if not _missing(v):
                ax.annotate(_pct(v), (xi, v / 2), ha="center", va="center", fontsize=11, color="white",
                            fontweight="bold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.set_ylim(0, 1.08)
        title = "Service level vs target"
    else:
        for ch in s["channel"]:
            f = bd[bd["channel"] == ch]
            color = CHANNEL_COLORS.get(ch, "#64748b")
            ax.plot(pd.to_datetime(f["date"]), f["service_level"], marker="o", markersize=3, color=color,
                    linewidth=1.4, label=f"{ch}")
            tgt = s.loc[s["channel"] == ch, "target"].iloc[0]
            if not _missing(tgt):
                ax.axhline(tgt, color=color, linestyle="--", linewidth=0.9, alpha=0.8)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="dashed: target",
                  title_fontsize=8)
        fig.autofmt_xdate()
        lo = np.nanmin(np.r_[bd["service_level"].to_numpy(dtype=float), s["target"].to_numpy(dtype=float), 1.0])
        ax.set_ylim(max(0.0, min(lo - 0.05, 0.7)), 1.02)
        title = "Service level per day vs target"
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_title(title, loc="left")
    return _png(fig)


def _percent_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{100 * v:.0f}%")


def _chart_topics(report: Report, cjk: bool) -> str | None:
    from matplotlib.figure import Figure

    t = report.topics
    chans = [c for c in report.summary["channel"] if c != "total" and (t["channel"] == c).any()]
    if not chans:
        return None
    fig = Figure(figsize=(10, 0.6 + 0.32 * TOP_TOPICS))
    axes = fig.subplots(1, len(chans), squeeze=False)[0]
    for ax, ch in zip(axes, chans):
        f = t[t["channel"] == ch].sort_values("rank", ascending=False)
        ax.barh([_label(x, cjk) for x in f["topic"]], f["share"], color=CHANNEL_COLORS.get(ch, "#64748b"))
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_title(ch, loc="left")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle("Top topics (share of the channel's contacts)", x=0.01, ha="left", fontweight="bold")
    return _png(fig)


def _chart_plan(report: Report) -> str | None:
    from matplotlib.figure import Figure

    pi = report.plan_intervals
    if pi is None or pi.empty:
        return None
    chans = [c for c in _channel_order(pi["channel"].unique())
             if pi.loc[pi["channel"] == c, ["forecast", "actual"]].to_numpy().sum() > 0]
    if not chans:
        return None
    fig = Figure(figsize=(10, 1.3 + 1.7 * len(chans)))
    axes = fig.subplots(len(chans), 1, sharex=True, squeeze=False)[:, 0]
    for ax, ch in zip(axes, chans):
        f = pi[pi["channel"] == ch].sort_values("interval_start")
        color = CHANNEL_COLORS.get(ch, "#64748b")
        ax.plot(f["interval_start"], f["actual"], color=color, linewidth=1.2, label="actual")
        ax.plot(f["interval_start"], f["forecast"], color="#0f172a", linewidth=0.9, linestyle="--", label="forecast")
        ax.set_title(ch, loc="left")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("contacts / interval")
    axes[0].legend(loc="upper right", frameon=False, ncols=2)
    fig.autofmt_xdate()
    fig.suptitle("Forecast vs actual arrivals", x=0.01, ha="left", fontweight="bold")
    return _png(fig)


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",
     sans-serif;
     color:#0f172a;background:#f8fafc;margin:0;padding:24px 32px;line-height:1.45}
main{max-width:1080px;margin:0 auto}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.sub{color:#475569;font-size:13px;margin-bottom:20px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:12px 16px;min-width:170px;flex:1}
.card .ch{font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.05em}
.card .sl{font-size:30px;font-weight:700;margin:2px 0}
.card .meta{font-size:12px;color:#475569}
.ok{color:#15803d}.bad{color:#b91c1c}.na{color:#64748b}
table{border-collapse:collapse;background:#fff;font-size:13px;width:100%;border:1px solid #e2e8f0}
th,td{padding:6px 10px;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap}
th{background:#f1f5f9;font-weight:600} td:first-child,th:first-child{text-align:left}
tr.total td{font-weight:700;background:#f8fafc}
td.l,th.l{text-align:left}
img{width:100%;box-sizing:border-box;background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:8px 0}
.notes{background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:8px 14px;font-size:13px}
.defs{font-size:12px;color:#334155} .defs dt{font-weight:600;margin-top:6px}
.topics{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
"""

_DEFS = [
    ("service level", "contacts answered within the channel's threshold (chat 30 s, phone 20 s, email its "
                      "response window), divided by all contacts that arrived; abandoned and unanswered "
                      "contacts count as missed."),
    ("avg response", "mean of answered_at - arrived_at over answered contacts."),
    ("avg resolution", "mean of ended_at - arrived_at over answered contacts with an end time."),
    ("satisfaction", "share of rated contacts scoring 4 or 5."),
    ("total", "all contacts pooled, each against its own channel's threshold; its target is the "
              "contact-weighted mean of the channel targets."),
    ("WAPE / bias", "sum |forecast - actual| / sum actual over the plan's intervals; bias = (sum forecast - "
                    "sum actual) / sum actual, positive when the forecast was too high."),
]


def _e(x) -> str:
    return html.escape(str(x))


def _int(x) -> str:
    return "–" if _missing(x) else f"{int(x):,}"


def _summary_table(s: pd.DataFrame) -> str:
    head = ("<tr><th>channel</th><th>contacts</th><th>answered</th><th>abandoned</th><th>service level</th>"
            "<th>threshold</th><th>target</th><th>met</th><th>avg response</th><th>avg resolution</th>"
            "<th>satisfaction</th><th>rated</th><th>VIP service level</th></tr>")
    rows = []
    for r in s.itertuples(index=False):
        cls = _met_class(r.met)
        rows.append(
            f"<tr class='{'total' if r.channel == 'total' else ''}'><td>{_e(r.channel)}</td><td>{_int(r.contacts)}</td>"
            f"<td>{_int(r.answered)}</td><td>{_int(r.abandoned)}</td><td class='{cls}'>{_pct(r.service_level)}</td>"
            f"<td>{_dur(r.threshold_s)}</td><td>{_pct(r.target)}</td><td class='{cls}'>{_yes(r.met)}</td>"
            f"<td>{_dur(r.avg_response_s)}</td><td>{_dur(r.avg_resolution_s)}</td>"
            f"<td>{_pct(r.satisfaction_rate)}</td><td>{_int(r.rated)}</td><td>{_pct(r.vip_service_level)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _cards(s: pd.DataFrame) -> str:
    out = []
    for r in s.itertuples(index=False):
        cls = _met_class(r.met)
        color = CHANNEL_COLORS.get(r.channel, "#64748b")
        out.append(
            f"<div class='card'><div class='ch' style='color:{color}'>{_e(r.channel)}</div>"
            f"<div class='sl {cls}'>{_pct(r.service_level)}</div>"
            f"<div class='meta'>target {_pct(r.target, 0)}"
            f"{' within ' + _dur(r.threshold_s) if not _missing(r.threshold_s) else ''}</div>"
            f"<div class='meta'>{_int(r.contacts)} contacts · ASA {_dur(r.avg_response_s)} · "
            f"CSAT {_pct(r.satisfaction_rate, 0)}</div></div>")
    return f"<div class='cards'>{''.join(out)}</div>"


def _topics_tables(t: pd.DataFrame, channels: list[str]) -> str:
    blocks = []
    for ch in channels + ["total"]:
        f = t[t["channel"] == ch]
        if f.empty:
            continue
        rows = "".join(f"<tr><td>{r.rank}</td><td class='l'>{_e(r.topic)}</td><td>{_int(r.contacts)}</td>"
                       f"<td>{_pct(r.share)}</td></tr>" for r in f.itertuples(index=False))
        blocks.append(f"<div><table><tr><th colspan='4' class='l'>{_e(ch)}</th></tr>"
                      f"<tr><th>#</th><th class='l'>topic</th><th>contacts</th><th>share</th></tr>{rows}</table></div>")
    return f"<div class='topics'>{''.join(blocks)}</div>"


def _plan_table(p: pd.DataFrame) -> str:
    head = ("<tr><th>week</th><th class='l'>channel</th><th>forecast</th><th>actual</th><th>WAPE</th><th>bias</th>"
            "<th>forecast AHT</th><th>actual AHT</th><th>required agents</th><th>scheduled agents</th>"
            "<th>understaffed intervals</th></tr>")
    rows = []
    for r in p.itertuples(index=False):
        bias = "–" if _missing(r.bias) else f"{100 * r.bias:+.1f}%"
        rows.append(
            f"<tr class='{'total' if r.channel == 'total' else ''}'><td>{_e(r.week)}</td>"
            f"<td class='l'>{_e(r.channel)}</td>"
            f"<td>{_int(round(r.forecast_contacts))}</td><td>{_int(r.actual_contacts)}</td><td>{_pct(r.wape)}</td>"
            f"<td>{bias}</td><td>{_dur(r.forecast_aht_s)}</td><td>{_dur(r.actual_aht_s)}</td>"
            f"<td>{'–' if _missing(r.mean_required_agents) else f'{r.mean_required_agents:.1f}'}</td>"
            f"<td>{'–' if _missing(r.mean_scheduled_agents) else f'{r.mean_scheduled_agents:.1f}'}</td>"
            f"<td>{_int(r.understaffed_intervals)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _img(b64: str | None, alt: str) -> str:
    if not b64:
        return f"<p class='na'>{_e(alt)}: no data.</p>"
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{b64}'>"


def render_html(report: Report) -> str:
    """One self-contained page (inline CSS, charts as base64 PNG)."""
    import logging

    ctx, cjk = _style()
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # "no bold face for the CJK fallback font" is noise
    try:
        with ctx:
            charts = {"contacts": _chart_contacts(report), "sl": _chart_service_level(report),
                      "topics": _chart_topics(report, cjk), "plan": _chart_plan(report)}
    finally:
        font_log.setLevel(level)
    per = report.period
    channels = [c for c in report.summary["channel"] if c != "total"]
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    plan = ""
    if report.plan_vs_actual is not None:
        plans = sorted(set(report.plan_vs_actual["plan"]))
        plan = (f"<h2>Plan vs actual</h2><p class='sub'>Plan: {', '.join(_e(p) for p in plans)}</p>"
                f"{_plan_table(report.plan_vs_actual)}{_img(charts['plan'], 'Forecast vs actual arrivals')}")
    defs = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _DEFS)
    title = f"Service report {per.label}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<div class="sub">{_e(per.describe())} · scenario <b>{_e(report.scenario_name)}</b> · database {_e(report.db_path)}
 · generated {report.generated_at:%Y-%m-%d %H:%M}</div>
{f'<ul class="notes">{notes}</ul>' if notes else ''}
{_cards(report.summary)}
<h2>Per channel</h2>
{_summary_table(report.summary)}
<h2>Contacts</h2>
{_img(charts['contacts'], 'Contacts per hour by channel')}
<h2>Service level</h2>
{_img(charts['sl'], 'Service level per day vs target')}
<h2>Most common questions</h2>
{_img(charts['topics'], 'Top topics')}
{_topics_tables(report.topics, channels)}
{plan}
<h2>Definitions</h2>
<dl class="defs">{defs}</dl>
</main></body></html>
"""
