"""Contact history: read once at the edge, validated, then passed around as a typed object.

CSV schema (one row per interval and channel):

| column | required | meaning |
|---|---|---|
| ``interval_start`` | yes | a time (see below) |
| ``channel`` | yes | ``chat``, ``phone`` or ``email``, any case, or an alias (``在线``, ``电话``, ``邮件`` ...) |
| ``contacts`` | yes | arrivals in the interval, a number >= 0 (``1,234`` and full-width digits too) |
| ``aht_s`` | no | [s] average handle time, > 0, or ``[h:]mm:ss`` (blank where unknown; 0 only with 0 contacts) |
| ``date`` | no | the day, when ``interval_start`` holds only the time or time range (``09:00-09:30``) |

Headers may be the Chinese ones vendors export (时段, 渠道, 咨询量, 平均处理时长 ...; ``core.names.HEADER_ALIASES``).

Times are read by :mod:`core.values`: ``2025-11-01T21:00``, ``2025/11/1 21:00``, an Excel serial;
without an offset a time is Asia/Shanghai local time, with one (``+08:00``, ``Z``, ``-05:00``) it is
converted to it. Offsets may change from row to row (a history exported across a DST change): every
time is converted, so the clock hour a DST change repeats does not collide. The file is read by
:func:`core.csvio.read_text_csv` (UTF-8, GB18030/GBK or UTF-16; comma, tab or semicolon).

Any regular interval of 5 minutes or more is accepted (5, 10, 15, 30, 60 ...); the forecaster
aggregates to the planning interval. A day with no rows is a closed day, not an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import pandas as pd

from core.csvio import fields_as_in_file, read_text_csv
from core.errors import InputError
from core.names import CHANNELS, channel_key
from core.values import TIME_FORMS, parse_numbers, parse_timestamps

REQUIRED = ("interval_start", "channel", "contacts")
DEFAULT_HISTORY = Path(__file__).resolve().parent / "data" / "history.csv.gz"


@dataclass(frozen=True)
class History:
    """Validated history. ``frame`` has ``interval_start`` (Timestamp), ``channel``, ``contacts``
    (float) and ``aht_s`` (float, NaN where unknown), sorted, one row per interval and channel."""

    frame: pd.DataFrame
    interval_min: int
    source: str

    @property
    def channels(self) -> list[str]:
        present = set(self.frame["channel"].unique())
        return [c for c in CHANNELS if c in present]

    @property
    def first_date(self) -> dt.date:
        return self.frame["interval_start"].iloc[0].date()

    @property
    def last_date(self) -> dt.date:
        return self.frame["interval_start"].iloc[-1].date()

    def before(self, day: dt.date) -> History:
        """Only the rows strictly before ``day`` (what a forecast for ``day`` may use)."""
        cut = pd.Timestamp(day)
        return History(self.frame[self.frame["interval_start"] < cut].reset_index(drop=True),
                       self.interval_min, self.source)

    def between(self, start: dt.date, end: dt.date) -> History:
        """Rows on dates in [start, end]."""
        lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        ts = self.frame["interval_start"]
        return History(self.frame[(ts >= lo) & (ts < hi)].reset_index(drop=True),
                       self.interval_min, self.source)

    def aggregate(self, interval_min: int) -> History:
        """Sum contacts into coarser intervals; AHT becomes the contact-weighted mean."""
        if interval_min == self.interval_min:
            return self
        if interval_min < self.interval_min or interval_min % self.interval_min:
            raise InputError(f"history at {self.interval_min}-minute intervals cannot be planned at "
                             f"{interval_min} minutes (needs a multiple of {self.interval_min})",
                             file=self.source, field="interval_min")
        f = self.frame.copy()
        f["interval_start"] = f["interval_start"].dt.floor(f"{interval_min}min")
        f["work"] = f["contacts"] * f["aht_s"]
        f["known"] = np.where(f["aht_s"].notna(), f["contacts"], 0.0)
        g = f.groupby(["interval_start", "channel"], sort=True).agg(
            contacts=("contacts", "sum"), work=("work", "sum"), known=("known", "sum")).reset_index()
        g["aht_s"] = np.where(g["known"] > 0, g["work"] / g["known"].where(g["known"] > 0), np.nan)
        return History(g[["interval_start", "channel", "contacts", "aht_s"]], interval_min, self.source)

    def matrix(self, channel: str, start: dt.date, end: dt.date, column: str = "contacts"
               ) -> tuple[np.ndarray, np.ndarray]:
        """(values[days, slots], day_observed[days]) for dates in [start, end].

        Unrecorded intervals are 0 (contacts) or NaN (aht_s); ``day_observed`` is False for days with
        no rows at all in any channel (closed days)."""
        slots = 1440 // self.interval_min
        n_days = (end - start).days + 1
        fill = np.nan if column == "aht_s" else 0.0
        out = np.full((n_days, slots), fill)
        f = self.frame
        ts = f["interval_start"]
        lo = pd.Timestamp(start)
        sel = (ts >= lo) & (ts < lo + pd.Timedelta(days=n_days))
        day_idx_all = ((ts[sel] - lo).dt.days).to_numpy()
        observed = np.zeros(n_days, dtype=bool)
        observed[np.unique(day_idx_all)] = True
        sub = f[sel & (f["channel"] == channel)]
        if len(sub):
            t = sub["interval_start"]
            d = ((t - lo).dt.days).to_numpy()
            s = ((t.dt.hour * 60 + t.dt.minute) // self.interval_min).to_numpy()
            out[d, s] = sub[column].to_numpy(dtype=float)
        return out, observed


def _first_bad(mask: pd.Series) -> int | None:
    """1-based file line (header = 1) of the first True in ``mask``."""
    hits = np.flatnonzero(mask.to_numpy())
    return int(hits[0]) + 2 if len(hits) else None


def _interval_starts(raw: pd.DataFrame) -> pd.Series:
    """The ``interval_start`` cells; a file that splits them into a ``date`` column (日期) and a time or time
    range (时段 ``09:00-09:30``) gets the date joined to the range's start."""
    if "date" not in raw.columns:
        return raw["interval_start"]
    start = raw["interval_start"].str.split(r"\s*[-~～–至]\s*", n=1, regex=True).str[0]
    return raw["date"].str.strip() + " " + start.str.strip()


