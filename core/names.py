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

HEADER_ALIASES = {
    # the history (forecasts.history) and the actuals' history
    "interval_start": ("时间", "开始时间", "时段", "时段开始", "时间段", "日期时间", "统计时间"),
    "channel": ("渠道", "渠道类型", "接入渠道", "通道"),
    "contacts": ("咨询量", "进线量", "接入量", "来电量", "会话量", "咨询数", "进线数", "接待量"),
    "aht_s": ("平均处理时长", "平均处理时长(秒)", "平均处理时长(s)", "aht", "aht(s)", "aht(秒)"),
    # the agent pool (scheduler.agents)
    "agent_id": ("工号", "坐席工号", "客服工号", "员工编号", "坐席id", "坐席编号"),
    "name": ("姓名", "坐席姓名", "客服姓名", "名称"),
    "skills": ("技能", "技能组", "技能渠道"),
    "contract": ("合同", "合同类型", "用工类型", "用工形式"),
    "hourly_cost": ("时薪", "时薪(元)", "小时成本", "每小时成本"),
    "max_weekly_h": ("每周最多工时", "周工时上限", "每周工时上限"),
    "team": ("班组", "组别", "团队", "小组"),
    "unavailable": ("请假日期", "不可排班日期", "休假日期"),
    # contact records (scheduler.actuals.store)
    "contact_id": ("会话id", "会话编号", "咨询编号", "工单号", "通话id", "记录id"),
    "arrived_at": ("进线时间", "接入时间", "来电时间", "咨询时间", "到达时间"),
    "answered_at": ("应答时间", "首次响应时间", "首响时间", "接通时间"),
    "ended_at": ("结束时间", "挂机时间", "关闭时间"),
    "abandoned": ("是否放弃", "放弃", "是否未接"),
    "satisfaction": ("满意度", "评分", "满意度评分"),
    "topic": ("咨询主题", "问题类型", "主题", "话题"),
    "vip": ("是否vip",),
    # requests (scheduler.requests) and calendars (forecasts.calendar)
    "date": ("日期",),
    "kind": ("类型", "申请类型", "日期类型"),
    "note": ("备注", "说明"),
}
"""Other names vendors' files give a column (Chinese exports above all), by the name the readers use.
Every reader of user files goes through ``core.csvio.read_text_csv``, which renames a header by
:func:`header_key`: case, spaces, hyphens and full-width brackets do not matter (``Agent ID``,
``平均处理时长（秒）``)."""

_HEADER_KEYS = {_k: canonical for canonical, names in HEADER_ALIASES.items() for _k in (canonical, *names)}


def header_key(text: str) -> str | None:
    """The column a header names (``"工号"`` and ``" Agent ID "`` -> ``agent_id``), None for a header no reader
    knows (kept as it is: ``DateTime`` of the bank data's own layout stays ``DateTime``)."""
    key = re.sub(r"[\s\-]+", "_", text.strip().casefold().replace("（", "(").replace("）", ")")).strip("_")
    return _HEADER_KEYS.get(key) or _HEADER_KEYS.get(key.replace("_(", "("))


CONTRACT_ALIASES = {"全职": "full_time", "全日制": "full_time", "兼职": "part_time", "非全日制": "part_time"}
"""Other names for a contract in an agent pool file (Labour Contract Law: 全日制 and 非全日制用工)."""

SKILL_SEPARATORS = r"[|、/，,;；]"
"""What separates the channels of a ``skills`` cell: ``chat|phone``, ``在线、电话``, ``chat/phone`` ..."""

REQUEST_KIND_ALIASES = {"请假": "leave", "年假": "leave", "休假": "leave", "休息": "day_off", "申请休息": "day_off",
                        "调休": "day_off"}
"""Other names for a request's ``kind`` (a ``shift:<template>`` request has none)."""

CALENDAR_KIND_ALIASES = {"节假日": "holiday", "假日": "holiday", "法定节假日": "statutory_holiday",
                         "调休上班": "makeup_workday", "补班": "makeup_workday", "调休日": "holiday_rest_day",
                         "休息日": "holiday_rest_day", "工作日": "weekday", "周末": "weekend"}
"""Other names for a calendar file's ``kind``, as Chinese calendars publish them."""


CHANNEL_COLOURS = {"chat": "#2563eb", "phone": "#ea580c", "email": "#16a34a", "total": "#334155"}
OTHER_COLOUR = "#64748b"  # a channel or series without its own colour

DAY_TYPES = ("weekday", "weekend", "makeup_workday", "statutory_holiday", "holiday_rest_day")
WORKING_DAY_TYPES = frozenset({"weekday", "makeup_workday"})
HOLIDAY_DAY_TYPES = frozenset({"statutory_holiday", "holiday_rest_day"})
WEEKEND_DAY_TYPES = frozenset({"weekend", "holiday_rest_day", "statutory_holiday"})
PREMIUM_DAY_TYPES = frozenset({"weekend", "holiday_rest_day"})  # the scenario's pay.weekend applies here
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""A ``[windows]`` key that replaces the window of its weekday on ordinary days (:data:`ORDINARY_DAY_TYPES`)."""
ORDINARY_DAY_TYPES = frozenset({"weekday", "weekend"})  # neither a holiday nor a makeup workday


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
