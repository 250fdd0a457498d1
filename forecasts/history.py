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

A count above ``core.limits.MAX_INTERVAL_CONTACTS`` (2**53) is refused: it is not a count. A cell more than
``core.limits.OUTLIER_FACTOR`` times its channel's 99th percentile is kept but flagged
(:attr:`History.outliers`, :func:`find_outliers`): the forecast fits the usual count of that interval in
its place and says so in its notes (:meth:`History.screened`), so one bad cell moves neither the forecast
nor its band.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import pandas as pd

from core.csvio import HEADERS, fields_as_in_file, read_text_csv
from core.errors import InputError
from core.limits import MAX_INTERVAL_CONTACTS, OUTLIER_FACTOR
from core.names import CHANNELS, channel_key
from core.values import TIME_FORMS, date_texts, parse_numbers, parse_timestamps

REQUIRED = ("interval_start", "channel", "contacts")
DEFAULT_HISTORY = Path(__file__).resolve().parent / "data" / "history.csv.gz"


OUTLIER_NOTES = 3
"""Outliers named one by one in the forecast notes; the rest are counted in one more note."""
OUTLIER_LEVEL_Q = 0.99
"""The quantile of a channel's cells taken as its busy-interval level: a promotion's peaks are among
the top 1% of a year's intervals, and up to 1% of bad cells cannot move it."""
REPLACE_WEEKS = 4
"""A flagged cell is fitted as the median of the same channel and interval in up to this many weeks
before it (after it where the history has none before)."""


@dataclass(frozen=True)
class Outlier:
    """A history cell far out of line with its channel (see :func:`find_outliers`)."""

    row: int                    # the file's line (header = 1)
    interval_start: pd.Timestamp
    channel: str
    contacts: float
    level: float                # the channel's busy-interval level it is compared with
    field: str = "contacts"     # the column as the file names it


@dataclass(frozen=True)
class History:
    """Validated history. ``frame`` has ``interval_start`` (Timestamp), ``channel``, ``contacts``
    (float) and ``aht_s`` (float, NaN where unknown), sorted, one row per interval and channel.
    ``outliers`` are the cells :func:`find_outliers` flagged, still in ``frame`` as read."""

    frame: pd.DataFrame
    interval_min: int
    source: str
    outliers: tuple[Outlier, ...] = ()

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
                       self.interval_min, self.source, tuple(o for o in self.outliers if o.interval_start < cut))

    def between(self, start: dt.date, end: dt.date) -> History:
        """Rows on dates in [start, end]."""
        lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        ts = self.frame["interval_start"]
        return History(self.frame[(ts >= lo) & (ts < hi)].reset_index(drop=True),
                       self.interval_min, self.source,
                       tuple(o for o in self.outliers if lo <= o.interval_start < hi))

    def only(self, channels) -> History:
        """Only the rows of ``channels``."""
        keep = self.frame["channel"].isin(set(channels))
        if keep.all():
            return self
        return History(self.frame[keep].reset_index(drop=True), self.interval_min, self.source,
                       tuple(o for o in self.outliers if o.channel in set(channels)))

    def check_interval(self, interval_min: int) -> None:
        """Raise ``InputError`` unless this history can be planned at ``interval_min`` (a multiple of its own)."""
        if interval_min < self.interval_min or interval_min % self.interval_min:
            raise InputError(f"history at {self.interval_min}-minute intervals cannot be planned at "
                             f"{interval_min} minutes (needs a multiple of {self.interval_min})",
                             file=self.source, field="interval_min")

    def aggregate(self, interval_min: int) -> History:
        """Sum contacts into coarser intervals; AHT becomes the contact-weighted mean."""
        if interval_min == self.interval_min:
            return self
        self.check_interval(interval_min)
        f = self.frame.copy()
        f["interval_start"] = f["interval_start"].dt.floor(f"{interval_min}min")
        f["work"] = f["contacts"] * f["aht_s"]
        f["known"] = np.where(f["aht_s"].notna(), f["contacts"], 0.0)
        g = f.groupby(["interval_start", "channel"], sort=True).agg(
            contacts=("contacts", "sum"), work=("work", "sum"), known=("known", "sum")).reset_index()
        g["aht_s"] = np.where(g["known"] > 0, g["work"] / g["known"].where(g["known"] > 0), np.nan)
        return History(g[["interval_start", "channel", "contacts", "aht_s"]], interval_min, self.source,
                       self.outliers)

    def screened(self) -> tuple[History, list[str]]:
        """The history a forecast is fitted on, and its notes: each flagged cell (``outliers``) replaced
        by the median of the same channel and interval in the ``REPLACE_WEEKS`` weeks before it (after
        it where there are none before; other flagged cells left out), one note per cell naming the
        file's row (the first ``OUTLIER_NOTES``, then a count). Cells of an aggregated history are
        those holding the flagged rows."""
        if not self.outliers:
            return self, []
        step = pd.Timedelta(minutes=self.interval_min)
        cell = {(o.channel, o.interval_start.floor(step)) for o in self.outliers}
        s = self.frame.set_index(["channel", "interval_start"])["contacts"]
        usual = s[~s.index.isin(list(cell))]
        fitted = {}
        for ch, t in sorted(cell):
            value = 0.0
            for sign in (-1, 1):
                near = usual.reindex(pd.MultiIndex.from_tuples(
                    [(ch, t + sign * pd.Timedelta(weeks=k)) for k in range(1, REPLACE_WEEKS + 1)])).dropna()
                if len(near):
                    value = float(near.median())
                    break
            fitted[(ch, t)] = value
        key = pd.MultiIndex.from_frame(self.frame[["channel", "interval_start"]])
        replaced = pd.Series(key.map(fitted.get), index=self.frame.index, dtype=float)
        frame = self.frame.assign(contacts=replaced.fillna(self.frame["contacts"]))
        notes = []
        for o in self.outliers[:OUTLIER_NOTES]:
            t = o.interval_start.floor(step)
            notes.append(f"{self.source}:{o.row}, field '{o.field}': {o.channel} {o.interval_start:%Y-%m-%dT%H:%M} "
                         f"has {o.contacts:,.6g} contacts, over {OUTLIER_FACTOR:g}x the channel's busy-interval "
                         f"level ({o.level:,.6g}, its {OUTLIER_LEVEL_Q:.0%} quantile): the forecast is fitted with "
                         f"{fitted[(o.channel, t)]:g} there (the same interval in the weeks around it); "
                         "correct or remove the row")
        if len(self.outliers) > OUTLIER_NOTES:
            notes.append(f"{self.source}: {len(self.outliers) - OUTLIER_NOTES} more cell(s) over {OUTLIER_FACTOR:g}x "
                         "their channel's busy-interval level, each fitted as the same interval in the weeks "
                         "around it; is a column in the wrong unit?")
        return History(frame, self.interval_min, self.source, self.outliers), notes

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


