"""Names shared along the data flow: channels and day types, in their published order.

One place for each: the order channels are listed in files and tables, their colours in every chart,
which day types are working days, holidays, or weekend-like rest days, and the vendor export formats
(here rather than in :mod:`scheduler.vendor_export` so that the CLI can offer them without importing
pandas).
"""

from __future__ import annotations

import re
from enum import Enum

CHANNELS = ("chat", "phone", "email")
"""The channels a scenario may define, in the order files, tables and charts list them."""

CHANNEL_ALIASES = {
    "在线": "chat", "聊天": "chat", "在线客服": "chat",
    "电话": "phone", "热线": "phone",
    "邮件": "email", "邮箱": "email",
}
"""Other names vendors' files use for a channel. Every reader of user files maps a channel cell
through :func:`channel_key`: surrounding spaces are dropped, case is ignored, then these aliases apply."""

CHANNEL_COLOURS = {"chat": "#2563eb", "phone": "#ea580c", "email": "#16a34a", "total": "#334155"}
OTHER_COLOUR = "#64748b"  # a channel or series without its own colour

DAY_TYPES = ("weekday", "weekend", "makeup_workday", "statutory_holiday", "holiday_rest_day")
WORKING_DAY_TYPES = frozenset({"weekday", "makeup_workday"})
HOLIDAY_DAY_TYPES = frozenset({"statutory_holiday", "holiday_rest_day"})
WEEKEND_DAY_TYPES = frozenset({"weekend", "holiday_rest_day", "statutory_holiday"})
PREMIUM_DAY_TYPES = frozenset({"weekend", "holiday_rest_day"})  # the scenario's pay.weekend applies here


def channel_key(text: str) -> str:
    """The canonical name of a channel cell (``" Chat "`` -> ``chat``, ``电话`` -> ``phone``); a name it
    does not know comes back stripped and lower-cased, for the caller to check against its channels."""
    key = text.strip().casefold()
    return CHANNEL_ALIASES.get(key, key)


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


_UNSAFE = re.compile(r"[^\w.+-]+")
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10))})
MAX_FOLDER_NAME = 80


def folder_name(text: str, default: str = "scenario") -> str:
    """A name (a scenario's) made safe as one folder name: anything but letters (Chinese included), digits
    and ``. + - _`` becomes ``_``, no leading or trailing dots or underscores, at most 80 characters, not a
    Windows device name. ``../../x`` -> ``x``; ``/abs/path`` -> ``abs_path``; ``大促 A`` -> ``大促_A``."""
    name = _UNSAFE.sub("_", text).strip("._")[:MAX_FOLDER_NAME].strip("._")
    if not name:
        return default
    return f"{name}_" if name.split(".")[0].lower() in _RESERVED else name


class HireMode(str, Enum):
    """``schedule plan --hire``: ``auto`` adds the fewest agents of the scenario's ``[hire]`` table that
    meet every target (the capacity sizing)."""

    auto = "auto"
