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

from core.errors import InputError, check_input_file, input_file_problem
from core.events import CampaignInstance, read_events_csv
from core.limits import (
    HOURS_PER_WEEK,
    MAX_AHT_S,
    MAX_CAMPAIGN_LEAD_DAYS,
    MAX_CAMPAIGN_TAIL_DAYS,
    MAX_COST,
    MAX_PAY_MULTIPLIER,
    MAX_PROMOTION_MULTIPLIER,
    MAX_RESPONSE_WINDOW_H,
    MAX_TIME_LIMIT_S,
    MAX_UNSTABLE_FACTOR,
    MAX_WAIT_S,
    MIN_TIME_LIMIT_S,
    SEED_MAX,
)
from core.names import CHANNELS, DAY_TYPES, ORDINARY_DAY_TYPES, WEEKDAY_NAMES
from core.promotions import Campaign, EventDay, campaigns, promotion_days, promotion_main_days

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_KEY_FIRST = re.compile(r"^([a-z_]+(?:\.[a-z0-9_]+)+): (.*)$", re.S)
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


def _check_lunch_window(text) -> None:
    """A meal window must be an open HH:MM-HH:MM window ('closed' makes no sense for a lunch)."""
    if text is not None and not Window.parse(text).is_open:
        raise ValueError(f"'{text}' is not a lunch window HH:MM-HH:MM")


def _check_mmdd(text: str) -> None:
    """A month-day that exists (Feb 29 allowed)."""
    try:
        if not _MMDD.match(text):
            raise ValueError
        dt.date(2024, int(text[:2]), int(text[3:]))
    except ValueError:
        raise ValueError(f"'{text}' is not a month-day MM-DD") from None


class _Strict(BaseModel):
    # allow_inf_nan=False: every float is finite ("inf" and "nan" are TOML floats); bounds: core.limits
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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

    def grid(self, step: int) -> list[int]:
        """Interval starts [min after midnight] of the window on a ``step``-minute grid (none when closed)."""
        return list(range(self.start_min, self.end_min - step + 1, step))

    @property
    def text(self) -> str:
        """``HH:MM-HH:MM``, or ``closed``."""
        if not self.is_open:
            return "closed"
        return f"{_hhmm(self.start_min)}-{_hhmm(self.end_min)}"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class ChannelSpec(_Strict):
    """Service target and queue model of one channel."""

    model: Literal["erlang_c", "erlang_a", "deferred"] = "erlang_c"
    answer_within_s: float = Field(gt=0, le=MAX_WAIT_S, description="[s] service-level threshold")
    default_aht_s: float = Field(default=300, gt=0, le=MAX_AHT_S, description="[s] handle time when history has none")
    service_level_target: float = Field(default=0.8, gt=0, lt=1)
    concurrency: int = Field(default=1, ge=1, le=10, description="contacts one agent handles at once")
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    patience_s: float | None = Field(default=None, gt=0, le=MAX_WAIT_S, description="[s] mean patience, Erlang A only")
    response_window_h: float | None = Field(default=None, gt=0, le=MAX_RESPONSE_WINDOW_H,
                                            description="[h] deferred work only")
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
    fit_window: bool = Field(default=False, description="on a day whose service window the shift does not "
                             "fit, start it at the window's opening (if it starts before) and end it at the "
                             "window's close (if it ends after); paid hours follow the fitted span")
    min_span_h: float | None = Field(default=None, gt=0, le=16, description="[h] shortest a fitted shift may "
                                     "be (lunch included); shorter fits are not offered. Default: any span "
                                     "that still holds the lunch")

    @field_validator("starts")
    @classmethod
    def _starts(cls, v):
        for s in v:
            hhmm_to_min(s)
        return v

    @field_validator("contracts")
    @classmethod
    def _contracts(cls, v):
        if not v:
            raise ValueError("no contract: a template nobody may work staffs nothing; list full_time, part_time "
                             "or both")
        return v

    @field_validator("lunch_window")
    @classmethod
    def _lw(cls, v):
        _check_lunch_window(v)
        return v

    @field_validator("day_types")
    @classmethod
    def _day_types(cls, v):
        _check_day_types(v)
        return v

    @model_validator(mode="after")
    def _fit(self):
        if self.min_span_h is not None and not self.fit_window:
            raise ValueError(f"template '{self.name}': min_span_h applies to fit_window = true only")
        if self.min_span_h is not None and self.min_span_h > self.span_h:
            raise ValueError(f"template '{self.name}': min_span_h {self.min_span_h:g} is longer than "
                             f"span_h {self.span_h:g}")
        return self

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

    def spans(self, window: Window) -> list[tuple[int, int]]:
        """(start, end) [min after midnight] of the shifts this template offers on a day with the service
        ``window``, one per start, in the order of its starts. A start that does not fit the window is
        skipped, unless ``fit_window``: then the shift starts at the window's opening if it would start
        before it and ends at its close if it would end after it (09:00-18:00 becomes 10:00-18:00 in a
        10:00-18:00 holiday window), at least ``min_span_h`` long. Day types and promotion days are the
        caller's (``scheduler.roster.problem.template_spans``); the scenario's own check that every
        template staffs something (``Scenario._templates_staff``) reads the templates here too."""
        if not window.is_open:
            return []
        span = int(round(self.span_h * 60))
        out: list[tuple[int, int]] = []
        for text in self.starts:
            start = hhmm_to_min(text)
            end = start + span
            if self.fit_window:
                start, end = max(start, window.start_min), min(end, window.end_min)
                shortest = 1 if self.min_span_h is None else int(round(self.min_span_h * 60))
                if end - start < shortest:
                    continue
            if start < window.start_min or end > window.end_min or (start, end) in out:
                continue
            out.append((start, end))
        return out


