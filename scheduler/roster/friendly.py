"""Rosters people can live with: the agent-friendly objective terms, the requests' soft terms, and the
measures that report both, in one place so that the model and the report count the same things.

Terms (``Family`` classes, registered in ``constraints.default_families()``), each weighted by a
``[roster]`` key [CNY] and, except the requests, switched off with ``roster.agent_friendly = false``:

- ``PairedRestDays``: a full-timer's ISO week without two consecutive rest days costs
  ``paired_rest_penalty``. The pair lies inside the week (Mon..Sun), or is the Sunday before it and its
  Monday when that Sunday is known (in the horizon, or from the previous plan, ``--previous``): a rest
  on Sunday and Monday counts for the week of the Monday. A week is counted when the horizon holds all
  its days, or when its days before the horizon are known from the previous plan; a week the horizon
  cuts at its end is left to the next plan.
- ``StartTimes``: every start time an agent works in an ISO week beyond the first costs
  ``start_change_penalty`` ("start-time changes" = distinct start times in the week - 1).
- ``Spread``: per contract (full-timers, part-timers) and per ledger key (weekend days, holiday days,
  late shifts), every shift an agent has to date (``problem.ledger_to_date``, carried through
  ``--previous``) plus over the horizon beyond the least loaded agent's + ``spread_tolerance``
  (``late_spread_tolerance`` for late shifts) costs ``spread_penalty``. The least loaded is taken over
  the agents without leave in the horizon, who could have worked their share. It replaces the week-only
  ``Fairness`` term when the terms are on.
- ``RequestTerms``: a ``day_off`` request the roster denies costs ``day_off_penalty``; a
  ``shift:<template>`` request costs ``preferred_shift_penalty`` when the agent works another template
  that day. Approved leave is the hard rule ``rules.Leave`` (``problem.leave_dates``).

Why they stay cheap: a solve with the terms on runs in two stages (``friendly_solve``). The first
decides how many agents of each skill group work which shift each day, with the per-agent pairs and
start times replaced by per-group relaxations (``GroupPairedRest``, ``GroupStartTimes``: a dozen
integers per group and week that price what the counts force); the second, with those counts, lunches
and channels fixed, decides which agent works which shift under the per-agent terms above, a small
assignment. The per-agent pair term is one literal per pair of adjacent days, the start-time term one
indicator per start time, the spread two bounds per contract and key. Every
penalty variable is named with its context, e.g. ``unpaired_rest(agent=A001, week=2025-W11)``.

The measures (``friendly_measures``) read a roster's shift frame only, like the validator, and
``ledger_frame`` gives the counts to date that the next plan reads back. No OR-Tools at run time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from core.names import HOLIDAY_DAY_TYPES
from scheduler.roster.family import Family, Term
from scheduler.roster.problem import RosterProblem, shift_shapes

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from scheduler.roster.model import RosterVars

LATE_END_MIN = 20 * 60   # a shift ending at or after 20:00 is a late shift
LEDGER_KEYS = ("weekend_days", "holiday_days", "late_shifts")
FULL_TIME = "full_time"


def shift_keys_of(day_type: str, end_min: int) -> tuple[str, ...]:
    """The ledger keys a shift counts towards: a weekend day (day type ``weekend``), a holiday day
    (statutory holiday or holiday rest day), a late shift (ending at or after 20:00)."""
    keys = []
    if day_type == "weekend":
        keys.append("weekend_days")
    if day_type in HOLIDAY_DAY_TYPES:
        keys.append("holiday_days")
    if end_min >= LATE_END_MIN:
        keys.append("late_shifts")
    return tuple(keys)


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class RestWeek:
    """An ISO week the paired-rest term counts: ``slots`` are its days Mon..Sun, after the Sunday before
    it when that day is known, each a day index of the horizon (an ``int``) or a date before the
    horizon whose work is known from the previous plan."""

    label: str
    slots: tuple[int | dt.date, ...]


def rest_weeks(problem: RosterProblem) -> list[RestWeek]:
    """The ISO weeks of the horizon whose seven days are all known (see the module docstring), each
    with the Sunday before it when that is known too: a rest on Sunday and Monday is a pair, and it
    counts for the week of the Monday."""
    out = []
    for group in problem.iso_weeks():
        first = problem.days[group[0]]
        monday = first - dt.timedelta(days=first.weekday())
        slots = [_slot(problem, monday + dt.timedelta(days=i)) for i in range(-1, 7)]
        if all(s is not None for s in slots[1:]):
            out.append(RestWeek(week_label(first), tuple(s for s in slots if s is not None)))
    return out


def _slot(problem: RosterProblem, day: dt.date) -> int | dt.date | None:
    if problem.days[0] <= day <= problem.days[-1]:
        return problem.days.index(day)
    if day < problem.days[0] and problem.previous_shifts is not None:
        return day
    return None


def without_leave(problem: RosterProblem) -> set[str]:
    """Agents with no leave date in the horizon: the spread's least-loaded agent is one of them."""
    days = set(problem.days)
    return {a.agent_id for a in problem.agents if not problem.leave_dates(a) & days}


