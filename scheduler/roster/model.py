"""The roster model: decision variables, the list of constraint families, the CP-SAT solve, and the
conversion of a solution into a ``Roster``.

``solve_roster(problem)`` never returns a bare INFEASIBLE: coverage is soft (missing heads are named
penalty variables), and when the hard labour rules conflict (only pinned shifts can cause that, since
resting is always allowed) the model is rebuilt per agent with one assumption literal per rule family
and CP-SAT's ``sufficient_assumptions_for_infeasibility`` is turned into a one-line ``InputError``.

Determinism: with ``num_workers > 1`` and a wall-clock limit CP-SAT is not reproducible (its default
parallel loop depends on thread timing, and a wall-clock stop depends on machine load). The solve
therefore runs ``interleave_search`` (CP-SAT's deterministic parallel loop: "the search is
deterministic, independently of num_workers", sat_parameters.proto) and stops on the relative gap or
on ``max_deterministic_time`` = ``DTIME_PER_S x roster.time_limit_s`` (deterministic time is counted
in work units, not seconds; 0.5 unit per second matches an idle 2-core machine). The wall clock,
``max_time_in_seconds`` = ``WALL_SAFETY x roster.time_limit_s``, is only a safety net; when it is what
stops a run, ``Roster.solver["stopped_by"]`` says so, and that run may not be reproducible. Same
inputs + seed + OR-Tools version -> same roster otherwise (cross-machine identity is not documented
by OR-Tools and is not promised here).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd
from ortools.sat.python import cp_model

from core import interrupt
from core.errors import InputError, SolverError
from scheduler.roster.constraints import Ledger, default_families, hard_rules
from scheduler.roster.family import Family, HardRule, Term
from scheduler.roster.problem import RosterProblem, ShiftShape, required_heads, shift_shapes
from scheduler.roster.report import WALL_TIME, Roster, build_roster
from scheduler.roster.rules import check_pinned_rows

SCALE = 100            # objective in cost units x 100 (CP-SAT needs integer coefficients)
DTIME_PER_S = 0.5      # deterministic-time units per second of roster.time_limit_s
WALL_SAFETY_ENV = "SCHEDULE_WALL_SAFETY"  # replaces WALL_SAFETY in every process that reads it (Ray's workers too)
WALL_SAFETY = float(os.environ.get(WALL_SAFETY_ENV) or 3.0)  # wall-clock cap = this x roster.time_limit_s
#                                                               (the deterministic cap rules)


@dataclass(frozen=True)
class Candidate:
    """A shift an agent may work on a day: a ``ShiftShape`` for one agent."""

    idx: int
    agent: int
    day: int
    shape_id: int
    shape: ShiftShape

    @property
    def start_min(self) -> int:
        return self.shape.start_min

    @property
    def end_min(self) -> int:
        return self.shape.end_min

    @property
    def paid_min(self) -> int:
        return self.shape.paid_min

    @property
    def lunch_starts(self) -> tuple[int, ...]:
        return self.shape.lunch_starts


@dataclass(frozen=True)
class RequirementRow:
    index: object
    day: int
    minute: int
    channel: str
    at: pd.Timestamp
    required: int
    weight: float
    stable: int = 0  # the fewest heads with a stable queue (0: none is unstable, or not priced)


def generate_candidates(problem: RosterProblem) -> list[Candidate]:
    """One candidate per (agent, day, template start) whose template allows the agent's contract.
    Leave dates are not filtered here: the ``Leave`` family forbids them, so a pinned shift on a
    leave day is explained rather than silently dropped."""
    out = []
    for d, day in enumerate(problem.days):
        shapes = shift_shapes(problem, day)
        for a, agent in enumerate(problem.agents):
            for sid, shape in enumerate(shapes):
                if problem.may_work(agent, shape.template, shape.contracts):
                    out.append(Candidate(len(out), a, d, sid, shape))
    return out


def requirement_rows(problem: RosterProblem) -> list[RequirementRow]:
    req = problem.requirements
    weights = problem.shortfall_weights()
    stable = req["stable_heads"] if "stable_heads" in req.columns else pd.Series(0, index=req.index)
    day_index = {day: i for i, day in enumerate(problem.days)}
    rows, seen = [], set()
    for idx, at, ch, n, weight, least in zip(req.index, pd.to_datetime(req["interval_start"]), req["channel"],
                                             req["required_scheduled"], weights.to_numpy(), stable.to_numpy()):
        at = pd.Timestamp(at)
        key = (at, ch)
        if key in seen:
            raise InputError(f"requirements list {ch} at {at:%Y-%m-%d %H:%M} twice", field="requirements")
        seen.add(key)
        d = day_index.get(at.date())
        if d is None:
            continue
        rows.append(RequirementRow(idx, d, at.hour * 60 + at.minute, str(ch), at, required_heads(n),
                                   float(weight), int(least)))
    return rows


class RosterVars:
    """Decision variables and the bookkeeping the constraint families share."""

    def __init__(self, problem: RosterProblem, model: cp_model.CpModel, cands: list[Candidate],
                 explain: bool = False):
        self.problem = problem
        self.cands = cands
        self.x = [model.new_bool_var(f"shift(agent={problem.agents[c.agent].agent_id}, "
                                     f"on={problem.days[c.day]}, start={c.start_min // 60:02d}:"
                                     f"{c.start_min % 60:02d}, template={c.shape.template})")
                  for c in cands]
        self.by_agent_day: dict[tuple[int, int], list[int]] = {}
        for c in cands:
            self.by_agent_day.setdefault((c.agent, c.day), []).append(c.idx)
        step = problem.interval_min
        # Agents with the same skills form a group. Within a group, agents on the same shift shape are
        # interchangeable for lunch, and agents on duty are interchangeable for channels, so the model
        # decides counts only: lunch[g, d, shape, l] agents of the group lunch at l, and
        # split[g, d, t, c] of its on-duty agents work channel c. Who does what is settled after the
        # solve (``assign_lunches``, ``assign_channels``), with as few channel switches as possible.
        self.groups: dict[tuple[str, ...], list[int]] = {}
        for a, agent in enumerate(problem.agents):
            self.groups.setdefault(problem.served_skills(agent), []).append(a)
        self.group_of = {a: g for g, members in self.groups.items() for a in members}
        self.shape_members: dict[tuple[tuple[str, ...], int, int], list[int]] = {}
        for c in cands:
            self.shape_members.setdefault((self.group_of[c.agent], c.day, c.shape_id), []).append(c.idx)
        self.lunch: dict[tuple[tuple[str, ...], int, int, int], cp_model.IntVar] = {}
        # on[g, d, t] = shifts of the group covering t - the group's lunches overlapping t
        self._on: dict[tuple[tuple[str, ...], int, int], list[tuple[object, int]]] = {}
        for (g, d, sid), ks in self.shape_members.items():
            shape = cands[ks[0]].shape
            for t in shape.covered:
                self._on.setdefault((g, d, t), []).extend((self.x[k], 1) for k in ks)
            for l in shape.lunch_starts:
                v = model.new_int_var(0, len(ks), f"lunch(skills={'|'.join(g)}, on={problem.days[d]}, "
                                                  f"shift={shape.template}@{_hhmm(shape.start_min)}, "
                                                  f"at={_hhmm(l)})")
                self.lunch[g, d, sid, l] = v
                for t in shape.covered:
                    if t < l + shape.lunch_min and t + step > l:
                        self._on[g, d, t].append((v, -1))
        self.split: dict[tuple[tuple[str, ...], int, int, str], cp_model.IntVar] = {}
        self.heads: dict[tuple[int, int, str], list] = {}
        for (g, d, t), terms in sorted(self._on.items()):
            at = problem.at(problem.days[d], t)
            size = sum(c for _, c in terms if c > 0)
            for ch in g:
                v = model.new_int_var(0, size, f"heads(skills={'|'.join(g)}, channel={ch}, "
                                               f"at={at:%Y-%m-%dT%H:%M})")
                self.split[g, d, t, ch] = v
                self.heads.setdefault((d, t, ch), []).append(v)
        self.requirement_rows = requirement_rows(problem)
        self.penalties: list[tuple[str, cp_model.IntVar, float, object]] = []
        self.pinned = _pinned_candidates(problem, cands)
        # filled by PayCost
        self.cand_cost: dict[int, float] = {}
        self.cand_ordinary_min: dict[int, int] = {}
        self.cand_overtime_min: dict[int, int] = {}
        # candidate -> (rest-day literal, comp-off literal or None, extra pay when paid)
        self.rest_day: dict[int, tuple[object, object, float]] = {}
        self.weekly_excess: dict[tuple[int, int], tuple[cp_model.IntVar, float]] = {}  # (agent, ISO week)
        # written by PayCost, read by MonthlyOvertime and CompOff
        self.overtime = Ledger("overtime")
        self.comp_earned = Ledger("comp-off")
        # filled by CompOff: (agent, ISO week) -> comp days off given
        self.comp_given: dict[tuple[int, int], cp_model.IntVar] = {}
        # assumption literals, one per (agent_id, family), only when explaining a conflict
        self.rule_literals: dict[tuple[str, str], cp_model.IntVar] | None = {} if explain else None
        self._model = model

    def works(self, a: int, d: int):
        return sum(self.x[k] for k in self.by_agent_day.get((a, d), []))

    def on(self, g: tuple[str, ...], d: int, t: int):
        """Agents of skill group ``g`` working (on shift, not at lunch) in interval ``t`` of day ``d``."""
        return sum(v * c for v, c in self._on[g, d, t])

    @property
    def group_slots(self):
        return self._on

    def enforce(self, constraint: cp_model.Constraint, agent_id: str, rule: HardRule) -> None:
        """Add ``constraint`` of hard rule ``rule`` for ``agent_id``: as is in a solve, under the
        (agent, rule) assumption literal when a conflict is explained."""
        if not isinstance(rule, HardRule):
            raise TypeError(f"{type(rule).__name__} enforces a per-agent rule but is not a HardRule, so no "
                            f"conflict explanation, shortfall diagnosis or validator check would know of it")
        if self.rule_literals is None:
            return
        key = (agent_id, rule.name)
        if key not in self.rule_literals:
            self.rule_literals[key] = self._model.new_bool_var(f"rule(agent={agent_id}, family={rule.name})")
        constraint.only_enforce_if(self.rule_literals[key])


def _pinned_candidates(problem: RosterProblem, cands: list[Candidate]) -> dict[tuple[int, int], list[int]]:
    pins = problem.pinned_shifts
    if pins is None or pins.empty:
        return {}
    check_pinned_rows(problem)
    a_index = {a.agent_id: i for i, a in enumerate(problem.agents)}
    d_index = {d: i for i, d in enumerate(problem.days)}
    by = {}
    for c in cands:
        by.setdefault((c.agent, c.day), []).append(c)
    out = {}
    for rec in pins.itertuples(index=False):
        start = pd.Timestamp(rec.shift_start)
        a, d = a_index[rec.agent_id], d_index[start.date()]
        minute = start.hour * 60 + start.minute
        end = getattr(rec, "shift_end", None)
        end_min = None
        if end is not None and not pd.isna(end):
            e = pd.Timestamp(end)
            end_min = (e - pd.Timestamp(start.date())).total_seconds() // 60
        ks = [c.idx for c in by.get((a, d), []) if c.start_min == minute
              and (end_min is None or c.end_min == end_min)]
        if not ks:
            agent = problem.agents[a]
            raise InputError(f"pinned shift {start:%Y-%m-%d %H:%M} of agent {agent.agent_id} ({agent.name}) "
                             f"matches no shift template allowed that day for a {agent.contract} agent "
                             f"({problem.day_types[start.date()]}, window "
                             f"{_hhmm(problem.open_windows[start.date()].start_min)}-"
                             f"{_hhmm(problem.open_windows[start.date()].end_min)})", field="pinned_shifts")
        out[a, d] = ks
    return out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass
class BuiltModel:
    model: cp_model.CpModel
    rv: RosterVars
    terms: list[Term] = field(default_factory=list)


def build_model(problem: RosterProblem, families: list[Family] | None = None,
                explain: bool = False) -> BuiltModel:
    """The CP-SAT model of ``problem`` made of ``families`` (default: the registry,
    ``constraints.default_families()``; a subset builds one rule on its own, as the tests do), and
    the objective: the sum of the families' terms; and the problem's own ``hard_rules``. ``explain``: one
    assumption literal per agent x hard rule and no objective, to find which rules conflict."""
    model = cp_model.CpModel()
    cands = generate_candidates(problem)
    rv = RosterVars(problem, model, cands, explain=explain)
    terms: list[Term] = []
    for fam in [*(default_families() if families is None else families), *problem.hard_rules]:
        terms += fam.build(problem, model, rv)
    if not explain:
        model.minimize(objective(terms))
    return BuiltModel(model, rv, terms)


def objective(terms: list[Term]) -> cp_model.LinearExprT:
    """The roster's objective: the sum of the terms, in cost units x ``SCALE`` (integer coefficients)."""
    return sum(int(round(t.weight * SCALE)) * t.expr for t in terms if int(round(t.weight * SCALE)) != 0)


