"""What the calendar says about each day of a range, as arrays the forecast components read.

One :class:`Days` per range (the history, or the days to forecast): weekday, day type, holiday block
position, the campaign phase key of each day, hours since a presale opening per interval, and the
month-turn position of working days. Built once per fit or forecast by :func:`build_days`.

Campaign phase keys (``event@phase``), aligned on each instance's own dates:

- ``lead#0``, ``lead#1``, ``lead#2``: the first days of the lead (the presale opening days);
- ``lead``: the rest of the lead, more than :data:`NEAR_DAYS` days before the main day (a plateau);
- ``to-d``: ``d`` days before the main day (1 = the eve), for ``d <= NEAR_DAYS``;
- ``main``: the main day; ``tail+j``: day ``j`` of the after-sale tail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from core.names import HOLIDAY_DAY_TYPES, WORKING_DAY_TYPES
from core.promotions import Campaign, campaign_days
from forecasts import kernels as K
from forecasts.calendar import Calendar

NEAR_DAYS = 7          # lead days aligned on the main day (the run-up); earlier ones on the lead start
OPENING_DAYS = 3       # first lead days with their own key (presale openings)
PRESALE_HOURS = 6      # hours after a presale opening with their own multiplier


def phase_key(offset: int, lead_index: int) -> str:
    """The phase of a campaign day (see the module doc)."""
    if offset == 0:
        return "main"
    if offset > 0:
        return f"tail+{offset}"
    if -offset <= NEAR_DAYS:
        return f"to{offset}"
    return f"lead#{lead_index}" if lead_index < OPENING_DAYS else "lead"


@dataclass
class Days:
    dates: list[dt.date]
    dow: np.ndarray              # [n] 0 = Monday
    day_type: np.ndarray         # [n] object
    holiday_key: np.ndarray      # [n] "name#position" or ""
    holiday_name: np.ndarray     # [n] festival or ""
    campaign: np.ndarray         # [n] event name or ""
    phase: np.ndarray            # [n] phase key (see the module doc) or ""
    offset: np.ndarray           # [n] days from the main day (0 outside campaigns)
    dated: np.ndarray            # [n] bool: the campaign's dates come from an events file
    presale_h: np.ndarray        # [n, slots] hours since the latest presale opening in [0, PRESALE_HOURS), else -1
    month_key: np.ndarray        # [n] month-turn position of a working day (kernels.month_turn_keys)

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def promo_key(self) -> np.ndarray:
        """``event@phase`` per day, "" outside campaigns."""
        return np.array([f"{c}@{p}" if c else "" for c, p in zip(self.campaign, self.phase)], dtype=object)

    @property
    def holiday(self) -> np.ndarray:
        return np.isin(self.day_type, list(HOLIDAY_DAY_TYPES))

    @property
    def makeup(self) -> np.ndarray:
        return self.day_type == "makeup_workday"

    @property
    def normal(self) -> np.ndarray:
        """Neither a campaign day nor a holiday."""
        return (self.campaign == "") & ~self.holiday


def _month_keys(calendar: Calendar, start: dt.date, end: dt.date, month_turn: tuple[int, int]) -> np.ndarray:
    """Month-turn keys for [start, end], counted over the whole months around them."""
    lo = start.replace(day=1)
    hi = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    working = np.array([calendar.day_type(d) in WORKING_DAY_TYPES for d in days])
    month_id = np.array([d.year * 12 + d.month for d in days])
    keys = K.month_turn_keys(month_id, working, *month_turn)
    off = (start - lo).days
    return keys[off:off + (end - start).days + 1]


def _holiday_columns(calendar: Calendar, start: dt.date, end: dt.date):
    """(day types, holiday keys "name#position in its block", holiday names) for [start, end]."""
    types, names, keys = [], [], []
    run_name, run_pos = None, 0
    prev = start - dt.timedelta(days=1)   # positions inside a block need the days before ``start``
    while calendar.day_type(prev) in HOLIDAY_DAY_TYPES and (start - prev).days < 15:
        prev -= dt.timedelta(days=1)
    d = prev + dt.timedelta(days=1)
    while d <= end:
        t, name = calendar.day_info(d)
        hol = t in HOLIDAY_DAY_TYPES
        if hol:
            run_pos = run_pos + 1 if run_name == name else 0
            run_name = name
        else:
            run_name, run_pos = None, 0
        if d >= start:
            types.append(t)
            names.append(name if hol else "")
            keys.append(f"{name}#{run_pos}" if hol else "")
        d += dt.timedelta(days=1)
    return (np.array(types, dtype=object), np.array(keys, dtype=object), np.array(names, dtype=object))


def presale_hours(items: list[Campaign], start: dt.date, n_days: int, interval_min: int) -> np.ndarray:
    """[days, slots]: whole hours since the latest presale opening at or before the interval start, for
    the first :data:`PRESALE_HOURS` hours after it (across midnight too); -1 elsewhere."""
    slots = 1440 // interval_min
    out = np.full(n_days * slots, -1, dtype=int)
    t0 = dt.datetime.combine(start, dt.time())
    for c in items:
        for at in c.presale_at:
            first = int(np.ceil((at - t0).total_seconds() / 60 / interval_min))
            for i in range(max(first, 0), min(first + PRESALE_HOURS * 60 // interval_min, n_days * slots)):
                h = int((t0 + dt.timedelta(minutes=i * interval_min) - at).total_seconds() // 3600)
                if out[i] < 0 or h < out[i]:
                    out[i] = h
    return out.reshape(n_days, slots)


def build_days(calendar: Calendar, scenario, start: dt.date, end: dt.date, interval_min: int,
               month_turn: tuple[int, int] = (0, 0)) -> Days:
    """The calendar of [start, end] (``scenario`` gives the campaigns: its promotions and events)."""
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    types, hkeys, hnames = _holiday_columns(calendar, start, end)
    items = scenario.campaigns(start, end) if scenario is not None else []
    phases = campaign_days(items, start, end)
    ev = [phases.get(d) for d in dates]
    mk = (_month_keys(calendar, start, end, month_turn) if any(month_turn)
          else np.zeros(len(dates), dtype=int))
    return Days(
        dates=dates, dow=np.array([d.weekday() for d in dates]), day_type=types, holiday_key=hkeys,
        holiday_name=hnames,
        campaign=np.array([e.promo if e else "" for e in ev], dtype=object),
        phase=np.array([phase_key(e.offset, e.lead_index) if e else "" for e in ev], dtype=object),
        offset=np.array([e.offset if e else 0 for e in ev]),
        dated=np.array([bool(e and e.dated) for e in ev]),
        presale_h=presale_hours(items, start, len(dates), interval_min), month_key=mk)
