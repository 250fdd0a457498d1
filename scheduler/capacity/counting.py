"""The counting model: the roster with alike agents counted, not named, to prove how many hires a week
needs at least.

Agents with the same skills, contract and templates form a group; each ``[hire]`` profile is a group
whose size ``hires(profile)`` is a variable up to its cap. Per group: ``shifts[g, d, s]`` of shift shape
``s`` on day ``d``, its lunches and its heads per channel, the same structure as the roster model's
skill groups (``roster.model.RosterVars``). The rules are the roster's summed over a group's members:

- a day: shifts <= members not on leave; a shape: shifts <= members whose rest after last week allows
  it; no shape over the daily hours cap;
- an ISO week (``problem.iso_weeks()``): working days <= their days left in the week (one full rest
  day; the previous plan's days of the week counted), paid minutes <= their weekly caps
  (``RosterProblem.weekly_cap_min``); a calendar month: daily overtime minutes <= what is left of
  their monthly overtime caps.

Every roster of the named agents gives a solution here (count its shifts), so the fewest hires here is
a lower bound for the roster model; it leaves out what only named agents have (rest between shifts
inside the week, consecutive days, pinned shifts, rest-day pay and comp days off), which is why the sizing then
looks for a roster of named agents with that many hires. Being small and without the named agents'
symmetry, it is solved to optimality in a fraction of the roster's time.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd
from ortools.sat.python import cp_model

from scheduler.agents import Agent
from scheduler.capacity.service import ServiceVars, add_service_targets
from scheduler.roster.constraints import shift_pay
from scheduler.roster.model import make_solver
from scheduler.roster.problem import RosterProblem, ShiftShape, shift_shapes


@dataclass
class Group:
    """Alike agents (or one hire profile's candidates: ``profile`` set, ``size`` a variable)."""

    key: tuple
    members: list[Agent]
    profile: int | None = None
    size: cp_model.LinearExprT | int = 0
    shifts: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (day, shape) -> count


@dataclass
class Counting:
    """The counting model's answer: the least unstable intervals, then target deficit [bp], then hires
    (per profile), and the shifts per group, day and shape that reach them."""

    unstable: int
    deficit_bp: int
    hires: dict[int, int]
    proven: bool
    status: str
    hires_bound: int              # hires proven necessary (= the total when proven)
    shifts: dict[tuple, dict[tuple[int, int], int]]
    groups: list[Group]
    shapes: dict[int, list[ShiftShape]]
    deterministic_time: float = 0.0
    lunch_split: dict[tuple, int] = field(default_factory=dict)  # lunches and heads by skills, as the roster keys them

    @property
    def total(self) -> int:
        return sum(self.hires.values())


def group_agents(pool: list[Agent], candidates: list[tuple[Agent, int]]) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for a in pool:
        key = (tuple(sorted(a.skills)), a.contract, a.templates)
        groups.setdefault(key, Group(key, [])).members.append(a)
    for a, p in candidates:
        key = ("hire", p)
        groups.setdefault(key, Group(key, [], profile=p)).members.append(a)
    return list(groups.values())


class CountingModel:
    """Build (``__init__``) and solve (``solve``) the counting model of ``problem`` with the hire
    ``candidates`` (see the module docstring)."""

    def __init__(self, problem: RosterProblem, candidates: list[tuple[Agent, int]], tables: dict):
        self.problem = problem
        self.model = cp_model.CpModel()
        self.groups = group_agents(problem.agents, candidates)
        self.shapes = {d: shift_shapes(problem, day) for d, day in enumerate(problem.days)}
        self.on: dict[tuple[int, int, int], list[tuple[cp_model.IntVar, int]]] = {}
        self.heads: dict[tuple[int, int, str], list[cp_model.IntVar]] = {}
        # by skills (sorted), as the roster model keys them: (skills, day, shape, start) and (skills, day, t, channel)
        self.lunch: dict[tuple, list[cp_model.IntVar]] = {}
        self.split: dict[tuple, list[cp_model.IntVar]] = {}
        for gi, g in enumerate(self.groups):
            self._group(gi, g)
        self._channels()
        self.service: ServiceVars = add_service_targets(problem, self.model, self._heads, tables)
        self.hires = sum(g.size for g in self.groups if g.profile is not None)
        self.cap = sum(len(g.members) for g in self.groups if g.profile is not None)

    # -- structure ------------------------------------------------------------------------------------
    def _group(self, gi: int, g: Group) -> None:
        p, m = self.problem, self.model
        rep = g.members[0]
        n = len(g.members)
        g.size = m.new_int_var(0, n, f"hires(profile={g.profile + 1})") if g.profile is not None else n
        daily_cap = p.daily_cap_min()
        std_day = p.std_day_min()
        days_used: dict[int, list] = {}
        paid: dict[int, list] = {}
        overtime: dict[int, list] = {}
        for d, day in enumerate(p.days):
            today = []
            for s, shape in enumerate(self.shapes[d]):
                if not p.may_work(rep, shape.template, shape.contracts) or shape.paid_min > daily_cap:
                    continue
                allowed = n if g.profile is not None else sum(self._may_start(a, day, shape) for a in g.members)
                if allowed == 0:
                    continue
                v = m.new_int_var(0, allowed, f"count_shifts(group={gi}, on={day}, shape={s})")
                if g.profile is not None:
                    m.add(v <= g.size)
                g.shifts[d, s] = v
                today.append(v)
                self._shape(gi, d, s, shape, v, g)
                ot = shift_pay(p, 1.0, p.day_types[day], shape.paid_min, std_day)[2]
                paid.setdefault(d, []).append(shape.paid_min * v)
                if ot:
                    overtime.setdefault(d, []).append(ot * v)
            if today:
                free = g.size if g.profile is not None else sum(day not in a.unavailable for a in g.members)
                m.add(sum(today) <= free)
                days_used[d] = today
        self._periods(g, rep, days_used, paid, overtime)

    def _periods(self, g: Group, rep: Agent, days_used: dict[int, list], paid: dict[int, list],
                 overtime: dict[int, list]) -> None:
        """A group's caps summed over its members: per ISO week its working days and paid minutes, per
        calendar month its daily overtime (which the monthly cap counts whatever else it counts)."""
        p, m = self.problem, self.model
        hired = g.profile is not None

        def total(cap, day: dt.date) -> cp_model.LinearExprT | int:
            return cap(rep, day) * g.size if hired else sum(cap(a, day) for a in g.members)

        for week in p.iso_weeks():
            day0 = p.days[week[0]]
            used = [v for d in week for v in days_used.get(d, [])]
            if used:
                m.add(sum(used) <= total(lambda a, day: p.days_left_in_week(a.agent_id, day), day0))
                m.add(sum(t for d in week for t in paid.get(d, [])) <= total(p.weekly_cap_min, day0))
        for month in p.months():
            day0 = p.days[month[0]]
            terms = [t for d in month for t in overtime.get(d, [])]
            if terms:
                m.add(sum(terms) <= total(lambda a, day: p.month_overtime_cap_min(a.agent_id, day), day0))

    def _may_start(self, agent: Agent, day: dt.date, shape: ShiftShape) -> bool:
        """Not on leave, and rested since last week's last shift."""
        if day in agent.unavailable:
            return False
        end = self.problem.last_shift_end(agent.agent_id)
        rest = pd.Timedelta(hours=self.problem.scenario.labour.min_rest_h)
        return end is None or self.problem.at(day, shape.start_min) - end >= rest

    def _shape(self, gi: int, d: int, s: int, shape: ShiftShape, count: cp_model.IntVar, g: Group) -> None:
        """The shape's lunches and its on-duty terms."""
        step = self.problem.interval_min
        for t in shape.covered:
            self.on.setdefault((gi, d, t), []).append((count, 1))
        if not shape.lunch_starts:
            return
        lunches = []
        for l in shape.lunch_starts:
            v = self.model.new_int_var(0, len(g.members), f"count_lunch(group={gi}, day={d}, "
                                                           f"start={shape.start_min}, at={l})")
            lunches.append(v)
            self.lunch.setdefault((self._skills(g), d, s, l), []).append(v)
            for t in shape.covered:
                if t < l + shape.lunch_min and t + step > l:
                    self.on[gi, d, t].append((v, -1))
        self.model.add(sum(lunches) == count)

    @staticmethod
    def _skills(g: Group) -> tuple[str, ...]:
        return tuple(sorted(g.members[0].skills))

    def _channels(self) -> None:
        for (gi, d, t), terms in self.on.items():
            skills = self._skills(self.groups[gi])
            size = len(self.groups[gi].members)
            parts = []
            for ch in skills:
                v = self.model.new_int_var(0, size, f"count_heads(group={gi}, day={d}, t={t}, channel={ch})")
                self.heads.setdefault((d, t, ch), []).append(v)
                self.split.setdefault((skills, d, t, ch), []).append(v)
                parts.append(v)
            self.model.add(sum(parts) == sum(v * c for v, c in terms))

    def _heads(self, d: int, t: int, channel: str):
        return sum(self.heads.get((d, t, channel), []))

    # -- solve ----------------------------------------------------------------------------------------
    def solve(self, time_limit_s: float) -> Counting:
        """Fewest unstable intervals, then the least deficit, then the fewest hires (lexicographic by
        weights: one unit of a level outweighs everything below it)."""
        deficit_w = self.cap + 1
        unstable_w = deficit_w * (10_000 * max(1, len(self.service.deficit_bp)) + 1)
        self.model.minimize(unstable_w * self.service.unstable() + deficit_w * self.service.deficit() + self.hires)
        solver = make_solver(self.problem, time_limit_s)
        solver.parameters.relative_gap_limit = 0.0
        status = solver.solve(self.model)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        unstable = int(solver.value(self.service.unstable())) if found else 0
        deficit = int(solver.value(self.service.deficit())) if found else 0
        hires = {g.profile: int(solver.value(g.size)) for g in self.groups if g.profile is not None} if found else {}
        shifts = {g.key: {k: int(solver.value(v)) for k, v in g.shifts.items()} for g in self.groups} if found else {}
        counts = {key: sum(int(solver.value(v)) for v in vs) for key, vs in (self.lunch | self.split).items()} \
            if found else {}
        # hires the bound proves, once it proves the levels above them
        above = unstable_w * unstable + deficit_w * deficit
        bound = solver.best_objective_bound
        hires_bound = max(0, math.ceil(bound - 1e-6) - above) if found and bound > above - 1 else 0
        return Counting(unstable, deficit, {p: n for p, n in hires.items() if n}, status == cp_model.OPTIMAL,
                        solver.status_name(status), hires_bound, shifts, self.groups, self.shapes,
                        solver.deterministic_time, counts)