def new_solver() -> cp_model.CpSolver:
    """A CP-SAT solver that leaves Ctrl-C to ``core.interrupt`` (it stops the search): CP-SAT's own SIGINT
    handler, installed by any solve that catches the signal, stays installed after it and aborted the
    process on a Ctrl-C off the main thread (``std::bad_function_call``, exit 134)."""
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False
    return interrupt.watch(solver)


def make_solver(problem: RosterProblem, time_limit_s: float | None = None) -> cp_model.CpSolver:
    """A CP-SAT solver with the scenario's settings; ``time_limit_s`` [s] replaces
    ``roster.time_limit_s`` (in deterministic search it sets the deterministic budget the same way)."""
    spec = problem.scenario.roster
    limit = spec.time_limit_s if time_limit_s is None else time_limit_s
    solver = new_solver()
    p = solver.parameters
    p.num_workers = spec.workers
    p.random_seed = int(problem.seed)
    p.relative_gap_limit = spec.relative_gap
    if interrupt.requested():  # Ctrl-C: no more searching, the plan keeps its roster so far
        limit = 0.0
    if spec.search == "portfolio":
        p.max_time_in_seconds = limit
    else:
        p.interleave_search = True
        p.max_deterministic_time = limit * DTIME_PER_S
        p.max_time_in_seconds = limit * WALL_SAFETY
    return interrupt.watch(solver)


