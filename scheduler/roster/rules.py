"""The hard rules of the roster, one ``HardRule`` class each: the CP-SAT constraints (``build``), the
conflict explanation (``describe``), the shortfall diagnosis (``diagnose``) and the solver-free
re-check (``validate``) of one rule side by side.

Every constraint goes through ``rv.enforce(constraint, agent_id, self)``: a plain constraint in the
normal solve; when the hard rules conflict, the model is rebuilt with one assumption literal per
agent x rule and CP-SAT's infeasible core is told with the rules' ``describe``.

``validate`` reads only the roster's shifts as the validator indexed them (``WorkedShifts``) and the
rules ``RosterProblem`` derives from the scenario; it never calls ``build`` or model code, so the
validator stays an independent re-computation. No OR-Tools import at run time (see ``family.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd

from core.errors import InputError
from scheduler.agents import Agent
from scheduler.roster.family import HardRule, Term
from scheduler.roster.problem import COMP_OFF_COLUMNS, RosterProblem, ShiftShape

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from scheduler.roster.model import RosterVars
    from scheduler.roster.report import ShortfallDiagnostics
    from scheduler.validation import Violations, WorkedShifts


class Leave(HardRule):
    """No shift on the agent's leave dates: ``unavailable`` in the pool file and approved ``leave``
    requests (``plan --requests``), both read through ``problem.leave_dates``."""

    name = "leave"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        leave = {a: problem.leave_dates(agent) for a, agent in enumerate(problem.agents)}
        for c in rv.cands:
            if problem.days[c.day] in leave[c.agent]:
                rv.enforce(model.add(rv.x[c.idx] == 0), problem.agents[c.agent].agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        asked = {r.date: r for r in problem.requests if r.kind == "leave" and r.agent_id == agent.agent_id}
        dates = sorted(d for d in problem.leave_dates(agent) if d in problem.days)
        return "on leave " + ", ".join(d.isoformat() + (f" (request, {asked[d].source}:{asked[d].row})"
                                                        if d in asked else "") for d in dates)

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        return "on leave" if day in diag.problem.leave_dates(agent) else None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        for (aid, day), s in worked.by_day.items():
            if day in problem.leave_dates(worked.agents[aid]):
                out.add("leave", f"{worked.label(s)}: the agent is on leave that day")


class MaxDaysPerWeek(HardRule):
    """At most ``max_days_per_week`` working days in every ISO week, and at least one full rest day in
    every ISO week (Labour Law art. 38): never more than 6, the previous plan's days of the week
    included (a month plan's first week, a week after a month plan)."""

    name = "max_days_per_week"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        for a, agent in enumerate(problem.agents):
            for week in problem.iso_weeks():
                left = problem.days_left_in_week(agent.agent_id, problem.days[week[0]])
                if left >= len(week):
                    continue
                ct = model.add(sum(rv.works(a, d) for d in week) <= left)
                rv.enforce(ct, agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        return f"max_days_per_week={problem.max_working_days} in every ISO week (one full rest day at least)"

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        p = diag.problem
        week = set(p.week_dates(day))
        worked = sum(1 for r in diag.by_agent.get(agent.agent_id, []) if r.date in week)
        if worked >= p.days_left_in_week(agent.agent_id, day):
            return "already at max_days_per_week"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        for aid, rows in worked.by_agent.items():
            for key, days in _by_week(rows).items():
                n = len(days) + problem.previous_week_status(aid, days[0]).days
                if n > problem.max_working_days:
                    out.add("max_days_per_week", f"{aid}: {n} working days in {key[0]}-W{key[1]:02d} > "
                                                 f"max_days_per_week {problem.max_working_days} "
                                                 f"(one full rest day in every ISO week)")


class DailyHours(HardRule):
    """Paid time a day <= ``max_paid_h_per_day + max_overtime_h_per_day``."""

    name = "daily_hours"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        cap = problem.daily_cap_min()
        for c in rv.cands:
            if c.paid_min > cap:
                rv.enforce(model.add(rv.x[c.idx] == 0), problem.agents[c.agent].agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        lab = problem.scenario.labour
        return (f"max_paid_h_per_day={lab.max_paid_h_per_day:g} + "
                f"max_overtime_h_per_day={lab.max_overtime_h_per_day:g}")

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        if shape.paid_min > diag.problem.daily_cap_min():
            return "over the daily hours cap"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        cap = problem.daily_cap_min()
        for s in worked.by_day.values():
            paid = worked.span_paid_min(s) / 60
            if paid * 60 > cap + 1e-9:
                out.add("daily hours", f"{worked.label(s)}: {paid:g} paid h > max_paid_h_per_day + "
                                       f"max_overtime_h_per_day = {cap / 60:g}")


class WeeklyHours(HardRule):
    """Paid time in every ISO week <= the agent's own ``max_weekly_h`` (part-timers: 24 h), the previous
    plan's days of the week included. (The law's weekly limit is the standard week plus overtime: hours
    beyond the standard week are overtime, which ``MonthlyOvertime`` caps.)"""

    name = "weekly_hours"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        for a, agent in enumerate(problem.agents):
            if agent.max_weekly_h is None:
                continue
            for week in problem.iso_weeks():
                ks = [k for d in week for k in rv.by_agent_day.get((a, d), [])]
                if not ks:
                    continue
                cap = self.cap_min(problem, agent, problem.days[week[0]])
                paid = sum(rv.x[k] * rv.cands[k].paid_min for k in ks)
                rv.enforce(model.add(paid <= cap), agent.agent_id, self)
        return []

    @staticmethod
    def cap_min(problem: RosterProblem, agent: Agent, day: dt.date) -> int:
        """[min] paid time left in the ISO week of ``day`` under ``max_weekly_h``."""
        done = problem.previous_week_status(agent.agent_id, day).paid_min
        return max(0, int(math.floor(agent.max_weekly_h * 60 + 1e-9)) - done)

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        if agent.max_weekly_h is None:
            return "no weekly hours cap"
        return f"max_weekly_h={agent.max_weekly_h:g} in every ISO week"

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        if agent.max_weekly_h is None:
            return None
        week = set(diag.problem.week_dates(day))
        paid = sum(int(round(r.paid_hours * 60)) for r in diag.by_agent.get(agent.agent_id, []) if r.date in week)
        if paid + shape.paid_min > self.cap_min(diag.problem, agent, day):
            return "at the weekly hours cap"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        for aid, rows in worked.by_agent.items():
            agent = worked.agents[aid]
            if agent.max_weekly_h is None:
                continue
            for key, days in _by_week(rows).items():
                paid_min = sum(int(round(float(s.paid_hours) * 60)) for s in rows
                               if worked.day(s) in set(days))
                cap = self.cap_min(problem, agent, days[0])
                if paid_min > cap:
                    out.add("weekly hours", f"{aid}: {paid_min / 60:g} paid h in {key[0]}-W{key[1]:02d} > "
                                            f"{cap / 60:g} h left of max_weekly_h {agent.max_weekly_h:g}")


class MonthlyOvertime(HardRule):
    """Overtime in every calendar month <= ``max_overtime_h_per_month`` (36 h, Labour Law art. 41), less
    what the agent worked in the first planning day's month before it (``month_overtime_h``, carried
    by ``--previous``). Overtime = daily overtime + paid rest-day hours + weekly excess, as ``PayCost``
    counts it (``rv.overtime``); a week's excess counts in both months of a week that straddles two."""

    name = "monthly_overtime"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        months = problem.months()
        for a, m in rv.overtime.keys(self.name):
            agent = problem.agents[a]
            cap = problem.month_overtime_cap_min(agent.agent_id, problem.days[months[m][0]])
            rv.enforce(model.add(rv.overtime.read((a, m), self.name) <= cap), agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        lab = problem.scenario.labour
        text = f"max_overtime_h_per_month={lab.max_overtime_h_per_month:g}"
        used = float(problem.month_overtime_h.get(agent.agent_id, 0.0))
        if used:
            text += f" ({used:g} h used in {problem.days[0]:%Y-%m} before the plan)"
        return text

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        p = diag.problem
        extra = max(0, shape.paid_min - p.std_day_min()) if p.rest_day_rules else 0
        if not extra:
            return None
        used = sum(_overtime_min(r) for r in diag.by_agent.get(agent.agent_id, [])
                   if (r.date.year, r.date.month) == (day.year, day.month))
        if used + extra > p.month_overtime_cap_min(agent.agent_id, day):
            return "at the monthly overtime cap"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        for (aid, month), minutes in sorted(worked.pay.overtime_by_month.items()):
            cap = problem.month_overtime_cap_min(aid, month)
            if minutes > cap + 1e-6:
                out.add("overtime", f"{aid}: {minutes / 60:g} overtime h in {month:%Y-%m} > "
                                    f"{cap / 60:g} h left of max_overtime_h_per_month "
                                    f"{problem.scenario.labour.max_overtime_h_per_month:g}")


class CompOff(HardRule):
    """Comp days off (补休) for rest-day work given back in time (Labour Law art. 44(2)).

    A rest-day shift compensated by time off (``PayCost``: ``rest_day="comp_off"``) earns the agent a
    comp day off, due by the Sunday of the ISO week ``rest_day_work.comp_off_weeks`` later; days owed
    from the previous plan's ledger (``problem.comp_off``) carry over. A comp day off is one of the
    week's standard days taken off with pay: in a week where the agent gets ``c`` of them, the agent
    works at most ``S - c`` non-statutory days (no rest-day work that week) and each is a day of the
    plan the agent does not work, not a statutory holiday nor a leave day. They are given first-due
    first, never in the week they are earned, and every one due by the plan's last day is given.

    The comp days still owed when the plan ends are valued at ``rest_day_work.owed_day_cost`` x the
    agent's hourly cost x ``max_paid_h_per_day`` each (objective term ``comp_off``): what giving them
    back later will cost. So a comp day the plan can give back in a slack week costs only its ordinary
    pay, and one it cannot give back costs what the scenario says a day owed is worth."""

    name = "comp_off"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        terms = []
        weeks = problem.iso_weeks()
        value = problem.scenario.rest_day_work.owed_day_cost * problem.std_day_min() / 60
        for a, agent in enumerate(problem.agents):
            owed = problem.comp_owed_at_start(agent.agent_id)
            earned = [rv.comp_earned.read((a, w), self.name) for w in range(len(weeks))]
            if not owed and all(e is None for e in earned):
                continue
            given = [self._week(problem, model, rv, a, week, len(owed) + sum(
                _max_earned(problem, wk) for wk, e in zip(weeks[:w], earned) if e is not None))
                for w, week in enumerate(weeks)]
            for w, week in enumerate(weeks):
                # first-due first: never more than was owed before the week, all that is due by its end
                so_far = sum(g for g in given[:w + 1] if g is not None)
                before = len(owed) + sum(e for e in earned[:w] if e is not None)
                if not isinstance(so_far, int):
                    rv.enforce(model.add(so_far <= before), agent.agent_id, self)
                end = min(problem.week_dates(problem.days[week[0]])[6], problem.days[-1])
                due = sum(1 for d in owed if d <= end) + sum(
                    e for u, e in enumerate(earned) if e is not None
                    and problem.comp_due_by(problem.days[weeks[u][0]]) <= end)
                if not isinstance(due, int) or due > 0:
                    rv.enforce(model.add(so_far + 0 >= due), agent.agent_id, self)
            for w, g in enumerate(given):
                if g is not None:
                    rv.comp_given[a, w] = g
            change = sum(e for e in earned if e is not None) - sum(g for g in given if g is not None)
            if value and not isinstance(change, int):
                terms.append(Term(change, value * agent.hourly_cost, "comp_off"))
        return terms

    def _week(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars, a: int, week: list[int],
              owed_most: int):
        """Comp days given to agent ``a`` in one ISO week (an int var, or None when none can be)."""
        agent = problem.agents[a]
        day0 = problem.days[week[0]]
        standard = problem.standard_days(day0)
        before = problem.previous_week_status(agent.agent_id, day0).nonstat + problem.comp_given_before(
            agent.agent_id, day0)
        nonstat = [d for d in week if problem.day_types[problem.days[d]] != "statutory_holiday"]
        free = [d for d in nonstat if problem.days[d] not in agent.unavailable]
        most = min(len(free), standard - before, owed_most)
        if most <= 0:
            return None
        label = f"{day0.isocalendar()[0]}-W{day0.isocalendar()[1]:02d}"
        given = model.new_int_var(0, most, f"comp_days_off(agent={agent.agent_id}, week={label})")
        some = model.new_bool_var(f"comp_week(agent={agent.agent_id}, week={label})")
        rv.enforce(model.add(given == 0).only_enforce_if(some.Not()), agent.agent_id, self)
        worked = sum(rv.works(a, d) for d in nonstat)
        rv.enforce(model.add(before + worked + given <= standard).only_enforce_if(some), agent.agent_id, self)
        # the same, linear (valid in any roster: a week with comp days has no rest-day shift): the LP
        # cannot give days back in a week whose standard days are worked, which keeps its bound honest
        rest_days = [rv.rest_day[k][0] for d in nonstat for k in rv.by_agent_day.get((a, d), []) if k in rv.rest_day]
        rv.enforce(model.add(before + worked + given <= standard + sum(rest_days)), agent.agent_id, self)
        rv.enforce(model.add(given + sum(rv.works(a, d) for d in free) <= len(free)), agent.agent_id, self)
        return given

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        owed = problem.comp_owed_at_start(agent.agent_id)
        policy = problem.scenario.rest_day_work
        text = f"comp days off within comp_off_weeks={policy.comp_off_weeks}"
        if owed:
            text += f", {len(owed)} owed (first due {owed[0].isoformat()})"
        return text

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        return "on a comp day off" if (agent.agent_id, day) in diag.comp_days_off else None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        check_comp_off(problem, worked, out)


class MinRest(HardRule):
    """At least ``min_rest_h`` between the end of one shift and the start of the next, including from
    last week's last shift into this week."""

    name = "min_rest"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        rest = pd.Timedelta(hours=problem.scenario.labour.min_rest_h)
        if rest <= pd.Timedelta(0):
            return []
        n_days = len(problem.days)
        for a, agent in enumerate(problem.agents):
            last_end = problem.last_shift_end(agent.agent_id)
            for d in range(n_days):
                for k in rv.by_agent_day.get((a, d), []):
                    c = rv.cands[k]
                    start = problem.at(problem.days[d], c.start_min)
                    if last_end is not None and start - last_end < rest:
                        rv.enforce(model.add(rv.x[k] == 0), agent.agent_id, self)
                        continue
                    end = problem.at(problem.days[d], c.end_min)
                    for e in range(d + 1, n_days):
                        if problem.at(problem.days[e], 0) - end >= rest:
                            break
                        clash = [j for j in rv.by_agent_day.get((a, e), [])
                                 if problem.at(problem.days[e], rv.cands[j].start_min) - end < rest]
                        if clash:
                            ct = model.add(rv.x[k] + sum(rv.x[j] for j in clash) <= 1)
                            rv.enforce(ct, agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        text = f"min_rest_h={problem.scenario.labour.min_rest_h:g}"
        end = problem.last_shift_end(agent.agent_id)
        if end is not None:
            text += f" after the shift ending {end:%Y-%m-%dT%H:%M}"
        return text

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        p = diag.problem
        rest = pd.Timedelta(hours=p.scenario.labour.min_rest_h)
        start, end = p.at(day, shape.start_min), p.at(day, shape.end_min)
        mine = diag.by_agent.get(agent.agent_id, [])
        before = [r.shift_end for r in mine if r.date < day]
        last = p.last_shift_end(agent.agent_id)
        if last is not None:
            before.append(last)
        after = [r.shift_start for r in mine if r.date > day]
        if (before and start - max(before) < rest) or (after and min(after) - end < rest):
            return "short of min_rest_h"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        rest = pd.Timedelta(hours=problem.scenario.labour.min_rest_h)
        first_day = pd.Timestamp(problem.days[0])
        for aid, rows in worked.by_agent.items():
            prev = problem.previous_for(aid)
            spans = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in zip(prev["shift_start"], prev["shift_end"])]
            spans += [(pd.Timestamp(s.shift_start), pd.Timestamp(s.shift_end)) for s in rows]
            spans.sort()
            for (_s0, e0), (s1, _e1) in zip(spans, spans[1:]):
                if s1 >= first_day and s1 - e0 < rest:
                    out.add("min_rest", f"{aid}: {(s1 - e0).total_seconds() / 3600:g} h between the shift ending "
                                        f"{e0:%Y-%m-%dT%H:%M} and the one starting {s1:%Y-%m-%dT%H:%M} "
                                        f"< min_rest_h={problem.scenario.labour.min_rest_h:g}")


class ConsecutiveDays(HardRule):
    """At most ``max_consecutive_days`` working days in a row, counting the run that ends last week."""

    name = "consecutive_days"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        limit = problem.scenario.labour.max_consecutive_days
        n_days = len(problem.days)
        for a, agent in enumerate(problem.agents):
            worked = problem.previous_worked_dates(agent.agent_id)
            # timeline: `limit` days before the week (constants) then the week's days
            before = [problem.days[0] - dt.timedelta(days=i) for i in range(limit, 0, -1)]
            timeline = [(day in worked, None) for day in before] + [(None, d) for d in range(n_days)]
            for i in range(len(timeline) - limit):
                window = timeline[i:i + limit + 1]
                days_in = [d for _, d in window if d is not None]
                if not days_in:
                    continue
                fixed = sum(1 for w, d in window if d is None and w)
                if len(days_in) + fixed <= limit:
                    continue
                rhs = max(0, limit - fixed)
                ct = model.add(sum(rv.works(a, d) for d in days_in) <= rhs)
                rv.enforce(ct, agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        text = f"max_consecutive_days={problem.scenario.labour.max_consecutive_days}"
        run = problem.trailing_run(agent.agent_id)
        if run:
            last = problem.days[0] - dt.timedelta(days=1)
            text += f" after {run} days worked in a row to {last.isoformat()}"
        return text

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        p = diag.problem
        worked = {r.date for r in diag.by_agent.get(agent.agent_id, [])} | p.previous_worked_dates(agent.agent_id)
        run = 1
        d = day - dt.timedelta(days=1)
        while d in worked:
            run, d = run + 1, d - dt.timedelta(days=1)
        d = day + dt.timedelta(days=1)
        while d in worked:
            run, d = run + 1, d + dt.timedelta(days=1)
        return "at max_consecutive_days" if run > p.scenario.labour.max_consecutive_days else None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        limit = problem.scenario.labour.max_consecutive_days
        for aid, rows in worked.by_agent.items():
            dates = {pd.Timestamp(s.shift_start).date() for s in rows} | problem.previous_worked_dates(aid)
            run = 0
            d = problem.days[0] - dt.timedelta(days=limit + 1)
            while d <= problem.days[-1]:
                run = run + 1 if d in dates else 0
                if run > limit and d >= problem.days[0]:
                    out.add("consecutive days", f"{aid}: {run} days worked in a row to {d.isoformat()} > "
                                                f"max_consecutive_days={limit}")
                d += dt.timedelta(days=1)


class Pinned(HardRule):
    """Shifts fixed by the planner (``pinned_shifts``) must be worked. Registered last of the hard
    rules, so that a conflict reads ``<rule> vs pinned shift ...``."""

    name = "pinned"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        for (a, _d), ks in rv.pinned.items():
            agent = problem.agents[a]
            rv.enforce(model.add(sum(rv.x[k] for k in ks) == 1), agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        rows = [text for _, text in pinned_texts(problem, agent)]
        return ("pinned shift " if len(rows) == 1 else "pinned shifts ") + ", ".join(rows)

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        return None  # a pin adds a shift; what that shift rules out, the other rules diagnose

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        pins = problem.pinned_shifts
        if pins is None or pins.empty:
            return
        for p in pins.itertuples(index=False):
            start = pd.Timestamp(p.shift_start)
            s = worked.by_day.get((p.agent_id, start.date()))
            if s is None or pd.Timestamp(s.shift_start) != start:
                out.add("pinned", f"{p.agent_id}: pinned shift {start:%Y-%m-%d %H:%M} not worked")


def pinned_texts(problem: RosterProblem, agent: Agent) -> list[tuple[tuple[str, dt.date], str]]:
    """(key, 'YYYY-MM-DD HH:MM-HH:MM') of the agent's pinned shifts, for messages."""
    pins = problem.pinned_shifts
    if pins is None or pins.empty:
        return []
    out = []
    for rec in pins[pins["agent_id"] == agent.agent_id].itertuples(index=False):
        start = pd.Timestamp(rec.shift_start)
        text = f"{start:%Y-%m-%d %H:%M}"
        end = getattr(rec, "shift_end", None)
        if end is not None and not pd.isna(end):
            text += f"-{pd.Timestamp(end):%H:%M}"
        out.append(((agent.agent_id, start.date()), text))
    return out


def check_pinned_rows(problem: RosterProblem) -> None:
    """Pinned rows must name known agents and dates of the week (the rest is checked by the model)."""
    pins = problem.pinned_shifts
    if pins is None or pins.empty:
        return
    ids = {a.agent_id for a in problem.agents}
    for i, rec in enumerate(pins.itertuples(index=False)):
        if rec.agent_id not in ids:
            raise InputError(f"pinned shift row {i + 1}: unknown agent '{rec.agent_id}'", field="pinned_shifts")
        if pd.Timestamp(rec.shift_start).date() not in problem.days:
            raise InputError(f"pinned shift row {i + 1}: {rec.shift_start} is not in the planning days",
                             field="pinned_shifts")


def _by_week(rows) -> dict[tuple[int, int], list[dt.date]]:
    """The dates of shift rows grouped by ISO week, in date order."""
    out: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    for s in rows:
        day = pd.Timestamp(s.shift_start).date()
        out[RosterProblem.week_key(day)].append(day)
    return {k: sorted(v) for k, v in out.items()}


def _overtime_min(row) -> int:
    """[min] overtime of a roster shift row (its ``overtime_hours``, 0 when absent)."""
    value = getattr(row, "overtime_hours", 0.0)
    return 0 if value is None or pd.isna(value) else int(round(float(value) * 60))


def _max_earned(problem: RosterProblem, week: list[int]) -> int:
    """Most comp days an agent can earn in one ISO week of the plan: its non-statutory days."""
    return sum(problem.day_types[problem.days[d]] != "statutory_holiday" for d in week)


def check_comp_off(problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
    """The comp-off rules, from their definition: rest-day shifts (``WorkedShifts.pay``: beyond the
    week's standard days, date order) say how they are compensated, as the options allow, and no
    other shift says so; the ledger (``Roster.comp_off``) has one row per comp day earned here or owed
    from before, each due ``comp_off_weeks`` after its week, and each day given is a planning day the
    agent does not work (not statutory, not on leave), in a later week than it was earned, by its due
    date, in a week whose non-statutory days worked plus comp days stay within its standard days;
    every day due by the plan's last day is given."""
    options = problem.scenario.rest_day_work.options
    ledger = worked.comp_off if worked.comp_off is not None else pd.DataFrame(columns=list(COMP_OFF_COLUMNS))
    flagged = []
    for (aid, day), s in worked.by_day.items():
        flag = _text(getattr(s, "rest_day", ""))
        expected = worked.pay.rest_day.get((aid, pd.Timestamp(s.shift_start)), False)
        if flag and not expected:
            out.add("rest day", f"{worked.label(s)}: marked rest_day={flag} but it is within the week's "
                                f"{problem.standard_days(day)} standard days or a statutory holiday")
        elif expected and flag not in options:
            out.add("rest day", f"{worked.label(s)}: rest-day work marked '{flag}', not one of "
                                f"rest_day_work.options {options}")
        if expected and flag == "comp_off":
            flagged.append((aid, day))
    rows = [(r.agent_id, _date(r.earned_on), _date(r.due_by), _date(r.given_on))
            for r in ledger.itertuples(index=False)]
    earned_here = sorted((aid, e) for aid, e, _, _ in rows if e is not None and e >= problem.days[0])
    if earned_here != sorted(flagged):
        out.add("comp_off", f"the ledger's comp days earned in the plan {len(earned_here)} do not match the "
                            f"{len(flagged)} rest-day shifts marked comp_off")
    for aid in sorted({a for a, *_ in rows} | {a.agent_id for a in problem.agents}):
        carried = sorted(due for a, e, due, _ in rows if a == aid and e is not None and e < problem.days[0])
        if carried != problem.comp_owed_at_start(aid):
            out.add("comp_off", f"{aid}: comp days owed from before the plan {len(carried)} in the ledger, "
                                f"{len(problem.comp_owed_at_start(aid))} in the previous plan's ledger")
    given_by_week: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)
    seen = set()
    for aid, earned_on, due, given in rows:
        label = f"{aid} comp day earned {earned_on}"
        if earned_on is not None and earned_on >= problem.days[0] and due != problem.comp_due_by(earned_on):
            out.add("comp_off", f"{label}: due_by {due}, comp_off_weeks gives {problem.comp_due_by(earned_on)}")
        if given is None:
            if due is not None and due <= problem.days[-1]:
                out.add("comp_off", f"{label}: due by {due} but not given")
            continue
        agent = worked.agents.get(aid)
        if given not in problem.days or agent is None or (aid, given) in worked.by_day or (aid, given) in seen \
                or problem.day_types[given] == "statutory_holiday" or given in agent.unavailable:
            out.add("comp_off", f"{label}: given on {given}, not a free non-statutory planning day of the agent")
        if earned_on is not None and RosterProblem.week_key(given) <= RosterProblem.week_key(earned_on):
            out.add("comp_off", f"{label}: given on {given}, in the week it was earned or before")
        if due is not None and given > due:
            out.add("comp_off", f"{label}: given on {given}, after its due date {due}")
        seen.add((aid, given))
        given_by_week[aid, RosterProblem.week_key(given)] += 1
    for (aid, key), n in sorted(given_by_week.items()):
        day0 = dt.date.fromisocalendar(key[0], key[1], 1)
        nonstat = sum(1 for (a, d) in worked.by_day if a == aid and RosterProblem.week_key(d) == key
                      and problem.day_types[d] != "statutory_holiday")
        used = nonstat + n + problem.previous_week_status(aid, day0).nonstat + problem.comp_given_before(aid, day0)
        if used > problem.standard_days(day0):
            out.add("comp_off", f"{aid}: {n} comp day(s) off in {key[0]}-W{key[1]:02d} with {used - n} "
                                f"non-statutory days worked, more than its {problem.standard_days(day0)} "
                                f"standard days")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return None
    return pd.Timestamp(value).date()
