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
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from core.names import PREMIUM_DAY_TYPES, WEEKEND_DAY_TYPES
from scheduler.roster.family import Family, HardRule, Term
from scheduler.roster.friendly import LATE_END_MIN, PairedRestDays, RequestTerms, Spread, StartTimes
from scheduler.roster.problem import RosterProblem
from scheduler.roster.rules import (
    CompOff,
    ConsecutiveDays,
    DailyHours,
    Leave,
    MaxDaysPerWeek,
    MinRest,
    MonthlyOvertime,
    Pinned,
    WeeklyHours,
)

if TYPE_CHECKING:  # the validator imports this module: no solver at run time
    from ortools.sat.python import cp_model

    from scheduler.roster.model import RosterVars

# Small weights [cost units]: tie-breakers that must never buy understaffing or a dearer roster by much.
FAIRNESS_WEIGHT = 1.0    # per weekend (or late) shift of the agent who has the most of them
# convex shortfall: heads missing beyond max(floor, share x requirement) cost `extra` x the weight more
CONVEX_TIERS = ((0.25, 1, 0.5), (0.5, 1, 1.0))


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
    requirement (from the second missing head on) cost 1.5x, and beyond half of it 2.5x, so an
    unavoidable shortage is spread over intervals (lunches staggered, say) rather than piled into one:
    the service level falls faster the more heads an interval lacks, and an interval left with none
    answers nobody. With the 25% tier alone, a head was worth the same in two intervals past it, and a
    slightly cheaper one took every lunch: 2025-W46 left 22 requirement rows with no head at all (chat
    at 13:00 on four days), against 1 with both tiers and heads priced per head
    (``scheduler.plan.shortfall_weights``). (A tier at 10% slowed the default week by 2x for no gain.)

    With ``roster.unstable_factor`` > 0 (a month: ``[roster.month]``), each head missing below the
    row's ``stable_heads`` (``staffing.requirements.stable_heads``: fewer, and the interval's queue never
    clears, which the plan counts as a missed target) costs that many times its weight more. A week
    holds its targets by searching again with them as rules (``roster.hold_targets``); a month is too
    large for a second search, so it prices them: without the factor, 2025-10 was left with a chat and a
    phone interval unstable (at a lunch hour: 15 chat heads against a load of 15.01 Erlang), a head there
    priced below a shift's pay."""

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
            tiers = [("beyond", max(floor, math.ceil(share * req)), extra) for share, floor, extra in CONVEX_TIERS]
            unstable = problem.scenario.roster.unstable_factor
            if unstable > 0 and row.stable > 0:  # more than req - stable heads missing: an unstable queue
                tiers.append(("unstable", req - row.stable, unstable))
            for kind, k, extra in tiers:
                if k < req and heads:
                    beyond = model.new_int_var(0, req - k, f"understaffed_{kind}(heads={k}, {where})")
                    model.add(beyond >= short - k)
                    terms.append(Term(beyond, row.weight * extra, "shortfall"))
        return terms