def solve_roster(problem: RosterProblem) -> Roster:
    """Shifts, lunches and channel assignments of the named agents at the lowest cost within the
    labour rules; understaffing is allowed and reported, never an exception. With the agent-friendly
    terms on, in two stages (``scheduler.roster.friendly_solve``)."""
    from scheduler.roster.friendly_solve import solve_in_stages, staged

    if staged(problem):
        return solve_in_stages(problem)
    from scheduler.roster.greedy import search_again_if_poor
    from scheduler.roster.windows import search

    t0 = time.perf_counter()
    built = build_model(problem)
    _add_hints(problem, built)
    limit = problem.scenario.roster.time_limit_s
    found = search_again_if_poor(problem, built, search(problem, built),
                                 lambda share: search(problem, built, limit * share))
    roster = solved_roster(problem, built, found.solver, found.status, t0)
    roster.solver.update(found.figures)
    roster.solver["gap"] = relative_gap(roster.solver["objective"], roster.solver["best_bound"])
    return roster


def check_status(problem: RosterProblem, solver: cp_model.CpSolver, status) -> None:
    """No roster: infeasible hard rules are explained (``InputError``), no roster in time is a ``SolverError``.
    A problem with ``hard_rules`` of its own (the service targets held) is not explained agent by agent:
    those rules bind the agents together, and the labour rules alone may well admit a roster."""
    if status == cp_model.INFEASIBLE and problem.hard_rules:
        names = ", ".join(sorted({getattr(f, "name", type(f).__name__) for f in problem.hard_rules}))
        raise InputError(f"no roster of this pool meets the rules held ({names}) with the labour rules")
    if status == cp_model.INFEASIBLE:
        raise InputError(explain_conflict(problem))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if interrupt.requested():
            raise SolverError(interrupt.NO_ROSTER, stopped_by=interrupt.STOPPED)
        raise SolverError(f"CP-SAT found no roster ({solver.status_name(status)}) within "
                          f"roster.time_limit_s={problem.scenario.roster.time_limit_s:g}; raise it",
                          stopped_by=_stopped_by(status, solver))


