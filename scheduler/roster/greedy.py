"""A roster built by filling the demand first: the start a search gets when its own is poor.

CP-SAT's first solutions are good on a week whose demand the pool can meet. On a week it cannot,
with many intervals and skill groups (7x24 service in the Double 11 week: 82 agents, 24 open hours a
day, three channels), its first roster left two thirds of the pool's hours unused and its search did
not repair it within the budget (chat 14.1%, 25 of 82 agents on 1-4 days, 70% from the bound). So
``greedy_shifts`` fills the demand the way a planner would: shift after shift, the one that covers
the most missing heads (priced by their shortfall weights) for its pay, each agent within the hard
rules the shift touches (leave, one shift a day, days per ISO week, minimum rest, consecutive days,
the monthly overtime cap), until no shift covers more than it costs. ``friendly_solve`` and
``solve_roster`` start a second search from it (``model._add_hints``) when the first ends far from
its bound, and keep the better roster.

The gain of a shift only falls as shifts are added (the heads it would cover get covered), so the
search is lazy: a shift is re-priced only when it reaches the top of the queue.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from core import interrupt
from scheduler.roster.constraints import shift_pay
from scheduler.roster.problem import RosterProblem


@dataclass
class _AgentState:
    """What one agent has so far: shifts by day index (start, end timestamps); paid minutes, days and
    non-statutory days by ISO week; overtime minutes by month."""

    shifts: dict[int, tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=dict)
    paid: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    week_days: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    week_nonstat: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    month_overtime: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))


def greedy_shifts(problem: RosterProblem, cands, rows) -> set[int]:
    """Candidate indices (``model.generate_candidates``) of a roster that fills the demand of
    ``rows`` (``model.requirement_rows``) shift by shift; see the module docstring."""
    residual: dict[tuple[int, int, str], int] = {}
    weight: dict[tuple[int, int, str], float] = {}
    for r in rows:
        residual[r.day, r.minute, r.channel] = r.required
        weight[r.day, r.minute, r.channel] = r.weight
    states = [_AgentState() for _ in problem.agents]
    costs = {c.idx: _base_cost(problem, c) for c in cands}
    leave = [problem.leave_dates(a) for a in problem.agents]
    heap = [(-_gain(problem, c, residual, weight, costs[c.idx]), c.idx) for c in cands
            if problem.days[c.day] not in leave[c.agent]]
    heapq.heapify(heap)
    chosen: set[int] = set()
    while heap:
        neg, k = heapq.heappop(heap)
        c = cands[k]
        if c.day in states[c.agent].shifts or not _allowed(problem, c, states[c.agent]):
            continue
        cost = _cost(problem, c, states[c.agent], costs[k])
        gain = _gain(problem, c, residual, weight, cost)
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-9:  # others may gain more now: price it again later
            heapq.heappush(heap, (-gain, k))
            continue
        _take(problem, c, states[c.agent], residual, weight)
        chosen.add(k)
    return chosen


def _channels(problem: RosterProblem, c) -> tuple[str, ...]:
    return problem.served_skills(problem.agents[c.agent])


def _gain(problem: RosterProblem, c, residual, weight, cost: float) -> float:
    """What the shift's heads save in shortfall [cost units], less its pay."""
    saved = 0.0
    for t in c.shape.covered:
        best = max((weight[c.day, t, ch] for ch in _channels(problem, c) if residual.get((c.day, t, ch), 0) > 0),
                   default=0.0)
        saved += best
    return saved * _working_share(c) - cost


def _working_share(c) -> float:
    """The share of the covered intervals worked: the lunch takes its length out of the shift."""
    if not c.shape.lunch_min:
        return 1.0
    span = c.shape.end_min - c.shape.start_min
    return max(0.0, 1.0 - c.shape.lunch_min / span)