def eligible(problem: RosterProblem) -> dict[str, set[str]]:
    """Ledger key -> contracts that have a shift counting towards it somewhere in the horizon."""
    out: dict[str, set[str]] = defaultdict(set)
    for day in problem.days:
        for shape in shift_shapes(problem, day):
            for key in shift_keys_of(problem.day_types[day], shape.end_min):
                out[key].update(shape.contracts)
    return out


def prior_counts(problem: RosterProblem) -> dict[str, dict[str, int]]:
    """Each agent's counts before the horizon. An agent the ledger does not know (a newcomer) starts
    level with the least-loaded agent of its contract, not at zero, so it is not handed every weekend
    until it has caught up."""
    ledger = problem.ledger_to_date
    out: dict[str, dict[str, int]] = {}
    by_contract: dict[str, list[str]] = defaultdict(list)
    for a in problem.agents:
        by_contract[a.contract].append(a.agent_id)
    for ids in by_contract.values():
        known = [ledger[i] for i in ids if i in ledger]
        floor = {k: min((int(c.get(k, 0)) for c in known), default=0) for k in LEDGER_KEYS}
        for i in ids:
            out[i] = {k: int(ledger[i].get(k, 0)) for k in LEDGER_KEYS} if i in ledger else dict(floor)
    return out


# -- the terms ----------------------------------------------------------------------------------------------
def _on(problem: RosterProblem) -> bool:
    return problem.scenario.roster.agent_friendly


class PairedRestDays(Family):
    """Soft: two consecutive rest days in every counted ISO week of a full-timer.

    Per full-timer and week, one literal ``rest_pair`` per two adjacent days that can both be rest days
    (``pair <= rest`` of each, ``rest = 1 - works``) and ``unpaired + sum(pairs) >= 1``; ``unpaired``
    costs ``paired_rest_penalty``. Seven literals and eight two-literal clauses per agent-week: CP-SAT
    propagates them as clauses, and with the groups' counts fixed (stage 2 of ``friendly_solve``) its
    local search finds the default week's best assignment in its first batch (0.35 deterministic
    units). A path through the week's states (alone, rested, paired) has an exact LP relaxation but five
    times the booleans, and found the same assignment only after 3.6 units: with the coverage fixed,
    the LP bound is not what stage 2 needs."""

    name = "paired_rest"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        weight = problem.scenario.roster.paired_rest_penalty
        if not _on(problem) or weight <= 0:
            return []
        terms = []
        weeks = rest_weeks(problem)
        for a, agent in enumerate(problem.agents):
            if agent.contract != FULL_TIME:
                continue
            before = problem.previous_worked_dates(agent.agent_id)
            for week in weeks:
                if not any(rv.by_agent_day.get((a, s)) for s in week.slots if isinstance(s, int)):
                    continue  # never works this week: rests all of it
                unpaired = _week_pairs(model, rv, a, week, before, f"agent={agent.agent_id}, week={week.label}")
                if unpaired is not None:
                    terms.append(Term(unpaired, weight, "rest_pairs"))
        return terms


