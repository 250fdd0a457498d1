"""The capacity sizing: the fewest hires of the scenario's ``[hire]`` profiles that meet every target,
then the cheapest plan with them (``size_pool``).

Lexicographically, over rosters within every hard rule of the roster model:

1. the fewest intervals with an unstable queue, then the smallest shortfall from the targets [basis
   points, summed over channels] (both 0 when the hires can meet every target), then the fewest hires.
   Phase 1 proves it on the counting model (``counting.py``), a relaxation: its optimum is a lower
   bound on the hires the named roster needs.
2. a roster of named agents with that many hires (their mix free) at the same levels, at the lowest
   plan objective (pay, shortfall penalties, soft terms; ``roster.model``), warm-started from the
   counting solution. The levels are soft there, weighted far above any cost, with the counting
   model's levels as floors: every roster is a solution, and one at the floors is as good as it gets.
   Reached, the count is minimal for the model (``Sizing.proven`` when phase 1 proved it); proven out
   of reach, the count goes up by one and phase 2 runs again (``MAX_TRIES`` solves in all).

Budget [s]: ``hire.time_limit_s`` (``sizing_budget``), in the units of ``roster.time_limit_s`` (a
deterministic budget in the default search, so the same answer on a busy machine): phase 1 may use
``PHASE1_SHARE`` of it, phase 2 what is left, and at least ``PHASE2_FLOOR`` of it.
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
from scheduler.roster.model import DTIME_PER_S, BuiltModel, build_model, make_solver, objective, solved_roster
from scheduler.roster.problem import RosterProblem
from scheduler.roster.report import Roster, ShortfallDiagnostics

PHASE1_SHARE = 0.5     # of the budget, phase 1 may use
PHASE2_FLOOR = 0.25    # of the budget, phase 2 gets at least
MAX_TRIES = 3          # phase 2 solves (one more hire each)
COMPLETE_SHARE = 0.5   # of phase 2's budget, at most, to complete the counting solution into a roster
LEVEL_WEIGHT = 10**9   # per basis point short of the counting model's levels, in objective units (cost x 100)
UNSTABLE_BP = 100      # an unstable interval weighs like one point of service level


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
    tables: dict = field(default_factory=dict)  # channel -> its service table (``service.service_tables``)

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
                    {}, 0.0, profile_of=profile_of, status=f"counting {counting.status}", tables=tables)
    if counting.status in ("OPTIMAL", "FEASIBLE"):
        left = budget - _spent(problem, counting.deterministic_time)
        _named(sizing, problem, cands, tables, left, budget * PHASE2_FLOOR, t0)
    sizing.wall_s = time.perf_counter() - t0
    return sizing


def _spent(problem: RosterProblem, deterministic_time: float, wall_s: float = 0.0) -> float:
    """[s] of a budget a solve used: its deterministic time in the default search, else the clock."""
    if problem.scenario.roster.search == "portfolio":
        return wall_s
    return deterministic_time / DTIME_PER_S


def _named(sizing: Sizing, problem: RosterProblem, cands: list[tuple[Agent, int]], tables: dict, left: float,
           floor: float, t0: float) -> None:
    """Phase 2: the roster of named agents with the counting model's number of hires. The levels
    reached are soft, so that every roster is a solution (the hint first): ``LEVEL_WEIGHT`` x what they
    fall short of the counting model's levels, which are also their floors (so the bound says at once
    that nothing better can be had, and the gap is the plan's), plus the plan's objective. Reached,
    the hires are verified; shown out of reach (OPTIMAL above the floors), one more hire is tried."""
    counting = sizing.counting
    full = replace(problem, agents=list(problem.agents) + [a for a, _ in cands])
    hire, target = HireOption(sizing.profile_of), ServiceTarget(tables)
    built = build_model(full, families=default_families() + [hire, target])
    model, levels = built.model, target.vars
    over_unstable = model.new_int_var(0, len(levels.stable), "unstable_over_counting")
    over_deficit = model.new_int_var(0, 10_000 * max(1, len(levels.deficit_bp)), "deficit_over_counting")
    model.add(levels.unstable() == counting.unstable + over_unstable)
    model.add(levels.deficit() == counting.deficit_bp + over_deficit)
    n = counting.total
    hires_total = model.new_int_var(n, n, "hires_total")
    model.add(hire.count() == hires_total)
    over = UNSTABLE_BP * over_unstable + over_deficit
    model.minimize(LEVEL_WEIGHT * over + objective(built.terms))
    _hint(built, full, counting, cands, hire)
    left -= _complete_hint(built, full, hire, over, max(left, floor) * COMPLETE_SHARE)
    for _ in range(MAX_TRIES):
        solver = make_solver(full, max(left, floor))
        status = solver.solve(model)
        left -= _spent(problem, solver.deterministic_time, solver.wall_time)
        sizing.status = f"counting {counting.status}, roster {solver.status_name(status)} with {n} hire(s)"
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        reached = solver.value(over_unstable) == 0 and solver.value(over_deficit) == 0
        if not reached and status == cp_model.OPTIMAL and n < len(cands) and left > 0:
            n += 1  # no roster of named agents with n - 1 hires reaches the levels: one more is needed
            sizing.lower_bound = max(sizing.lower_bound, n) if counting.proven else sizing.lower_bound
            domain = model.proto.variables[hires_total.index].domain
            domain[0], domain[1] = n, n
            continue
        _take(sizing, solved_roster(full, built, solver, status, t0), problem, cands, hire, target, solver)
        sizing.verified = reached
        return


def _take(sizing: Sizing, roster: Roster, problem: RosterProblem, cands: list[tuple[Agent, int]],
          hire: HireOption, target: ServiceTarget, solver: cp_model.CpSolver) -> None:
    """Keep the named roster: its hires (those working), its levels, and the problem with them."""
    working = set(roster.shifts["agent_id"])
    chosen = [(a, p) for a, p in cands if a.agent_id in working and solver.boolean_value(hire.hired[a.agent_id])]
    sizing.hires = {}
    for _, p in chosen:
        sizing.hires[p] = sizing.hires.get(p, 0) + 1
    sizing.hired = [a for a, _ in chosen]
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
    """Hint the named roster with the counting solution: its shifts handed out within each group
    (``_hand_out``), its lunches and heads per channel as they are (summed by skills)."""
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


def _complete_hint(built: BuiltModel, problem: RosterProblem, hire: HireOption, over, time_limit_s: float) -> float:
    """The hinted shifts fixed, solve for everything else (lunches, channels) as close to the levels as
    it gets (``over``: how far short of them), and hint the whole solution: phase 2 then starts from a
    complete roster, not from shifts alone. Returns the budget [s] used."""
    model = built.model
    hint = dict(zip(model.proto.solution_hint.vars, model.proto.solution_hint.values))
    trial = model.clone()
    trial.clear_hints()  # the shifts are fixed; a hint on a model that may be infeasible can abort OR-Tools 9.15
    for var in list(built.rv.x) + list(hire.hired.values()):
        trial.add(trial.get_int_var_from_proto_index(var.index) == hint.get(var.index, 0))
    trial.minimize(over)
    solver = make_solver(problem, time_limit_s)
    status = solver.solve(trial)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        model.clear_hints()
        for i in range(len(model.proto.variables)):
            model.add_hint(model.get_int_var_from_proto_index(i), solver.value(trial.get_int_var_from_proto_index(i)))
    return _spent(problem, solver.deterministic_time, solver.wall_time)


def _hand_out(problem: RosterProblem, counting: Counting, key: tuple, members: list[Agent],
              index: dict[str, int]) -> set[tuple[int, int, int]]:
    out = set()
    week_of = {d: w for w, week in enumerate(problem.iso_weeks()) for d in week}
    days = {(a.agent_id, w): 0 for a in members for w in set(week_of.values())}
    paid = dict.fromkeys(days, 0)
    last_end = {a.agent_id: problem.last_shift_end(a.agent_id) for a in members}
    rest = problem.scenario.labour.min_rest_h
    counts = counting.shifts.get(key, {})

    def left(a: Agent, d: int) -> int:
        """Days the agent may still work in the ISO week of day ``d``."""
        return problem.days_left_in_week(a.agent_id, problem.days[d]) - days[a.agent_id, week_of[d]]

    def slack(a: Agent, d: int) -> int:
        """Days from ``d`` to the week's end the agent could still work, less the days it may still work
        there: who has the least must take a shift first, or lose it."""
        free = sum(day not in a.unavailable for e, day in enumerate(problem.days)
                   if e >= d and week_of[e] == week_of[d])
        return free - left(a, d)

    for d, day in enumerate(problem.days):
        busy: set[str] = set()
        for (dd, s), k in sorted(counts.items()):
            if dd != d or k <= 0:
                continue
            shape = counting.shapes[d][s]
            start, end = problem.at(day, shape.start_min), problem.at(day, shape.end_min)
            for _ in range(k):
                free = [a for a in members if a.agent_id not in busy and day not in a.unavailable
                        and left(a, d) > 0
                        and paid[a.agent_id, week_of[d]] + shape.paid_min <= problem.weekly_cap_min(a, day)
                        and (last_end[a.agent_id] is None
                             or (start - last_end[a.agent_id]).total_seconds() >= rest * 3600)]
                if not free:
                    break
                a = min(free, key=lambda a: (slack(a, d), paid[a.agent_id, week_of[d]]))
                busy.add(a.agent_id)
                days[a.agent_id, week_of[d]] += 1
                paid[a.agent_id, week_of[d]] += shape.paid_min
                last_end[a.agent_id] = end
                out.add((index[a.agent_id], d, s))
    return out