class TemporaryAgents(_Strict):
    """Agents hired for a campaign on top of the pool (a pool adjustment)."""

    count: int = Field(ge=1, le=2000)
    skills: list[str] = Field(min_length=1)
    contract: Literal["full_time", "part_time"] = "part_time"
    hourly_cost: float = Field(gt=0, le=MAX_COST, description="[CNY/h]")
    max_weekly_h: float | None = Field(default=None, ge=0, le=HOURS_PER_WEEK)
    id_prefix: str = "T"
    team: str = "临时"

    @field_validator("skills")
    @classmethod
    def _skills(cls, v):
        _check_channels(v)
        return v


class MonthSolveSpec(_Strict):
    """Solver settings of ``schedule plan --month`` (a calendar month in one model), which replace the
    week's ``time_limit_s``, ``relative_gap``, ``search``, ``workers`` and ``window_days``.
    ``warm_start_weeks_s``: the month is first planned week by week, each week solved with the next as
    look-ahead for ``warm_start_weeks_s`` (rules carried over), and that roster is the month model's
    starting solution (0: no warm start). ``spread_penalty``, when set, replaces ``roster.spread_penalty``: a
    week cannot even weekend days out (two a week), a month can, so its band may be priced as a
    promise rather than a preference."""

    time_limit_s: float = Field(default=270, ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)
    relative_gap: float = Field(default=0.02, ge=0, lt=1)
    search: Literal["deterministic", "portfolio"] = "deterministic"
    workers: int = Field(default=2, ge=1, le=64)
    warm_start_weeks_s: float = Field(default=30, ge=0, le=MAX_TIME_LIMIT_S)
    window_days: int = Field(default=7, ge=0, le=366, description="[days] replaces roster.window_days in a "
                             "month plan: the month is searched a week at a time after a first whole search")
    root_bound: bool = Field(default=True, description="HiGHS bounds the month model too (cutting planes at its "
                             "root, on one more thread while the month is planned): its CP-SAT bound is the "
                             "linear relaxation's (scheduler.roster.root_bound)")
    spread_penalty: float | None = Field(default=None, ge=0, le=MAX_COST,
                                         description="[CNY] replaces roster.spread_penalty in a month plan")
    unstable_factor: float = Field(default=8.0, ge=0, le=MAX_UNSTABLE_FACTOR, description="replaces "
                                   "roster.unstable_factor in a month plan: a month is too large to search again "
                                   "with its targets held, so it prices an unstable queue above a shift")


