"""The roster problem: one planning week of named agents, as the plan step hands it to the optimizer.

Everything here is input, checked once when the problem is built; nothing imports the solver, so the
validator (``scheduler.validation``) reads the same derived rules (overtime allowance, weekly caps,
last week's shifts) without knowing how the roster was made.

Field reference (units in the names):

| field | meaning |
|---|---|
| ``days`` | the planning dates, ascending and consecutive (a week Mon..Sun; 1-7 days in tests) |
| ``day_types`` | date -> day type (``core.names.DAY_TYPES``) |
| ``promotion_days`` | date -> promotion name, only for promotion main days |
| ``interval_min`` | [min] planning interval: 60, 30 or 15 |
| ``open_windows`` | date -> service ``Window``; closed when start == end |
| ``requirements`` | DataFrame ``interval_start, channel, required_scheduled`` (+ ``required_agents``, |
|  | ``contacts``, optional ``shortfall_weight`` [cost units per missing head-interval]) |
| ``agents`` | the pool (``scheduler.agents.Agent``) |
| ``scenario`` | roster, labour and pay settings |
| ``previous_shifts`` | last week's published shifts ``agent_id, date, shift_start, shift_end`` (or None) |
| ``month_overtime_h`` | agent_id -> [h] overtime already worked this month (default 0) |
| ``seed`` | solver seed: same inputs + seed -> same roster |
| ``pinned_shifts`` | shifts that must be worked: ``agent_id, date, shift_start`` (+ optional ``shift_end``) |
| ``hint_shifts`` | a roster to start from (same columns as ``pinned_shifts``), a warm start only |
| ``published_shifts`` | this week's roster already published (same columns): a warm start, and each |
|  | shift added, removed or moved against it costs ``roster.change_penalty`` |
| ``requests`` | the agents' requests (``scheduler.requests.Request``): approved leave (hard), day off and |
|  | preferred template (soft), checked against the pool, days and templates when read |
| ``ledger_to_date`` | agent_id -> {``weekend_days``, ``holiday_days``, ``late_shifts``} worked before the first |
|  | planning day (the ``--previous`` plan's ``ledger.csv``): the spread term evens the totals |
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from core.errors import InputError
from core.scenario import Scenario, Window, hhmm_to_min
from scheduler.agents import Agent
from scheduler.requests import Request

REQUIRED_COLUMNS = ("interval_start", "channel", "required_scheduled")
SHIFT_COLUMNS = ("agent_id", "date", "shift_start", "shift_end")


def required_heads(required_scheduled: float) -> int:
    """Heads a requirement row asks for: ``required_scheduled`` rounded up (a fraction of an agent
    still needs a whole one); NaN (no requirement computed) asks for none. The model, the validator
    and the shortfall report all read requirements through this one function."""
    value = float(required_scheduled)
    return 0 if math.isnan(value) else math.ceil(value)


@dataclass(frozen=True, kw_only=True)
class RosterProblem:
    days: list[dt.date]
    day_types: dict[dt.date, str]
    open_windows: dict[dt.date, Window]
    requirements: pd.DataFrame
    agents: list[Agent]
    scenario: Scenario
    promotion_days: dict[dt.date, str] = field(default_factory=dict)
    interval_min: int = 60
    previous_shifts: pd.DataFrame | None = None
    month_overtime_h: dict[str, float] = field(default_factory=dict)
    seed: int = 7
    pinned_shifts: pd.DataFrame | None = None
    hint_shifts: pd.DataFrame | None = None
    published_shifts: pd.DataFrame | None = None
    requests: tuple[Request, ...] = ()
    ledger_to_date: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self):
        days = list(self.days)
        if not 1 <= len(days) <= 7:
            raise InputError(f"a roster covers 1 to 7 days, got {len(days)}", field="days")
        for a, b in zip(days, days[1:]):
            if (b - a).days != 1:
                raise InputError(f"days must be consecutive, {a} is followed by {b}", field="days")
        for d in days:
            if d not in self.day_types:
                raise InputError(f"no day type for {d}", field="day_types")
            if d not in self.open_windows:
                raise InputError(f"no service window for {d}", field="open_windows")
        if self.interval_min <= 0 or 60 % self.interval_min and self.interval_min % 60:
            raise InputError(f"interval_min must divide an hour, got {self.interval_min}", field="interval_min")
        missing = [c for c in REQUIRED_COLUMNS if c not in self.requirements.columns]
        if missing:
            raise InputError(f"requirements lack column(s) {', '.join(missing)}", field="requirements")
        ids = [a.agent_id for a in self.agents]
        if len(set(ids)) != len(ids):
            raise InputError("duplicate agent_id in the pool", field="agents")
        for name, frame, cols in (("previous_shifts", self.previous_shifts, SHIFT_COLUMNS),
                                  ("pinned_shifts", self.pinned_shifts, SHIFT_COLUMNS[:3]),
                                  ("hint_shifts", self.hint_shifts, SHIFT_COLUMNS[:3]),
                                  ("published_shifts", self.published_shifts, SHIFT_COLUMNS[:3])):
            if frame is not None:
                lack = [c for c in cols if c not in frame.columns]
                if lack:
                    raise InputError(f"{name} lack column(s) {', '.join(lack)}", field=name)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def build(cls, scenario: Scenario, agents: list[Agent], requirements: pd.DataFrame,
              days: list[dt.date], *, calendar=None, previous_shifts: pd.DataFrame | None = None,
              month_overtime_h: dict[str, float] | None = None, seed: int | None = None,
              pinned_shifts: pd.DataFrame | None = None,
              hint_shifts: pd.DataFrame | None = None,
              published_shifts: pd.DataFrame | None = None, requests: tuple[Request, ...] = (),
              ledger_to_date: dict[str, dict[str, int]] | None = None) -> RosterProblem:
        """Day types from ``calendar`` (default ``Calendar.cn()``), windows and promotion main days
        from the scenario; ``interval_min`` and ``seed`` from the scenario unless given."""
        if calendar is None:
            from forecasts.calendar import Calendar

            calendar = Calendar.cn()
        day_types = {d: calendar.day_type(d) for d in days}
        promo = scenario.promotion_main_days(days)
        windows = {d: scenario.window(day_types[d], d in promo) for d in days}
        return cls(days=list(days), day_types=day_types, promotion_days=promo,
                   interval_min=scenario.interval_min, open_windows=windows,
                   requirements=requirements, agents=list(agents), scenario=scenario,
                   previous_shifts=previous_shifts, month_overtime_h=dict(month_overtime_h or {}),
                   seed=scenario.seed if seed is None else seed, pinned_shifts=pinned_shifts,
                   hint_shifts=hint_shifts, published_shifts=published_shifts, requests=tuple(requests),
                   ledger_to_date=dict(ledger_to_date or {}))

    # -- derived rules, shared by the model and the validator ----------------------------------
    def at(self, day: dt.date, minute: int) -> pd.Timestamp:
        return pd.Timestamp(day) + pd.Timedelta(minutes=minute)

    def iso_weeks(self) -> list[list[int]]:
        """Indices into ``days`` grouped by ISO week, in order; the first and last week may be partial."""
        out: list[list[int]] = []
        for i, day in enumerate(self.days):
            if out and self.days[out[-1][-1]].isocalendar()[:2] == day.isocalendar()[:2]:
                out[-1].append(i)
            else:
                out.append([i])
        return out

    def leave_dates(self, agent: Agent) -> frozenset[dt.date]:
        """The agent's leave: ``unavailable`` in the pool file and approved ``leave`` requests."""
        asked = {r.date for r in self.requests if r.kind == "leave" and r.agent_id == agent.agent_id}
        return agent.unavailable | asked if asked else agent.unavailable

    def grid(self, day: dt.date) -> list[int]:
        """Interval starts [min after midnight] of the open service window on ``day``."""
        w = self.open_windows[day]
        return list(range(w.start_min, w.end_min - self.interval_min + 1, self.interval_min))

    def shortfall_weights(self) -> pd.Series:
        """[cost units] per missing head, one per requirement row."""
        if "shortfall_weight" in self.requirements.columns:
            return self.requirements["shortfall_weight"].astype(float).fillna(
                self.scenario.understaffed_penalty)
        return pd.Series(self.scenario.understaffed_penalty, index=self.requirements.index, dtype=float)

    @property
    def ordinary_days_per_week(self) -> int:
        """Working days a week paid at the ordinary rate: 40 h / 8 h = 5. Days beyond it (only possible
        when ``max_days_per_week`` is raised) are rest-day overtime."""
        lab = self.scenario.labour
        return max(1, round(lab.max_paid_h_per_week / lab.max_paid_h_per_day))

    @property
    def max_working_days(self) -> int:
        """``max_days_per_week``, and at least one rest day a week."""
        return min(self.scenario.labour.max_days_per_week, 6)

    def daily_cap_min(self) -> int:
        """[min] paid time a day: ordinary plus daily overtime (kept in comprehensive-hours mode too,
        as the longest day allowed)."""
        lab = self.scenario.labour
        return int(round((lab.max_paid_h_per_day + lab.max_overtime_h_per_day) * 60))

    def weekly_overtime_allowance_min(self, agent_id: str) -> int:
        """[min] overtime allowed this week: the monthly cap pro-rated to 7 days of the month the week
        starts in, and never more than what is left of the monthly cap after ``month_overtime_h``."""
        lab = self.scenario.labour
        d0 = self.days[0]
        month_days = _cal.monthrange(d0.year, d0.month)[1]
        prorated = lab.max_overtime_h_per_month * 7 / month_days
        left = lab.max_overtime_h_per_month - float(self.month_overtime_h.get(agent_id, 0.0))
        return max(0, int(math.floor(min(prorated, left) * 60 + 1e-9)))

    def weekly_std_min(self) -> int:
        return int(round(self.scenario.labour.max_paid_h_per_week * 60))

    def weekly_cap_min(self, agent: Agent) -> int:
        """[min] paid time a week: the standard week plus the overtime allowance, and the agent's own cap."""
        cap = self.weekly_std_min() + self.weekly_overtime_allowance_min(agent.agent_id)
        if agent.max_weekly_h is not None:
            cap = min(cap, int(math.floor(agent.max_weekly_h * 60 + 1e-9)))
        return cap

    @cached_property
    def _previous_by_agent(self) -> dict[str, pd.DataFrame]:
        prev = self.previous_shifts
        if prev is None or prev.empty:
            return {}
        prev = prev.assign(shift_start=pd.to_datetime(prev["shift_start"]),
                           shift_end=pd.to_datetime(prev["shift_end"]))
        prev = prev[prev["shift_start"] < pd.Timestamp(self.days[0])].sort_values("shift_start")
        return {aid: rows for aid, rows in prev.groupby("agent_id", sort=False)}

    def previous_for(self, agent_id: str) -> pd.DataFrame:
        """Last week's shifts of one agent, before the first planning day, sorted by start."""
        rows = self._previous_by_agent.get(agent_id)
        return pd.DataFrame(columns=list(SHIFT_COLUMNS)) if rows is None else rows

    def last_shift_end(self, agent_id: str) -> pd.Timestamp | None:
        rows = self.previous_for(agent_id)
        return None if rows.empty else pd.Timestamp(pd.to_datetime(rows["shift_end"]).max())

    def previous_worked_dates(self, agent_id: str) -> set[dt.date]:
        rows = self.previous_for(agent_id)
        return {pd.Timestamp(d).date() for d in rows["date"]}

    def trailing_run(self, agent_id: str) -> int:
        """Consecutive days worked up to the day before the first planning day."""
        worked = self.previous_worked_dates(agent_id)
        run, d = 0, self.days[0] - dt.timedelta(days=1)
        while d in worked:
            run += 1
            d -= dt.timedelta(days=1)
        return run

    @cached_property
    def _hire_only(self) -> frozenset[str]:
        return self.scenario.hire_only_templates

    def may_work(self, agent: Agent, template: str, contracts) -> bool:
        """Whether ``agent`` may work shifts of ``template`` (which allows ``contracts``): the templates
        named for it (a hired profile's), else every roster template of its contract, the hire-only
        ones (``hire.templates``) excepted. The model, the validator and the shortfall report ask here."""
        if agent.templates:
            return template in agent.templates
        return agent.contract in contracts and template not in self._hire_only

    def lunch_window(self, template=None) -> Window:
        """The meal window of a template (its own ``lunch_window``, else the roster's)."""
        own = getattr(template, "lunch_window", None)
        return Window.parse(own or self.scenario.roster.lunch_window)

    def lunch_is_fixed(self, template=None) -> bool:
        """``fixed`` policy puts lunch at ``fixed_lunch_at``, except for templates with their own window."""
        return self.scenario.roster.lunch_policy == "fixed" and not getattr(template, "lunch_window", None)

    def break_min(self, template) -> int:
        """[min] unpaid break of a template's shifts: its own ``break_h`` (a split shift), else the
        roster's ``lunch_min`` when it has a lunch, else 0."""
        if not template.lunch:
            return 0
        if template.break_h is not None:
            return int(round(template.break_h * 60))
        return self.scenario.roster.lunch_min

    def fixed_lunch_min(self) -> int:
        return hhmm_to_min(self.scenario.roster.fixed_lunch_at)


