"""Solving with the agent-friendly terms on: how many of each skill group work which shift each day,
then which agent works which.

One model with every per-agent term is too hard to prove within the default week's time limit: at
its deterministic budget the default week stopped 1.4-2.8% from its bound, where the same model
without the terms stops within 0.5% (measured on 2025-W11; with three times the budget it found every
full-timer a pair of rest days at the very pay and coverage of the plan without the terms, but still
could not prove it: the bound comes from searching the coverage's integrality, which the per-agent
terms multiply). So, with the terms on:

1. **Counts.** The registry with ``PairedRestDays`` replaced by its per-skill-group relaxation
   ``GroupPairedRest`` and without ``StartTimes``: pay, coverage, channel switches, requests, the
   spread, and the pairs that each group's day counts allow. Its search is that of the model without
   the terms (with start times it stopped at a 0.6% gap, without them within 0.3%); it runs on the
   scenario's budget and stops at ``relative_gap``. Its bound is a bound of the full objective too (the
   relaxation never prices more than the per-agent term, and start-time changes cost >= 0).
2. **Agents.** The full registry with every (skill group, day, shift shape) count fixed to stage 1's,
   and its lunch counts, channel split and shortfall with them (``GROUP_LEVEL``): coverage, lunches
   and channel switches stay as they are, and the agents of a group trade days and
   shifts for paired rest days, one start time, the spread and their requests, at their own pay rates.
   Warm-started from stage 1 (every variable hinted by name), on one worker and a tenth of the
   budget (``STAGE_TWO_SHARE``, at least one deterministic unit): with the pairs as clauses
   (``PairedRestDays``) its search finds the default week's best assignment within that unit, and
   proving it would take six units more for nothing a roster shows.

A horizon longer than ``roster.window_days`` (a month) is solved in one stage, the full model searched
by windows (``scheduler.roster.windows``) from its hint: each window is a week of the full model, so
its search trades pay, coverage, pairs and start times together, where stages spend a month's budget
twice. Measured on 2025-10 from the same week-by-week start, 150 deterministic units each: in one
stage 413.5k CNY (bound 401.3k, 2.95%); in two (stage 1 on 60% of it, then stage 2 by windows with the
counts free) stage 1 reached 409.2k and stage 2 ended at 416.2k (4.30%). Two stages on 300 units
ended at 413.1k: one stage does in half the budget what two did.

The roster's ``objective`` is stage 2's (the full objective), its ``best_bound`` stage 1's, its ``gap``
the difference of the two (what is not proven, the friendly terms the relaxations could not see
included), and its ``status`` OPTIMAL when that gap is within ``relative_gap``, as CP-SAT reports it
for one model. ``solver["stages"]`` gives both stages' figures. A plan with the terms on takes about
1.1 x the deterministic time of ``time_limit_s`` (``model.DTIME_PER_S``).

Speed (``benchmarks/bench_friendly.py --wall-safety 20``, the default week side by side in one
process, 2 workers): 10.74 deterministic units (9.74 + 1.00) with the terms against 8.99 without,
x1.19 (x1.20 on the clock); stage 2 on half the budget and the pairs as a path took 12.5-15.8 units.
"""

from __future__ import annotations

import math
import time

from ortools.sat.python import cp_model

from scheduler.roster import model as roster_model
from scheduler.roster.constraints import default_families
from scheduler.roster.family import Family
from scheduler.roster.friendly import GroupPairedRest, GroupStartTimes, PairedRestDays, StartTimes
from scheduler.roster.greedy import search_again_if_poor
from scheduler.roster.model import (
    SCALE,
    _add_hints,
    _stopped_by,
    build_model,
    check_status,
    make_solver,
    relative_gap,
    solved_roster,
)
from scheduler.roster.problem import RosterProblem
from scheduler.roster.report import Roster
from scheduler.roster.windows import search, windowed

STAGE_TWO_SHARE = 0.1  # stage 2's deterministic budget, a share of roster.time_limit_s (the default week's
#                        stage 2 found its optimum after 0.35 units and proved it after 6.9)
STAGE_TWO_MIN_DTIME = 1.0  # at least one unit of search
STAGE_TWO_WORKERS = 1  # one worker: its budget is kept exactly (an interleaved batch runs a unit per worker
#                        before the budget is checked), and its local search finds the default week's best
#                        assignment after 0.55 units (two interleaved workers: 0.35, but a batch costs 2.4)
STAGE_TWO_WALL_SHARE = 0.5  # its clock: the portfolio search's limit, the safety net of the deterministic one
# Variables of the skill groups, not of agents (model.RosterVars, Coverage, ChannelSwitching): with the
# groups' shift counts fixed, stage 1's lunch counts, channel split and shortfall stay valid, so stage 2
# holds them and its presolve drops the coverage part of the model.
GROUP_LEVEL = ("lunch(", "heads(", "understaffed(", "understaffed_beyond(", "understaffed_unstable(", "channel_drop(",
               "channel_switches(")