class HireProfile(_Strict):
    """One kind of agent the agency can supply: its skills, contract, cost, templates and how many.

    The capacity sizing (:mod:`scheduler.capacity`) may add up to ``cap`` of them to the pool;
    ``plan --hire auto`` does."""

    name: str = Field(default="", description="label in hires.csv; default '<skills> <contract>'")
    skills: list[str] = Field(min_length=1)
    contract: Literal["full_time", "part_time"] = "part_time"
    hourly_cost: float = Field(gt=0, le=MAX_COST, description="[CNY/h] what a hired hour costs the vendor")
    max_weekly_h: float | None = Field(default=None, ge=0, le=HOURS_PER_WEEK,
                                       description="[h] paid hours a week at most")
    templates: list[str] = Field(default=[], description="templates this profile works (names in "
                                 "roster.templates or hire.templates); empty: every roster template "
                                 "of its contract")
    cap: int = Field(ge=0, le=500, description="hires of this profile at most")

    @field_validator("skills")
    @classmethod
    def _skills(cls, v):
        _check_channels(v)
        if len(set(v)) != len(v):
            raise ValueError("a skill is listed twice")
        return v

    @property
    def label(self) -> str:
        return self.name or f"{'|'.join(self.skills)} {self.contract}"


class HireSpec(_Strict):
    """The ``[hire]`` table: the profiles the capacity sizing may hire, and templates only hires work."""

    profiles: list[HireProfile] = Field(min_length=1)
    templates: list[ShiftTemplate] = []
    id_prefix: str = Field(default="H", min_length=1, description="hired agents are <id_prefix><n>-<i>")
    team: str = "招聘"
    time_limit_s: float = Field(default=60, ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S,
                                description="[s] solver budget of the capacity sizing, counted like "
                                "roster.time_limit_s")

    @model_validator(mode="after")
    def _names(self):
        for what, names in (("profile", [p.label for p in self.profiles]),
                            ("template", [t.name for t in self.templates])):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{what} name '{dup[0]}' is used twice")
        return self


class RosterSpec(_Strict):
    lunch_policy: Literal["staggered", "fixed"] = "staggered"
    lunch_window: str = "11:00-14:00"
    fixed_lunch_at: str = "12:00"
    lunch_min: int = Field(default=60, ge=0, le=120)
    time_limit_s: float = Field(default=20, ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)
    workers: int = Field(default=2, ge=1, le=64)
    relative_gap: float = Field(default=0.01, ge=0, lt=1)
    window_days: int = Field(default=0, ge=0, le=366, description="[days] 0: the horizon in one search; N: a "
                             "horizon longer than N days is searched whole for a tenth of the budget, then N days "
                             "at a time with the other days' shifts held (scheduler.roster.windows)")
    search: Literal["deterministic", "portfolio"] = Field(
        default="deterministic", description="deterministic: interleaved search stopped on a deterministic "
        "time budget, the same roster every run; portfolio: CP-SAT's parallel portfolio stopped by the clock, "
        "stronger on large models (hundreds of agents) but not bit-reproducible")
    change_penalty: float = Field(default=60.0, ge=0, le=MAX_COST, description="[CNY] per shift added, removed "
                                  "or moved against a roster already published (plan --published)")
    switch_penalty: float = Field(default=2.0, ge=0, le=MAX_COST, description="[CNY] per channel switch within a shift "
                                  "that the heads' channel split forces; 0 leaves the split free (a smaller, "
                                  "faster model)")
    hold_targets: bool = Field(default=True, description="when a plan misses a target that its own pool can "
                               "meet, plan again with the targets as rules (contract first, at a higher cost): "
                               "from the plan's roster with the days of its unstable queues free when every "
                               "weekly level is met, else from the capacity sizing's roster when it finds one "
                               "with no hire; false: keep the roster the shortfall's price chose")
    agent_friendly: bool = Field(default=True, description="the agent-friendly objective terms below "
                                 "(paired rest days, steady start times, an even spread of weekend, holiday and "
                                 "late shifts); false: cost and coverage only")
    paired_rest_penalty: float = Field(default=100.0, ge=0, le=MAX_COST, description="[CNY] per full-timer and "
                                       "ISO week without two consecutive rest days")
    start_change_penalty: float = Field(default=20.0, ge=0, le=MAX_COST, description="[CNY] per start time an "
                                        "agent works in an ISO week beyond the first")
    unstable_factor: float = Field(default=0.0, ge=0, le=MAX_UNSTABLE_FACTOR, description="each head missing "
                                   "below the count that keeps an interval's queue stable costs this many times its "
                                   "shortfall weight more (0: a week holds its targets by hold_targets instead)")
    spread_penalty: float = Field(default=400.0, ge=0, le=MAX_COST, description="[CNY] per shift an agent has "
                                  "beyond the least loaded agent of its contract plus spread_tolerance, for weekend "
                                  "days, holiday days and late shifts each, counted to date (the --previous ledger) "
                                  "and over the horizon")
    spread_tolerance: int = Field(default=2, ge=0, le=31, description="[days] a difference in weekend days or "
                                  "holiday days between agents that costs nothing: one week cannot always even "
                                  "them out")
    late_spread_tolerance: int = Field(default=6, ge=0, le=31, description="[shifts] a difference in late shifts "
                                       "that costs nothing: a week of them, so that a late week rotates with an "
                                       "early one across plans instead of late shifts spread within the week "
                                       "against one start time")
    day_off_penalty: float = Field(default=300.0, ge=0, le=MAX_COST, description="[CNY] per day_off request denied "
                                   "(plan --requests)")
    preferred_shift_penalty: float = Field(default=50.0, ge=0, le=MAX_COST, description="[CNY] per shift:<template> "
                                           "request denied (plan --requests)")
    templates: list[ShiftTemplate] = Field(min_length=1)
    month: MonthSolveSpec = MonthSolveSpec()

    @field_validator("lunch_window")
    @classmethod
    def _lw(cls, v):
        _check_lunch_window(v)
        return v

    @field_validator("fixed_lunch_at")
    @classmethod
    def _fixed(cls, v):
        hhmm_to_min(v)
        return v