def solved_roster(problem: RosterProblem, built: BuiltModel, solver: cp_model.CpSolver, status,
                  t0: float) -> Roster:
    """The ``Roster`` of a model ``solver`` has just solved with ``status``: an InputError explaining
    the conflict when the hard rules admit no roster, a SolverError when none was found in time."""
    wall = time.perf_counter() - t0
    check_status(problem, solver, status)
    obj = solver.objective_value / SCALE
    bound = solver.best_objective_bound / SCALE
    info = {"status": solver.status_name(status), "objective": obj, "best_bound": bound,
            "gap": relative_gap(obj, bound), "wall_s": wall,
            "solve_wall_s": solver.wall_time, "deterministic_time": solver.deterministic_time,
            "num_variables": len(built.model.proto.variables), "seed": int(problem.seed),
            "stopped_by": _stopped_by(status, solver),
            "objective_terms": objective_terms(built.terms, solver),
            "changes_vs_published": int(round(sum(solver.value(t.expr) for t in built.terms
                                                  if t.kind == "changes")))}
    return _extract(problem, built, solver, info)


def relative_gap(objective: float, bound: float) -> float:
    """How far ``objective`` may be from the optimum, as a share of it (0 for a zero objective)."""
    return (objective - bound) / max(abs(objective), 1e-9) if objective else 0.0


