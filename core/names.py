"""Names shared along the data flow: channels and day types, in their published order.

One place for each: the order channels are listed in files and tables, their colours in every chart,
which day types are working days, holidays, or weekend-like rest days, and the vendor export formats
(here rather than in :mod:`scheduler.vendor_export` so that the CLI can offer them without importing
pandas).
"""

from __future__ import annotations

from enum import Enum

CHANNELS = ("chat", "phone", "email")
"""The channels a scenario may define, in the order files, tables and charts list them."""

CHANNEL_COLOURS = {"chat": "#2563eb", "phone": "#ea580c", "email": "#16a34a", "total": "#334155"}
OTHER_COLOUR = "#64748b"  # a channel or series without its own colour

DAY_TYPES = ("weekday", "weekend", "makeup_workday", "statutory_holiday", "holiday_rest_day")
WORKING_DAY_TYPES = frozenset({"weekday", "makeup_workday"})
HOLIDAY_DAY_TYPES = frozenset({"statutory_holiday", "holiday_rest_day"})
WEEKEND_DAY_TYPES = frozenset({"weekend", "holiday_rest_day", "statutory_holiday"})
PREMIUM_DAY_TYPES = frozenset({"weekend", "holiday_rest_day"})  # the scenario's pay.weekend applies here


def channel_colour(channel: str) -> str:
    return CHANNEL_COLOURS.get(channel, OTHER_COLOUR)


def channel_rank(channel: str) -> int:
    """Sort key: the published channel order, unknown channels after it."""
    return CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS)


class ExportFormat(str, Enum):
    """``schedule export --format``: a wide CSV, an Excel workbook (a sheet per team), one .ics per agent."""

    wide = "wide"
    xlsx = "xlsx"
    ics = "ics"


class HireMode(str, Enum):
    """``schedule plan --hire``: ``auto`` adds the fewest agents of the scenario's ``[hire]`` table that
    meet every target (the capacity sizing)."""

    auto = "auto"