class LabourSpec(_Strict):
    """Standard hours system by default (Labour Law art. 36-41)."""

    max_days_per_week: int = Field(default=5, ge=1, le=7)
    max_paid_h_per_day: float = Field(default=8, gt=0, le=24)
    max_paid_h_per_week: float = Field(default=40, gt=0, le=HOURS_PER_WEEK)
    max_overtime_h_per_day: float = Field(default=3, ge=0, le=24)
    max_overtime_h_per_month: float = Field(default=36, ge=0, le=31 * 24)
    min_rest_h: float = Field(default=11, ge=0, le=48)
    max_consecutive_days: int = Field(default=6, ge=1, le=14)
    comprehensive_hours: bool = False


class PaySpec(_Strict):
    """Multipliers on hourly cost (Labour Law art. 44); a vendor may override them."""

    statutory_holiday: float = Field(default=3.0, ge=1, le=MAX_PAY_MULTIPLIER)
    rest_day_overtime: float = Field(default=2.0, ge=1, le=MAX_PAY_MULTIPLIER)
    workday_overtime: float = Field(default=1.5, ge=1, le=MAX_PAY_MULTIPLIER)
    weekend: float = Field(default=1.0, ge=1, le=MAX_PAY_MULTIPLIER, description="premium on ordinary weekend shifts")


class RestDayWorkSpec(_Strict):
    """Work on a rest day (Labour Law art. 44(2)): paid at ``pay.rest_day_overtime`` or compensated by
    time off in lieu (补休) given within ``comp_off_weeks`` ISO weeks; the roster picks whichever of
    ``options`` costs less. A comp day off still owed when the plan ends is valued at
    ``owed_day_cost`` x the agent's hourly cost x ``labour.max_paid_h_per_day`` (what giving it back
    will cost). Statutory holidays are never compensated by time off (art. 44(3)). See
    ``scenarios/baseline.toml`` for the economics."""

    options: list[Literal["comp_off", "paid"]] = Field(default=["comp_off", "paid"], min_length=1)
    comp_off_weeks: int = Field(default=4, ge=1, le=26, description="a comp day off is given at the "
                                "latest in the ISO week this many weeks after the rest-day work")
    owed_day_cost: float = Field(default=2.0, ge=0, le=10, description="[x hourly cost x max_paid_h_per_day] "
                                 "value of a comp day still owed at the end of a plan")

    @field_validator("options")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("options are listed twice")
        return v


