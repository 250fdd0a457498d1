"""Day types for the Chinese working calendar.

Five day types drive service windows, forecasts and pay:

- ``weekday``: Monday to Friday, an ordinary working day;
- ``weekend``: Saturday or Sunday, an ordinary rest day;
- ``makeup_workday``: a weekend day turned into a working day (调休上班);
- ``statutory_holiday``: one of the 13 statutory holiday days of the year (paid 300% when worked);
- ``holiday_rest_day``: a day inside a holiday block that is not statutory (a swapped rest day).

Sources, never hand-typed tables:

- ``chinese-calendar`` (PyPI ``chinesecalendar``) gives holiday blocks and makeup workdays (2004-2026);
- ``holidays`` (country CN) tells which days of a block are statutory (its entries that are neither
  "observed" nor "Day off (substituted ...)");
- a user CSV ``date,name,kind`` (the format of ``cn_holidays_2025_2026.csv``) extends or overrides them.
  ``kind`` is ``holiday``, ``makeup_workday``, ``statutory_holiday``, ``holiday_rest_day``,
  ``weekday`` or ``weekend``; a plain ``holiday`` is statutory where the ``holidays`` package says so.

``Calendar.none()`` is for data from elsewhere: only weekdays and weekends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import holidays  # python-holidays
import numpy as np
import pandas as pd
from chinese_calendar import constants as cc  # chinese-calendar

from core.csvio import fields_as_in_file, read_text_csv
from core.errors import InputError
from core.names import CALENDAR_KIND_ALIASES
from core.values import date_cell

CSV_KINDS = ("holiday", "makeup_workday", "statutory_holiday", "holiday_rest_day", "weekday", "weekend")
CALENDAR_OPTION = "--calendar PATH"


def _cc_tables():
    return cc.holidays, cc.workdays


def _statutory_from_holidays_pkg(year: int) -> dict[dt.date, str]:
    out = {}
    for day, name in holidays.China(years=year).items():
        if "observed" in name.lower() or name.lower().startswith("day off"):
            continue
        out[day] = name
    return out


@dataclass
class Calendar:
    """Maps dates to day types. Build with :meth:`cn`, :meth:`none` or :meth:`from_option`."""

    kind: str  # "CN" or "none"
    overrides: dict[dt.date, tuple[str, str]] = field(default_factory=dict)  # date -> (day_type, name)
    covered_years: frozenset[int] = frozenset()
    _cache: dict[dt.date, tuple[str, str]] = field(default_factory=dict, repr=False)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def none(cls) -> Calendar:
        return cls(kind="none")

    @classmethod
    def cn(cls, override_csv: str | Path | None = None) -> Calendar:
        holidays_tbl, _ = _cc_tables()
        years = frozenset(d.year for d in holidays_tbl)
        cal = cls(kind="CN", covered_years=years)
        if override_csv is not None:
            cal.overrides = read_calendar_csv(override_csv)
            cal.covered_years = years | frozenset(d.year for d in cal.overrides)
        return cal

    @classmethod
    def from_option(cls, value: str | Path | None) -> Calendar:
        """``CN`` (default), ``none``, or a path to a CSV that extends the CN calendar."""
        if value is None or str(value).upper() == "CN":
            return cls.cn()
        if str(value).lower() == "none":
            return cls.none()
        return cls.cn(override_csv=value)

    # -- queries --------------------------------------------------------------------------
    def check_covers(self, start: dt.date, end: dt.date, *, what: str = "dates") -> None:
        """Raise a clear error when a year in [start, end] has no holiday table."""
        if self.kind == "none":
            return
        for year in range(start.year, end.year + 1):
            if year not in self.covered_years:
                lo, hi = min(self.covered_years), max(self.covered_years)
                raise InputError(
                    f"the Chinese holiday calendar covers {lo}-{hi}, not {year} ({what}); "
                    f"give the official holidays and makeup workdays with {CALENDAR_OPTION} "
                    f"(columns date,name,kind) or use --calendar none",
                    field="calendar")

    def day_info(self, day: dt.date) -> tuple[str, str]:
        """(day_type, holiday name or '') for one date."""
        hit = self._cache.get(day)
        if hit is not None:
            return hit
        info = self._compute(day)
        self._cache[day] = info
        return info

    def day_type(self, day: dt.date) -> str:
        return self.day_info(day)[0]

    def day_types(self, days) -> np.ndarray:
        """Vector of day types for an iterable of dates (or a DatetimeIndex)."""
        return np.array([self.day_type(pd.Timestamp(d).date()) for d in days], dtype=object)

    def frame(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        """One row per date in [start, end]: ``date, day_type, holiday``."""
        days = pd.date_range(start, end, freq="D")
        info = [self.day_info(d.date()) for d in days]
        return pd.DataFrame({"date": days.date, "day_type": [i[0] for i in info],
                             "holiday": [i[1] for i in info]})

    # -- internals ------------------------------------------------------------------------
    def _weekly(self, day: dt.date) -> str:
        return "weekend" if day.weekday() >= 5 else "weekday"

    def _compute(self, day: dt.date) -> tuple[str, str]:
        if day in self.overrides:
            return self.overrides[day]
        if self.kind == "none":
            return self._weekly(day), ""
        holidays_tbl, workdays_tbl = _cc_tables()
        if day in workdays_tbl:
            entry = workdays_tbl[day]
            return "makeup_workday", str(entry.value if hasattr(entry, "value") else entry)
        if day in holidays_tbl:
            name = holidays_tbl[day]
            name = str(getattr(name, "value", name))
            if day in _statutory_cached(day.year):
                return "statutory_holiday", name
            return "holiday_rest_day", name
        return self._weekly(day), ""


_STATUTORY: dict[int, dict[dt.date, str]] = {}


def _statutory_cached(year: int) -> dict[dt.date, str]:
    if year not in _STATUTORY:
        _STATUTORY[year] = _statutory_from_holidays_pkg(year)
    return _STATUTORY[year]


def read_calendar_csv(path: str | Path) -> dict[dt.date, tuple[str, str]]:
    """Read ``date,name,kind`` rows into {date: (day_type, name)}; errors name file, row, field."""
    path = Path(path)
    raw = read_text_csv(path, ("date", "kind"), what="calendar file", option="--calendar",
                        hint="expected date,name,kind")
    with fields_as_in_file(raw):
        out: dict[dt.date, tuple[str, str]] = {}
        for i, rec in enumerate(raw.itertuples(index=False), start=2):
            day = date_cell(rec.date, file=path, row=i, field="date")
            kind = CALENDAR_KIND_ALIASES.get(rec.kind.strip(), rec.kind.strip())
            if kind not in CSV_KINDS:
                raise InputError(f"unknown kind '{kind}'; allowed: {', '.join(CSV_KINDS)}", file=path, row=i,
                                 field="kind")
            name = getattr(rec, "name", "") or ""
            if kind == "holiday":
                kind = "statutory_holiday" if day in _statutory_cached(day.year) else "holiday_rest_day"
            out[day] = (kind, name)
        return out