def find_outliers(frame: pd.DataFrame, rows: np.ndarray, field: str = "contacts") -> tuple[Outlier, ...]:
    """The cells of ``frame`` (``interval_start``, ``channel``, ``contacts``; file line ``rows[i]``) more
    than ``OUTLIER_FACTOR`` times their channel's busy-interval level (its ``OUTLIER_LEVEL_Q`` quantile,
    at least 1 contact), in file order. A promotion, holiday or presale peak stays well inside that
    (the bundled history's busiest hour is 3.1x the level); one cell of 1e6 in a channel of a few hundred
    an hour is flagged."""
    contacts = frame["contacts"].to_numpy(float)
    level = frame.groupby("channel")["contacts"].transform(lambda c: max(float(c.quantile(OUTLIER_LEVEL_Q)), 1.0))
    level = level.to_numpy(float)
    hits = np.flatnonzero(contacts > OUTLIER_FACTOR * level)
    return tuple(Outlier(int(rows[i]), frame["interval_start"].iloc[i], str(frame["channel"].iloc[i]),
                         float(contacts[i]), float(level[i]), field) for i in hits)


def check_contacts_bound(contacts: pd.Series, cells: pd.Series, path: Path, field: str) -> None:
    """Refuse a count above ``MAX_INTERVAL_CONTACTS`` (2**53), where a double stops holding every integer:
    whatever the centre, such a cell is not a count of contacts."""
    bad = _first_bad(contacts > MAX_INTERVAL_CONTACTS)
    if bad is not None:
        raise InputError(f"{cells.iloc[bad - 2]} contacts in one interval is not a count (at most 2**53 = "
                         f"{MAX_INTERVAL_CONTACTS:.4g}, where a number stops being an exact integer)",
                         file=path, row=bad, field=field)


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
    return date_texts(raw["date"]).str.strip() + " " + start.str.strip()


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
        check_contacts_bound(contacts, raw["contacts"], path, "contacts")

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
        header = raw.attrs.get(HEADERS, {}).get("contacts", "contacts")
        outliers = find_outliers(frame, np.arange(len(frame)) + 2, header)
        frame = frame.sort_values(["interval_start", "channel"], kind="stable").reset_index(drop=True)
        return History(frame, interval_min, str(path), outliers)


def _infer_interval(ts: pd.Series, path: Path) -> int:
    minute_of_day = (ts.dt.hour * 60 + ts.dt.minute).to_numpy()
    if (ts.dt.second != 0).any():
        bad = _first_bad(ts.dt.second != 0)
        raise InputError("interval starts must be on whole minutes", file=path, row=bad, field="interval_start")
    step = 0
    for m in np.unique(minute_of_day):
        step = gcd(step, int(m))
    step = gcd(step, 1440) if step else 1440
    _check_stray_rows(minute_of_day, step, path)
    uniq = np.unique(ts.to_numpy())
    if len(uniq) > 1:
        diffs = np.diff(uniq).astype("timedelta64[m]").astype(int)
        step = gcd(step, int(np.gcd.reduce(diffs)))
    if step < 5:
        bad = _first_bad(pd.Series(minute_of_day % 5 != 0))
        raise InputError(f"intervals must be regular and at least 5 minutes (found a {step}-minute step)",
                         file=path, row=bad, field="interval_start")
    return int(step)


STRAY_SHARE = 0.01
"""Rows off the grid of all the others, up to this share of the file, are typing errors, not a finer history."""


def _check_stray_rows(minute_of_day: np.ndarray, step: int, path: Path) -> None:
    """Refuse a few rows off the grid every other row is on (a ``10:10`` among half hours): read as they are,
    they made the whole history a 10-minute one, two thirds of its intervals empty. A history that really
    is finer (from some date on, say) has more than ``STRAY_SHARE`` of its rows off the coarser grid."""
    for grid in sorted((g for g in (15, 30, 60) if g > step and g % step == 0), reverse=True):
        off = minute_of_day % grid != 0
        if off.mean() <= STRAY_SHARE:
            first = int(np.flatnonzero(off)[0])
            m = int(minute_of_day[first])
            raise InputError(f"{m // 60:02d}:{m % 60:02d} is off the {grid}-minute intervals of the other rows "
                             f"({int(off.sum())} row(s) are): correct or remove it", file=path, row=first + 2,
                             field="interval_start")


def load_default_history() -> History:
    return read_history(DEFAULT_HISTORY)
