"""Solver-agnostic roster validation: re-check every hard rule, recompute cost and coverage.

``validate_roster(problem, roster)`` reads only the roster's DataFrames (``shifts``, ``assignments``,
``scheduled``, ``shortfall``) and totals, never the model, and returns human-readable violations
(empty = valid). It imports no solver, so it also checks rosters made by hand or by another tool.

The checks mirror the roster model:

- the shifts are read once into ``WorkedShifts`` (unknown agents, dates outside the plan and second
  shifts of a day are violations and go no further);
- checks of the roster's structure live here, one small function each: templates and service
  window, lunches, paid hours, channel assignments, cost, coverage;
- every hard per-agent rule checks itself (``HardRule.validate`` in ``scheduler.roster.rules``),
  for each rule the registry (``scheduler.roster.constraints.default_families``) lists, so a rule
  added to the model is validated without a change here. Those checks are written from the rules'
  definitions, not by calling the model's code.

Pay rules recomputed here (the same rules ``scheduler.roster.constraints.PayCost`` documents, written
again independently), per agent and ISO week: statutory holiday shifts at ``pay.statutory_holiday``;
in the standard hours system, the non-statutory days worked beyond the week's standard days
(``RosterProblem.standard_days``, counted in date order from the week's first day, the previous plan's
days included) are rest-day work: at ``pay.rest_day_overtime`` (all overtime), or, marked
``rest_day = comp_off`` where the scenario allows it, as an ordinary shift with a comp day owed;
otherwise ordinary hours at ``pay.weekend`` on weekend and holiday rest days (1.0 elsewhere) and hours
beyond ``max_paid_h_per_day`` at ``max(that, pay.workday_overtime)`` (no daily overtime in
comprehensive-hours mode); ordinary hours beyond the week's standard hours (``weekly_std_min``) earn
``pay.workday_overtime - 1`` extra, attributed to the agent's latest shifts of the week first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from core.names import PREMIUM_DAY_TYPES
from core.scenario import Window, hhmm_to_min
from scheduler.agents import Agent
from scheduler.roster.constraints import hard_rules
from scheduler.roster.problem import RosterProblem, required_heads, template_spans
from scheduler.roster.report import Roster

REL_TOL = 1e-6
MAX_PER_RULE = 20  # violations listed per rule before "... and N more"


def validate_roster(problem: RosterProblem, roster: Roster) -> list[str]:
    out = Violations()
    worked = read_shifts(problem, roster.shifts, out)
    worked.comp_off = roster.comp_off
    check_templates(problem, worked, out)
    check_lunches(problem, worked, out)
    check_paid_hours(problem, worked, out)
    check_assignments(problem, roster.assignments, worked, out)
    for rule in hard_rules():
        rule.validate(problem, worked, out)
    check_cost(problem, roster, worked, out)
    check_coverage(problem, roster, out)
    return out.lines()


class Violations:
    """Violation lines grouped by rule, each line ``<rule>: <text>``."""

    def __init__(self):
        self.by_rule: dict[str, list[str]] = defaultdict(list)

    def add(self, rule: str, text: str) -> None:
        self.by_rule[rule].append(f"{rule}: {text}")

    def lines(self) -> list[str]:
        out = []
        for rule, items in self.by_rule.items():
            out += items[:MAX_PER_RULE]
            if len(items) > MAX_PER_RULE:
                out.append(f"{rule}: ... and {len(items) - MAX_PER_RULE} more")
        return out


_MORE = re.compile(r": \.\.\. and (\d+) more$")


def count_violations(lines: list[str]) -> int:
    """How many violations ``lines`` (``Violations.lines``, as ``validate_roster`` returns them) stand
    for: a line ``<rule>: ... and N more`` stands for N."""
    return sum(int(m.group(1)) if (m := _MORE.search(line)) else 1 for line in lines)


@dataclass
class WorkedShifts:
    """The roster's shifts that name a known agent on a planning day, one per agent and day, as the
    checks read them: ``by_day[agent_id, date]`` and ``by_agent[agent_id]`` (rows of
    ``Roster.shifts`` in date order, agents in id order), and ``pay``, the cost and overtime the
    validator computes from the pay rules."""

    problem: RosterProblem
    agents: dict[str, Agent]
    by_day: dict[tuple[str, dt.date], object]
    comp_off: pd.DataFrame | None = None  # the roster's comp-off ledger (``Roster.comp_off``)

    @cached_property
    def by_agent(self) -> dict[str, list]:
        out: dict[str, list] = defaultdict(list)
        for (aid, _day), s in sorted(self.by_day.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            out[aid].append(s)
        return dict(out)

    @cached_property
    def pay(self) -> PayCheck:
        return _pay(self.problem, self.agents, self.by_agent)

    @property
    def paid_hours(self) -> float:
        """[h] paid by the shifts the checks read: the roster's paid hours, counted over the same shifts
        as its cost (``pay``) and coverage; a second shift of an agent the same day is not among them."""
        return float(sum(float(s.paid_hours) for s in self.by_day.values()))

    @staticmethod
    def label(s) -> str:
        return f"{s.agent_id} {pd.Timestamp(s.shift_start):%Y-%m-%d %H:%M}"

    @staticmethod
    def day(s) -> dt.date:
        return pd.Timestamp(s.shift_start).date()

    def span_paid_min(self, s) -> int:
        """[min] paid by the shift's own times: its span less its lunch."""
        day = self.day(s)
        paid = _minute(s.shift_end, day) - _minute(s.shift_start, day)
        if not pd.isna(s.lunch_start):
            paid -= _minute(s.lunch_end, day) - _minute(s.lunch_start, day)
        return paid


