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

Lines starting with ``#`` are comments (sources, notes). Every error names the file, the line and the
field. For a year the file lists an event, its dates replace the scenario's month-day rule everywhere
(forecast, service windows, promotion-only shift templates); other years keep the rule.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.errors import InputError, check_input_file
from core.limits import MAX_CAMPAIGN_LEAD_DAYS, MAX_CAMPAIGN_TAIL_DAYS

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


def _date(text: str, path: Path, row: int, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"'{text}' is not a date YYYY-MM-DD", file=path, row=row, field=field) from None


def _instants(text: str, path: Path, row: int) -> tuple[dt.datetime, ...]:
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            if "T" not in part:
                raise ValueError
            at = dt.datetime.fromisoformat(part)
        except ValueError:
            raise InputError(f"'{part}' is not a time YYYY-MM-DDTHH:MM (several separated by ';')",
                             file=path, row=row, field="presale_at") from None
        if at.tzinfo is not None or at.second or at.microsecond:
            raise InputError(f"'{part}' must be a local time on a whole minute, YYYY-MM-DDTHH:MM",
                             file=path, row=row, field="presale_at")
        out.append(at)
    return tuple(sorted(set(out)))


def parse_event_row(rec: dict[str, str], path: Path, row: int) -> CampaignInstance:
    """One CSV row (all cells text) -> a checked instance; errors name file, row and field."""
    event = (rec.get("event") or "").strip()
    if not event:
        raise InputError("empty event name", file=path, row=row, field="event")
    main = _date(rec.get("main_day") or "", path, row, "main_day")
    start = _date(rec.get("start") or "", path, row, "start")
    end = _date(rec.get("end") or "", path, row, "end")
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
    """Read and check an events CSV (see the module doc). At most one instance of an event per year
    (the year of its main day): a year is either listed or left to the month-day rule."""
    path = Path(path)
    check_input_file(path, "events file", EVENTS_OPTION)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"not a readable UTF-8 CSV ({exc})", file=path) from None
    numbered = [(i, line) for i, line in enumerate(lines, start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise InputError("the events file is empty (expected a header event,main_day,start,end,presale_at)",
                         file=path, row=1)
    rows = list(csv.reader([line for _, line in numbered]))
    header_row, header = numbered[0][0], [c.strip() for c in rows[0]]
    for col in header:
        if col not in EVENT_COLUMNS:
            raise InputError(f"unknown column '{col}'; allowed: {', '.join(EVENT_COLUMNS)}", file=path,
                             row=header_row, field=col)
    for col in REQUIRED_COLUMNS:
        if col not in header:
            raise InputError(f"missing column '{col}' (expected {','.join(EVENT_COLUMNS)})", file=path,
                             row=header_row, field=col)
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise InputError(f"column '{dup}' appears twice", file=path, row=header_row, field=dup)
    out: list[CampaignInstance] = []
    seen: dict[tuple[str, int], int] = {}
    for (line_no, _), cells in zip(numbered[1:], rows[1:]):
        if len(cells) > len(header):
            raise InputError(f"{len(cells)} cells for {len(header)} columns", file=path, row=line_no)
        inst = parse_event_row(dict(zip(header, cells)), path, line_no)
        key = (inst.event, inst.main_day.year)
        if key in seen:
            raise InputError(f"'{inst.event}' is listed twice for {inst.main_day.year} (also line {seen[key]})",
                             file=path, row=line_no, field="main_day")
        seen[key] = line_no
        out.append(inst)
    if not out:
        raise InputError("the events file has no rows", file=path, row=header_row + 1)
    return out
