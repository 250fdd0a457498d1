"""Constraint families of the roster model, one class each, and the list the model is made of.

Every family has ``build(problem, model, rv) -> list[Term]`` (``family.py``): it adds its constraints
to the CP-SAT ``model`` over the decision variables in ``rv`` (``scheduler.roster.model.RosterVars``)
and returns its objective terms (empty for rules that only constrain). The hard per-agent rules
(leave, working days, hours, rest, pinned shifts) are ``HardRule`` classes in ``rules.py``, each with
its conflict explanation, shortfall diagnosis and validator check; this module holds the structure
(shifts, lunches, channels), soft coverage, pay and the soft preferences, and the registry,
``default_families()``.

Decision variables (made in ``model.py``):

- ``x[k]``: agent works shift candidate ``k`` (agent, day, template, start);
- ``lunch[g, d, shape, l]``: agents of skill group ``g`` on that shift shape taking lunch at minute ``l``;
- ``split[g, d, t, c]``: heads of skill group ``g`` (agents with the same skills) working channel ``c``
  in the interval starting at minute ``t`` of day ``d``.

Agents of a skill group are interchangeable within an interval (and, on the same shift shape, for
lunch), so the model counts heads and who takes which lunch and channel is decided after the solve
(``model.assign_lunches``, ``model.assign_channels``), keeping channel switches within a shift to a
minimum. This keeps the model light: a few thousand variables for a 50-agent week.

Penalty variables are named with their context, e.g. ``understaffed(channel=chat, at=2025-11-11T20:00)``;
the shortfall report (``report.py``) is built from those names.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from core.names import PREMIUM_DAY_TYPES, WEEKEND_DAY_TYPES
from scheduler.agents import Agent
from scheduler.roster.family import Family, HardRule, Term
from scheduler.roster.friendly import LATE_END_MIN, PairedRestDays, RequestTerms, Spread, StartTimes
from scheduler.roster.problem import RosterProblem
from scheduler.roster.rules import ConsecutiveDays, DailyHours, Leave, MaxDaysPerWeek, MinRest, Pinned, WeeklyHours

if TYPE_CHECKING:  # the validator imports this module: no solver at run time
    from ortools.sat.python import cp_model

    from scheduler.roster.model import RosterVars

# Small weights [cost units]: tie-breakers that must never buy understaffing or a dearer roster by much.
FAIRNESS_WEIGHT = 1.0    # per weekend (or late) shift of the agent who has the most of them
# convex shortfall: heads missing beyond max(heads, share x requirement) cost (1 + extra) x the weight
CONVEX_TIERS = ((0.25, 1, 0.5),)


# -- structure ------------------------------------------------------------------------------------
class OneShiftPerDay(Family):
    """At most one shift per agent per day."""

    name = "one_shift_per_day"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        for ks in rv.by_agent_day.values():
            if len(ks) > 1:
                model.add_at_most_one(rv.x[k] for k in ks)
        return []


class LunchPlacement(Family):
    """Every shift with lunch takes one lunch start among its options (staggered: inside
    ``lunch_window`` and not in the shift's first or last interval; fixed: ``fixed_lunch_at``): per skill
    group, day and shift shape, the lunches add up to the agents working that shape."""

    name = "lunch"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        for (g, d, sid), ks in rv.shape_members.items():
            starts = rv.cands[ks[0]].lunch_starts
            if starts:
                model.add(sum(rv.lunch[g, d, sid, l] for l in starts) == sum(rv.x[k] for k in ks))
        return []


class ChannelAssignment(Family):
    """Each working interval (shift minus lunch) goes to exactly one of the agent's skills: per skill
    group, the heads split among its channels add up to its agents on duty."""

    name = "channels"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        for (g, d, t) in rv.group_slots:
            model.add(sum(rv.split[g, d, t, ch] for ch in g) == rv.on(g, d, t))
        return []


class ChannelSwitching(Family):
    """Small penalty on channel switches within shifts (``roster.switch_penalty`` per switch, 2 CNY).

    Who works which channel is named after the solve (``model.assign_channels``), which keeps each agent
    on the channel it worked last while the group's count for it allows. What the model decides is the
    group's split over channels, and a split that changes between consecutive intervals forces
    switches: of the heads a channel loses from t - 1 to t, at most those going off duty at t (shift
    end or lunch start) leave without switching. So per multi-skill group, day and interval
    ``switches >= sum_c max(0, split[t-1, c] - split[t, c]) - off_duty(t)``, a lower bound on what the
    assignment must do, penalised so that among rosters of equal cost the steadiest split wins (it
    cut the default week's switches from 261 to 35 in 1,368 consecutive agent-hours)."""

    name = "channel_switching"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        terms = []
        step = problem.interval_min
        weight = problem.scenario.roster.switch_penalty
        if weight <= 0:
            return terms
        for (g, d, t), now in rv.group_slots.items():
            before = rv.group_slots.get((g, d, t - step))
            if len(g) < 2 or before is None:
                continue
            now_terms = {v.index: (v, c) for v, c in now}
            before_terms = {v.index: (v, c) for v, c in before}
            # off duty at t: shifts on at t - 1 but not at t, and lunches starting at t
            off = [v for i, (v, c) in before_terms.items() if c > 0 and i not in now_terms] + \
                  [v for i, (v, c) in now_terms.items() if c < 0 and i not in before_terms]
            at = problem.at(problem.days[d], t)
            size = sum(c for _, c in before if c > 0)  # heads on duty at t - 1, at most
            drops = []
            for ch in g:
                drop = model.new_int_var(0, size, f"channel_drop(skills={'|'.join(g)}, channel={ch}, "
                                                  f"at={at:%Y-%m-%dT%H:%M})")
                model.add(drop >= rv.split[g, d, t - step, ch] - rv.split[g, d, t, ch])
                drops.append(drop)
            sw = model.new_int_var(0, size, f"channel_switches(skills={'|'.join(g)}, at={at:%Y-%m-%dT%H:%M})")
            model.add(sw >= sum(drops) - sum(off))
            terms.append(Term(sw, weight, "switching"))
        return terms


# -- soft coverage ---------------------------------------------------------------------------------
class Coverage(Family):
    """Soft: ``sum_a work[a,t,c] + short[t,c] >= required_scheduled[t,c]``, each missing head costs
    ``shortfall_weight``. ``short`` is named ``understaffed(channel=c, at=YYYY-MM-DDTHH:MM)``.

    The penalty is convex (``CONVEX_TIERS``): in an interval, heads missing beyond 25% of the
    requirement (from the second missing head on) cost 1.5x, so an unavoidable shortage is spread over
    intervals (lunches staggered, say) rather than piled into one: the service level falls faster the
    more heads an interval lacks. (A second tier at 10% slowed the default week by 2x for no gain.)"""

    name = "coverage"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        terms = []
        for row in rv.requirement_rows:
            req = row.required
            if req <= 0:
                continue
            heads = rv.heads.get((row.day, row.minute, row.channel), [])
            where = f"channel={row.channel}, at={row.at:%Y-%m-%dT%H:%M}"
            name = f"understaffed({where})"
            short = model.new_int_var(0, req, name)
            model.add(sum(heads) + short >= req)
            rv.penalties.append((name, short, row.weight, row.index))
            terms.append(Term(short, row.weight, "shortfall"))
            for share, floor, extra in CONVEX_TIERS:
                k = max(floor, math.ceil(share * req))
                if k < req and heads:
                    beyond = model.new_int_var(0, req - k, f"understaffed_beyond(heads={k}, {where})")
                    model.add(beyond >= short - k)
                    terms.append(Term(beyond, row.weight * extra, "shortfall"))
        return terms


# -- pay ------------------------------------------------------------------------------------------------
class PayCost(Family):
    """Pay cost of every shift (``PaySpec``), and the overtime minutes ``WeeklyHours`` caps.

    Per shift, with ``rate`` = the agent's hourly cost:

    - on a ``statutory_holiday``: all paid hours at ``pay.statutory_holiday``;
    - on the agent's working days beyond ``ordinary_days_per_week`` (5) in the week, counted in date
      order (only possible when ``max_days_per_week`` > 5): all hours at ``pay.rest_day_overtime``;
    - otherwise ordinary hours at ``pay.weekend`` on weekend and holiday rest days (1.0 elsewhere) and,
      in the standard hours system, hours beyond ``max_paid_h_per_day`` at
      ``max(that, pay.workday_overtime)``.

    Per agent and week, ordinary hours beyond ``max_paid_h_per_week`` earn the premium
    ``(pay.workday_overtime - 1) x rate`` on top (attributed to the latest shifts in the report).
    In comprehensive-hours mode (``labour.comprehensive_hours``) there is no daily overtime and no
    rest-day overtime: only the weekly excess is overtime.

    Overtime minutes = daily overtime + rest-day overtime + weekly excess (statutory holiday hours are
    paid 300% but are not counted against the monthly overtime cap); they go to ``rv.overtime``, the
    ``OvertimeLedger`` the hours caps read.
    """

    name = "pay"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        lab, pay = problem.scenario.labour, problem.scenario.pay
        std_day = int(round(lab.max_paid_h_per_day * 60))
        terms = []
        for c in rv.cands:
            agent = problem.agents[c.agent]
            day = problem.days[c.day]
            cost, ordinary, overtime = shift_pay(problem, agent.hourly_cost, problem.day_types[day],
                                                 c.paid_min, std_day)
            rv.cand_cost[c.idx] = cost
            rv.cand_ordinary_min[c.idx] = ordinary
            rv.cand_overtime_min[c.idx] = overtime
            terms.append(Term(rv.x[c.idx], cost, "pay"))
        n_days = len(problem.days)
        ordinary_days = problem.ordinary_days_per_week
        rest_day_ot = (not lab.comprehensive_hours and problem.max_working_days > ordinary_days)
        overtime_by_agent = {}
        for a, agent in enumerate(problem.agents):
            rate = agent.hourly_cost
            ordinary = [(rv.x[k], rv.cand_ordinary_min[k]) for d in range(n_days)
                        for k in rv.by_agent_day.get((a, d), [])]
            overtime = [(rv.x[k], rv.cand_overtime_min[k]) for d in range(n_days)
                        for k in rv.by_agent_day.get((a, d), [])]
            if rest_day_ot:
                self._rest_day_overtime(problem, model, rv, a, agent, terms, ordinary, overtime)
            # weekly excess of ordinary minutes over the standard week, exact: W = max(0, ordinary - std)
            best = sorted((max((rv.cand_ordinary_min[k] for k in rv.by_agent_day.get((a, d), [])),
                               default=0) for d in range(n_days)), reverse=True)
            max_ordinary = sum(best[:problem.max_working_days])
            std = problem.weekly_std_min()
            if max_ordinary > std:
                w = model.new_int_var(0, max_ordinary - std, f"weekly_overtime_min(agent={agent.agent_id})")
                model.add_max_equality(w, [0, sum(v * m for v, m in ordinary) - std])
                per_min = (pay.workday_overtime - 1) * rate / 60
                rv.weekly_excess[a] = (w, per_min)
                terms.append(Term(w, per_min, "pay"))
                overtime.append((w, 1))
            if any(m for _, m in overtime):
                overtime_by_agent[a] = sum(v * m for v, m in overtime if m)
        rv.overtime.write(overtime_by_agent, self.name)
        return terms


    @staticmethod
    def _rest_day_overtime(problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars, a: int, agent: Agent,
                           terms: list[Term], ordinary: list[tuple[object, int]],
                           overtime: list[tuple[object, int]]) -> None:
        """Premium of the agent's working days beyond the ordinary ones, in date order: a shift on day
        d >= O (O = ordinary days) is rest-day overtime (z = 1) iff the agent worked O days before d,
        statutory holidays excepted (they are paid 300% instead).

        Exact: cond_d = [worked >= O days before d] and ``z_k = x_k AND cond_d``. Those relax in the LP
        to cond_d >= (prior - O + 1) / span, which leaves the premium out of the bound, so the valid
        count cut ``sum z >= D - O - (statutory days from day O on)`` is added: every working day
        beyond the O-th is a rest-day shift unless it is a statutory holiday. With it the Double 11
        week's gap at 60 s fell from 13% to 2.4%. (A linear formulation through "the last day worked"
        was tried and relaxed worse than this cut.)
        """
        pay = problem.scenario.pay
        n_days = len(problem.days)
        ordinary_days = problem.ordinary_days_per_week
        rate = agent.hourly_cost
        zs = []
        for d in range(ordinary_days, n_days):
            ks = [k for k in rv.by_agent_day.get((a, d), [])
                  if problem.day_types[problem.days[d]] != "statutory_holiday"]
            if not ks:
                continue
            prior = sum(rv.works(a, e) for e in range(d))
            span = d - ordinary_days + 1
            cond = model.new_bool_var(f"rest_day_overtime(agent={agent.agent_id}, on={problem.days[d]})")
            model.add(span * cond >= prior - (ordinary_days - 1))
            model.add(ordinary_days * cond <= prior)
            for k in ks:
                z = model.new_bool_var(f"rest_day_shift(agent={agent.agent_id}, shift={k})")
                model.add_bool_and([rv.x[k], cond]).only_enforce_if(z)
                model.add_bool_or([rv.x[k].Not(), cond.Not(), z])
                paid = rv.cands[k].paid_min
                delta = paid / 60 * rate * pay.rest_day_overtime - rv.cand_cost[k]
                rv.rest_day[k] = (z, delta)
                zs.append(z)
                terms.append(Term(z, delta, "pay"))
                ordinary.append((z, -rv.cand_ordinary_min[k]))
                overtime.append((z, rv.cand_ordinary_min[k]))
        if zs:
            statutory_late = sum(problem.day_types[problem.days[d]] == "statutory_holiday"
                                 for d in range(ordinary_days, n_days))
            model.add(sum(zs) >= sum(rv.works(a, d) for d in range(n_days))
                      - ordinary_days - statutory_late)

class OvertimeLedger:
    """Overtime minutes of each agent this week, as CP-SAT expressions [min]: what the pay rules count
    and the hours caps limit.

    ``PayCost`` writes it once (daily + rest-day overtime + weekly excess, per agent index);
    ``WeeklyHours`` reads it to hold overtime within the month's allowance. The families meet here
    rather than through an attribute one of them happens to fill first: reading the ledger before it
    is written, or writing it twice, raises, so a family list that puts the cap before the pay (or
    leaves the pay out) fails loudly instead of silently dropping the overtime cap."""

    def __init__(self) -> None:
        self._minutes: dict[int, cp_model.LinearExprT] | None = None
        self._writer = ""

    @property
    def written(self) -> bool:
        return self._minutes is not None

    def write(self, minutes: dict[int, cp_model.LinearExprT], writer: str) -> None:
        """``minutes``: agent index -> overtime minutes, for the agents who can work any overtime."""
        if self._minutes is not None:
            raise RuntimeError(f"{writer} writes the overtime ledger that {self._writer} already wrote")
        self._minutes, self._writer = dict(minutes), writer

    def minutes(self, agent: int, reader: str) -> cp_model.LinearExprT | None:
        """Overtime minutes of agent index ``agent``; None when no shift of the agent has any."""
        if self._minutes is None:
            raise RuntimeError(f"{reader} reads the overtime ledger before it is written: build PayCost "
                               f"before {reader} in the family list")
        return self._minutes.get(agent)


def shift_pay(problem: RosterProblem, rate: float, day_type: str, paid_min: int,
              std_day_min: int) -> tuple[float, int, int]:
    """(cost, ordinary minutes, overtime minutes) of one shift before weekly rules."""
    pay, lab = problem.scenario.pay, problem.scenario.labour
    hours = paid_min / 60
    if day_type == "statutory_holiday":
        return hours * rate * pay.statutory_holiday, 0, 0
    base = pay.weekend if day_type in PREMIUM_DAY_TYPES else 1.0
    if lab.comprehensive_hours:
        return hours * rate * base, paid_min, 0
    ordinary = min(paid_min, std_day_min)
    over = paid_min - ordinary
    cost = rate * (ordinary / 60 * base + over / 60 * max(base, pay.workday_overtime))
    return cost, ordinary, over


# -- soft preferences -------------------------------------------------------------------------------
class Fairness(Family):
    """Spread weekend/holiday shifts and late shifts: penalise the largest number any one agent gets.
    Only with ``roster.agent_friendly = false``: the friendly terms' ``Spread`` replaces it."""

    name = "fairness"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        terms = []
        if problem.scenario.roster.agent_friendly:
            return terms
        n_days = len(problem.days)
        groups = {
            "weekend": lambda d, k: problem.day_types[problem.days[d]] in WEEKEND_DAY_TYPES,
            "late": lambda d, k: rv.cands[k].end_min >= LATE_END_MIN,
        }
        for label, pick in groups.items():
            counts = []
            for a in range(len(problem.agents)):
                ks = [k for d in range(n_days) for k in rv.by_agent_day.get((a, d), []) if pick(d, k)]
                if ks:
                    counts.append(sum(rv.x[k] for k in ks))
            if len(counts) < 2:
                continue
            most = model.new_int_var(0, n_days, f"most_{label}_shifts")
            for cnt in counts:
                model.add(cnt <= most)
            terms.append(Term(most, FAIRNESS_WEIGHT, "fairness"))
        return terms


def shift_keys(problem: RosterProblem, frame: pd.DataFrame | None) -> set[tuple[int, int, int]]:
    """(agent index, day index, start minute) of the shifts in ``frame`` that fall in this problem."""
    if frame is None or frame.empty:
        return set()
    a_index = {a.agent_id: i for i, a in enumerate(problem.agents)}
    d_index = {d: i for i, d in enumerate(problem.days)}
    keys = set()
    for rec in frame.itertuples(index=False):
        start = pd.Timestamp(rec.shift_start)
        a, d = a_index.get(rec.agent_id), d_index.get(start.date())
        if a is not None and d is not None:
            keys.add((a, d, start.hour * 60 + start.minute))
    return keys


class Stability(Family):
    """Against a published roster: each shift added, removed or moved costs ``roster.change_penalty``
    (a moved shift is one removed and one added)."""

    name = "changes"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        published = shift_keys(problem, problem.published_shifts)
        weight = problem.scenario.roster.change_penalty
        if not published or weight <= 0:
            return []
        terms = []
        for c in rv.cands:
            if (c.agent, c.day, c.start_min) in published:
                terms.append(Term(1 - rv.x[c.idx], weight, "changes"))
            else:
                terms.append(Term(rv.x[c.idx], weight, "changes"))
        return terms


def default_families() -> list[Family]:
    """The registry: the model is this list, built in this order (the order fixes the CP-SAT model,
    so keep it when refactoring; the agent-friendly terms add no variable when they are off, so that
    ``roster.agent_friendly = false`` builds the model as before them). ``PayCost`` comes before
    ``WeeklyHours``, which reads the ``OvertimeLedger`` it writes. The hard rules, in this order, are
    also the order of a conflict's explanation (``Pinned`` last), of the shortfall report's diagnosis
    and of the validator's checks."""
    return [OneShiftPerDay(), LunchPlacement(), ChannelAssignment(), ChannelSwitching(), Coverage(), Leave(),
            MaxDaysPerWeek(), DailyHours(), PayCost(), WeeklyHours(), MinRest(), ConsecutiveDays(),
            Pinned(), Fairness(), PairedRestDays(), StartTimes(), Spread(), RequestTerms(), Stability()]


def hard_rules(families: list[Family] | None = None) -> list[HardRule]:
    """The hard per-agent rules of ``families`` (default: the registry), in registry order."""
    return [f for f in (default_families() if families is None else families) if isinstance(f, HardRule)]