@dataclass
class PayCheck:
    """What the pay rules give the roster's shifts: ``shift_cost[agent_id, shift_start]``,
    ``overtime_min[agent_id]``, ``overtime_by_month[agent_id, first day of the month]``, ``base``
    (paid hours x hourly cost) and ``rest_day[agent_id, shift_start]`` (True for rest-day work)."""

    shift_cost: dict[tuple[str, pd.Timestamp], float]
    overtime_min: dict[str, float]
    base: float
    overtime_by_month: dict[tuple[str, dt.date], float] = field(default_factory=dict)
    rest_day: dict[tuple[str, pd.Timestamp], bool] = field(default_factory=dict)


# -- the shifts -----------------------------------------------------------------------------------------
def read_shifts(problem: RosterProblem, shifts: pd.DataFrame, out: Violations) -> WorkedShifts:
    """Index the shifts by agent and day; unknown agents, dates off the plan and a second shift the
    same day are violations and are left out of the other checks."""
    agents = {a.agent_id: a for a in problem.agents}
    by_day: dict[tuple[str, dt.date], object] = {}
    for r in shifts.itertuples(index=False):
        label = WorkedShifts.label(r)
        if r.agent_id not in agents:
            out.add("agent", f"{label}: unknown agent")
            continue
        day = WorkedShifts.day(r)
        if day not in problem.days or pd.Timestamp(r.date).date() != day:
            out.add("date", f"{label}: date {r.date} is not a planning day or not the shift's start date")
            continue
        if (r.agent_id, day) in by_day:
            out.add("one shift per day", f"{label}: second shift of the agent that day (not counted in the "
                                         f"cost, paid hours or coverage)")
            continue
        by_day[r.agent_id, day] = r
    return WorkedShifts(problem, agents, by_day)