def objective_terms(terms: list[Term], solver: cp_model.CpSolver) -> dict[str, float]:
    """[cost units] of the objective by kind (pay, shortfall, fairness), at the float weights."""
    out: dict[str, float] = {}
    for t in terms:
        out[t.kind] = out.get(t.kind, 0.0) + t.weight * solver.value(t.expr)
    return out


def _stopped_by(status, solver: cp_model.CpSolver) -> str:
    p = solver.parameters
    if interrupt.requested() and status != cp_model.OPTIMAL:
        return interrupt.STOPPED
    if status == cp_model.OPTIMAL:
        gap = abs(solver.objective_value - solver.best_objective_bound)
        return "optimal" if gap < 0.5 else "relative_gap"
    if solver.deterministic_time >= 0.99 * p.max_deterministic_time:
        return "deterministic_time"
    return f"{WALL_TIME} (may not be reproducible)"


def _extract(problem: RosterProblem, built: BuiltModel, solver: cp_model.CpSolver, info: dict) -> Roster:
    v = built.rv
    shifts = []
    for c in v.cands:
        if not solver.boolean_value(v.x[c.idx]):
            continue
        shift = {"cand": c, "lunch": None, "cost": v.cand_cost[c.idx], "ordinary_min": v.cand_ordinary_min[c.idx],
                 "overtime_min": v.cand_overtime_min[c.idx], "channels": {}, "rest_day": ""}
        if c.idx in v.rest_day:
            z, q, paid_extra = v.rest_day[c.idx]
            if solver.boolean_value(z):
                if q is not None and solver.boolean_value(q):
                    shift["rest_day"] = "comp_off"
                else:
                    shift["rest_day"] = "paid"
                    shift["cost"] += paid_extra
                    shift["overtime_min"] += shift["ordinary_min"]
                shift["ordinary_min"] = 0
        shifts.append(shift)
    # weekly excess premium: attributed to the agent's latest ordinary minutes of the ISO week
    week_of = {d: w for w, days in enumerate(problem.iso_weeks()) for d in days}
    for (a, w), (var, per_min) in v.weekly_excess.items():
        left = int(solver.value(var))
        mine = [s for s in shifts if s["cand"].agent == a and week_of[s["cand"].day] == w]
        for s in sorted(mine, key=lambda s: -s["cand"].day):
            if left <= 0:
                break
            take = min(left, s["ordinary_min"])
            s["cost"] += take * per_min
            s["overtime_min"] += take
            left -= take
    assign_lunches(v, shifts, {key: int(solver.value(var)) for key, var in v.lunch.items()})
    split = {key: int(solver.value(var)) for key, var in v.split.items()}
    info["channel_switches"] = assign_channels(problem, v, shifts, split)
    values = [(name, int(solver.value(var)), weight, idx) for name, var, weight, idx in v.penalties]
    given = {key: int(solver.value(var)) for key, var in v.comp_given.items()}
    return build_roster(problem, shifts, values, info, comp_off_ledger(problem, shifts, given))