def _take(problem: RosterProblem, c, state: _AgentState, residual, weight) -> None:
    for t in c.shape.covered:
        open_ = [ch for ch in _channels(problem, c) if residual.get((c.day, t, ch), 0) > 0]
        if open_:
            ch = max(open_, key=lambda x: weight[c.day, t, x])
            residual[c.day, t, ch] -= 1
    day = problem.days[c.day]
    start, end = _span(day, c)
    state.shifts[c.day] = (start, end)
    week = problem.week_key(day)
    state.week_days[week] += 1
    state.paid[week] += c.paid_min
    if problem.day_types[day] != "statutory_holiday":
        state.week_nonstat[week] += 1
    state.month_overtime[day.year, day.month] += _overtime_min(problem, c, state, week, counted=True)


def _span(day: dt.date, c) -> tuple[pd.Timestamp, pd.Timestamp]:
    base = pd.Timestamp(day)
    return base + pd.Timedelta(minutes=c.start_min), base + pd.Timedelta(minutes=c.end_min)


def _base_cost(problem: RosterProblem, c) -> float:
    agent = problem.agents[c.agent]
    day = problem.days[c.day]
    return shift_pay(problem, agent.hourly_cost, problem.day_types[day], c.paid_min, problem.std_day_min())[0]


def _rest_day(problem: RosterProblem, c, state: _AgentState, week, counted: bool = False) -> bool:
    """Whether the shift is rest-day work: beyond the week's standard days on a non-statutory day
    (``counted``: the shift is already in ``state``)."""
    day = problem.days[c.day]
    if not problem.rest_day_rules or problem.day_types[day] == "statutory_holiday":
        return False
    before = problem.previous_week_status(problem.agents[c.agent].agent_id, day).nonstat
    return before + state.week_nonstat[week] - int(counted) >= problem.standard_days(day)


def _cost(problem: RosterProblem, c, state: _AgentState, base: float) -> float:
    """The shift's pay: rest-day work at ``pay.rest_day_overtime`` on all its hours."""
    week = problem.week_key(problem.days[c.day])
    if _rest_day(problem, c, state, week):
        return c.paid_min / 60 * problem.agents[c.agent].hourly_cost * problem.scenario.pay.rest_day_overtime
    return base


def _overtime_min(problem: RosterProblem, c, state: _AgentState, week, counted: bool = False) -> int:
    """Overtime minutes the shift adds: all of a paid rest-day shift, else its hours beyond the day's."""
    if problem.day_types[problem.days[c.day]] == "statutory_holiday":
        return 0
    if _rest_day(problem, c, state, week, counted):
        return c.paid_min
    return max(0, c.paid_min - problem.std_day_min())


def _allowed(problem: RosterProblem, c, state: _AgentState) -> bool:
    """The hard rules one more shift touches: days per ISO week, minimum rest to the shifts around it,
    consecutive days, weekly hours of the agent, the monthly overtime cap."""
    agent = problem.agents[c.agent]
    day = problem.days[c.day]
    week = problem.week_key(day)
    if state.week_days[week] >= problem.days_left_in_week(agent.agent_id, day):
        return False
    start, end = _span(day, c)
    rest = pd.Timedelta(hours=problem.scenario.labour.min_rest_h)
    before = state.shifts.get(c.day - 1)
    last = before[1] if before else (problem.last_shift_end(agent.agent_id) if c.day == 0 else None)
    if last is not None and start - last < rest:
        return False
    after = state.shifts.get(c.day + 1)
    if after is not None and after[0] - end < rest:
        return False
    if _run_with(problem, c, state) > problem.scenario.labour.max_consecutive_days:
        return False
    if agent.max_weekly_h is not None:
        done = state.paid[week]
        if done + c.paid_min > agent.max_weekly_h * 60 - problem.previous_week_status(agent.agent_id, day).paid_min:
            return False
    extra = _overtime_min(problem, c, state, week)
    return not extra or state.month_overtime[day.year, day.month] + extra <= problem.month_overtime_cap_min(
        agent.agent_id, day)