def read_history(path: str | Path) -> History:
    """Read and validate a history CSV; every error names file, row and field."""
    path = Path(path)
    raw = read_text_csv(path, REQUIRED, what="history file", option="--history",
                        hint="need interval_start, channel, contacts[, aht_s]")
    with fields_as_in_file(raw):
        starts = _interval_starts(raw)
        ts = parse_timestamps(starts)
        bad = _first_bad(ts.isna())
        if bad is not None:
            raise InputError(f"'{starts.iloc[bad - 2]}' is not a time ({TIME_FORMS})",
                             file=path, row=bad, field="interval_start")

        names = raw["channel"]
        channel = names.map({name: channel_key(name) for name in names.unique()}).astype(names.dtype)
        bad = _first_bad(~channel.isin(CHANNELS))
        if bad is not None:
            raise InputError(f"unknown channel '{raw['channel'].iloc[bad - 2]}'; allowed: {', '.join(CHANNELS)}",
                             file=path, row=bad, field="channel")

        contacts = parse_numbers(raw["contacts"])
        bad = _first_bad(contacts.isna() | ~np.isfinite(contacts.fillna(0)))
        if bad is not None:
            raise InputError(f"'{raw['contacts'].iloc[bad - 2]}' is not a number", file=path, row=bad,
                             field="contacts")
        bad = _first_bad(contacts < 0)
        if bad is not None:
            raise InputError(f"negative count {raw['contacts'].iloc[bad - 2]}", file=path, row=bad, field="contacts")

        if "aht_s" in raw.columns:
            aht_text = raw["aht_s"].str.strip()
            aht = parse_numbers(aht_text, durations=True)
            bad = _first_bad(aht.isna() & (aht_text != ""))
            if bad is not None:
                raise InputError(f"'{raw['aht_s'].iloc[bad - 2]}' is not a number of seconds or [h:]mm:ss",
                                 file=path, row=bad, field="aht_s")
            aht = aht.mask((aht == 0) & (contacts == 0))  # no contacts, no handle time
            bad = _first_bad(aht.notna() & ~(aht > 0))
            if bad is not None:
                raise InputError("handle time must be positive (blank where unknown), got "
                                 f"{raw['aht_s'].iloc[bad - 2]}",
                                 file=path, row=bad, field="aht_s")
        else:
            aht = pd.Series(np.nan, index=raw.index)

        frame = pd.DataFrame({"interval_start": ts, "channel": channel, "contacts": contacts.astype(float),
                              "aht_s": aht.astype(float)})
        dup = frame.duplicated(["interval_start", "channel"], keep="first")
        bad = _first_bad(dup)
        if bad is not None:
            raise InputError(f"duplicate row for {ts.iloc[bad - 2]:%Y-%m-%dT%H:%M} {channel.iloc[bad - 2]}",
                             file=path, row=bad, field="interval_start")

        interval_min = _infer_interval(frame["interval_start"], path)
        frame = frame.sort_values(["interval_start", "channel"], kind="stable").reset_index(drop=True)
        return History(frame, interval_min, str(path))


def _infer_interval(ts: pd.Series, path: Path) -> int:
    minute_of_day = (ts.dt.hour * 60 + ts.dt.minute).to_numpy()
    if (ts.dt.second != 0).any():
        bad = _first_bad(ts.dt.second != 0)
        raise InputError("interval starts must be on whole minutes", file=path, row=bad, field="interval_start")
    step = 0
    for m in np.unique(minute_of_day):
        step = gcd(step, int(m))
    step = gcd(step, 1440) if step else 1440
    uniq = np.unique(ts.to_numpy())
    if len(uniq) > 1:
        diffs = np.diff(uniq).astype("timedelta64[m]").astype(int)
        step = gcd(step, int(np.gcd.reduce(diffs)))
    if step < 5:
        bad = _first_bad(pd.Series(minute_of_day % 5 != 0))
        raise InputError(f"intervals must be regular and at least 5 minutes (found a {step}-minute step)",
                         file=path, row=bad, field="interval_start")
    return int(step)


def load_default_history() -> History:
    return read_history(DEFAULT_HISTORY)