# -- pay ------------------------------------------------------------------------------------------------
class PayCost(Family):
    """Pay cost of every shift (``PaySpec``), the overtime minutes ``MonthlyOvertime`` caps, and the comp
    days off that rest-day work earns, which ``CompOff`` must give.

    Per shift, with ``rate`` = the agent's hourly cost:

    - on a ``statutory_holiday``: all paid hours at ``pay.statutory_holiday`` (art. 44(3)), never time
      off in lieu, and not a standard day;
    - rest-day work (standard hours system): per agent and ISO week, the non-statutory days worked
      beyond the week's standard days (``RosterProblem.standard_days``: 5 in an ordinary week, 6 with a
      makeup workday, 2 in 2025-W40), counted in date order from the first day of the ISO week (days
      the previous plan covered included). Each such shift is either ``paid`` (all hours at
      ``pay.rest_day_overtime``, overtime) or ``comp_off`` (paid as an ordinary shift, and the agent is
      owed a day off in lieu, which is not overtime), as ``rest_day_work.options`` allow; the model picks
      the cheaper (the comp day's value is ``CompOff``'s term);
    - otherwise ordinary hours at ``pay.weekend`` on weekend and holiday rest days (1.0 elsewhere) and,
      in the standard hours system, hours beyond ``max_paid_h_per_day`` at
      ``max(that, pay.workday_overtime)``.

    Per agent and ISO week, ordinary hours beyond the week's standard hours (``weekly_std_min``) earn
    the premium ``(pay.workday_overtime - 1) x rate`` on top (attributed to the latest shifts in the
    report). In comprehensive-hours mode (``labour.comprehensive_hours``) there is no daily overtime and
    no rest-day work: only the weekly excess is overtime.

    Overtime minutes = daily overtime + paid rest-day hours + weekly excess (statutory holiday hours are
    paid 300% but are not counted against the monthly cap, nor is rest-day work given back as time off)
    go to ``rv.overtime`` per agent and calendar month (a week's excess counts in every month the week
    touches: a safe side of the cap), the ``Ledger`` ``MonthlyOvertime`` reads; the comp days earned go
    to ``rv.comp_earned`` per agent and ISO week of the horizon.
    """

    name = "pay"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        terms = []
        for c in rv.cands:
            agent = problem.agents[c.agent]
            day = problem.days[c.day]
            cost, ordinary, overtime = shift_pay(problem, agent.hourly_cost, problem.day_types[day],
                                                 c.paid_min, problem.std_day_min())
            rv.cand_cost[c.idx] = cost
            rv.cand_ordinary_min[c.idx] = ordinary
            rv.cand_overtime_min[c.idx] = overtime
            terms.append(Term(rv.x[c.idx], cost, "pay"))
        month_of = {d: m for m, days in enumerate(problem.months()) for d in days}
        overtime: dict[tuple[int, int], list[tuple[object, int]]] = {}
        earned: dict[tuple[int, int], object] = {}
        for a in range(len(problem.agents)):
            for w, week in enumerate(problem.iso_weeks()):
                week_ot = self._week(problem, model, rv, a, w, week, terms)
                for d, items in week_ot.by_day.items():
                    overtime.setdefault((a, month_of[d]), []).extend(items)
                for m in sorted({month_of[d] for d in week}) if week_ot.excess is not None else ():
                    overtime.setdefault((a, m), []).append((week_ot.excess, 1))
                if week_ot.earned:
                    earned[a, w] = sum(week_ot.earned)
        rv.overtime.write({key: sum(v * m for v, m in items if m) for key, items in overtime.items()
                           if any(m for _, m in items)}, self.name)
        rv.comp_earned.write(earned, self.name)
        return terms

    def _week(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars, a: int, w: int,
              week: list[int], terms: list[Term]) -> WeekPay:
        """One agent's ISO week: its rest-day shifts and its weekly excess."""
        agent = problem.agents[a]
        by_day = {d: [(rv.x[k], rv.cand_overtime_min[k]) for k in rv.by_agent_day.get((a, d), [])
                      if rv.cand_overtime_min[k]] for d in week}
        ordinary = [(rv.x[k], rv.cand_ordinary_min[k]) for d in week for k in rv.by_agent_day.get((a, d), [])]
        earned = []
        if problem.rest_day_rules:
            earned = self._rest_days(problem, model, rv, a, week, terms, ordinary, by_day)
        day0 = problem.days[week[0]]
        before = problem.previous_week_status(agent.agent_id, day0)
        # weekly excess of ordinary minutes over the week's standard hours, exact: W = max(0, ordinary - std)
        std = max(problem.weekly_std_min(day0), before.ordinary_min)
        best = sorted((max((rv.cand_ordinary_min[k] for k in rv.by_agent_day.get((a, d), [])), default=0)
                       for d in week), reverse=True)
        most = before.ordinary_min + sum(best[:max(0, problem.max_working_days - before.days)])
        excess = None
        if most > std:
            label = f"{day0.isocalendar()[0]}-W{day0.isocalendar()[1]:02d}"
            excess = model.new_int_var(0, most - std, f"weekly_overtime_min(agent={agent.agent_id}, week={label})")
            model.add_max_equality(excess, [0, sum(v * m for v, m in ordinary) + before.ordinary_min - std])
            per_min = (problem.scenario.pay.workday_overtime - 1) * agent.hourly_cost / 60
            rv.weekly_excess[a, w] = (excess, per_min)
            terms.append(Term(excess, per_min, "pay"))
        return WeekPay(by_day, excess, earned)

    @staticmethod
    def _rest_days(problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars, a: int, week: list[int],
                   terms: list[Term], ordinary: list[tuple[object, int]],
                   by_day: dict[int, list[tuple[object, int]]]) -> list:
        """Rest-day shifts of agent ``a`` in one ISO week, in date order: a shift on a non-statutory day d
        is rest-day work (z = 1) iff the agent worked the week's S standard days on non-statutory days
        before d (the previous plan's days of the week included). Returns the comp-off literals.

        Exact: cond_d = [non-statutory days worked before d >= S] and ``z_k = x_k AND cond_d``. Those
        relax in the LP to cond_d >= (prior - S + 1) / span, which leaves the premium out of the bound,
        so the valid count cut ``sum z >= (non-statutory days worked) - (S - days before)`` is added:
        every non-statutory working day beyond the S-th is rest-day work. With it the Double 11 week's
        gap at 60 s fell from 13% to 2.4%. (A linear formulation through "the last day worked" was tried
        and relaxed worse than this cut.)

        Each rest-day shift is paid (``pay.rest_day_overtime`` on all its hours, overtime) or given back
        as a comp day off (``q_k``: paid as an ordinary shift, its ordinary minutes not overtime), as
        ``rest_day_work.options`` allow."""
        pay, policy = problem.scenario.pay, problem.scenario.rest_day_work
        agent = problem.agents[a]
        day0 = problem.days[week[0]]
        standard = problem.standard_days(day0)
        before = problem.previous_week_status(agent.agent_id, day0).nonstat
        nonstat = [d for d in week if problem.day_types[problem.days[d]] != "statutory_holiday"]
        zs, earned = [], []
        for i, d in enumerate(nonstat):
            ks = rv.by_agent_day.get((a, d), [])
            if not ks or before + i < standard:
                continue  # at most S - 1 standard days worked before d: never rest-day work
            on = problem.days[d]
            if before >= standard:
                cond = None  # the standard days were used up before the plan began
            else:
                prior = before + sum(rv.works(a, e) for e in nonstat[:i])
                span = before + i - standard + 1
                cond = model.new_bool_var(f"rest_day_work(agent={agent.agent_id}, on={on})")
                model.add(span * cond >= prior - (standard - 1))
                model.add(standard * cond <= prior)
            for k in ks:
                if cond is None:
                    z = rv.x[k]
                else:
                    z = model.new_bool_var(f"rest_day_shift(agent={agent.agent_id}, shift={k})")
                    model.add_bool_and([rv.x[k], cond]).only_enforce_if(z)
                    model.add_bool_or([rv.x[k].Not(), cond.Not(), z])
                ordinary_min = rv.cand_ordinary_min[k]
                paid_extra = rv.cands[k].paid_min / 60 * agent.hourly_cost * pay.rest_day_overtime - rv.cand_cost[k]
                if "comp_off" not in policy.options:
                    q = None
                elif "paid" not in policy.options:
                    q = z
                else:
                    q = model.new_bool_var(f"comp_off(agent={agent.agent_id}, on={on}, shift={k})")
                    model.add_implication(q, z)
                rv.rest_day[k] = (z, q, paid_extra)
                zs.append(z)
                ordinary.append((z, -ordinary_min))
                if q is not z:  # paid: every hour at the rest-day rate, all overtime
                    terms.append(Term(z, paid_extra, "pay"))
                    by_day[d].append((z, ordinary_min))
                if q is not None:
                    earned.append(q)
                    if q is not z:
                        terms.append(Term(q, -paid_extra, "pay"))
                        by_day[d].append((q, -ordinary_min))
        if zs:
            model.add(sum(zs) >= sum(rv.works(a, d) for d in nonstat) - max(0, standard - before))
        return earned