def comp_off_ledger(problem: RosterProblem, shifts: list[dict], given: dict[tuple[int, int], int]) -> pd.DataFrame:
    """The comp-off ledger after the plan: the days owed at its start and those its comp-off shifts
    earned, each with its due date, and the day it was given when the plan gives it (``given``:
    comp days per (agent, ISO week), from ``CompOff``). Each week's days go to the agent's first free
    non-statutory days of the week that are not leave days, and pay off the earliest-due days owed
    (earned in an earlier week)."""
    weeks = problem.iso_weeks()
    rows = []
    for a, agent in enumerate(problem.agents):
        owed = [[e, due, None] for due, e in problem.comp_owed_rows(agent.agent_id)]
        earned = sorted(problem.days[s["cand"].day] for s in shifts
                        if s["cand"].agent == a and s["rest_day"] == "comp_off")
        owed += [[e, problem.comp_due_by(e), None] for e in earned]
        worked = {s["cand"].day for s in shifts if s["cand"].agent == a}
        for w, days in enumerate(weeks):
            n = given.get((a, w), 0)
            free = [problem.days[d] for d in days if d not in worked and problem.days[d] not in agent.unavailable
                    and problem.day_types[problem.days[d]] != "statutory_holiday"]
            week0 = problem.days[days[0]]
            open_rows = sorted((r for r in owed if r[2] is None
                                and problem.week_key(r[0]) < problem.week_key(week0)), key=lambda r: r[1])
            for row, day in zip(open_rows[:n], free):
                row[2] = day
        rows += [{"agent_id": agent.agent_id, "agent_name": agent.name, "earned_on": e, "due_by": due,
                  "given_on": g} for e, due, g in owed]
    return pd.DataFrame(rows, columns=["agent_id", "agent_name", "earned_on", "due_by", "given_on"])


def assign_lunches(v: RosterVars, shifts: list[dict], counts: dict) -> None:
    """Give the agents of each (skill group, day, shift shape) the solved lunch counts, earliest lunch
    to the first agent in pool order."""
    by_shape: dict[tuple, list[dict]] = {}
    for s in shifts:
        c = s["cand"]
        if c.lunch_starts:
            by_shape.setdefault((v.group_of[c.agent], c.day, c.shape_id), []).append(s)
    for (g, d, sid), members in by_shape.items():
        starts = [l for l in members[0]["cand"].lunch_starts for _ in range(counts[g, d, sid, l])]
        for s, l in zip(sorted(members, key=lambda s: s["cand"].agent), starts):
            s["lunch"] = l