class GroupPairedRest(Family):
    """Soft, per skill group: the paired rest days the group's day counts allow (the first stage of a
    solve with the terms on, ``friendly_solve``).

    Per skill group and counted week (``rest_weeks``), with ``n`` full-timers and ``off_d`` of them
    resting on day ``d``: each paired full-timer has one chosen pair of adjacent days (``pairs_i`` of them on
    days i and i+1) and any other rest days are ``single_d``, so ``off_d = pairs_(d-1) + pairs_d +
    single_d``, ``sum pairs`` is at most the full-timers with two rest days or more (``_can_pair``, one
    literal per agent and week) and ``unpaired >= n - sum pairs`` costs ``paired_rest_penalty``. Every
    roster satisfies it with ``unpaired`` at most its full-timers without a pair, so it prices no more
    than ``PairedRestDays`` does: a relaxation, on a dozen integers per group and week, that sees what a
    Saturday without its Sunday costs where the per-agent term needs a search to find out."""

    name = "paired_rest_groups"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        weight = problem.scenario.roster.paired_rest_penalty
        if not _on(problem) or weight <= 0:
            return []
        terms = []
        worked_before = {a.agent_id: problem.previous_worked_dates(a.agent_id) for a in problem.agents}
        for g, members in rv.groups.items():
            full = [a for a in members if problem.agents[a].contract == FULL_TIME]
            for week in rest_weeks(problem):
                active = [a for a in full if any(rv.by_agent_day.get((a, d)) for d in week.slots if isinstance(d, int))]
                if not active:
                    continue
                n, m = len(active), len(week.slots)
                where = f"skills={'|'.join(g)}, week={week.label}"
                pairs = [model.new_int_var(0, n, f"rest_pairs({where}, from={i + 1})") for i in range(m - 1)]
                for i, d in enumerate(week.slots):
                    if isinstance(d, int):
                        worked = sum(rv.works(a, d) for a in active)
                    else:  # the Sunday before the horizon, as the previous plan has it
                        worked = sum(d in worked_before[problem.agents[a].agent_id] for a in active)
                    single = model.new_int_var(0, n, f"single_rest_days({where}, day={i + 1})")
                    around = (pairs[i - 1] if i > 0 else 0) + (pairs[i] if i < m - 1 else 0)
                    model.add(n - worked == around + single)
                model.add(sum(pairs) <= sum(_can_pair(model, rv, a, week, worked_before[problem.agents[a].agent_id],
                                                      f"agent={problem.agents[a].agent_id}, week={week.label}")
                                            for a in active))
                unpaired = model.new_int_var(0, n, f"unpaired_rest({where})")
                model.add(unpaired >= n - sum(pairs))
                terms.append(Term(unpaired, weight, "rest_pairs"))
        return terms


def _can_pair(model: cp_model.CpModel, rv: RosterVars, a: int, week: RestWeek, before: set[dt.date], where: str):
    """1 only if agent ``a`` has two rest days or more in ``week``: an agent who works six of its seven
    days has no pair, whatever its group's day counts allow (a month of six-day weeks, 2025-11 on the
    default pool, otherwise looks paired to the counts stage and is not to the agents one)."""
    can = model.new_bool_var(f"may_pair_rest({where})")
    worked = sum(1 - _rest(rv, a, s, before) for s in week.slots)
    model.add(worked <= len(week.slots) - 2).only_enforce_if(can)
    return can


def _week_pairs(model: cp_model.CpModel, rv: RosterVars, a: int, week: RestWeek, before: set[dt.date],
                where: str):
    """The pairs of one agent-week (see ``PairedRestDays``); returns the literal that is 1 when the week
    has no pair, or None when its known days already hold a pair or no pair is possible."""
    rest = [_rest(rv, a, s, before) for s in week.slots]
    if any(r is True and q is True for r, q in zip(rest, rest[1:])):
        return None
    pairs = []
    for i, (r, q) in enumerate(zip(rest, rest[1:])):
        if r is False or q is False:
            continue
        pair = model.new_bool_var(f"rest_pair({where}, from={i + 1})")
        for z in (r, q):
            if z is not True:
                model.add(pair <= z)
        pairs.append(pair)
    if not pairs:
        return None
    unpaired = model.new_bool_var(f"unpaired_rest({where})")
    model.add(unpaired + sum(pairs) >= 1)
    return unpaired


def _rest(rv: RosterVars, a: int, slot: int | dt.date, before: set[dt.date]):
    """Whether agent ``a`` rests on ``slot``: True/False when known, else the expression 1 - works."""
    if isinstance(slot, dt.date):
        return slot not in before
    ks = rv.by_agent_day.get((a, slot))
    return True if not ks else 1 - sum(rv.x[k] for k in ks)


