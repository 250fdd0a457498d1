"""A long horizon searched window by window (``roster.window_days``; ``[roster.month] window_days``).

CP-SAT searches a month badly on its own: its bound comes from the LP within seconds and then never
moves, and its large neighbourhood search relaxes random sets of variables spread over the whole
month, so few of its neighbourhoods can move a week's shifts together. Measured on 2025-10 (the
month's counts stage, started from its chained weeks at an objective of 411.7k CNY): the whole-month
search reached 406.3k after 300 deterministic units, and its bound stayed at 394.7k from the 11th
second on. Seven-day windows, every other day held at the best roster so far, reached 402.0k after
89 units: each window is a week-sized model, which CP-SAT solves to within 0.1% of its own bound in
20 units.

So, with ``window_days`` = N > 0 and a horizon longer than N days, ``search``:

1. searches the whole model for ``FIRST_SHARE`` of the budget: its first roster, and the bound (a
   bound of the whole model, the one the plan reports); when that share finds no roster, the whole
   budget goes to the whole model, as without windows;
2. then, from that roster, solves the model again with only the shifts of N consecutive days free
   and every other shift held (hinted with the whole roster), for ``WINDOW_S`` of the budget each,
   window after window through the horizon, keeping each window's roster when it costs less; each
   pass starts its windows half a window later than the pass before, so the days a window boundary
   split are searched together;
3. stops when the budget is spent, when the roster is within ``relative_gap`` of the bound, after a
   pass that saved less than ``MIN_PASS_GAIN`` of the objective, or on Ctrl-C (``interrupt``).

A problem with a ``proven_bound`` (a month: HiGHS's root bound, ``scheduler.roster.root_bound``) has
its whole-model search cut to ``FIRST_SHARE_WITH_PROVEN_BOUND`` (its bound is not needed), and reads
that bound when the first pass of windows ends, telling it the bound that proves the roster within the
gap and waiting for it if need be: never earlier nor at a moment the clock decides, so the roster and
the bound stay the same from run to run.

Every solve is CP-SAT's deterministic search with the plan's seed, so the same inputs give the same
roster. Only the shifts are held: lunches, channel splits and the pay literals of the held days follow
them and stay free, so a window never makes the roster infeasible (the held roster is a solution).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from core import interrupt
from scheduler.roster.model import DTIME_PER_S, SCALE, BuiltModel, _stopped_by, make_solver, set_hints
from scheduler.roster.problem import RosterProblem

FIRST_SHARE = 0.1      # of the budget: the whole-model search (the bound, the first roster); on 2025-10 its
#                        bound stood at 401.3k from the 16th second (about 8 units) of a 110-unit search, and
#                        a window saves more than the whole search's LNS (0.2 gave the same bound, 34 units)
FIRST_SHARE_WITH_PROVEN_BOUND = 0.02  # with a problem.proven_bound the whole-model search only completes the
#                        first roster (2025-10: 36 units of it never improved on its hint's 470.1k)
WINDOW_S = 40.0        # [s of time_limit_s] per window: 20 deterministic units, a week-sized model's search
MIN_PASS_GAIN = 0.001  # a pass saving less than this share of the objective ends the search
SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


@dataclass
class Searched:
    """The outcome of ``search``: ``solver`` holds the best roster (read it with the whole model's
    variables: a window's model is the whole model plus constraints, with the same indices), ``status``
    its status as CP-SAT gave it, and ``figures`` what the plan reports of the search as a whole."""

    solver: cp_model.CpSolver
    status: int
    figures: dict


def search(problem: RosterProblem, built: BuiltModel, time_limit_s: float | None = None,
           relative_gap: float | None = None) -> Searched:
    """The best roster of ``built`` that ``time_limit_s`` (default ``roster.time_limit_s``) buys: one
    whole-model search, or for a horizon longer than ``roster.window_days`` window by window (see the
    module docstring). ``figures``: ``status`` (OPTIMAL when proven within ``relative_gap``),
    ``objective``, ``best_bound`` [cost units], ``deterministic_time``, ``solve_wall_s``,
    ``stopped_by``, and with windows ``windows`` (solved, improved the roster)."""
    spec = problem.scenario.roster
    limit = spec.time_limit_s if time_limit_s is None else time_limit_s
    width = spec.window_days
    by_windows = windowed(problem)
    probe = _infeasible_without_hint(problem, built)
    if probe is not None:
        return Searched(probe, cp_model.INFEASIBLE, _figures(probe, cp_model.INFEASIBLE, None, [probe], "INFEASIBLE"))
    first = FIRST_SHARE_WITH_PROVEN_BOUND if problem.proven_bound is not None else FIRST_SHARE
    whole = make_solver(problem, limit * first if by_windows else limit)
    status = whole.solve(built.model)
    solvers = [whole]
    if by_windows and status == cp_model.UNKNOWN:  # no roster in its share: the whole budget, from the start
        whole = make_solver(problem, limit)
        status = whole.solve(built.model)
        solvers.append(whole)
    if not by_windows or status not in SOLVED or status == cp_model.OPTIMAL:
        stop = _stopped_by(status, whole) if status in SOLVED else whole.status_name(status)
        return Searched(whole, status, _figures(whole, status, None, solvers, stop))
    bound, gap = whole.best_objective_bound, spec.relative_gap if relative_gap is None else relative_gap
    best, best_status, values = whole, status, _values(built, whole)
    waiting = problem.proven_bound  # a bound proven elsewhere, read (waited for) once the first pass ends
    budget = _budget(problem, limit) - sum(_spent(problem, s) for s in solvers)
    tried = improved = 0
    monday = next((i for i, day in enumerate(problem.days) if day.weekday() == 0), 0)
    starts = [monday % width, (monday + max(width // 2, 1)) % width]  # ISO weeks first, then half a window on
    shift = 0
    stop = "deterministic_time" if _deterministic(problem) else "time"
    while budget > 0 and not _proven(best.objective_value, bound, gap) and not interrupt.requested():
        before = best.objective_value
        offset = starts[shift % 2]
        for lo in range(offset - width if offset else 0, len(problem.days), width):
            if budget <= 0 or _proven(best.objective_value, bound, gap) or interrupt.requested():
                break
            solver = make_solver(problem, min(WINDOW_S, _as_limit(problem, budget)))
            solver.parameters.relative_gap_limit = 0.0  # the objective holds the held days: any gap is large
            status = solver.solve(_window_model(built, values, (max(lo, 0), min(lo + width, len(problem.days)))))
            solvers.append(solver)
            budget -= _spent(problem, solver)
            tried += 1
            if status in SOLVED and solver.objective_value < best.objective_value - 0.5:
                best, best_status, values = solver, status, _values(built, solver)
                improved += 1
        if waiting is not None:
            bound, waiting = _with_proven(bound, waiting, best.objective_value, gap), None
        if _proven(best.objective_value, bound, gap):
            stop = "relative_gap"
        elif budget > 0 and before - best.objective_value < MIN_PASS_GAIN * abs(before):
            stop = "a pass of windows saved less than 0.1%"
            break
        shift += 1
    if waiting is not None:  # no pass ended
        bound = _with_proven(bound, waiting, best.objective_value, gap)
    if interrupt.requested() and not _proven(best.objective_value, bound, gap):
        stop = interrupt.STOPPED
    figures = _figures(best, best_status, bound, solvers, stop, gap)
    figures["windows"] = {"days": width, "solved": tried, "improved": improved}
    return Searched(best, best_status, figures)


def _with_proven(bound: float, proven: Callable[[float], float | None], objective: float, gap: float) -> float:
    """The higher of CP-SAT's ``bound`` and the problem's ``proven_bound`` (waited for), told the bound
    that proves a roster of ``objective`` within ``gap``."""
    other = proven(objective * (1 - gap))
    return bound if other is None else max(bound, other)


PROBE_DTIME = 1.0  # deterministic units of the probe of a model with rules of its own (it stops at a roster)


def _infeasible_without_hint(problem: RosterProblem, built: BuiltModel) -> cp_model.CpSolver | None:
    """The solver that proved ``built`` infeasible, searched without its hint, when it has a hint and rules
    of its own (``problem.hard_rules``: targets held, which a pool may not meet); else None.

    OR-Tools 9.15 aborts the whole process (``Check failed: heuristics.fixed_search != nullptr``) when its
    interleaved search, given a partial hint, finds the model infeasible as its workers load it: 2025-W47
    after 2025-W46 in ``plan --weeks``, with the targets held (``plan._mended``), killed the year's chain.
    Without the hint, or with ``repair_hint``, the same model is reported INFEASIBLE at once. The probe
    stops at its first roster or after ``PROBE_DTIME``: a model it does not prove infeasible is searched
    with its hint as before."""
    if not problem.hard_rules or not built.model.proto.solution_hint.vars:
        return None
    model = built.model.clone()
    model.clear_hints()
    solver = make_solver(problem)
    solver.parameters.max_deterministic_time = PROBE_DTIME
    solver.parameters.max_time_in_seconds = PROBE_DTIME / DTIME_PER_S * 3
    solver.parameters.stop_after_first_solution = True
    return solver if solver.solve(model) == cp_model.INFEASIBLE else None


def windowed(problem: RosterProblem) -> bool:
    """Whether ``problem``'s horizon is searched window by window: longer than ``roster.window_days`` > 0."""
    return 0 < problem.scenario.roster.window_days < len(problem.days)


def _window_model(built: BuiltModel, values: list[int], window: tuple[int, int]) -> cp_model.CpModel:
    """The whole model with every shift outside days ``window`` held at ``values``, hinted with ``values``."""
    model = built.model.clone()
    set_hints(model, dict(enumerate(values)))
    lo, hi = window
    for cand, x in zip(built.rv.cands, built.rv.x):
        if not lo <= cand.day < hi:
            model.add(model.get_bool_var_from_proto_index(x.index) == values[x.index])
    return model


def _values(built: BuiltModel, solver: cp_model.CpSolver) -> list[int]:
    return [solver.value(built.model.get_int_var_from_proto_index(i))
            for i in range(len(built.model.proto.variables))]


def _deterministic(problem: RosterProblem) -> bool:
    return problem.scenario.roster.search != "portfolio"


def _budget(problem: RosterProblem, limit: float) -> float:
    """The search's budget in what it is counted in: deterministic units, or seconds (portfolio)."""
    return limit * DTIME_PER_S if _deterministic(problem) else limit


def _spent(problem: RosterProblem, solver: cp_model.CpSolver) -> float:
    return solver.deterministic_time if _deterministic(problem) else solver.wall_time


def _as_limit(problem: RosterProblem, budget: float) -> float:
    """``budget`` (as ``_budget`` counts it) as a ``time_limit_s``."""
    return budget / DTIME_PER_S if _deterministic(problem) else budget


def _proven(objective: float, bound: float, relative_gap: float) -> bool:
    return objective - bound <= relative_gap * max(abs(objective), 1e-9)


def _figures(best: cp_model.CpSolver, status, bound: float | None, solvers: list[cp_model.CpSolver],
             stopped_by: str, gap: float | None = None) -> dict:
    """The search as a whole: its best roster's objective, the whole model's bound, the time of all its
    solves; OPTIMAL when CP-SAT proved it (one search) or the roster is within ``gap`` of the bound."""
    if status not in SOLVED:
        return {"status": best.status_name(status), "stopped_by": stopped_by}
    objective = best.objective_value
    bound = best.best_objective_bound if bound is None else bound
    proven = status == cp_model.OPTIMAL if gap is None else _proven(objective, bound, gap)
    return {"status": "OPTIMAL" if proven else "FEASIBLE", "objective": objective / SCALE,
            "best_bound": bound / SCALE, "deterministic_time": sum(s.deterministic_time for s in solvers),
            "solve_wall_s": sum(s.wall_time for s in solvers), "stopped_by": stopped_by}
