"""The capacity sizing: the fewest hires of the scenario's ``[hire]`` profiles that meet every target,
then the cheapest plan with them (``size_pool``).

Lexicographically, over rosters within every hard rule of the roster model:

1. the fewest intervals with an unstable queue, then the smallest shortfall from the targets [basis
   points, summed over channels] (both 0 when the hires can meet every target), then the fewest hires.
   Phase 1 proves it on the counting model (``counting.py``), a relaxation: its optimum is a lower
   bound on the hires the named roster needs.
2. a roster of named agents with that many hires (their mix free) reaching the same levels, at the
   lowest plan objective (pay, shortfall penalties, soft terms; ``roster.model``), warm-started from
   the counting solution. Found, it proves the hires minimal for the model (``Sizing.proven``); shown
   infeasible, the count goes up by one and phase 2 runs again (``MAX_TRIES`` in all).

Budget [s]: ``hire.time_limit_s`` (``sizing_budget``), in the units of ``roster.time_limit_s`` (a
deterministic budget in the default search): phase 1 may use ``PHASE1_SHARE`` of it, phase 2 what is
left, and at least ``PHASE2_FLOOR`` of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from core.scenario import Scenario
from scheduler.agents import Agent
from scheduler.capacity.counting import Counting, CountingModel
from scheduler.capacity.hires import HireOption, hire_candidates
from scheduler.capacity.service import ServiceTarget, service_tables
from scheduler.roster.constraints import default_families
from scheduler.roster.model import BuiltModel, build_model, make_solver, solved_roster
from scheduler.roster.problem import RosterProblem
from scheduler.roster.report import Roster, ShortfallDiagnostics

PHASE1_SHARE = 0.5
PHASE2_FLOOR = 0.25
MAX_TRIES = 3


@dataclass
class Sizing:
    """What the sizing found.

    ``hires``: profile index -> hires (those of the named roster when ``verified``, else the counting
    model's); ``lower_bound``: hires proven necessary; ``unstable`` and ``deficit_bp``: what even the
    hires leave (unstable intervals; basis points below target per channel); ``roster`` and
    ``problem``: the named roster with the hires and the problem with them (pool + hires), when
    ``verified``."""

    counting: Counting
    hires: dict[int, int]
    lower_bound: int
    verified: bool
    unstable: int
    deficit_bp: dict[str, int]
    wall_s: float
    roster: Roster | None = None
    problem: RosterProblem | None = None
    hired: list[Agent] = field(default_factory=list)
    profile_of: dict[str, int] = field(default_factory=dict)
    status: str = ""

    @property
    def count(self) -> int:
        return sum(self.hires.values())

    @property
    def proven(self) -> bool:
        """The hires are minimal for the model: a roster with them exists, and no fewer can do."""
        return self.verified and self.count == self.lower_bound

    @property
    def reachable(self) -> bool:
        """Every target met and no queue unstable, with the hires."""
        return self.unstable == 0 and not any(self.deficit_bp.values())

    @property
    def pool_short(self) -> bool:
        return self.count > 0 or not self.reachable


def sizing_budget(scenario: Scenario) -> float:
    """[s] the sizing's budget: ``hire.time_limit_s``, or ``roster.time_limit_s`` without a ``[hire]`` table."""
    return scenario.hire.time_limit_s if scenario.hire is not None else scenario.roster.time_limit_s


def size_pool(problem: RosterProblem, time_limit_s: float | None = None) -> Sizing:
    """Size the hires for ``problem`` (see the module docstring); ``time_limit_s`` replaces
    ``sizing_budget``."""
    t0 = time.perf_counter()
    budget = sizing_budget(problem.scenario) if time_limit_s is None else time_limit_s
    tables = service_tables(problem)
    cands = hire_candidates(problem.scenario, problem.agents)
    profile_of = {a.agent_id: p for a, p in cands}
    counting = CountingModel(problem, cands, tables).solve(budget * PHASE1_SHARE)
    sizing = Sizing(counting, dict(counting.hires), counting.hires_bound, False, counting.unstable,
                    {}, 0.0, profile_of=profile_of, status=f"counting {counting.status}")
    if counting.status not in ("OPTIMAL", "FEASIBLE"):
        sizing.wall_s = time.perf_counter() - t0
        return sizing
    full = replace(problem, agents=list(problem.agents) + [a for a, _ in cands])
    hire, target = HireOption(profile_of), ServiceTarget(tables)
    built = build_model(full, families=default_families() + [hire, target])
    model = built.model
    model.add(target.vars.unstable() <= counting.unstable)
    model.add(target.vars.deficit() <= counting.deficit_bp)
    n = counting.total
    hires_total = model.new_int_var(n, n, "hires_total")
    model.add(hire.count() == hires_total)
    _hint(built, full, counting, cands, hire)
    for _ in range(MAX_TRIES):
        left = budget - (time.perf_counter() - t0)
        solver = make_solver(full, max(left, budget * PHASE2_FLOOR))
        status = solver.solve(model)
        sizing.status = f"counting {counting.status}, roster {solver.status_name(status)}"
        if status == cp_model.INFEASIBLE and n < len(cands):
            n += 1  # no roster of named agents with n - 1 hires: one more is needed
            sizing.lower_bound = max(sizing.lower_bound, n) if counting.proven else sizing.lower_bound
            model.proto.variables[hires_total.index].domain[:] = [n, n]
            continue
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            _take(sizing, solved_roster(full, built, solver, status, t0), problem, cands, hire, target, solver)
        break
    sizing.wall_s = time.perf_counter() - t0
    return sizing


def _take(sizing: Sizing, roster: Roster, problem: RosterProblem, cands: list[tuple[Agent, int]],
          hire: HireOption, target: ServiceTarget, solver: cp_model.CpSolver) -> None:
    """Keep the named roster: its hires (those working), its levels, and the problem with them."""
    working = set(roster.shifts["agent_id"])
    chosen = [(a, p) for a, p in cands if a.agent_id in working and solver.boolean_value(hire.hired[a.agent_id])]
    sizing.hires = {}
    for _, p in chosen:
        sizing.hires[p] = sizing.hires.get(p, 0) + 1
    sizing.hired = [a for a, _ in chosen]
    sizing.verified = True
    sizing.unstable = int(solver.value(target.vars.unstable()))
    sizing.deficit_bp = {ch: int(solver.value(v)) for ch, v in target.vars.deficit_bp.items()}
    sizing.problem = replace(problem, agents=list(problem.agents) + sizing.hired)
    _recompute_causes(sizing.problem, roster)
    sizing.roster = roster


def _recompute_causes(problem: RosterProblem, roster: Roster) -> None:
    """The shortfall causes with the pool the plan has: the candidates not hired left out."""
    if roster.shortfall.empty:
        return
    diag = ShortfallDiagnostics(problem, roster.shifts, roster.assignments)
    roster.shortfall["cause"] = [diag.cause(t, str(c), int(n)) for t, c, n in zip(
        roster.shortfall["interval_start"], roster.shortfall["channel"], roster.shortfall["required_scheduled"])]


# -- warm start ------------------------------------------------------------------------------------------------
def _hint(built: BuiltModel, problem: RosterProblem, counting: Counting, cands: list[tuple[Agent, int]],
          hire: HireOption) -> None:
    """Hint the named roster with the counting solution, its shifts handed out within each group to the
    members with the fewest days so far (rested, not on leave, under their weekly cap)."""
    index = {a.agent_id: i for i, a in enumerate(problem.agents)}
    taken: set[tuple[int, int, int]] = set()
    for g in counting.groups:
        members = g.members[:counting.hires.get(g.profile, 0)] if g.profile is not None else g.members
        taken |= _hand_out(problem, counting, g.key, members, index)
    rv = built.rv
    for c in rv.cands:
        built.model.add_hint(rv.x[c.idx], (c.agent, c.day, c.shape_id) in taken)
    for key, var in (rv.lunch | rv.split).items():
        built.model.add_hint(var, counting.lunch_split.get(key, 0))
    working = {problem.agents[a].agent_id for a, _, _ in taken}
    for aid, var in hire.hired.items():
        built.model.add_hint(var, aid in working)


def _hand_out(problem: RosterProblem, counting: Counting, key: tuple, members: list[Agent],
              index: dict[str, int]) -> set[tuple[int, int, int]]:
    out = set()
    days = {a.agent_id: 0 for a in members}
    paid = {a.agent_id: 0 for a in members}
    last_end = {a.agent_id: problem.last_shift_end(a.agent_id) for a in members}
    rest = problem.scenario.labour.min_rest_h
    counts = counting.shifts.get(key, {})
    for d, day in enumerate(problem.days):
        busy: set[str] = set()
        for (dd, s), k in sorted(counts.items()):
            if dd != d or k <= 0:
                continue
            shape = counting.shapes[d][s]
            start, end = problem.at(day, shape.start_min), problem.at(day, shape.end_min)
            for _ in range(k):
                free = [a for a in members if a.agent_id not in busy and day not in a.unavailable
                        and days[a.agent_id] < problem.max_working_days
                        and paid[a.agent_id] + shape.paid_min <= problem.weekly_cap_min(a)
                        and (last_end[a.agent_id] is None
                             or (start - last_end[a.agent_id]).total_seconds() >= rest * 3600)]
                if not free:
                    break
                a = min(free, key=lambda a: (days[a.agent_id], paid[a.agent_id]))
                busy.add(a.agent_id)
                days[a.agent_id] += 1
                paid[a.agent_id] += shape.paid_min
                last_end[a.agent_id] = end
                out.add((index[a.agent_id], d, s))
    return out
