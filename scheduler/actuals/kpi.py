"""Periods and the KPI tables of the actuals report: one DuckDB scan of the period's contacts per date,
hour and channel, from which every measure is derived, and one scan for the top topics.

The measures and the files they go to are defined in :mod:`scheduler.actuals.report`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from core.errors import InputError
from core.names import channel_rank
from core.scenario import Scenario
from scheduler.actuals.store import sql_str
from scheduler.weeks import parse_week

PeriodKind = Literal["month", "week", "day"]
REPORT_COLUMNS = ["channel", "contacts", "answered", "abandoned", "service_level", "avg_response_s",
                  "avg_resolution_s", "satisfaction_rate", "threshold_s", "target", "met", "rated",
                  "vip_contacts", "vip_service_level"]
BY_DAY_COLUMNS = ["date", "channel", "contacts", "answered", "abandoned", "service_level", "avg_response_s",
                  "avg_resolution_s", "satisfaction_rate", "target", "met"]
BY_HOUR_COLUMNS = ["date", "hour", "channel", "contacts", "answered", "abandoned", "service_level",
                   "avg_response_s"]
TOPIC_COLUMNS = ["channel", "rank", "topic", "contacts", "share"]
TOP_TOPICS = 10


# -- periods ----------------------------------------------------------------------------------------
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


def as_period(period) -> Period:
    """A :class:`Period`, or a ``(kind, text)`` pair such as ``("month", "2025-11")`` parsed into one."""
    if isinstance(period, Period):
        return period
    if isinstance(period, (tuple, list)) and len(period) == 2:
        return parse_period(period[0], period[1])
    raise TypeError("period must be a Period or a (kind, text) pair such as ('month', '2025-11')")


def channel_order(present) -> list[str]:
    """The channels in ``present``, the published ones first in their order, then the others by name."""
    return sorted(set(present), key=lambda c: (channel_rank(c), c))


# -- KPI tables --------------------------------------------------------------------------------------
Thresholds = dict[str, tuple[float, float]]


class KpiFrames(NamedTuple):
    """The KPI tables of one period (unrounded)."""

    summary: pd.DataFrame   # report.csv
    by_day: pd.DataFrame    # by_day.csv
    by_hour: pd.DataFrame   # by_hour.csv
    topics: pd.DataFrame    # topics.csv


def thresholds(scenario: Scenario) -> Thresholds:
    """channel -> (threshold_s, target)."""
    out = {}
    for name, spec in scenario.channels.items():
        if spec.model == "deferred" and spec.response_window_h is not None:
            thr = spec.response_window_h * 3600.0
        else:
            thr = float(spec.answer_within_s)
        out[name] = (thr, float(spec.service_level_target))
    return out


def kpi_frames(con, per: Period, thr: Thresholds) -> KpiFrames:
    """Query the open actuals database ``con`` for ``per``; ``thr`` from :func:`thresholds`."""
    values = ", ".join(f"({sql_str(ch)}, CAST({t!r} AS DOUBLE), CAST({target!r} AS DOUBLE))"
                       for ch, (t, target) in thr.items())
    lo, hi = dt.datetime.combine(per.start, dt.time()), dt.datetime.combine(per.stop, dt.time())
    parts = con.execute(_PARTS_SQL.format(values=values), [lo, hi]).df()
    topics = con.execute(_TOPICS_SQL.format(top=TOP_TOPICS), [lo, hi]).df()
    for c in _SUM_COLS:
        parts[c] = pd.to_numeric(parts[c]).astype(float)
    parts["date"] = pd.to_datetime(parts["date"])
    channels = channel_order(list(thr) + parts["channel"].unique().tolist())
    dates = sorted(parts["date"].unique())  # dates with any record
    return KpiFrames(_summary(parts, channels, thr), _by_day(parts, dates, channels, thr),
                     _by_hour(parts, dates, channels), _topics(topics, channels))


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
    out["met"] = _met(out["service_level"], out["target"])
    return out


def _met(service_level: pd.Series, target: pd.Series) -> pd.arrays.BooleanArray:
    """``service_level >= target``, NA where either is missing."""
    met = service_level >= target
    return pd.array(np.where(service_level.notna() & target.notna(), met, None), dtype="boolean")


def _summary(parts: pd.DataFrame, channels: list[str], thr: Thresholds) -> pd.DataFrame:
    """Per channel and a ``total`` row."""
    by_ch = parts.groupby("channel")[_SUM_COLS].sum().reindex(channels, fill_value=0.0)
    total = parts[_SUM_COLS].sum().to_frame("total").T
    g = pd.concat([by_ch, total])
    summary = _measures(g)
    summary.insert(0, "channel", g.index)
    summary["threshold_s"] = [thr[c][0] if c in thr else np.nan for c in channels] + [np.nan]
    ch_target = [thr[c][1] if c in thr else np.nan for c in channels]
    summary["target"] = ch_target + [summary["target"].iloc[-1]]
    summary["met"] = _met(summary["service_level"], summary["target"])
    return summary[REPORT_COLUMNS].reset_index(drop=True)


def _by_day(parts: pd.DataFrame, dates: list, channels: list[str], thr: Thresholds) -> pd.DataFrame:
    idx_day = pd.MultiIndex.from_product([dates, channels], names=["date", "channel"])
    d = parts.groupby(["date", "channel"])[_SUM_COLS].sum().reindex(idx_day, fill_value=0.0)
    by_day = _measures(d).reset_index()
    by_day["target"] = by_day["channel"].map({c: t[1] for c, t in thr.items()}).astype(float)
    by_day["met"] = _met(by_day["service_level"], by_day["target"])
    return by_day[BY_DAY_COLUMNS]


def _by_hour(parts: pd.DataFrame, dates: list, channels: list[str]) -> pd.DataFrame:
    idx_hour = pd.MultiIndex.from_product([dates, range(24), channels], names=["date", "hour", "channel"])
    h = parts.groupby(["date", "hour", "channel"])[_SUM_COLS].sum().reindex(idx_hour, fill_value=0.0)
    return _measures(h).reset_index()[BY_HOUR_COLUMNS]


def _topics(topics: pd.DataFrame, channels: list[str]) -> pd.DataFrame:
    topics = topics.copy()
    if len(topics):
        order = {c: i for i, c in enumerate(channels + ["total"])}
        topics["rank"] = topics["rank"].astype(int)
        topics["contacts"] = topics["contacts"].astype(np.int64)
        topics["share"] = topics["share"].astype(float)
        topics = topics.assign(_o=topics["channel"].map(order).fillna(len(order))).sort_values(
            ["_o", "rank"]).drop(columns="_o")
    return topics.reindex(columns=TOPIC_COLUMNS).reset_index(drop=True)