class Effect(_Strict):
    multiplier: float = Field(gt=0, le=MAX_PROMOTION_MULTIPLIER)
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
    lead_days: int = Field(default=0, ge=0, le=MAX_CAMPAIGN_LEAD_DAYS)
    presale_at: list[str] = []
    tail_days: int = Field(default=7, ge=0, le=MAX_CAMPAIGN_TAIL_DAYS)
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
    seed: int = Field(default=7, ge=0, le=SEED_MAX, description="CP-SAT's random_seed is an int32")
    shrinkage: float = Field(default=0.30, ge=0, lt=1)
    windows: dict[str, str]
    promotion_window: str | None = Field(default=None, description="service window on promotion main days")
    channels: dict[str, ChannelSpec]
    roster: RosterSpec
    labour: LabourSpec = LabourSpec()
    pay: PaySpec = PaySpec()
    rest_day_work: RestDayWorkSpec = RestDayWorkSpec()
    promotions: list[Promotion] = []
    events: list[CampaignInstance] = Field(default=[], description="dated campaign instances (the CSV "
                                           "file named by the key 'events', relative to the scenario file)")
    events_file: str | None = None
    events_only: bool = Field(default=False, description="campaigns only from the dated events, no "
                              "month-day rule for the years they do not list")
    temporary_agents: list[TemporaryAgents] = []
    hire: HireSpec | None = None
    understaffed_penalty: float = Field(default=500.0, ge=0, le=MAX_COST,
                                        description="[cost units] per missing agent-interval at full impact")
    unserved_channels: list[str] = Field(default=[], description="channels a scenario it extends serves and this "
                                         "one drops (served = false): their history rows are left out")
    path: str | None = None

    @field_validator("unserved_channels")
    @classmethod
    def _unserved(cls, v):
        _check_channels(v)
        return v

    @field_validator("windows")
    @classmethod
    def _windows(cls, v):
        for key in v:  # a day type, or a weekday that replaces the window of its ordinary days
            if key not in DAY_TYPES and key not in WEEKDAY_NAMES:
                raise ValueError(f"unknown day type '{key}'; allowed: {', '.join(DAY_TYPES)}, or a weekday "
                                 f"({', '.join(WEEKDAY_NAMES)}) for the ordinary days of that weekday")
        for day, text in v.items():
            try:
                Window.parse(text)
            except ValueError as exc:  # named by its key: windows.weekday, not the whole table
                raise ValueError(f"windows.{day}: {exc}") from None
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

    @model_validator(mode="after")
    def _hire_templates(self):
        """Every hire profile has a skill the scenario serves, and every template it names exists and
        allows its contract; hire templates do not
        reuse a roster template's name. Errors start with the key they are about (see load_scenario)."""
        if self.hire is None:
            return self
        own = {t.name: t for t in self.roster.templates}
        for t in self.hire.templates:
            if t.name in own:
                raise ValueError(f"hire.templates: '{t.name}' is already a roster template; give it "
                                 f"another name")
        known = own | {t.name: t for t in self.hire.templates}
        for i, prof in enumerate(self.hire.profiles):
            if not set(prof.skills) & set(self.channels):  # such a hire could answer nobody
                raise ValueError(f"hire.profiles.{i}.skills: none of {', '.join(prof.skills)} is a channel the "
                                 f"scenario serves ({', '.join(self.channels)})")
            for name in prof.templates:
                tpl = known.get(name)
                if tpl is None:
                    raise ValueError(f"hire.profiles.{i}.templates: unknown template '{name}'; known: "
                                     f"{', '.join(known)}")
                if prof.contract not in tpl.contracts:
                    raise ValueError(f"hire.profiles.{i}.templates: template '{name}' does not allow "
                                     f"{prof.contract} contracts (contracts = {tpl.contracts})")
        return self

    @model_validator(mode="after")
    def _templates_staff(self):
        """Every template (``roster.templates``, ``hire.templates``) offers a shift on some day the
        scenario can have, with room for its lunch: a start that fits no service window (a typo such as
        ``19:00`` for ``09:00``) or a lunch window outside every shift would leave the template staffing
        nothing, and a plan would solve a whole week to report the gap as a shortage of agents. The shifts
        are those the roster is offered (``ShiftTemplate.spans``, ``lunch_starts``), on every day type
        the template works, and on a promotion main day (``promotion_window``)."""
        groups = [("roster.templates", self.roster.templates)]
        if self.hire is not None:
            groups.append(("hire.templates", self.hire.templates))
        for group, templates in groups:
            for i, tpl in enumerate(templates):
                self._check_template_staffs(tpl, f"{group}.{i}")
        return self

    def _template_days(self, template: ShiftTemplate) -> list[tuple[str, Window]]:
        """The kinds of day ``template`` may be worked on, each with its service window: its day types
        (a promotion-only template: on a promotion main day, so under ``promotion_window`` when there is
        one), an ordinary day type's weekdays with a window of their own (``[windows] sunday``) in its
        place, and a promotion main day of any of them under ``promotion_window``."""
        days = []
        if not (template.promotion_only and self.promotion_window):
            for d in template.day_types:  # an ordinary day type: the windows of its weekdays that have their own
                names = [n for n in WEEKDAY_NAMES if _ordinary_type(n) == d] if d in ORDINARY_DAY_TYPES else []
                own = [n for n in names if n in self.windows]
                if not names or len(own) < len(names):
                    days.append((d, self.window(d)))
                days += [(n, Window.parse(self.windows[n])) for n in own]
        if self.promotion_window and template.day_types:
            days.append(("promotion main day", Window.parse(self.promotion_window)))
        return days

    def _check_template_staffs(self, template: ShiftTemplate, key: str) -> None:
        days = self._template_days(template)
        by_window: dict[str, list[str]] = {}
        for label, window in days:
            by_window.setdefault(window.text, []).append(label)
        windows = "; ".join(f"{', '.join(labels)} {text}" for text, labels in by_window.items()) or "none"
        spans = [(s, e, w) for _, w in days for s, e in template.spans(w)]
        if not spans:
            if all(not w.is_open for _, w in days):
                raise ValueError(f"{key}.day_types: template '{template.name}' works only on days the service is "
                                 f"closed ({windows}): it would staff nothing")
            fitted = ", even with fit_window" if template.fit_window else ""
            raise ValueError(f"{key}.starts: template '{template.name}': {', '.join(template.starts)} + "
                             f"{template.span_h:g} h fit{'s' if len(template.starts) == 1 else ''} no day's "
                             f"service window ({windows}){fitted}: it would staff nothing")
        if not self.break_min(template):
            return
        if any(self.lunch_starts(template, s, e, w, self.interval_min) is not None for s, e, w in spans):
            return
        shifts = ", ".join(dict.fromkeys(f"{_hhmm(s)}-{_hhmm(e)}" for s, e, _ in spans))
        where = (f"no shift of template '{template.name}' ({shifts}) has room for its "
                 f"{self.break_min(template)}-min {'break' if template.break_h else 'lunch'} (on the "
                 f"{self.interval_min}-min grid, not in the shift's first or last interval): it would staff nothing")
        if self.lunch_is_fixed(template):
            raise ValueError(f"roster.fixed_lunch_at: {self.roster.fixed_lunch_at}: {where}")
        if template.lunch_window:
            raise ValueError(f"{key}.lunch_window: {template.lunch_window}: {where}")
        raise ValueError(f"roster.lunch_window: {self.roster.lunch_window}: {where}")

    # -- how a template's shifts take their lunch (the roster model and the validator ask here) -----------
    def break_min(self, template: ShiftTemplate) -> int:
        """[min] unpaid break of a template's shifts: its own ``break_h`` (a split shift), else the
        roster's ``lunch_min`` when it has a lunch, else 0."""
        if not template.lunch:
            return 0
        if template.break_h is not None:
            return int(round(template.break_h * 60))
        return self.roster.lunch_min

    def lunch_window(self, template: ShiftTemplate | None = None) -> Window:
        """The meal window of a template (its own ``lunch_window``, else the roster's)."""
        own = getattr(template, "lunch_window", None)
        return Window.parse(own or self.roster.lunch_window)

    def lunch_is_fixed(self, template: ShiftTemplate | None = None) -> bool:
        """``fixed`` policy puts lunch at ``fixed_lunch_at``, except for templates with their own window."""
        return self.roster.lunch_policy == "fixed" and not getattr(template, "lunch_window", None)

    def lunch_starts(self, template: ShiftTemplate, start: int, end: int, window: Window,
                     step: int) -> tuple[int, ...] | None:
        """[min after midnight] the lunch starts a shift ``start``-``end`` of ``template`` may take on a day
        with the service ``window`` and a ``step``-minute grid: at ``fixed_lunch_at`` (``lunch_is_fixed``)
        or on the grid inside the template's lunch window, never in the shift's first or last interval.
        () when the shift takes no lunch; None when it needs one and none fits (the shift is not offered)."""
        lunch_min = self.break_min(template)
        if not lunch_min:
            return ()
        if self.lunch_is_fixed(template):
            options = [hhmm_to_min(self.roster.fixed_lunch_at)]
        else:
            lw = self.lunch_window(template)
            options = [t for t in window.grid(step) if lw.start_min <= t and t + lunch_min <= lw.end_min]
        lunch = tuple(t for t in options if start + step <= t and t + lunch_min <= end - step)
        return lunch or None

    @property
    def hire_only_templates(self) -> frozenset[str]:
        """Names of the templates only hired agents work (``hire.templates``)."""
        return frozenset(t.name for t in self.hire.templates) if self.hire else frozenset()

    @property
    def all_templates(self) -> list[ShiftTemplate]:
        """The roster's templates, then the hire-only ones."""
        return list(self.roster.templates) + (list(self.hire.templates) if self.hire else [])

    def promotion_main_days(self, days) -> dict[dt.date, str]:
        """The campaigns whose main day falls on one of ``days``: {date: event name} (dated
        instances first, then the promotions' month-day rule for the years they do not list)."""
        return promotion_main_days(self.promotions, days, self.events, self.events_only)

    def campaigns(self, start: dt.date, end: dt.date) -> list[Campaign]:
        """The campaign instances touching [start, end] (see ``core.promotions.campaigns``)."""
        return campaigns(self.promotions, start, end, self.events, self.events_only)

    def promotion_days(self, start: dt.date, end: dt.date) -> dict[dt.date, EventDay]:
        """Every date in [start, end] a campaign touches, with its phase."""
        return promotion_days(self.promotions, start, end, self.events, self.events_only)

    def with_events(self, events: list[CampaignInstance], source: str | None) -> Scenario:
        """This scenario with the dated campaigns of another events file (``--events``)."""
        return self.model_copy(update={"events": list(events), "events_file": source})

    def without_campaigns(self) -> Scenario:
        """This scenario without any campaign: no promotion rule, no dated instance."""
        return self.model_copy(update={"promotions": [], "events": [], "events_file": None})

    def window(self, day_type: str, promotion_main_day: bool = False, day: dt.date | None = None) -> Window:
        """The service window of a day of ``day_type``: ``promotion_window`` on a promotion main day, else
        the window of ``day``'s weekday when ``[windows]`` names it and the day is an ordinary one (a
        weekday or a weekend day: holidays and makeup workdays keep their own), else the day type's."""
        if promotion_main_day and self.promotion_window:
            return Window.parse(self.promotion_window)
        if day is not None and day_type in ORDINARY_DAY_TYPES:
            own = self.windows.get(WEEKDAY_NAMES[day.weekday()])
            if own is not None:
                return Window.parse(own)
        return Window.parse(self.windows[day_type])

    def check_channels(self, channels: Iterable[str], *, what: str, file: str | Path | None = None,
                       unserved_ok: bool = False) -> None:
        """Raise an InputError naming the first of ``channels`` that this scenario does not define (with
        ``unserved_ok``, one it drops with ``served = false`` passes: a history's, whose rows are left
        out). ``what`` says where they come from ("history", "the plan"), ``file`` the file they were read
        from."""
        for channel in channels:
            if channel not in self.channels and not (unserved_ok and channel in self.unserved_channels):
                raise InputError(f"{what} has channel '{channel}' that scenario '{self.name}' does not define",
                                 file=file, field="channel")


