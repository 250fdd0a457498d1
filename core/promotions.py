"""The promotion calendar: which dates a scenario's campaigns touch, and in which phase.

A campaign instance has a first lead day (``start``), presale openings, a main day and a last after-sale
tail day (``end``). Instances come from two sources, decided here once for the forecaster, the sweep and
the roster:

- dated instances (``core.events``, the scenario's ``events`` file or ``--events``): for a year an event
  is listed, its own dates;
- a scenario promotion's month-day rule (``core.scenario.Promotion``) for the years the file does not
  list (unless the scenario says ``events_only``).

Each touched date gets its phase coordinates (:class:`EventDay`): days from the main day, the day index
inside the lead, the days into the tail, and the presale openings of its instance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Campaign:
    """One instance of an event on the calendar."""

    event: str
    main_day: dt.date
    start: dt.date
    end: dt.date
    presale_at: tuple[dt.datetime, ...] = ()
    dated: bool = False      # from an events file (else from the month-day rule)


@dataclass(frozen=True)
class EventDay:
    """What makes a date special: the campaign phase of one instance."""

    promo: str | None = None
    offset: int = 0          # days from the main day (negative in the lead)
    presale_hours: tuple[int, ...] = ()   # hours of the day at which a presale opens
    lead_index: int = -1     # day index inside the lead (0 = its first day), -1 outside the lead
    dated: bool = False

    @property
    def phase(self) -> str:
        return "main" if self.offset == 0 else "lead" if self.offset < 0 else "tail"


def _rule_campaign(p, year: int) -> Campaign | None:
    try:
        first, last = p.span(year)
        return Campaign(p.name, p.main_date(year), first, last, tuple(p.presale_instants(year)), dated=False)
    except ValueError:  # a 02-29 main day in a common year
        return None


def campaigns(promotions, start: dt.date, end: dt.date, events=(), events_only: bool = False) -> list[Campaign]:
    """Every instance touching [start, end]: the dated ``events`` (``core.events.CampaignInstance``),
    and each promotion's month-day rule for the years ``events`` does not list for it."""
    listed = {(e.event, e.main_day.year) for e in events}
    out = [Campaign(e.event, e.main_day, e.start, e.end, tuple(e.presale_at), dated=True) for e in events
           if e.start <= end and e.end >= start]
    if not events_only:
        for year in range(start.year - 1, end.year + 2):
            for p in promotions:
                if (p.name, year) in listed:
                    continue
                c = _rule_campaign(p, year)
                if c is not None and c.start <= end and c.end >= start:
                    out.append(c)
    return sorted(out, key=lambda c: (c.main_day, c.event))


def campaign_days(items: list[Campaign], start: dt.date, end: dt.date) -> dict[dt.date, EventDay]:
    """Map every date in [start, end] touched by a campaign to its phase (the nearest main day wins
    where two overlap)."""
    out: dict[dt.date, EventDay] = {}
    for c in items:
        pre: dict[dt.date, list[int]] = {}
        for inst in c.presale_at:
            pre.setdefault(inst.date(), []).append(inst.hour)
        d = max(c.start, start)
        while d <= min(c.end, end):
            off = (d - c.main_day).days
            cur = out.get(d)
            if cur is None or abs(off) < abs(cur.offset):
                out[d] = EventDay(c.event, off, tuple(pre.get(d, ())),
                                  (d - c.start).days if off < 0 else -1, c.dated)
            d += dt.timedelta(days=1)
    return out


def promotion_days(promotions, start: dt.date, end: dt.date, events=(), events_only: bool = False
                   ) -> dict[dt.date, EventDay]:
    """Map every date in [start, end] touched by a campaign to its phase (see :func:`campaigns`)."""
    return campaign_days(campaigns(promotions, start, end, events, events_only), start, end)


def promotion_main_days(promotions, days, events=(), events_only: bool = False) -> dict[dt.date, str]:
    """The campaigns whose main day falls on one of ``days``: {date: event name} (the first listed
    wins when two share a day; a 02-29 main day has none in a common year)."""
    days = list(days)
    if not days:
        return {}
    wanted = set(days)
    out: dict[dt.date, str] = {}
    found = campaigns(promotions, min(days), max(days), events, events_only)
    order = {p.name: i for i, p in enumerate(promotions)}
    for c in sorted(found, key=lambda c: (not c.dated, order.get(c.event, len(order)))):
        if c.main_day in wanted:
            out.setdefault(c.main_day, c.event)
    return out