def staged(problem: RosterProblem) -> bool:
    """Two stages when the terms are on and a per-agent term (pairs, start times) has a weight, and the
    horizon is not searched by windows (a month is one stage: see the module docstring)."""
    spec = problem.scenario.roster
    friendly = spec.agent_friendly and (spec.paired_rest_penalty > 0 or spec.start_change_penalty > 0)
    return friendly and not windowed(problem)


def stage_one_families() -> list[Family]:
    """The registry with the per-agent pairs and start times replaced by their per-group relaxations."""
    swap = {PairedRestDays: GroupPairedRest, StartTimes: GroupStartTimes}
    return [swap[type(f)]() if type(f) in swap else f for f in default_families()]


def solve_in_stages(problem: RosterProblem) -> Roster:
    t0 = time.perf_counter()
    first = build_model(problem, families=stage_one_families())
    _add_hints(problem, first)
    limit = problem.scenario.roster.time_limit_s
    found = search_again_if_poor(problem, first, search(problem, first, limit),
                                 lambda share: search(problem, first, limit * share))
    s1, st1 = found.solver, found.status
    check_status(problem, s1, st1)
    one = found.figures
    bound = one["best_bound"]
    values = {v.name: s1.value(first.model.get_int_var_from_proto_index(i))
              for i, v in enumerate(first.model.proto.variables)}
    chosen = [s1.boolean_value(x) for x in first.rv.x]

    second = build_model(problem)
    model, rv = second.model, second.rv
    for ks in rv.shape_members.values():
        model.add(sum(rv.x[k] for k in ks) == sum(chosen[k] for k in ks))
    for i, v in enumerate(model.proto.variables):
        if v.name in values:
            var = model.get_int_var_from_proto_index(i)
            if v.name.startswith(GROUP_LEVEL):
                model.add(var == values[v.name])
            else:
                model.add_hint(var, values[v.name])
    # stage 1's bound holds for the full objective; CP-SAT's objective domain leaves out its constant
    domain = model.proto.objective.domain
    domain.clear()
    domain.extend([math.floor(bound * SCALE - model.proto.objective.offset - 1e-6), cp_model.INT_MAX])
    s2 = make_solver(problem)
    limit = problem.scenario.roster.time_limit_s
    if problem.scenario.roster.search == "portfolio":  # stopped by the clock, as stage 1
        s2.parameters.max_time_in_seconds = limit * STAGE_TWO_WALL_SHARE
    else:
        s2.parameters.max_deterministic_time = max(limit * STAGE_TWO_SHARE * roster_model.DTIME_PER_S,
                                                   STAGE_TWO_MIN_DTIME)
        s2.parameters.num_workers = STAGE_TWO_WORKERS
        s2.parameters.max_time_in_seconds = limit * STAGE_TWO_WALL_SHARE * roster_model.WALL_SAFETY
    s2.parameters.relative_gap_limit = 0.0  # the assignment is small: use the budget to arrange it best
    st2 = s2.solve(model)
    if st2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # stage 1's roster, as it is
        roster = solved_roster(problem, first, s1, st1, t0)
        two = {"status": s2.status_name(st2), "stopped_by": "no roster in stage 2's budget: stage 1's is kept"}
    else:
        roster = solved_roster(problem, second, s2, st2, t0)
        two = {"status": s2.status_name(st2), "objective": s2.objective_value / SCALE,
               "deterministic_time": s2.deterministic_time, "wall_s": s2.wall_time,
               "stopped_by": _stopped_by(st2, s2)}
    return _staged(problem, roster, bound, one, two)


def _staged(problem: RosterProblem, roster: Roster, bound: float, one: dict, two: dict) -> Roster:
    """``roster`` (stage 2's) with the figures of both stages: ``bound`` is a bound of the full objective."""
    info = roster.solver
    gap = relative_gap(info["objective"], bound)
    proven = "OPTIMAL" if gap <= problem.scenario.roster.relative_gap + 1e-9 else "FEASIBLE"
    info.update({"status": proven, "best_bound": bound, "gap": gap,
                 "deterministic_time": one["deterministic_time"] + two.get("deterministic_time", 0.0),
                 "stopped_by": f"counts: {one['stopped_by']}; agents: {two['stopped_by']}",
                 "stages": {"counts": one, "agents": two}})
    return roster