def assign_channels(problem: RosterProblem, v: RosterVars, shifts: list[dict],
                    split: dict[tuple[tuple[str, ...], int, int, str], int]) -> int:
    """Turn the solved heads per (skill group, interval, channel) into each agent's channel per
    interval, filling ``shift["channels"]``. Agents keep the channel they worked last that day while
    the group's count for it lasts; the others take what is left, in pool order. Returns the number
    of channel switches between consecutive working intervals."""
    step = problem.interval_min
    on_duty: dict[tuple, list[int]] = {}
    by_agent_day = {}
    for s in sorted(shifts, key=lambda s: s["cand"].agent):
        c = s["cand"]
        by_agent_day[c.agent, c.day] = s
        for t in c.shape.working(s["lunch"], step):
            on_duty.setdefault((v.group_of[c.agent], c.day, t), []).append(c.agent)
    last: dict[tuple[int, int], tuple[int, str]] = {}  # (agent, day) -> (interval, channel) last worked
    switches = 0
    for (g, d, t) in sorted(on_duty, key=lambda k: (k[1], k[2], k[0])):
        on = on_duty[g, d, t]
        left = {ch: split[g, d, t, ch] for ch in g}
        chosen: dict[int, str] = {}
        for a in on:  # keep the channel worked last where the count allows
            prev = last.get((a, d))
            if prev is not None and left[prev[1]] > 0:
                chosen[a] = prev[1]
                left[prev[1]] -= 1
        for a in on:
            if a not in chosen:
                ch = max(g, key=lambda c: (left[c], -g.index(c)))
                chosen[a] = ch
                left[ch] -= 1
        for a, ch in chosen.items():
            prev = last.get((a, d))
            if prev is not None and prev[0] == t - step and prev[1] != ch:
                switches += 1
            last[a, d] = (t, ch)
            by_agent_day[a, d]["channels"].setdefault(ch, []).append(t)
    return switches


# -- warm start ---------------------------------------------------------------------------------------
HINT_COMPLETION_SHARE = 0.15  # of roster.time_limit_s, to complete a shift hint into a whole roster


def _add_hints(problem: RosterProblem, built: BuiltModel) -> None:
    """Warm start from ``hint_shifts`` (last week's pattern, a chained-weeks roster) or the published
    roster, when given.

    The hint names shifts only; lunches, channel splits and the pay literals follow from them but
    CP-SAT's hint search leaves them at their bounds (a first solution with most heads missing, which
    under machine load the search may not repair in time). So the shifts are first completed into a
    whole roster: the same model with the hinted days' shifts fixed (days the hint does not speak for
    stay free), solved for a short while (``HINT_COMPLETION_SHARE`` of the time limit), and every
    variable is hinted with that roster.
    When the hinted shifts break a rule of this plan (last week's pattern on this week's leave days,
    say), the shift hint alone is given.

    No greedy start first: on the default week CP-SAT's own first solutions (interleaved LP-guided and
    LNS workers) beat a greedy set-cover start, which measurably slowed the solve. A search that ends
    poor is searched again from one (``greedy.search_again_if_poor``)."""
    hints = problem.hint_shifts if problem.hint_shifts is not None else problem.published_shifts
    if hints is None or hints.empty:
        return
    v = built.rv
    wanted = hinted_candidates(problem, v.cands, hints)
    days = {v.cands[k].day for k in wanted}  # the days the hint speaks for; the others are left free
    values = {v.x[c.idx].index: int(c.idx in wanted) for c in v.cands if c.day in days}
    set_hints(built.model, _complete(problem, built.model, values) or values)


def set_hints(model: cp_model.CpModel, values: Mapping[int, int]) -> None:
    """Replace ``model``'s hints with ``values`` (proto index -> value)."""
    model.clear_hints()
    for index, value in values.items():
        model.add_hint(model.get_int_var_from_proto_index(index), value)


def hinted_candidates(problem: RosterProblem, cands: list[Candidate], hints: pd.DataFrame) -> set[int]:
    """The candidate each hinted shift stands for: the same agent and day, and of the agent's shifts
    that day the same template at the same start, else the same template at the nearest start, else
    the nearest start. A hint from another week (last week's pattern a week on) keeps its shifts where
    the day's window moved them (a 10:00 holiday start hints the 09:00 shift of an ordinary day)."""
    by_day: dict[tuple[int, int], list[Candidate]] = {}
    for c in cands:
        by_day.setdefault((c.agent, c.day), []).append(c)
    a_index = {a.agent_id: i for i, a in enumerate(problem.agents)}
    d_index = {d: i for i, d in enumerate(problem.days)}
    templates = hints["template"] if "template" in hints.columns else [None] * len(hints)
    out = set()
    for aid, start, template in zip(hints["agent_id"], hints["shift_start"], templates):
        start = pd.Timestamp(start)
        options = by_day.get((a_index.get(aid), d_index.get(start.date())))
        if not options:
            continue
        minute = start.hour * 60 + start.minute
        best = min(options, key=lambda c: (c.shape.template != template, abs(c.start_min - minute), c.idx))
        out.add(best.idx)
    return out