class StartTimes(Family):
    """Soft: the same start time across an agent's ISO week. ``used_s >= x_k`` for each shift k
    starting at s, ``changes >= sum_s used_s - 1``; each change costs ``start_change_penalty``."""

    name = "start_times"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        weight = problem.scenario.roster.start_change_penalty
        if not _on(problem) or weight <= 0:
            return []
        terms = []
        for a, agent in enumerate(problem.agents):
            for group in problem.iso_weeks():
                by_start: dict[int, list[int]] = defaultdict(list)
                for d in group:
                    for k in rv.by_agent_day.get((a, d), []):
                        by_start[rv.cands[k].start_min].append(k)
                if len(by_start) < 2:
                    continue
                label = week_label(problem.days[group[0]])
                used = []
                for start, ks in sorted(by_start.items()):
                    u = model.new_bool_var(f"starts_at(agent={agent.agent_id}, week={label}, "
                                           f"start={start // 60:02d}:{start % 60:02d})")
                    for k in ks:
                        model.add(rv.x[k] <= u)
                    used.append(u)
                changes = model.new_int_var(0, len(used) - 1, f"start_changes(agent={agent.agent_id}, week={label})")
                model.add(changes >= sum(used) - 1)
                terms.append(Term(changes, weight, "start_times"))
        return terms


class GroupStartTimes(Family):
    """Soft, per skill group, contract and ISO week: the start-time changes the counts force (the first
    stage of a solve with the terms on, ``friendly_solve``). The agents who start at ``s`` on some day
    are at least ``most_s`` = the shifts starting at ``s`` on the busiest day, and each agent who works
    starts at one time at least, so ``changes >= sum_s most_s - n`` (``n`` the agents): never more than
    ``StartTimes`` counts, so a relaxation of it, on a handful of integers."""

    name = "start_times_groups"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        weight = problem.scenario.roster.start_change_penalty
        if not _on(problem) or weight <= 0:
            return []
        terms = []
        subgroups: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
        for g, members in rv.groups.items():
            for a in members:
                subgroups[g, problem.agents[a].contract].append(a)
        for (g, contract), members in subgroups.items():
            for group in problem.iso_weeks():
                active = [a for a in members if any(rv.by_agent_day.get((a, d)) for d in group)]
                by_start: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
                for a in active:
                    for d in group:
                        for k in rv.by_agent_day.get((a, d), []):
                            by_start[rv.cands[k].start_min][d].append(k)
                if len(by_start) < 2:
                    continue
                where = f"skills={'|'.join(g)}, contract={contract}, week={week_label(problem.days[group[0]])}"
                most = []
                for start, per_day in sorted(by_start.items()):
                    m = model.new_int_var(0, len(active), f"most_starting(at={start // 60:02d}:{start % 60:02d}, "
                                                          f"{where})")
                    for ks in per_day.values():
                        model.add(m >= sum(rv.x[k] for k in ks))
                    most.append(m)
                changes = model.new_int_var(0, len(active) * len(most), f"start_changes({where})")
                model.add(changes >= sum(most) - len(active))
                terms.append(Term(changes, weight, "start_times"))
        return terms


class Spread(Family):
    """Soft: weekend days, holiday days and late shifts spread evenly within each contract, to date.

    Per contract and ledger key, with ``total_a = prior_a + count_a`` (``prior`` the ledger to date, less
    the contract's smallest, so the numbers stay small): ``least <= total_a`` for every agent without
    leave in the horizon who has such shifts, and each agent's ``total_a`` beyond ``least +
    spread_tolerance`` (``late_spread_tolerance`` for late shifts) costs ``spread_penalty`` per shift.
    Per agent, not only the most loaded one: a whole skill group kept off weekends (phone-only agents
    when weekend phone demand is low) then costs for every agent it leaves above the band, which is
    what buys moving it; with a price on the most loaded agent alone, weekly plans let weekend days
    per full-timer drift 0-9 apart over a month."""

    name = "spread"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        weight = problem.scenario.roster.spread_penalty
        spec = problem.scenario.roster
        if not _on(problem) or weight <= 0:
            return []
        prior = prior_counts(problem)
        free = without_leave(problem)
        terms = []
        for key, contracts in eligible(problem).items():
            for contract in sorted(contracts):
                counts = {}
                for a, ag in enumerate(problem.agents):
                    if ag.contract != contract:
                        continue
                    ks = [k for d in range(len(problem.days)) for k in rv.by_agent_day.get((a, d), [])
                          if key in shift_keys_of(problem.day_types[problem.days[d]], rv.cands[k].end_min)]
                    if ks:
                        counts[a] = (prior[ag.agent_id][key], sum(rv.x[k] for k in ks), len(ks))
                low = [a for a in counts if problem.agents[a].agent_id in free]
                if len(counts) < 2 or not low:
                    continue
                tolerance = spec.late_spread_tolerance if key == "late_shifts" else spec.spread_tolerance
                floor = min(p for p, _, _ in counts.values())
                top = max(p - floor + n for p, _, n in counts.values())
                where = f"contract={contract}, key={key}"
                least = model.new_int_var(0, top, f"least({where})")
                for a in low:
                    p, expr, _ = counts[a]
                    model.add(least <= expr + (p - floor))
                for a, (p, expr, _) in counts.items():
                    if p - floor + counts[a][2] <= tolerance:
                        continue  # can never leave the band
                    excess = model.new_int_var(0, top, f"above_band(agent={problem.agents[a].agent_id}, {where})")
                    model.add(excess >= expr + (p - floor) - least - tolerance)
                    terms.append(Term(excess, weight, "spread"))
        return terms