def _run_with(problem: RosterProblem, c, state: _AgentState) -> int:
    """The run of consecutive working days the shift's day would be part of (days before the plan included)."""
    lo = c.day
    while lo - 1 in state.shifts:
        lo -= 1
    hi = c.day
    while hi + 1 in state.shifts:
        hi += 1
    run = hi - lo + 1
    if lo == 0:
        run += problem.trailing_run(problem.agents[c.agent].agent_id)
    return run


# -- the second search ---------------------------------------------------------------------------------------
RETRY_GAP = 0.10  # a search that ends further than this from its bound (the plan's "poor roster") searches again
AGAIN_SHARE = 0.5  # of the first search's budget, the second's: a poor plan takes at most 1.5 x its budget
#                    (and the completion's); 7x24 W46 improved the greedy roster by 0.4% in a whole budget


def poor(figures: dict) -> bool:
    """Whether a search's ``figures`` (``windows.Searched.figures``) end further than ``RETRY_GAP``
    from their bound."""
    objective, bound = figures.get("objective"), figures.get("best_bound")
    if objective is None or bound is None:
        return False
    return objective - bound > RETRY_GAP * max(abs(objective), 1e-9)


def greedy_start(problem: RosterProblem, built) -> tuple[dict[int, int], float | None]:
    """The greedy roster as values of ``built``'s variables (proto index -> value), completed into a
    whole roster (lunches, channels), and its objective [cost units]; only the shifts and None when the
    completion finds nothing (the shifts break a rule the greedy does not check, e.g. a pinned shift)."""
    from scheduler.roster.model import SCALE, _complete, requirement_rows

    chosen = greedy_shifts(problem, built.rv.cands, requirement_rows(problem))
    values = {x.index: int(c.idx in chosen) for c, x in zip(built.rv.cands, built.rv.x)}
    completed = _complete(problem, built.model, values)
    if completed is None:
        return values, None
    obj = built.model.proto.objective
    return completed, (sum(c * completed[v] for v, c in zip(obj.vars, obj.coeffs)) + obj.offset) / SCALE


def search_again_if_poor(problem: RosterProblem, built, found, search):
    """``found`` (a ``windows.Searched`` of ``built``), or, when it is poor, no shift is pinned and the
    greedy roster (completed) already costs less, the better of it and ``search(AGAIN_SHARE)`` (the
    search again on that share of the first one's budget) from the greedy roster. The kept one's
    figures carry the higher of the two bounds (both are bounds of ``built``), the time of both
    searches, and ``greedy_start``: the first search's objective, the greedy roster's, whether it was
    searched and the searched roster kept. A poor search whose roster the greedy one does not beat (a
    budget too small for the model, say) costs only the greedy roster and its completion."""
    if not poor(found.figures) or (problem.pinned_shifts is not None and not problem.pinned_shifts.empty) \
            or interrupt.requested():  # Ctrl-C: the roster found is the plan's
        return found
    first_figures = found.figures
    values, start = greedy_start(problem, built)
    note = {"first_objective": first_figures["objective"], "greedy_objective": start}
    if start is None or start >= first_figures["objective"]:
        first_figures["greedy_start"] = {**note, "searched": False, "kept": False}
        return found
    from scheduler.roster.model import set_hints

    set_hints(built.model, values)
    again = search(AGAIN_SHARE)
    if again.figures.get("objective") is not None and again.figures["objective"] < first_figures["objective"]:
        kept, other = again, first_figures
    else:
        kept, other = found, again.figures
    figures = kept.figures
    if other.get("best_bound") is not None:
        figures["best_bound"] = max(figures["best_bound"], other["best_bound"])
    for key in ("deterministic_time", "solve_wall_s"):
        figures[key] = figures.get(key, 0.0) + other.get(key, 0.0)
    figures["greedy_start"] = {**note, "searched": True, "from_greedy": again.figures.get("objective"),
                               "kept": kept is again}
    return kept
