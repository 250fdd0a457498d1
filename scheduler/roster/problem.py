"""The roster problem: the planning days (a week, a month) of named agents, as the plan step hands it to
the optimizer.

Everything here is input, checked once when the problem is built; nothing imports the solver, so the
validator (``scheduler.validation``) reads the same derived rules (overtime allowance, weekly caps,
last week's shifts) without knowing how the roster was made.

Field reference (units in the names):

| field | meaning |
|---|---|
| ``days`` | the planning dates, ascending and consecutive: a week Mon..Sun, a calendar month, any span |
| ``day_types`` | date -> day type (``core.names.DAY_TYPES``) of every planning day, and of the other days |
|  | of their ISO weeks (``build`` adds them: a week's standard days are counted over all 7) |
| ``promotion_days`` | date -> promotion name, only for promotion main days |
| ``interval_min`` | [min] planning interval: 60, 30 or 15 |
| ``open_windows`` | date -> service ``Window``; closed when start == end |
| ``requirements`` | DataFrame ``interval_start, channel, required_scheduled`` (+ ``required_agents``, |
|  | ``contacts``, optional ``shortfall_weight`` [cost units per missing head-interval]) |
| ``agents`` | the pool (``scheduler.agents.Agent``) |
| ``scenario`` | roster, labour and pay settings |
| ``previous_shifts`` | last week's published shifts ``agent_id, date, shift_start, shift_end`` (or None) |
| ``month_overtime_h`` | agent_id -> [h] overtime already worked in the month of the first planning day, |
|  | before it (default 0) |
| ``comp_off`` | the comp-off ledger of the previous plan: ``agent_id, earned_on, due_by, given_on`` (one |
|  | row per comp day off; ``given_on`` empty while owed), or None |
| ``seed`` | solver seed: same inputs + seed -> same roster |
| ``pinned_shifts`` | shifts that must be worked: ``agent_id, date, shift_start`` (+ optional ``shift_end``) |
| ``hint_shifts`` | a roster to start from (same columns as ``pinned_shifts``), a warm start only |
| ``published_shifts`` | this week's roster already published (same columns): a warm start, and each |
|  | shift added, removed or moved against it costs ``roster.change_penalty`` |
| ``requests`` | the agents' requests (``scheduler.requests.Request``): approved leave (hard), day off and |
|  | preferred template (soft), checked against the pool, days and templates when read |
| ``ledger_to_date`` | agent_id -> {``weekend_days``, ``holiday_days``, ``late_shifts``} worked before the first |
|  | planning day (the ``--previous`` plan's ``ledger.csv``): the spread term evens the totals |
| ``hard_rules`` | constraint families built into every model of the problem besides the registry's |
|  | (``plan --hire auto`` searches again with its service targets as rules: ``capacity.service.TargetsMet``) |
| ``proven_bound`` | a lower bound of the problem's objective proven elsewhere, read when needed: a callable |
|  | given the bound wanted and returning one (CP-SAT's units, cost x ``SCALE``) or None; it may wait |
|  | (``horizon.run_month`` gives HiGHS's root bound of the month, ``scheduler.roster.root_bound``) |
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from core.errors import InputError
from core.names import WORKING_DAY_TYPES
from core.scenario import Scenario, Window
from scheduler.agents import Agent
from scheduler.requests import Request

REQUIRED_COLUMNS = ("interval_start", "channel", "required_scheduled")
SHIFT_COLUMNS = ("agent_id", "date", "shift_start", "shift_end")
COMP_OFF_COLUMNS = ("agent_id", "earned_on", "due_by", "given_on")
ORDINARY_WEEK_DAYS = 5  # standard days of an ISO week without holidays or makeup days: Mon-Fri


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
    comp_off: pd.DataFrame | None = None
    requests: tuple[Request, ...] = ()
    ledger_to_date: dict[str, dict[str, int]] = field(default_factory=dict)
    hard_rules: tuple = ()  # of roster.family.Family
    proven_bound: Callable[[float], float | None] | None = None

    def __post_init__(self):
        days = list(self.days)
        if not days:
            raise InputError("a roster covers at least one day", field="days")
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
                                  ("published_shifts", self.published_shifts, SHIFT_COLUMNS[:3]),
                                  ("comp_off", self.comp_off, COMP_OFF_COLUMNS)):
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
              published_shifts: pd.DataFrame | None = None,
              comp_off: pd.DataFrame | None = None, requests: tuple[Request, ...] = (),
              ledger_to_date: dict[str, dict[str, int]] | None = None) -> RosterProblem:
        """Day types from ``calendar`` (default ``Calendar.cn()``) for the planning days and the rest of
        their ISO weeks, windows and promotion main days from the scenario; ``interval_min`` and
        ``seed`` from the scenario unless given."""
        if calendar is None:
            from forecasts.calendar import Calendar

            calendar = Calendar.cn()
        day_types = {d: calendar.day_type(d) for d in week_span(days)}
        promo = scenario.promotion_main_days(days)
        windows = {d: scenario.window(day_types[d], d in promo, day=d) for d in days}
        return cls(days=list(days), day_types=day_types, promotion_days=promo,
                   interval_min=scenario.interval_min, open_windows=windows,
                   requirements=requirements, agents=list(agents), scenario=scenario,
                   previous_shifts=previous_shifts, month_overtime_h=dict(month_overtime_h or {}),
                   seed=scenario.seed if seed is None else seed, pinned_shifts=pinned_shifts,
                   hint_shifts=hint_shifts, published_shifts=published_shifts, comp_off=comp_off,
                   requests=tuple(requests), ledger_to_date=dict(ledger_to_date or {}))

    # -- derived rules, shared by the model and the validator ----------------------------------
    def at(self, day: dt.date, minute: int) -> pd.Timestamp:
        return pd.Timestamp(day) + pd.Timedelta(minutes=minute)

    def leave_dates(self, agent: Agent) -> frozenset[dt.date]:
        """The agent's leave: ``unavailable`` in the pool file and approved ``leave`` requests."""
        asked = {r.date for r in self.requests if r.kind == "leave" and r.agent_id == agent.agent_id}
        return agent.unavailable | asked if asked else agent.unavailable

    def grid(self, day: dt.date) -> list[int]:
        """Interval starts [min after midnight] of the open service window on ``day``."""
        return self.open_windows[day].grid(self.interval_min)

    def shortfall_weights(self) -> pd.Series:
        """[cost units] per missing head, one per requirement row."""
        if "shortfall_weight" in self.requirements.columns:
            return self.requirements["shortfall_weight"].astype(float).fillna(
                self.scenario.understaffed_penalty)
        return pd.Series(self.scenario.understaffed_penalty, index=self.requirements.index, dtype=float)

    def iso_weeks(self) -> list[list[int]]:
        """Day indices of the planning days grouped by ISO week, in date order: ``[[0..6]]`` for a week
        Monday to Sunday, ``[[0..4], [5..11], ...]`` for a horizon starting on a Wednesday. Every weekly
        rule and term iterates these groups (a group may be a partial week at either end)."""
        groups: list[list[int]] = []
        last = None
        for i, d in enumerate(self.days):
            key = d.isocalendar()[:2]
            if key != last:
                groups.append([])
                last = key
            groups[-1].append(i)
        return groups

    @property
    def max_working_days(self) -> int:
        """Working days allowed in an ISO week: ``max_days_per_week``, and at least one full rest day in
        every ISO week (Labour Law art. 38), so never more than 6."""
        return min(self.scenario.labour.max_days_per_week, 6)

    def daily_cap_min(self) -> int:
        """[min] paid time a day: ordinary plus daily overtime (kept in comprehensive-hours mode too,
        as the longest day allowed)."""
        lab = self.scenario.labour
        return int(round((lab.max_paid_h_per_day + lab.max_overtime_h_per_day) * 60))

    def std_day_min(self) -> int:
        """[min] ordinary paid time of a day; beyond it, daily overtime."""
        return int(round(self.scenario.labour.max_paid_h_per_day * 60))

    # -- the calendar week: standard days and hours, one place for the model and the validator -------
    @staticmethod
    def week_key(day: dt.date) -> tuple[int, int]:
        """(ISO year, ISO week) of ``day``."""
        return tuple(day.isocalendar()[:2])

    @staticmethod
    def week_dates(day: dt.date) -> list[dt.date]:
        """Monday to Sunday of the ISO week holding ``day``."""
        monday = day - dt.timedelta(days=day.weekday())
        return [monday + dt.timedelta(days=i) for i in range(7)]

    def day_type_on(self, day: dt.date) -> str:
        """Day type of any date: ``day_types`` (which ``build`` fills for the whole ISO weeks of the
        horizon), else weekday / weekend by the day of the week."""
        known = self.day_types.get(day)
        if known is not None:
            return known
        return "weekend" if day.weekday() >= 5 else "weekday"

    def standard_days(self, day: dt.date) -> int:
        """Standard working days of the ISO week holding ``day``: its weekdays and makeup workdays in the
        national calendar (调休 moves them: 6 in a week with a makeup Sunday, 2 in 2025-W40).

        A rotating roster gives each agent this many days at the ordinary rate; non-statutory days
        worked beyond them in the week are rest-day work (``RestDayWork``), statutory holidays are paid
        300% whatever the count. In comprehensive-hours mode only the hours count."""
        return sum(self.day_type_on(d) in WORKING_DAY_TYPES for d in self.week_dates(day))

    def weekly_std_min(self, day: dt.date) -> int:
        """[min] standard hours of the ISO week holding ``day``: ``max_paid_h_per_week`` for the ordinary
        five standard days, in proportion to the week's standard days (48 h in a 6-day makeup week,
        16 h in 2025-W40). Ordinary hours beyond them are overtime (the weekly excess)."""
        lab = self.scenario.labour
        return int(round(lab.max_paid_h_per_week * 60 * self.standard_days(day) / ORDINARY_WEEK_DAYS))

    def months(self) -> list[list[int]]:
        """Day indices of the planning days grouped by calendar month, in date order."""
        groups: list[list[int]] = []
        last = None
        for i, d in enumerate(self.days):
            if (d.year, d.month) != last:
                groups.append([])
                last = (d.year, d.month)
            groups[-1].append(i)
        return groups

    def month_overtime_cap_min(self, agent_id: str, day: dt.date) -> int:
        """[min] overtime the agent may still work in the calendar month of ``day``: the monthly cap,
        less ``month_overtime_h`` (worked earlier in the month of the first planning day, before it)."""
        lab = self.scenario.labour
        used = float(self.month_overtime_h.get(agent_id, 0.0))
        first = self.days[0]
        if (day.year, day.month) != (first.year, first.month):
            used = 0.0
        return max(0, int(math.floor((lab.max_overtime_h_per_month - used) * 60 + 1e-9)))

    @property
    def rest_day_rules(self) -> bool:
        """Whether rest-day work is counted by day (standard hours system); in comprehensive-hours
        mode (综合计算工时) hours are averaged and only the weekly excess is overtime."""
        return not self.scenario.labour.comprehensive_hours

    # -- last plan's days in the first ISO week, the comp-off ledger -------------------------------
    def previous_in_week(self, agent_id: str, day: dt.date) -> pd.DataFrame:
        """The agent's previous shifts in the ISO week of ``day``, before the first planning day, by date."""
        rows = self.previous_for(agent_id)
        if rows.empty:
            return rows
        week = set(self.week_dates(day))
        dates = [pd.Timestamp(d).date() for d in rows["date"]]
        return rows[[d in week for d in dates]]

    def previous_week_status(self, agent_id: str, day: dt.date) -> WeekSoFar:
        """What the agent worked in the ISO week of ``day`` before the first planning day (the part of
        the week the previous plan covered)."""
        key = (agent_id, self.week_key(day))
        if key not in self._week_status:
            self._week_status[key] = self._previous_week_status(agent_id, day)
        return self._week_status[key]

    @cached_property
    def _week_status(self) -> dict[tuple[str, tuple[int, int]], WeekSoFar]:
        return {}

    def _previous_week_status(self, agent_id: str, day: dt.date) -> WeekSoFar:
        rows = self.previous_in_week(agent_id, day)
        if rows.empty:
            return WeekSoFar(0, 0, 0, 0)
        std_day, standard = self.std_day_min(), self.standard_days(day)
        days = nonstat = ordinary = paid_total = 0
        for rec in rows.sort_values("shift_start").itertuples(index=False):
            paid = _paid_min(rec)
            days += 1
            paid_total += paid
            if self.day_type_on(pd.Timestamp(rec.date).date()) == "statutory_holiday":
                continue
            nonstat += 1
            if not self.rest_day_rules:
                ordinary += paid
            elif nonstat <= standard:
                ordinary += min(paid, std_day)
        return WeekSoFar(days, nonstat, ordinary, paid_total)

    def days_left_in_week(self, agent_id: str, day: dt.date) -> int:
        """Working days the agent may still work in the ISO week of ``day``: ``max_working_days`` less the
        days the previous plan gave it in that week before the first planning day."""
        return max(0, self.max_working_days - self.previous_week_status(agent_id, day).days)

    def weekly_cap_min(self, agent: Agent, day: dt.date) -> int:
        """[min] the most paid time the hard rules leave ``agent`` in the ISO week of ``day``: its days left
        times the daily cap, and what is left of its own ``max_weekly_h``. A bound the capacity sizing's
        counting model uses (standard hours do not cap paid time: hours beyond them are overtime, and
        statutory-holiday and comp-off hours are neither), not a rule of its own."""
        cap = self.days_left_in_week(agent.agent_id, day) * self.daily_cap_min()
        if agent.max_weekly_h is not None:
            done = self.previous_week_status(agent.agent_id, day).paid_min
            cap = min(cap, max(0, int(math.floor(agent.max_weekly_h * 60 + 1e-9)) - done))
        return cap

    def comp_due_by(self, earned_on: dt.date) -> dt.date:
        """The last day a comp day off earned on ``earned_on`` may be given: the Sunday of the ISO week
        ``rest_day_work.comp_off_weeks`` after the week of the rest-day work."""
        weeks = self.scenario.rest_day_work.comp_off_weeks
        return self.week_dates(earned_on)[6] + dt.timedelta(weeks=weeks)

    def comp_owed_rows(self, agent_id: str) -> list[tuple[dt.date, dt.date]]:
        """(due_by, earned_on) of the comp days off the agent is owed at the first planning day, by due date."""
        ledger = self.comp_off
        if ledger is None or ledger.empty:
            return []
        rows = ledger[(ledger["agent_id"] == agent_id) & _not_given_before(ledger, self.days[0])]
        return sorted((pd.Timestamp(due).date(), pd.Timestamp(e).date())
                      for due, e in zip(rows["due_by"], rows["earned_on"]))

    def comp_owed_at_start(self, agent_id: str) -> list[dt.date]:
        """Due dates (ascending) of the comp days off the agent is owed at the first planning day."""
        return [due for due, _ in self.comp_owed_rows(agent_id)]

    def comp_given_before(self, agent_id: str, day: dt.date) -> int:
        """Comp days off the previous plan gave the agent in the ISO week of ``day``, before the first
        planning day (they use that week's standard days as well)."""
        ledger = self.comp_off
        if ledger is None or ledger.empty:
            return 0
        week = set(self.week_dates(day))
        given = [pd.Timestamp(g).date() for g in ledger.loc[ledger["agent_id"] == agent_id, "given_on"]
                 if not pd.isna(g)]
        return sum(1 for g in given if g in week and g < self.days[0])

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

    def served_skills(self, agent: Agent) -> tuple[str, ...]:
        """The channels ``agent`` may work in this plan: its skills the scenario serves, sorted. A skill
        of a channel the scenario does not serve (``served = false``, or a pool written for another shop)
        is never rostered."""
        return tuple(sorted(s for s in agent.skills if s in self.scenario.channels))

    def may_work(self, agent: Agent, template: str, contracts) -> bool:
        """Whether ``agent`` may work shifts of ``template`` (which allows ``contracts``): the templates
        named for it (a hired profile's), else every roster template of its contract, the hire-only
        ones (``hire.templates``) excepted. The model, the validator and the shortfall report ask here."""
        if agent.templates:
            return template in agent.templates
        return agent.contract in contracts and template not in self._hire_only


