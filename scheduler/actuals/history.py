"""Per-contact actuals -> the interval history the forecaster reads (``forecasts/history.py``).

For each arrival interval and channel:

- ``contacts``: contacts that *arrived* in the interval (answered or not, abandoned included:
  they are demand);
- ``aht_s`` [s]: mean of ``ended_at - answered_at`` over the interval's answered contacts with an
  end time, written to 0.1 s; blank where there are none, or where every one of them ended the
  second it was answered.

Why a zero mean is written blank: the history's ``aht_s`` is the handle time the staffing model
divides work by, so :func:`forecasts.history.read_history` takes only positive values (blank =
unknown). A mean of exactly 0 s means no handle time was measured (contacts closed on answer, or
times recorded to the whole second), the same as an interval without answered contacts: the
forecaster then takes the handle time from the other intervals. A positive mean below 0.05 s is
written as 0.1 s, never rounded to 0.

Every interval of every date that has at least one record (any channel) is written, for every
channel present in the database, with 0 contacts where none arrived; dates without any record
are left out (the forecaster reads them as closed days). Aggregation runs in DuckDB.

``base_history`` optionally merges the result into an existing history file: the actuals replace
the base's rows on the dates they cover, the base supplies everything else (so a long synthetic
or exported history can be extended with what really happened).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.names import CHANNELS
from scheduler.actuals.store import DEFAULT_DB, open_checked

HISTORY_COLUMNS = ["interval_start", "channel", "contacts", "aht_s"]

_SQL = """
WITH b AS (
    SELECT time_bucket(INTERVAL '{m} minutes', arrived_at) AS interval_start, channel,
           count(*) AS contacts,
           nullif(avg(epoch_us(ended_at) - epoch_us(answered_at)) FILTER (WHERE answered_at IS NOT NULL), 0) / 1e6
               AS aht_s
    FROM contacts {where}
    GROUP BY ALL
),
days AS (SELECT DISTINCT CAST(interval_start AS DATE) AS d FROM b),
chans AS (SELECT DISTINCT channel FROM contacts),
grid AS (
    SELECT CAST(d AS TIMESTAMP) + to_minutes(CAST(i * {m} AS BIGINT)) AS interval_start, channel
    FROM days, range({slots}) r(i), chans
)
SELECT g.interval_start, g.channel, coalesce(b.contacts, 0) AS contacts, b.aht_s
FROM grid g LEFT JOIN b ON g.interval_start = b.interval_start AND g.channel = b.channel
"""


def history_frame(db_path: str | Path = DEFAULT_DB, interval_min: int = 60, start: dt.date | None = None,
                  end: dt.date | None = None) -> pd.DataFrame:
    """The interval history as a frame (``interval_start`` Timestamp, ``channel``, ``contacts`` int,
    ``aht_s`` float/NaN), sorted by time then channel; optionally only dates ``start`` .. ``end``."""
    if not isinstance(interval_min, (int, np.integer)) or interval_min < 5 or 1440 % interval_min:
        raise InputError(f"interval must be a whole number of minutes >= 5 dividing a day, got {interval_min}",
                         field="--interval-min")
    db_path = Path(db_path)
    con = open_checked(db_path)
    try:
        cond, params = [], []
        if start is not None:
            cond.append("arrived_at >= ?")
            params.append(dt.datetime.combine(start, dt.time()))
        if end is not None:
            cond.append("arrived_at < ?")
            params.append(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
        where = ("WHERE " + " AND ".join(cond)) if cond else ""
        f = con.execute(_SQL.format(m=int(interval_min), slots=1440 // int(interval_min), where=where),
                        params).df()
    finally:
        con.close()
    f["interval_start"] = pd.to_datetime(f["interval_start"])
    f["contacts"] = f["contacts"].astype(np.int64)
    f["aht_s"] = f["aht_s"].astype(float)
    order = {c: i for i, c in enumerate(CHANNELS)}
    f["_o"] = f["channel"].map(order).fillna(len(order))
    f = f.sort_values(["interval_start", "_o", "channel"]).drop(columns="_o").reset_index(drop=True)
    return f[HISTORY_COLUMNS]


def history_from_actuals(db_path: str | Path = DEFAULT_DB, out_path: str | Path = "history_actuals.csv",
                         interval_min: int = 60, *, base_history: str | Path | None = None,
                         start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Aggregate the actuals into a history CSV at ``out_path`` (``interval_start, channel, contacts,
    aht_s``; ``.gz`` compresses) that :func:`forecasts.history.read_history` loads. Returns the frame
    written. The file is written to a temporary name and renamed."""
    frame = history_frame(db_path, interval_min, start, end)
    if frame.empty:
        raise InputError("no contacts in the database" + (" for those dates" if start or end else ""),
                         file=db_path, field="--db")
    if base_history is not None:
        frame = _merge_base(frame, Path(base_history), interval_min)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.parent / f".tmp{os.getpid()}.{out_path.name}"
    aht = frame["aht_s"].round(1)
    text = frame.assign(interval_start=frame["interval_start"].dt.strftime("%Y-%m-%dT%H:%M"),
                        aht_s=aht.mask(aht == 0, 0.1))  # a positive mean never rounds to 0 (see the docstring)
    try:
        text.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return frame


def _merge_base(frame: pd.DataFrame, base_path: Path, interval_min: int) -> pd.DataFrame:
    from forecasts.history import read_history

    base = read_history(base_path)
    if base.interval_min != interval_min:
        base = base.aggregate(interval_min)  # raises InputError if it cannot
    b = base.frame.copy()
    covered = set(frame["interval_start"].dt.normalize().unique())
    b = b[~b["interval_start"].dt.normalize().isin(covered)]
    out = pd.concat([b[HISTORY_COLUMNS], frame.astype({"contacts": float})], ignore_index=True)
    if (out["contacts"] == np.rint(out["contacts"])).all():
        out["contacts"] = out["contacts"].astype(np.int64)
    order = {c: i for i, c in enumerate(CHANNELS)}
    out["_o"] = out["channel"].map(order).fillna(len(order))
    return out.sort_values(["interval_start", "_o", "channel"]).drop(columns="_o").reset_index(drop=True)