def _complete(problem: RosterProblem, model: cp_model.CpModel, fixed: dict[int, int]) -> dict[int, int] | None:
    """Every variable's value in the best roster found with the variables ``fixed`` (proto index ->
    value) held, or None when that is infeasible or nothing is found in time. Solved without the hint
    ``model`` may carry (a greedy start's completion comes after a search): ``fixed`` may break a rule, and
    OR-Tools 9.15's interleaved search aborts the process on an infeasible model with a partial hint (the
    README's ``--hire auto`` example did, its search held to the targets from a greedy start under load)."""
    sub = model.clone()
    sub.clear_hints()
    for index, value in fixed.items():
        sub.add(sub.get_int_var_from_proto_index(index) == value)
    solver = new_solver()
    spec = problem.scenario.roster
    solver.parameters.num_workers = spec.workers
    solver.parameters.random_seed = int(problem.seed)
    solver.parameters.interleave_search = True
    solver.parameters.max_deterministic_time = HINT_COMPLETION_SHARE * spec.time_limit_s * DTIME_PER_S
    solver.parameters.max_time_in_seconds = HINT_COMPLETION_SHARE * spec.time_limit_s * WALL_SAFETY
    solver.parameters.relative_gap_limit = spec.relative_gap
    if solver.solve(sub) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {i: int(solver.value(sub.get_int_var_from_proto_index(i))) for i in range(len(sub.proto.variables))}


# -- hard-rule conflicts ------------------------------------------------------------------------------
def explain_conflict(problem: RosterProblem) -> str:
    """One line naming the agents and the rule families whose hard rules cannot all hold.

    Agents only interact through soft coverage, so a conflict lies within one agent: each agent with
    pinned shifts (every agent when none are pinned) is solved alone with an assumption literal per
    rule family; the infeasible core is shrunk by dropping literals one at a time."""
    pins = problem.pinned_shifts
    ids = list(dict.fromkeys(pins["agent_id"])) if pins is not None and not pins.empty else \
        [a.agent_id for a in problem.agents]
    empty = problem.requirements.iloc[0:0]
    parts = []
    for aid in ids:
        agent = next(a for a in problem.agents if a.agent_id == aid)
        sub_pins = pins[pins["agent_id"] == aid] if pins is not None and not pins.empty else None
        sub = replace(problem, agents=[agent], requirements=empty, pinned_shifts=sub_pins, hint_shifts=None)
        core = _core(sub)
        if core:
            descs = [rule.describe(sub, agent) for rule in hard_rules() if rule.name in core]
            parts.append(f"agent {agent.agent_id} ({agent.name}): " + " vs ".join(descs))
    if not parts:
        return "rules conflict: the hard labour rules admit no roster (no single agent explains it)"
    return "rules conflict: " + "; ".join(parts)


def _core(sub: RosterProblem) -> list[str]:
    built = build_model(sub, explain=True)
    lits = built.rv.rule_literals
    if not lits:
        return []

    def infeasible(keys):
        built.model.clear_assumptions()
        built.model.add_assumptions([lits[k] for k in keys])
        solver = new_solver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 10
        if solver.solve(built.model) != cp_model.INFEASIBLE:
            return None
        idx = set(solver.sufficient_assumptions_for_infeasibility())
        return [k for k in keys if lits[k].index in idx] or list(keys)

    core = infeasible(sorted(lits))
    if core is None:
        return []
    for k in list(core):  # deletion pass: keep only the literals the conflict needs
        if k in core and len(core) > 1:
            smaller = infeasible([c for c in core if c != k])
            if smaller is not None:
                core = smaller
    return [family for _, family in core]
