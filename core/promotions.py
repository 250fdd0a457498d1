"""The promotion calendar: which dates a scenario's campaigns touch, and how.

A promotion (``core.scenario.Promotion``) repeats every year on the same month-days: ``lead_days``
before its main day, ``presale_at`` openings, the main day, ``tail_days`` of after-sale contacts.
The forecaster, the sweep and the roster all ask the calendar here, so the phases are decided once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class EventDay:
    """What makes a date special: a promotion phase and/or a holiday."""

    promo: str | None = None
    offset: int = 0          # days from the promotion's main day
    presale_hours: tuple[int, ...] = ()


def promotion_days(promotions, start: dt.date, end: dt.date) -> dict[dt.date, EventDay]:
    """Map every date in [start, end] touched by a promotion to its (event, offset from main day)."""
    out: dict[dt.date, EventDay] = {}
    for year in range(start.year - 1, end.year + 2):
        for p in promotions:
            first, last = p.span(year)
            main = p.main_date(year)
            pre: dict[dt.date, list[int]] = {}
            for inst in p.presale_instants(year):
                pre.setdefault(inst.date(), []).append(inst.hour)
            d = first
            while d <= last:
                if start <= d <= end:
                    off = (d - main).days
                    cur = out.get(d)
                    if cur is None or abs(off) < abs(cur.offset):
                        out[d] = EventDay(p.name, off, tuple(pre.get(d, ())))
                d += dt.timedelta(days=1)
    return out


def promotion_main_days(promotions, days) -> dict[dt.date, str]:
    """The promotions whose main day falls on one of ``days``: {date: promotion name} (the first
    listed wins when two share a day; a 02-29 main day has none in a common year)."""
    out: dict[dt.date, str] = {}
    for d in days:
        for p in promotions:
            try:
                if p.main_date(d.year) == d:
                    out.setdefault(d, p.name)
            except ValueError:  # a 02-29 main day in a common year
                continue
    return out
