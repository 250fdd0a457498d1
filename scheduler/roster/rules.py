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
from typing import TYPE_CHECKING

import pandas as pd

from core.errors import InputError
from scheduler.agents import Agent
from scheduler.roster.family import HardRule, Term
from scheduler.roster.problem import RosterProblem, ShiftShape

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
    """At most ``max_days_per_week`` working days, and at least one rest day a week."""

    name = "max_days_per_week"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        cap = problem.max_working_days
        if cap >= len(problem.days):
            return []
        for a, agent in enumerate(problem.agents):
            model_ct = model.add(sum(rv.works(a, d) for d in range(len(problem.days))) <= cap)
            rv.enforce(model_ct, agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        return f"max_days_per_week={problem.max_working_days}"

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        if diag.days_worked.get(agent.agent_id, 0) >= diag.problem.max_working_days:
            return "already at max_days_per_week"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        for aid, rows in worked.by_agent.items():
            if len(rows) > problem.max_working_days:
                out.add("max_days_per_week", f"{aid}: {len(rows)} working days > max_days_per_week "
                                             f"{problem.max_working_days} (one rest day a week at least)")


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
    """Paid time a week <= ``max_paid_h_per_week`` + the week's overtime allowance (the monthly
    cap pro-rated, less ``month_overtime_h`` already used) and <= the agent's ``max_weekly_h``;
    overtime minutes (``rv.overtime``, the ledger ``PayCost`` writes) <= the allowance."""

    name = "weekly_hours"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        n_days = len(problem.days)
        for a, agent in enumerate(problem.agents):
            ks = [k for d in range(n_days) for k in rv.by_agent_day.get((a, d), [])]
            if not ks:
                continue
            cap = problem.weekly_cap_min(agent)
            paid = sum(rv.x[k] * rv.cands[k].paid_min for k in ks)
            rv.enforce(model.add(paid <= cap), agent.agent_id, self)
            allowance = problem.weekly_overtime_allowance_min(agent.agent_id)
            ot = rv.overtime.minutes(a, self.name)
            if ot is not None:
                rv.enforce(model.add(ot <= allowance), agent.agent_id, self)
        return []

    def describe(self, problem: RosterProblem, agent: Agent) -> str:
        lab = problem.scenario.labour
        text = (f"max {problem.weekly_cap_min(agent) / 60:g} paid h this week (max_paid_h_per_week="
                f"{lab.max_paid_h_per_week:g} + overtime allowance "
                f"{problem.weekly_overtime_allowance_min(agent.agent_id) / 60:g} h")
        if agent.max_weekly_h is not None:
            text += f", max_weekly_h={agent.max_weekly_h:g}"
        return text + ")"

    def diagnose(self, diag: ShortfallDiagnostics, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        if diag.paid_min.get(agent.agent_id, 0) + shape.paid_min > diag.problem.weekly_cap_min(agent):
            return "at the weekly hours cap"
        return None

    def validate(self, problem: RosterProblem, worked: WorkedShifts, out: Violations) -> None:
        for aid, rows in worked.by_agent.items():
            agent = worked.agents[aid]
            paid_min = sum(int(round(float(s.paid_hours) * 60)) for s in rows)
            if paid_min > problem.weekly_cap_min(agent):
                cap_h = problem.weekly_cap_min(agent) / 60
                out.add("weekly hours", f"{aid}: {paid_min / 60:g} paid h > weekly cap {cap_h:g} "
                                        f"(max_paid_h_per_week + overtime allowance, max_weekly_h)")
            ot = worked.pay.overtime_min[aid]
            allowance = problem.weekly_overtime_allowance_min(aid)
            if ot > allowance:
                out.add("overtime", f"{aid}: {ot / 60:g} overtime h > this week's allowance {allowance / 60:g} "
                                    f"(max_overtime_h_per_month pro-rated, less month_overtime_h)")


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