@dataclass(frozen=True)
class ShiftShape:
    """One way to work a day: a template at one start. ``covered`` are the interval starts [min]
    fully inside the shift; ``lunch_starts`` the allowed lunch starts (empty: no lunch)."""

    template: str
    start_min: int
    end_min: int
    lunch_starts: tuple[int, ...]
    lunch_min: int
    paid_min: int
    covered: tuple[int, ...]
    contracts: tuple[str, ...]

    def working(self, lunch_start: int | None, interval_min: int) -> list[int]:
        """Interval starts worked: covered and not touching the lunch."""
        if lunch_start is None:
            return list(self.covered)
        lo, hi = lunch_start, lunch_start + self.lunch_min
        return [t for t in self.covered if t + interval_min <= lo or t >= hi]


def shift_shapes(problem: RosterProblem, day: dt.date) -> list[ShiftShape]:
    """Template starts allowed on ``day``: right day type, promotion-only templates on promotion main
    days only, fully inside the open service window, with room for the lunch. Others are skipped."""
    window = problem.open_windows[day]
    if not window.is_open:
        return []
    day_type = problem.day_types[day]
    step = problem.interval_min
    grid = problem.grid(day)
    shapes = []
    for tpl in problem.scenario.all_templates:
        if day_type not in tpl.day_types or (tpl.promotion_only and day not in problem.promotion_days):
            continue
        span = int(round(tpl.span_h * 60))
        for text in tpl.starts:
            start = hhmm_to_min(text)
            end = start + span
            if start < window.start_min or end > window.end_min:
                continue
            lunch_min = problem.break_min(tpl)
            lunch: tuple[int, ...] = ()
            if lunch_min:
                if problem.lunch_is_fixed(tpl):
                    options = [problem.fixed_lunch_min()]
                else:
                    lw = problem.lunch_window(tpl)
                    options = [t for t in grid if lw.start_min <= t and t + lunch_min <= lw.end_min]
                lunch = tuple(l for l in options if start + step <= l and l + lunch_min <= end - step)
                if not lunch:
                    continue  # no lunch fits this shift: skip it
            covered = tuple(t for t in grid if start <= t and t + step <= end)
            shapes.append(ShiftShape(tpl.name, start, end, lunch, lunch_min, span - lunch_min,
                                     covered, tuple(tpl.contracts)))
    return shapes
