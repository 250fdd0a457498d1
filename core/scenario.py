"""Scenario files: everything a planner tunes, validated on load.

A scenario is TOML. ``extends = "baseline.toml"`` (relative to the file) takes another scenario and
overrides only the keys given; tables merge key by key, lists and values replace.
See ``scenarios/baseline.toml`` for every key with its meaning and unit.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import InputError
from core.names import CHANNELS, DAY_TYPES
from core.promotions import promotion_main_days

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-([0-2]\d|3[01])$")


def hhmm_to_min(text: str) -> int:
    """'09:30' -> 570 minutes after midnight; '24:00' is allowed as an end."""
    m = _HHMM.match(text.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"'{text}' is not a time HH:MM")
    return int(m.group(1)) * 60 + int(m.group(2))


def _check_channels(names) -> None:
    for ch in names:
        if ch not in CHANNELS:
            raise ValueError(f"unknown channel '{ch}'; allowed: {', '.join(CHANNELS)}")


def _check_day_types(names) -> None:
    for d in names:
        if d not in DAY_TYPES:
            raise ValueError(f"unknown day type '{d}'; allowed: {', '.join(DAY_TYPES)}")


def _check_window(text) -> None:
    if text is not None:
        Window.parse(text)


def _check_mmdd(text: str) -> None:
    """A month-day that exists (Feb 29 allowed)."""
    try:
        if not _MMDD.match(text):
            raise ValueError
        dt.date(2024, int(text[:2]), int(text[3:]))
    except ValueError:
        raise ValueError(f"'{text}' is not a month-day MM-DD") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    """A daily service window ``HH:MM-HH:MM``; ``closed`` means no service that day."""

    start_min: int
    end_min: int

    @classmethod
    def parse(cls, text: str) -> Window:
        text = text.strip()
        if text.lower() == "closed":
            return cls(start_min=0, end_min=0)
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"'{text}' is not a window HH:MM-HH:MM or 'closed'")
        start, end = hhmm_to_min(parts[0]), hhmm_to_min(parts[1])
        if end <= start:
            raise ValueError(f"window '{text}' ends before it starts")
        return cls(start_min=start, end_min=end)

    @property
    def is_open(self) -> bool:
        return self.end_min > self.start_min

    def contains(self, minute: int) -> bool:
        return self.start_min <= minute < self.end_min


class ChannelSpec(_Strict):
    """Service target and queue model of one channel."""

    model: Literal["erlang_c", "erlang_a", "deferred"] = "erlang_c"
    answer_within_s: float = Field(gt=0, description="[s] service-level threshold")
    default_aht_s: float = Field(default=300, gt=0, description="[s] handle time when history has none")
    service_level_target: float = Field(default=0.8, gt=0, lt=1)
    concurrency: int = Field(default=1, ge=1, le=10, description="contacts one agent handles at once")
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    patience_s: float | None = Field(default=None, gt=0, description="[s] mean patience, Erlang A only")
    response_window_h: float | None = Field(default=None, gt=0, description="[h] deferred work only")
    carry_over_closed: float = Field(default=1.0, ge=0, le=1,
                                     description="share of contacts arriving while closed that wait for opening")
    vip_share: float = Field(default=0.0, ge=0, lt=1, description="share of contacts from VIP customers, "
                             "served first (non-preemptive priority)")
    backlog_clear_h: float = Field(default=2.0, ge=0, le=24,
                                   description="[h] contacts carried over from closed hours are worked off "
                                               "evenly over this many open hours after opening")

    @model_validator(mode="after")
    def _check(self):
        if self.model == "deferred" and self.response_window_h is None:
            raise ValueError("a deferred channel needs response_window_h")
        if self.model == "erlang_a" and self.patience_s is None:
            raise ValueError("an erlang_a channel needs patience_s")
        return self


class ShiftTemplate(_Strict):
    """Shifts an agent may work: a start time and a span, on some day types.

    A split shift (分段班) is a template with a long unpaid break: ``break_h`` replaces the roster's
    ``lunch_min`` for it and the model places the break inside the template's ``lunch_window``, e.g.
    ``starts = ["09:00"], span_h = 13, break_h = 5, lunch_window = "12:00-18:00"`` works 8 paid hours
    around the morning and evening peaks (09:00-12:00 + 17:00-22:00, or 09:00-13:00 + 18:00-22:00)."""

    name: str
    starts: list[str] = Field(min_length=1, description="start times HH:MM")
    span_h: float = Field(gt=0, le=16, description="[h] from start to end, lunch (or split break) included")
    lunch: bool = True
    lunch_window: str | None = Field(default=None, description="HH:MM-HH:MM meal window for this template "
                                     "(default: the roster's lunch_window); for a split shift, the window "
                                     "its break lies in")
    break_h: float | None = Field(default=None, gt=0, le=8, description="[h] unpaid break of this template "
                                  "instead of the roster's lunch_min: a split shift when long")
    contracts: list[Literal["full_time", "part_time"]] = ["full_time"]
    day_types: list[str] = list(DAY_TYPES)
    promotion_only: bool = False

    @field_validator("starts")
    @classmethod
    def _starts(cls, v):
        for s in v:
            hhmm_to_min(s)
        return v

    @field_validator("lunch_window")
    @classmethod
    def _lw(cls, v):
        _check_window(v)
        return v

    @field_validator("day_types")
    @classmethod
    def _day_types(cls, v):
        _check_day_types(v)
        return v

    @model_validator(mode="after")
    def _split(self):
        if self.break_h is not None:
            if not self.lunch:
                raise ValueError(f"template '{self.name}': break_h needs lunch = true (the break is its lunch)")
            if not self.lunch_window:
                raise ValueError(f"template '{self.name}': break_h needs its own lunch_window, where the "
                                 f"break is placed")
            if self.break_h >= self.span_h:
                raise ValueError(f"template '{self.name}': break_h {self.break_h:g} must be shorter than "
                                 f"span_h {self.span_h:g}")
        return self


class TemporaryAgents(_Strict):
    """Agents hired for a campaign on top of the pool (a pool adjustment)."""

    count: int = Field(ge=1, le=2000)
    skills: list[str] = Field(min_length=1)
    contract: Literal["full_time", "part_time"] = "part_time"
    hourly_cost: float = Field(gt=0, description="[CNY/h]")
    max_weekly_h: float | None = Field(default=None, ge=0)
    id_prefix: str = "T"
    team: str = "临时"

    @field_validator("skills")
    @classmethod
    def _skills(cls, v):
        _check_channels(v)
        return v


class RosterSpec(_Strict):
    lunch_policy: Literal["staggered", "fixed"] = "staggered"
    lunch_window: str = "11:00-14:00"
    fixed_lunch_at: str = "12:00"
    lunch_min: int = Field(default=60, ge=0, le=120)
    time_limit_s: float = Field(default=20, gt=0)
    workers: int = Field(default=2, ge=1, le=64)
    relative_gap: float = Field(default=0.01, ge=0, lt=1)
    search: Literal["deterministic", "portfolio"] = Field(
        default="deterministic", description="deterministic: interleaved search stopped on a deterministic "
        "time budget, the same roster every run; portfolio: CP-SAT's parallel portfolio stopped by the clock, "
        "stronger on large models (hundreds of agents) but not bit-reproducible")
    change_penalty: float = Field(default=60.0, ge=0, description="[CNY] per shift added, removed or moved "
                                  "against a roster already published (plan --published)")
    switch_penalty: float = Field(default=2.0, ge=0, description="[CNY] per channel switch within a shift "
                                  "that the heads' channel split forces; 0 leaves the split free (a smaller, "
                                  "faster model)")
    agent_friendly: bool = Field(default=True, description="the agent-friendly objective terms below "
                                 "(paired rest days, steady start times, an even spread of weekend, holiday and "
                                 "late shifts); false: cost and coverage only")
    paired_rest_penalty: float = Field(default=100.0, ge=0, description="[CNY] per full-timer and ISO week "
                                       "without two consecutive rest days")
    start_change_penalty: float = Field(default=20.0, ge=0, description="[CNY] per start time an agent works "
                                        "in an ISO week beyond the first")
    spread_penalty: float = Field(default=400.0, ge=0, description="[CNY] per shift an agent has beyond the "
                                  "least loaded agent of its contract plus spread_tolerance, for weekend days, "
                                  "holiday days and late shifts each, counted to date (the --previous ledger) "
                                  "and over the horizon")
    spread_tolerance: int = Field(default=2, ge=0, le=31, description="[days] a difference in weekend days or "
                                  "holiday days between agents that costs nothing: one week cannot always even "
                                  "them out")
    late_spread_tolerance: int = Field(default=6, ge=0, le=31, description="[shifts] a difference in late shifts "
                                       "that costs nothing: a week of them, so that a late week rotates with an "
                                       "early one across plans instead of late shifts spread within the week "
                                       "against one start time")
    day_off_penalty: float = Field(default=300.0, ge=0, description="[CNY] per day_off request denied "
                                   "(plan --requests)")
    preferred_shift_penalty: float = Field(default=50.0, ge=0, description="[CNY] per shift:<template> "
                                           "request denied (plan --requests)")
    templates: list[ShiftTemplate] = Field(min_length=1)


class LabourSpec(_Strict):
    """Standard hours system by default (Labour Law art. 36-41)."""

    max_days_per_week: int = Field(default=5, ge=1, le=7)
    max_paid_h_per_day: float = Field(default=8, gt=0, le=24)
    max_paid_h_per_week: float = Field(default=40, gt=0, le=168)
    max_overtime_h_per_day: float = Field(default=3, ge=0)
    max_overtime_h_per_month: float = Field(default=36, ge=0)
    min_rest_h: float = Field(default=11, ge=0, le=48)
    max_consecutive_days: int = Field(default=6, ge=1, le=14)
    comprehensive_hours: bool = False


class PaySpec(_Strict):
    """Multipliers on hourly cost (Labour Law art. 44); a vendor may override them."""

    statutory_holiday: float = Field(default=3.0, ge=1)
    rest_day_overtime: float = Field(default=2.0, ge=1)
    workday_overtime: float = Field(default=1.5, ge=1)
    weekend: float = Field(default=1.0, ge=1, description="premium on ordinary weekend shifts")


class Effect(_Strict):
    multiplier: float = Field(gt=0)
    forced: bool = False


class Promotion(_Strict):
    """A named event, repeated every year on the same month-days.

    Phases: ``lead_days`` of campaign before ``main_day``; ``presale_at`` openings (surge from that
    hour); the main day from 00:00; ``tail_days`` of after-sale contacts after it.
    ``effects`` are per-channel day multipliers used where history has no past instance, or always
    where ``forced``.
    """

    name: str
    main_day: str
    lead_days: int = Field(default=0, ge=0, le=60)
    presale_at: list[str] = []
    tail_days: int = Field(default=7, ge=0, le=30)
    effects: dict[str, Effect] = {}

    @field_validator("main_day")
    @classmethod
    def _mmdd(cls, v):
        _check_mmdd(v)
        return v

    @field_validator("presale_at")
    @classmethod
    def _presale(cls, v):
        for s in v:
            if "T" not in s or not _MMDD.match(s.split("T")[0]):
                raise ValueError(f"'{s}' is not MM-DDTHH:MM")
            _check_mmdd(s.split("T")[0])
            hhmm_to_min(s.split("T")[1])
        return v

    @field_validator("effects")
    @classmethod
    def _effects(cls, v):
        _check_channels(v)
        return v

    def main_date(self, year: int) -> dt.date:
        m, d = map(int, self.main_day.split("-"))
        return dt.date(year, m, d)

    def presale_instants(self, year: int) -> list[dt.datetime]:
        out = []
        for s in self.presale_at:
            md, hm = s.split("T")
            m, d = map(int, md.split("-"))
            minute = hhmm_to_min(hm)
            out.append(dt.datetime(year, m, d) + dt.timedelta(minutes=minute))
        return out

    def span(self, year: int) -> tuple[dt.date, dt.date]:
        """First and last date touched by this event in ``year`` (lead and presale to tail)."""
        main = self.main_date(year)
        first = main - dt.timedelta(days=self.lead_days)
        for p in self.presale_instants(year):
            first = min(first, p.date())
        return first, main + dt.timedelta(days=self.tail_days)


class Scenario(_Strict):
    name: str
    description: str = ""
    interval_min: Literal[15, 30, 60] = 60
    seed: int = 7
    shrinkage: float = Field(default=0.30, ge=0, lt=1)
    windows: dict[str, str]
    promotion_window: str | None = Field(default=None, description="service window on promotion main days")
    channels: dict[str, ChannelSpec]
    roster: RosterSpec
    labour: LabourSpec = LabourSpec()
    pay: PaySpec = PaySpec()
    promotions: list[Promotion] = []
    temporary_agents: list[TemporaryAgents] = []
    understaffed_penalty: float = Field(default=500.0, ge=0,
                                        description="[cost units] per missing agent-interval at full impact")
    path: str | None = None

    @field_validator("windows")
    @classmethod
    def _windows(cls, v):
        _check_day_types(v)
        for text in v.values():
            Window.parse(text)
        missing = [d for d in DAY_TYPES if d not in v]
        if missing:
            raise ValueError(f"no window for {', '.join(missing)}")
        return v

    @field_validator("promotion_window")
    @classmethod
    def _pwin(cls, v):
        _check_window(v)
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v):
        _check_channels(v)
        return v

    def promotion_main_days(self, days) -> dict[dt.date, str]:
        """The promotions whose main day falls on one of ``days``: {date: promotion name}."""
        return promotion_main_days(self.promotions, days)

    def window(self, day_type: str, promotion_main_day: bool = False) -> Window:
        if promotion_main_day and self.promotion_window:
            return Window.parse(self.promotion_window)
        return Window.parse(self.windows[day_type])

    def check_channels(self, channels: Iterable[str], *, what: str, file: str | Path | None = None) -> None:
        """Raise an InputError naming the first of ``channels`` that this scenario does not define.
        ``what`` says where they come from ("history", "the plan"), ``file`` the file they were read from."""
        for channel in channels:
            if channel not in self.channels:
                raise InputError(f"{what} has channel '{channel}' that scenario '{self.name}' does not define",
                                 file=file, field="channel")


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_toml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    if not path.is_file():
        raise InputError("scenario file not found", file=path, field="--scenario")
    if path in seen:
        raise InputError("'extends' forms a cycle", file=path, field="extends")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=path) from None
    parent = data.pop("extends", None)
    if parent is not None:
        base = _read_toml((path.parent / parent).resolve(), seen + (path,))
        data = _merge(base, data)
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge ``extends`` and validate a scenario. Errors name the file and the key."""
    path = Path(path).resolve()
    data = _read_toml(path)
    data.setdefault("name", path.stem)
    data["path"] = str(path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        raise InputError(msg, file=path, field=key) from None