def check_templates(problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
    """Each shift is a template start allowed for the agent's contract that day, inside the window."""
    for (aid, day), s in worked.by_day.items():
        agent = worked.agents[aid]
        start, end = _minute(s.shift_start, day), _minute(s.shift_end, day)
        if _match_template(problem, agent, day, start, end, getattr(s, "template", None)) is None:
            out.add("template", f"{worked.label(s)}-{pd.Timestamp(s.shift_end):%H:%M}: matches no shift template "
                                f"allowed for a {agent.contract} agent on {problem.day_types[day]}")
        w = problem.open_windows[day]
        if not w.is_open or start < w.start_min or end > w.end_min:
            where = f"outside the service window {w.text}" if w.is_open else "on a day the service is closed"
            out.add("window", f"{worked.label(s)}: shift {where}")


def check_lunches(problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
    """The lunch (or split-shift break) its template asks for: its length, inside the shift but not in
    its first or last interval, at ``fixed_lunch_at`` or inside the lunch window on the grid."""
    spec = problem.scenario.roster
    for (aid, day), s in worked.by_day.items():
        label = worked.label(s)
        start, end = _minute(s.shift_start, day), _minute(s.shift_end, day)
        tpl = _match_template(problem, worked.agents[aid], day, start, end, getattr(s, "template", None))
        expected = problem.scenario.break_min(tpl) if tpl is not None else spec.lunch_min
        if pd.isna(s.lunch_start):
            if tpl is not None and expected:
                out.add("lunch", f"{label}: template '{tpl.name}' needs a {expected}-min lunch")
            continue
        ls, le = _minute(s.lunch_start, day), _minute(s.lunch_end, day)
        if tpl is not None and not expected:
            out.add("lunch", f"{label}: template '{tpl.name}' has no lunch")
        elif le - ls != expected:
            what = f"break_h={tpl.break_h:g}" if tpl is not None and tpl.break_h else f"lunch_min={spec.lunch_min}"
            out.add("lunch", f"{label}: lunch lasts {le - ls} min, {what}")
        if ls < start + problem.interval_min or le > end - problem.interval_min:
            out.add("lunch", f"{label}: lunch {_hhmm(ls)} in the shift's first or last interval or outside it")
        own_window = getattr(tpl, "lunch_window", None) if tpl is not None else None
        if spec.lunch_policy == "fixed" and not own_window:
            if ls != hhmm_to_min(spec.fixed_lunch_at):
                out.add("lunch", f"{label}: lunch at {_hhmm(ls)}, fixed_lunch_at={spec.fixed_lunch_at}")
            continue
        window_text = own_window or spec.lunch_window
        lw = Window.parse(window_text)
        if ls < lw.start_min or le > lw.end_min:
            out.add("lunch", f"{label}: lunch {_hhmm(ls)}-{_hhmm(le)} outside lunch_window {window_text}")
        if (ls - problem.open_windows[day].start_min) % problem.interval_min:
            out.add("lunch", f"{label}: lunch {_hhmm(ls)} does not start on an interval")


def check_paid_hours(problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
    """``paid_hours`` is the shift's span less its lunch."""
    for s in worked.by_day.values():
        paid = worked.span_paid_min(s) / 60
        if abs(float(s.paid_hours) - paid) > 1e-9:
            out.add("paid hours", f"{worked.label(s)}: paid_hours {s.paid_hours:g}, span minus lunch is {paid:g}")


# -- channels -------------------------------------------------------------------------------------------
def check_assignments(problem: RosterProblem, assignments: pd.DataFrame, worked: WorkedShifts,
                      out: Violations) -> None:
    """Assignments inside worked intervals, on the agent's skills, exactly one channel per worked interval."""
    step = pd.Timedelta(minutes=problem.interval_min)
    seen: dict[tuple[str, pd.Timestamp], str] = {}
    for r in assignments.itertuples(index=False):
        at = pd.Timestamp(r.interval_start)
        label = f"{r.agent_id} at {at:%Y-%m-%d %H:%M}"
        agent = worked.agents.get(r.agent_id)
        if agent is None:
            out.add("assignment", f"{label}: unknown agent")
            continue
        if not agent.can(r.channel):
            out.add("skills", f"{label}: works {r.channel} without the skill (skills {'|'.join(agent.skills)})")
        elif r.channel not in problem.scenario.channels:
            out.add("skills", f"{label}: works {r.channel}, a channel scenario '{problem.scenario.name}' "
                              "does not serve")
        if (r.agent_id, at) in seen:
            out.add("one channel", f"{label}: works {seen[r.agent_id, at]} and {r.channel} at once")
            continue
        seen[r.agent_id, at] = r.channel
        s = worked.by_day.get((r.agent_id, at.date()))
        if s is None or not _works_at(s, at, step):
            out.add("assignment", f"{label}: assigned {r.channel} outside a worked interval (shift minus lunch)")
    for (aid, day), s in worked.by_day.items():
        for t in problem.grid(day):
            at = problem.at(day, t)
            if _works_at(s, at, step) and (aid, at) not in seen:
                out.add("one channel", f"{aid} at {at:%Y-%m-%d %H:%M}: on shift but assigned no channel")


# -- cost and coverage ------------------------------------------------------------------------------------
def check_cost(problem: RosterProblem, roster: Roster, worked: WorkedShifts, out: Violations) -> None:
    """Each shift's cost and the roster's totals against the pay rules."""
    pay = worked.pay
    for r in roster.shifts.itertuples(index=False):
        key = (r.agent_id, pd.Timestamp(r.shift_start))
        if key in pay.shift_cost and not _close(float(r.cost), pay.shift_cost[key]):
            out.add("cost", f"{r.agent_id} {key[1]:%Y-%m-%d %H:%M}: cost {float(r.cost):.4f}, "
                            f"the pay rules give {pay.shift_cost[key]:.4f}")
    total = sum(pay.shift_cost.values())
    if not _close(float(roster.cost), total):
        out.add("cost", f"roster cost {float(roster.cost):.4f}, the pay rules give {total:.4f}")
    if not _close(float(roster.premium_cost), total - pay.base):
        out.add("cost", f"premium_cost {float(roster.premium_cost):.4f}, the pay rules give {total - pay.base:.4f}")
    paid_total = worked.paid_hours
    if not _close(float(roster.paid_hours), paid_total):
        out.add("cost", f"paid_hours {float(roster.paid_hours):g}, the shifts sum to {paid_total:g}")
    ot_total = sum(pay.overtime_min.values()) / 60
    if not _close(float(roster.overtime_hours), ot_total):
        out.add("overtime", f"overtime_hours {float(roster.overtime_hours):g}, the pay rules give {ot_total:g}")


def check_coverage(problem: RosterProblem, roster: Roster, out: Violations) -> None:
    """``scheduled`` counts the assignments, and ``shortfall`` lists exactly the missing heads."""
    counts = defaultdict(int)
    for r in roster.assignments.itertuples(index=False):
        counts[pd.Timestamp(r.interval_start), r.channel] += 1
    reported = {(pd.Timestamp(t), c): int(n) for t, c, n in zip(
        roster.scheduled["interval_start"], roster.scheduled["channel"], roster.scheduled["scheduled_heads"])}
    req = problem.requirements
    expected_short = {}
    for t, c, n in zip(pd.to_datetime(req["interval_start"]), req["channel"], req["required_scheduled"]):
        t = pd.Timestamp(t)
        have = counts.get((t, c), 0)
        if reported.get((t, c)) != have:
            out.add("scheduled", f"{c} at {t:%Y-%m-%d %H:%M}: scheduled_heads {reported.get((t, c))}, "
                                 f"assignments give {have}")
        need = required_heads(n)
        if t.date() in problem.days and need > have:
            expected_short[t, c] = need - have
    got_short = {(pd.Timestamp(t), c): int(m) for t, c, m in zip(
        roster.shortfall["interval_start"], roster.shortfall["channel"], roster.shortfall["missing"])}
    for key in sorted(set(expected_short) | set(got_short)):
        if expected_short.get(key, 0) != got_short.get(key, 0):
            out.add("shortfall", f"{key[1]} at {key[0]:%Y-%m-%d %H:%M}: shortfall reports "
                                 f"{got_short.get(key, 0)} missing, coverage gives {expected_short.get(key, 0)}")


# -- helpers ---------------------------------------------------------------------------------------------
def _minute(ts, day: dt.date) -> int:
    return int((pd.Timestamp(ts) - pd.Timestamp(day)).total_seconds() // 60)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def _works_at(shift, at: pd.Timestamp, step: pd.Timedelta) -> bool:
    if at < pd.Timestamp(shift.shift_start) or at + step > pd.Timestamp(shift.shift_end):
        return False
    if pd.isna(shift.lunch_start):
        return True
    return not (at < pd.Timestamp(shift.lunch_end) and at + step > pd.Timestamp(shift.lunch_start))


def _match_template(problem: RosterProblem, agent, day: dt.date, start: int, end: int, name):
    """The template (one ``agent`` may work, named ``name`` when given) that offers the shift
    ``start``-``end`` on ``day`` (``template_spans``: day types, promotion days, fitted windows)."""
    for tpl in problem.scenario.all_templates:
        if name is not None and isinstance(name, str) and name and tpl.name != name:
            continue
        if not problem.may_work(agent, tpl.name, tpl.contracts):
            continue
        if (start, end) in template_spans(problem, tpl, day):
            return tpl
    return None


def _pay(problem: RosterProblem, agents: dict[str, Agent], by_agent: dict[str, list]) -> PayCheck:
    """Cost per shift, base cost, overtime minutes per agent and per calendar month, and which shifts
    are rest-day work, from the pay rules (see the module docstring), one ISO week at a time."""
    pay = problem.scenario.pay
    comp_ok = "comp_off" in problem.scenario.rest_day_work.options
    shift_cost, overtime, rest_day = {}, {}, {}
    by_month: dict[tuple[str, dt.date], float] = defaultdict(float)
    base_total = 0.0
    for aid, rows in by_agent.items():
        rate = agents[aid].hourly_cost
        weeks: dict[tuple[int, int], list] = defaultdict(list)
        for s in sorted(rows, key=lambda s: pd.Timestamp(s.shift_start)):
            weeks[RosterProblem.week_key(WorkedShifts.day(s))].append(s)
        overtime[aid] = 0.0
        for week in weeks.values():
            day0 = WorkedShifts.day(week[0])
            before = problem.previous_week_status(aid, day0)
            parts, nth = [], before.nonstat
            for s in week:
                paid_min = float(s.paid_hours) * 60
                base_total += paid_min / 60 * rate
                part = _shift_part(problem, s, paid_min, rate)
                if problem.day_types[WorkedShifts.day(s)] != "statutory_holiday":
                    nth += 1
                    if problem.rest_day_rules and nth > problem.standard_days(day0):
                        rest_day[aid, pd.Timestamp(s.shift_start)] = True
                        if comp_ok and getattr(s, "rest_day", "") == "comp_off":
                            part = [s, part[1], 0.0, part[3]]  # an ordinary shift's pay, a day owed
                        else:
                            part = [s, paid_min / 60 * rate * pay.rest_day_overtime, 0.0, paid_min]
                parts.append(part)
            std = max(problem.weekly_std_min(day0), before.ordinary_min)
            excess = max(0.0, sum(p[2] for p in parts) + before.ordinary_min - std)
            for p in reversed(parts):  # the week's excess ordinary hours fall on the latest shifts
                take = min(excess, p[2])
                p[1] += take * (pay.workday_overtime - 1) * rate / 60
                p[3] += take
                excess -= take
            for s, cost, _, ot in parts:
                shift_cost[aid, pd.Timestamp(s.shift_start)] = cost
                by_month[aid, WorkedShifts.day(s).replace(day=1)] += ot
                overtime[aid] += ot
    return PayCheck(shift_cost, defaultdict(float, overtime), base_total, dict(by_month), rest_day)


def _shift_part(problem: RosterProblem, s, paid_min: float, rate: float) -> list:
    """[shift, cost, ordinary minutes, overtime minutes] of one shift before the weekly rules."""
    pay, lab = problem.scenario.pay, problem.scenario.labour
    day_type = problem.day_types[WorkedShifts.day(s)]
    if day_type == "statutory_holiday":
        return [s, paid_min / 60 * rate * pay.statutory_holiday, 0.0, 0.0]
    mult = pay.weekend if day_type in PREMIUM_DAY_TYPES else 1.0
    ordinary = paid_min if lab.comprehensive_hours else min(paid_min, lab.max_paid_h_per_day * 60)
    extra = paid_min - ordinary
    return [s, rate * (ordinary / 60 * mult + extra / 60 * max(mult, pay.workday_overtime)), ordinary, extra]