def week_span(days: list[dt.date]) -> list[dt.date]:
    """Every date of the ISO weeks that ``days`` touch, Monday of the first to Sunday of the last."""
    first = days[0] - dt.timedelta(days=days[0].weekday())
    last = days[-1] + dt.timedelta(days=6 - days[-1].weekday())
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class WeekSoFar:
    """An agent's work in an ISO week before the first planning day: ``days`` worked, ``nonstat`` of
    them not statutory holidays, ``ordinary_min`` [min] at the ordinary rate, ``paid_min`` [min] in all."""

    days: int
    nonstat: int
    ordinary_min: int
    paid_min: int


def _paid_min(rec) -> int:
    """[min] paid time of a shift row: ``paid_hours`` when given, else its span less its lunch."""
    paid = getattr(rec, "paid_hours", None)
    if paid is not None and not pd.isna(paid):
        return int(round(float(paid) * 60))
    span = (pd.Timestamp(rec.shift_end) - pd.Timestamp(rec.shift_start)).total_seconds() // 60
    lunch_start, lunch_end = getattr(rec, "lunch_start", None), getattr(rec, "lunch_end", None)
    if lunch_start is not None and not pd.isna(lunch_start) and not pd.isna(lunch_end):
        span -= (pd.Timestamp(lunch_end) - pd.Timestamp(lunch_start)).total_seconds() // 60
    return int(span)