class RequestTerms(Family):
    """Soft requests: ``day_off`` costs ``day_off_penalty`` x works(agent, day); ``shift:<template>``
    costs ``preferred_shift_penalty`` x (shifts of other templates that day). Always on (the agents
    asked); approved leave is the hard rule ``Leave``."""

    name = "requests"

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        spec = problem.scenario.roster
        a_index = {a.agent_id: i for i, a in enumerate(problem.agents)}
        d_index = {d: i for i, d in enumerate(problem.days)}
        terms = []
        for r in problem.requests:
            if r.agent_id not in a_index or r.date not in d_index:
                continue  # a sub-problem (one agent, when a conflict is explained)
            ks = rv.by_agent_day.get((a_index[r.agent_id], d_index[r.date]), [])
            if r.kind == "day_off":
                others = ks
                weight = spec.day_off_penalty
            elif r.kind == "shift":
                others = [k for k in ks if rv.cands[k].shape.template != r.template]
                weight = spec.preferred_shift_penalty
            else:
                continue
            if others and weight > 0:
                terms.append(Term(sum(rv.x[k] for k in others), weight, "requests"))
        return terms


# -- the measures --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Worked:
    """One shift as the measures read it."""

    start_min: int
    end_min: int
    day_type: str
    template: str


def worked_by_agent(problem: RosterProblem, shifts: pd.DataFrame) -> dict[str, dict[dt.date, Worked]]:
    """agent_id -> date -> the shift, from a roster's shift frame (``Roster.shifts`` or the plan's shifts file)."""
    out: dict[str, dict[dt.date, Worked]] = defaultdict(dict)
    for r in shifts.itertuples(index=False):
        start, end = pd.Timestamp(r.shift_start), pd.Timestamp(r.shift_end)
        day = start.date()
        midnight = pd.Timestamp(day)
        day_type = problem.day_types.get(day) or getattr(r, "day_type", "")
        out[r.agent_id][day] = Worked(int((start - midnight).total_seconds() // 60),
                                      int((end - midnight).total_seconds() // 60), day_type,
                                      str(getattr(r, "template", "") or ""))
    return out


def paired_rest(problem: RosterProblem, worked: dict[str, dict[dt.date, Worked]]) -> tuple[int, int]:
    """(full-timer weeks with two consecutive rest days, full-timer weeks counted)."""
    weeks = rest_weeks(problem)
    with_pair = total = 0
    for agent in problem.agents:
        if agent.contract != FULL_TIME:
            continue
        before = problem.previous_worked_dates(agent.agent_id)
        mine = worked.get(agent.agent_id, {})
        for week in weeks:
            rest = [(s not in before) if isinstance(s, dt.date) else (problem.days[s] not in mine)
                    for s in week.slots]
            total += 1
            with_pair += any(r and q for r, q in zip(rest, rest[1:]))
    return with_pair, total


def start_time_changes(problem: RosterProblem, worked: dict[str, dict[dt.date, Worked]]) -> int:
    """Sum over agents and ISO weeks of (distinct start times worked - 1)."""
    total = 0
    for mine in worked.values():
        for group in problem.iso_weeks():
            starts = {mine[problem.days[d]].start_min for d in group if problem.days[d] in mine}
            total += max(0, len(starts) - 1)
    return total


def horizon_counts(problem: RosterProblem, worked: dict[str, dict[dt.date, Worked]]) -> dict[str, dict[str, int]]:
    """agent_id -> ledger key -> shifts of the horizon counting towards it."""
    out = {a.agent_id: dict.fromkeys(LEDGER_KEYS, 0) for a in problem.agents}
    for aid, mine in worked.items():
        for w in mine.values():
            for key in shift_keys_of(w.day_type, w.end_min):
                out.setdefault(aid, dict.fromkeys(LEDGER_KEYS, 0))[key] += 1
    return out


def spread_table(problem: RosterProblem, worked: dict[str, dict[dt.date, Worked]]) -> dict:
    """contract -> ledger key -> {min, max, spread} over the horizon and ``to_date_spread`` (with the
    ledger), min over the agents without leave, max over all, for the keys the contract can work."""
    counts = horizon_counts(problem, worked)
    prior = prior_counts(problem)
    free = without_leave(problem)
    out: dict = {}
    elig = eligible(problem)
    for key in (k for k in LEDGER_KEYS if k in elig):
        for contract in sorted(elig[key]):
            ids = [a.agent_id for a in problem.agents if a.contract == contract]
            low = [i for i in ids if i in free]
            if not ids or not low:
                continue
            now = {i: counts[i][key] for i in ids}
            total = {i: now[i] + prior[i][key] for i in ids}
            hi, lo = max(now.values()), min(now[i] for i in low)
            out.setdefault(contract, {})[key] = {
                "min": lo, "max": hi, "spread": hi - lo,
                "to_date_spread": max(total.values()) - min(total[i] for i in low)}
    return out


def friendly_measures(problem: RosterProblem, shifts: pd.DataFrame) -> dict:
    """The agent-friendliness of a roster, for ``summary.json`` and the console."""
    worked = worked_by_agent(problem, shifts)
    with_pair, weeks = paired_rest(problem, worked)
    spread = spread_table(problem, worked)
    return {
        "terms_on": bool(problem.scenario.roster.agent_friendly),
        "paired_rest_days": {"full_timer_weeks": weeks, "with_two_consecutive_rest_days": with_pair,
                             "share": round(with_pair / weeks, 4) if weeks else None},
        "start_time_changes": start_time_changes(problem, worked),
        "weekend_days_per_full_timer": spread.get(FULL_TIME, {}).get("weekend_days"),
        "spread": spread,
    }


def friendly_line(m: dict) -> str:
    """One console line of the measures."""
    pr = m["paired_rest_days"]
    share = f" ({100 * pr['share']:.1f}%)" if pr["share"] is not None else ""
    spreads = [f"{key.replace('_', ' ')} per full-timer {v['min']}-{v['max']} (spread {v['spread']}, to date "
               f"{v['to_date_spread']})" for key, v in m["spread"].get(FULL_TIME, {}).items()]
    return (f"agent-friendly ({'on' if m['terms_on'] else 'off'}): paired rest days "
            f"{pr['with_two_consecutive_rest_days']}/{pr['full_timer_weeks']} full-timer weeks{share}, "
            f"start-time changes {m['start_time_changes']}" + "".join(f", {t}" for t in spreads))


# -- the ledger ----------------------------------------------------------------------------------------------
def counts_to_date(problem: RosterProblem, shifts: pd.DataFrame) -> dict[str, dict[str, int]]:
    """agent_id -> ledger key -> count to date after ``shifts``: the ledger before the horizon plus the
    horizon's shifts (what a following plan takes as ``ledger_to_date``)."""
    counts = horizon_counts(problem, worked_by_agent(problem, shifts))
    prior = prior_counts(problem)
    return {a.agent_id: {k: prior[a.agent_id][k] + counts[a.agent_id][k] for k in LEDGER_KEYS}
            for a in problem.agents}


def ledger_frame(problem: RosterProblem, shifts: pd.DataFrame) -> pd.DataFrame:
    """Counts to date after this plan, one row per agent (``ledger.csv``; the next plan's ``--previous``
    reads it back)."""
    to_date = counts_to_date(problem, shifts)
    rows = [{"agent_id": a.agent_id, "contract": a.contract, **to_date[a.agent_id],
             "through": problem.days[-1].isoformat()} for a in problem.agents]
    return pd.DataFrame(rows, columns=["agent_id", "contract", *LEDGER_KEYS, "through"])


def counts_from_shifts(shifts: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Ledger counts of a plan folder's shifts alone (a plan written before ``ledger.csv`` existed):
    ``day_type`` and ``shift_end`` of each shift."""
    out: dict[str, dict[str, int]] = {}
    for r in shifts.itertuples(index=False):
        end = pd.Timestamp(r.shift_end)
        end_min = int((end - pd.Timestamp(pd.Timestamp(r.shift_start).date())).total_seconds() // 60)
        for key in shift_keys_of(str(getattr(r, "day_type", "")), end_min):
            row = out.setdefault(r.agent_id, dict.fromkeys(LEDGER_KEYS, 0))
            row[key] += 1
    return out