@dataclass
class WeekPay:
    """One agent's ISO week as ``PayCost`` prices it: overtime items (literal, minutes) by day index,
    the weekly-excess variable (or None) and the comp-off literals earned."""

    by_day: dict[int, list[tuple[object, int]]]
    excess: object
    earned: list


class Ledger:
    """CP-SAT expressions one family writes once and other families read, keyed by agent index (and a
    period): the families meet here rather than through an attribute one of them happens to fill
    first. Reading before the ledger is written, or writing it twice, raises, so a family list that
    puts a reader before its writer (or leaves the writer out) fails loudly instead of silently
    dropping a rule.

    - ``rv.overtime``: overtime minutes per (agent, calendar month index of ``problem.months()``),
      written by ``PayCost`` (daily overtime + paid rest-day hours + weekly excess), read by
      ``MonthlyOvertime``; a key is absent when no shift of the agent that month has any;
    - ``rv.comp_earned``: comp days off earned per (agent, ISO week index of ``problem.iso_weeks()``),
      written by ``PayCost``, read by ``CompOff``."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._values: dict | None = None
        self._writer = ""

    @property
    def written(self) -> bool:
        return self._values is not None

    def write(self, values: dict, writer: str) -> None:
        if self._values is not None:
            raise RuntimeError(f"{writer} writes the {self.what} ledger that {self._writer} already wrote")
        self._values, self._writer = dict(values), writer

    def read(self, key, reader: str):
        """The expression at ``key``; None when nothing was written there."""
        if self._values is None:
            raise RuntimeError(f"{reader} reads the {self.what} ledger before it is written: build PayCost "
                               f"before {reader} in the family list")
        return self._values.get(key)

    def keys(self, reader: str) -> list:
        self.read(None, reader)
        return sorted(self._values)


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
    ``MonthlyOvertime`` and ``CompOff``, which read the overtime and comp-off ``Ledger`` it writes. The
    hard rules, in this order, are also the order of a conflict's explanation (``Pinned`` last), of the
    shortfall report's diagnosis and of the validator's checks."""
    return [OneShiftPerDay(), LunchPlacement(), ChannelAssignment(), ChannelSwitching(), Coverage(), Leave(),
            MaxDaysPerWeek(), DailyHours(), PayCost(), WeeklyHours(), MonthlyOvertime(), CompOff(), MinRest(),
            ConsecutiveDays(), Pinned(), Fairness(), PairedRestDays(), StartTimes(), Spread(), RequestTerms(),
            Stability()]


def hard_rules(families: list[Family] | None = None) -> list[HardRule]:
    """The hard per-agent rules of ``families`` (default: the registry), in registry order."""
    return [f for f in (default_families() if families is None else families) if isinstance(f, HardRule)]