def _not_given_before(ledger: pd.DataFrame, day: dt.date) -> pd.Series:
    """Ledger rows still owed at ``day``: never given, or given on ``day`` or later."""
    given = pd.to_datetime(ledger["given_on"])
    return given.isna() | (given >= pd.Timestamp(day))


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


def template_spans(problem: RosterProblem, template, day: dt.date) -> list[tuple[int, int]]:
    """(start, end) [min after midnight] of the shifts ``template`` offers on ``day``, one per start,
    in the order of its starts: the right day type (promotion-only templates on promotion main days
    only) and inside the open service window, fitted to it with ``fit_window``
    (``ShiftTemplate.spans``). The model (``shift_shapes``) and the validator read the templates through
    this one function."""
    if problem.day_types[day] not in template.day_types:
        return []
    if template.promotion_only and day not in problem.promotion_days:
        return []
    return template.spans(problem.open_windows[day])


def shift_shapes(problem: RosterProblem, day: dt.date) -> list[ShiftShape]:
    """The shifts the templates offer on ``day`` (``template_spans``) with room for their lunch, which
    must lie inside the lunch window (or at ``fixed_lunch_at``) and not in the shift's first or last
    interval (``Scenario.lunch_starts``). Shifts with no room for their lunch are skipped."""
    step, window, sc = problem.interval_min, problem.open_windows[day], problem.scenario
    grid = problem.grid(day)
    shapes = []
    for tpl in sc.all_templates:
        lunch_min = sc.break_min(tpl)
        for start, end in template_spans(problem, tpl, day):
            lunch = sc.lunch_starts(tpl, start, end, window, step)
            if lunch is None:
                continue  # no lunch fits this shift: skip it
            covered = tuple(t for t in grid if start <= t and t + step <= end)
            shapes.append(ShiftShape(tpl.name, start, end, lunch, lunch_min, end - start - lunch_min,
                                     covered, tuple(tpl.contracts)))
    return shapes