def _ordinary_type(weekday_name: str) -> str:
    """The day type of an ordinary day of that weekday: weekend on Saturday and Sunday, else weekday."""
    return "weekend" if WEEKDAY_NAMES.index(weekday_name) >= 5 else "weekday"


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _load_toml(path: Path) -> dict:
    """The file's TOML, read as UTF-8 as the TOML spec says (a BOM is accepted); no encoding is guessed."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 (byte 0x{raw[exc.start]:02x}); TOML files are UTF-8: "
                         f"save it as UTF-8, e.g. iconv -f GBK -t UTF-8 {path.name} > {path.stem}.utf8.toml",
                         file=path, row=line) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=path) from None


def _toml_kind(value) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"{value!r}"


def _read_toml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    check_input_file(path, "scenario file", "--scenario")
    if path in seen:
        raise InputError("'extends' forms a cycle", file=path, field="extends")
    data = _load_toml(path)
    if isinstance(data.get("events"), str):  # relative to the file that names it
        data["events"] = str((path.parent / data["events"]).resolve())
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent.strip():
            raise InputError(f"extends must be one scenario file name in quotes, e.g. extends = \"baseline.toml\", "
                             f"not {_toml_kind(parent)}", file=path, field="extends")
        base = _read_toml((path.parent / parent).resolve(), seen + (path,))
        data = _merge(base, data)
    return data


_BOUND_ERRORS = {"finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_COST_HINT = (f"costs are at most {MAX_COST:,.0f} so that the roster's objective cannot overflow "
              f"(core/limits.py)")
_BOUND_HINTS = {
    "seed": f"a seed is a whole number from 0 to {SEED_MAX} (CP-SAT's random_seed is a 32-bit integer)",
    "time_limit_s": f"the roster time limit is {MIN_TIME_LIMIT_S:g} to {MAX_TIME_LIMIT_S:g} s: below "
                    f"{MIN_TIME_LIMIT_S:g} s CP-SAT does not find a first roster",
}


def _bound_hint(name: str) -> str | None:
    """Why a number has its bound: ``hourly_cost`` and every ``*_penalty`` key is a cost (``_COST_HINT``)."""
    return _BOUND_HINTS.get(name) or (_COST_HINT if name == "hourly_cost" or name.endswith("_penalty") else None)


def _drop_unserved(data: dict, path: Path) -> dict:
    """``data`` without the channels whose table says ``served = false``: the way a scenario that
    ``extends`` another drops a channel it inherits (tables merge, so it cannot leave one out)."""
    channels = data.get("channels")
    if not isinstance(channels, dict):
        return data
    for name, spec in list(channels.items()):
        if not isinstance(spec, dict) or "served" not in spec:
            continue
        served = spec.pop("served")
        if not isinstance(served, bool):
            raise InputError(f"served must be true or false, not {_toml_kind(served)}", file=path,
                             field=f"channels.{name}.served")
        try:
            _check_channels([name])
        except ValueError as exc:
            raise InputError(str(exc), file=path, field="channels") from None
        if not served:
            del channels[name]
            data["unserved_channels"] = [*data.get("unserved_channels", []), name]
    if not channels:
        raise InputError("every channel has served = false: a scenario serves at least one", file=path,
                         field="channels")
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge ``extends`` and validate a scenario. Errors name the file and the key."""
    path = Path(path).resolve()
    data = _drop_unserved(_read_toml(path), path)
    data.setdefault("name", path.stem)
    data["path"] = str(path)
    if isinstance(data.get("events"), str):
        events_path = Path(data["events"])
        if (problem := input_file_problem(events_path)) is not None:
            raise InputError(f"events file {events_path} {problem}", file=path, field="events")
        data["events_file"] = str(events_path)
        data["events"] = read_events_csv(events_path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif (m := _KEY_FIRST.match(msg)) and (not err["loc"] or m.group(1).startswith(f"{key}.")):
            # a cross-key check, or a table's check of one of its keys, names that key first
            key, msg = m.group(1), m.group(2)
        hint = _bound_hint(str(err["loc"][-1])) if err["loc"] else None
        if hint and err["type"] in _BOUND_ERRORS:
            msg = f"{msg}; {hint}"
        raise InputError(msg, file=path, field=key) from None
