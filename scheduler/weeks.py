"""Resolve a planning week from what a planner types: ``2025-11``, ``2025-W11`` or ``2025-11-12``.

Weeks lie in ``MIN_YEAR`` .. ``MAX_YEAR``: the planning tables are pandas timestamps (which end in 2262),
and a week outside that range is one line naming ``--week`` before any work starts. Whether the holiday
calendar covers the week is checked next, when the calendar is loaded (``Calendar.check_covers``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.errors import InputError

_ISO_WEEK = re.compile(r"^(\d{4})-?W?(\d{1,2})$", re.IGNORECASE)
MIN_YEAR, MAX_YEAR = 1900, 2200


@dataclass(frozen=True)
class Week:
    """An ISO week, Monday to Sunday."""

    year: int
    number: int

    @property
    def start_date(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def end_date(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 7)

    @property
    def days(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(7)]

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def describe(self) -> str:
        s, e = self.start_date, self.end_date
        return f"{self.label}: {s:%a} {s.isoformat()} .. {e:%a} {e.isoformat()}"


def parse_week(text: str) -> Week:
    """``2025-11`` and ``2025-W11`` are ISO week 11 of 2025; ``2025-11-12`` is the week holding that date."""
    raw = text.strip()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is not None and len(raw) == 10:
        year, number, _ = day.isocalendar()
        return _checked(year, number)
    m = _ISO_WEEK.match(raw)
    if m:
        year, number = int(m.group(1)), int(m.group(2))
        try:
            dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise InputError(f"{year} has no ISO week {number}", field="--week") from None
        return _checked(year, number)
    raise InputError(f"'{text}' is not a week: use 2025-11, 2025-W11 or a date such as 2025-11-12",
                     field="--week")


def _checked(year: int, number: int) -> Week:
    """The week, if all its seven days lie in the years ``MIN_YEAR`` .. ``MAX_YEAR``."""
    if MIN_YEAR <= year <= MAX_YEAR:
        week = Week(year, number)
        if MIN_YEAR <= week.start_date.year and week.end_date.year <= MAX_YEAR:
            return week
    raise InputError(f"week {year}-W{number:02d} is outside the years {MIN_YEAR}-{MAX_YEAR} that can be planned",
                     field="--week")
