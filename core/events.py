"""Dated campaign instances: the events CSV, one row per campaign instance.

Campaign dates move every year (Tmall's 618 presale opened May 26 2022, May 20 2024, May 13 2025), so a
shop can list each instance with its own dates instead of trusting a month-day rule::

    event,main_day,start,end,presale_at
    618,2024-06-18,2024-05-20,2024-06-28,2024-05-20T20:00
    618,2025-06-18,2025-05-13,2025-06-28,2025-05-13T20:00;2025-05-30T20:00

- ``event`` names a scenario promotion (whose ``effects`` are the fallback multipliers) or a new event;
- ``main_day`` the main day; ``start`` the first day of the lead; ``end`` the last day of the after-sale
  tail (``start <= main_day <= end``);
- ``presale_at`` (optional column, may be blank) presale openings ``YYYY-MM-DDTHH:MM``, several separated
  by ``;``, each inside ``[start, main_day]``.

The file is read like every user CSV (:func:`core.csvio.read_text_csv`: UTF-8, GBK or UTF-16, gzip or
an ``.xlsx`` sheet; comma, tab or semicolon), dates and times in the forms of :mod:`core.values`
(``2025/6/18``, ``2025年6月18日``, ``2025-05-13 20:00``, ``+08:00``; in a semicolon-separated file a cell of
several openings is quoted). Lines starting with ``#`` are comments (sources, notes). Every error names
the file, the line and the field. For a year the file lists an event, its dates replace the scenario's
month-day rule everywhere (forecast, service windows, promotion-only shift templates); other years keep
the rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from core.csvio import read_text_csv, row_lines
from core.errors import InputError
from core.limits import MAX_CAMPAIGN_LEAD_DAYS, MAX_CAMPAIGN_TAIL_DAYS
from core.values import TIME_FORMS, date_cell, parse_timestamps

EVENT_COLUMNS = ("event", "main_day", "start", "end", "presale_at")
REQUIRED_COLUMNS = ("event", "main_day", "start", "end")
EVENTS_OPTION = "--events"


class CampaignInstance(BaseModel):
    """One dated campaign: ``start`` (first lead day) <= ``main_day`` <= ``end`` (last tail day)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str
    main_day: dt.date
    start: dt.date
    end: dt.date
    presale_at: tuple[dt.datetime, ...] = ()

    @property
    def lead_days(self) -> int:
        return (self.main_day - self.start).days

    @property
    def tail_days(self) -> int:
        return (self.end - self.main_day).days


def _instants(text: str, path: Path, row: int) -> tuple[dt.datetime, ...]:
    """The presale openings of a cell: times in any form the history takes (:mod:`core.values`), several
    separated by ``;``, each on a whole minute."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        return ()
    times = parse_timestamps(pd.Series(parts, dtype=object))
    out = []
    for part, at in zip(parts, times):
        if pd.isna(at):
            raise InputError(f"'{part}' is not a time ({TIME_FORMS}; several separated by ';')",
                             file=path, row=row, field="presale_at")
        at = at.to_pydatetime()
        if at.second or at.microsecond:
            raise InputError(f"'{part}' is not on a whole minute", file=path, row=row, field="presale_at")
        out.append(at)
    return tuple(sorted(set(out)))


def parse_event_row(rec: dict[str, str], path: Path, row: int) -> CampaignInstance:
    """One CSV row (all cells text) -> a checked instance; errors name file, row and field."""
    event = (rec.get("event") or "").strip()
    if not event:
        raise InputError("empty event name", file=path, row=row, field="event")
    main = date_cell(rec.get("main_day") or "", file=path, row=row, field="main_day")
    start = date_cell(rec.get("start") or "", file=path, row=row, field="start")
    end = date_cell(rec.get("end") or "", file=path, row=row, field="end")
    if end < start:
        raise InputError(f"end {end} is before start {start}", file=path, row=row, field="end")
    if not start <= main <= end:
        raise InputError(f"main day {main} is outside [start {start}, end {end}]", file=path, row=row,
                         field="main_day")
    if (main - start).days > MAX_CAMPAIGN_LEAD_DAYS:
        raise InputError(f"a lead of {(main - start).days} days (start {start} to main day {main}); at most "
                         f"{MAX_CAMPAIGN_LEAD_DAYS}", file=path, row=row, field="start")
    if (end - main).days > MAX_CAMPAIGN_TAIL_DAYS:
        raise InputError(f"a tail of {(end - main).days} days (main day {main} to end {end}); at most "
                         f"{MAX_CAMPAIGN_TAIL_DAYS}", file=path, row=row, field="end")
    presale = _instants(rec.get("presale_at") or "", path, row)
    for at in presale:
        if not start <= at.date() <= main:
            raise InputError(f"presale opening {at:%Y-%m-%dT%H:%M} is outside [start {start}, main day {main}]",
                             file=path, row=row, field="presale_at")
    return CampaignInstance(event=event, main_day=main, start=start, end=end, presale_at=presale)


def read_events_csv(path: str | Path) -> list[CampaignInstance]:
    """Read and check an events CSV (see the module doc) with the reader every user CSV goes through
    (:func:`core.csvio.read_text_csv`, comments on). At most one instance of an event per year (the year
    of its main day): a year is either listed or left to the month-day rule."""
    path = Path(path)
    raw = read_text_csv(path, REQUIRED_COLUMNS, what="events file", option=EVENTS_OPTION, comments=True,
                        allowed=EVENT_COLUMNS, hint=f"expected {','.join(EVENT_COLUMNS)}")
    out: list[CampaignInstance] = []
    seen: dict[tuple[str, int], int] = {}
    for line_no, rec in zip(row_lines(raw), raw.to_dict("records")):
        inst = parse_event_row(rec, path, line_no)
        key = (inst.event, inst.main_day.year)
        if key in seen:
            raise InputError(f"'{inst.event}' is listed twice for {inst.main_day.year} (also line {seen[key]})",
                             file=path, row=line_no, field="main_day")
        seen[key] = line_no
        out.append(inst)
    return out
