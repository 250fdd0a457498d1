"""A channel's service level as CP-SAT sees it, from the heads on it: ``add_service_targets``.

The level modelled is the figure ``summary.json`` reports (``staffing.requirements.summarize_service``),
never more, so a roster the model accepts meets the target when it is measured:

- queued channels (Erlang C / A, chat with its concurrency): an interval's level depends on its own
  heads only. ``service_tables`` tabulates it with the reporting function itself (``evaluate_coverage``
  at 0, 1, 2 ... heads), made non-decreasing from above. Levels enter the model as Booleans
  ``service_heads(channel, at, k)`` = "at least k heads", chained in order (``k`` implies ``k - 1``),
  from the first level whose queue is stable (finite ASA) to the first that no longer rises; the heads
  on the channel must cover the levels chosen, and each level adds its gain x the interval's share of
  the week's live arrivals. The first Boolean is the interval's ``stable`` literal: 0 means an
  unstable queue there (``unstable_intervals`` in ``summary.json``), which credits nothing: with
  fewer productive slots than the load nobody is answered in time in the long run (the report gives
  such an interval a little, interpolating between an unstable and a stable count). Keeping those
  levels out halves the sizing's time, and they matter only where the targets are out of reach.
- deferred channels (email): the report's first-in-first-out fluid queue (``email_cohorts``,
  ``fifo_fluid``): cumulative work done ``P_j <= P_{j-1} + capacity_j`` and ``<= work released by j``,
  and a cohort counts as answered in the share of its work done by its deadline (by the start of the
  interval the deadline falls in), between none (a Boolean ``late``: the queue had not reached it) and
  all of it.

Coefficients are integers in 1e-8 of a channel's measured contacts, rounded down; targets are rounded
up. Each channel with contacts gets ``deficit_bp(channel)``: the basis points its level may fall short
of the target (0 unless a caller lets it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from core.scenario import Scenario
from scheduler.roster.family import Family, Term
from scheduler.roster.model import RosterVars
from scheduler.roster.problem import RosterProblem
from scheduler.staffing.requirements import email_cohorts, evaluate_coverage

SL_SCALE = 10**8             # a queued channel's service level in 1e-8 of its contacts
DEFERRED_SCALE = 10**10      # a deferred channel's, finer: its credit per second of work is small
SATURATED = 1e-4             # levels within this of a row's top add nothing more (fewer Booleans; the
                             # model's level is then at most 0.01 % below the report's)
NEEDED = ("interval_start", "channel", "open", "arrivals", "contacts", "aht_s", "load_erl")
COPIES_PER_CALL = 150        # copies of the rows per evaluate_coverage call: 150 fictive 400-day years fit

HeadsFn = Callable[[int, int, str], cp_model.LinearExprT]
"""(day index, minute, channel) -> the heads working that channel in that interval."""


@dataclass(frozen=True)
class QueuedTable:
    """Busy intervals of a queued channel: their times, shares of the week's live arrivals, the level
    at 0..n heads (non-decreasing) and the first stable head count (-1 if none is)."""

    at: list[pd.Timestamp]
    share: np.ndarray
    levels: np.ndarray
    stable_from: np.ndarray


@dataclass(frozen=True)
class DeferredTable:
    """A deferred channel's intervals in time order and its cohorts (``email_cohorts``)."""

    at: list[pd.Timestamp]
    is_open: np.ndarray
    cohorts: dict
    per_head_s: int
    interval_s: float


def channel_rows(problem: RosterProblem, channel: str) -> pd.DataFrame:
    """The requirement rows of ``channel`` on the planning days, in time order."""
    req = problem.requirements
    lack = [c for c in NEEDED if c not in req.columns]
    if lack:
        raise ValueError(f"service targets need requirement column(s) {', '.join(lack)} (compute_requirements)")
    rows = req[req["channel"].astype(str) == channel].copy()
    rows["interval_start"] = pd.to_datetime(rows["interval_start"])
    rows = rows[rows["interval_start"].dt.date.isin(set(problem.days))]
    return rows.sort_values("interval_start", kind="stable")


def levels_by_heads(rows: pd.DataFrame, scenario: Scenario, max_heads: int) -> tuple[np.ndarray, np.ndarray]:
    """[row, h] service level and whether ASA is finite with h = 0 .. ``max_heads`` heads on each of
    ``rows`` (one queued channel), as the report computes them: ``evaluate_coverage`` over copies of
    the rows, each copy moved to its own (fictive) year so that every (interval, channel) key stays
    unique; a queued interval's figures depend on its own row only. At most ``COPIES_PER_CALL``
    copies go into one call, so the fictive years stay within pandas' timestamps (to 2262)."""
    n, copies = len(rows), max_heads + 1
    sl, stable = np.empty((n, copies)), np.empty((n, copies), bool)
    for first in range(0, copies, COPIES_PER_CALL):
        k = np.arange(first, min(copies, first + COPIES_PER_CALL))
        shift = pd.to_timedelta(np.repeat((k - first) * 400, n), unit="D")
        big = pd.concat([rows] * len(k), ignore_index=True)
        big["interval_start"] = pd.to_datetime(big["interval_start"]).to_numpy() + shift.to_numpy()
        heads = big[["interval_start", "channel"]].assign(scheduled_heads=np.repeat(k, n))
        cov = evaluate_coverage(big, heads, scenario)
        sl[:, k] = np.nan_to_num(cov["service_level"].to_numpy(float), nan=0.0).reshape(len(k), n).T
        stable[:, k] = np.isfinite(cov["asa_s"].to_numpy(float)).reshape(len(k), n).T
    return sl, stable


def _queued_table(rows: pd.DataFrame, scenario: Scenario, most_heads: int) -> QueuedTable | None:
    """``most_heads``: the heads any interval could have (every agent and every hire candidate); the
    table stops there, since no roster reaches further (a history scaled by mistake would otherwise
    ask for millions of columns)."""
    busy = rows[rows["open"].astype(bool) & (rows["arrivals"].to_numpy(float) > 0)]
    total = float(busy["arrivals"].sum())
    if total <= 0:
        return None
    need = pd.to_numeric(busy.get("required_scheduled", pd.Series(0, index=busy.index)),
                         errors="coerce").fillna(0).to_numpy(float)
    far = min(3 * int(np.max(need, initial=0)) + 10, most_heads + 1)
    top = min(int(np.max(np.ceil(need), initial=0)) + 2, far)
    while True:  # far enough that every row is saturated (or 3x its requirement + 10 heads, or all heads)
        sl, stable = levels_by_heads(busy, scenario, top)
        if np.all(sl[:, -1] - sl[:, -2] <= SATURATED) or top >= far:
            break
        top = min(2 * top, far)
    sl = np.minimum.accumulate(sl[:, ::-1], axis=1)[:, ::-1]  # never credit more than the report gives
    stable_from = np.where(stable.any(axis=1), stable.argmax(axis=1), -1)
    return QueuedTable([pd.Timestamp(t) for t in busy["interval_start"]],
                       busy["arrivals"].to_numpy(float) / total, sl, stable_from)


def _deferred_table(problem: RosterProblem, rows: pd.DataFrame, channel: str) -> DeferredTable | None:
    sc = problem.scenario
    spec = sc.channels[channel]
    interval_s = problem.interval_min * 60.0
    starts = pd.DatetimeIndex(rows["interval_start"])
    start_s = ((starts - starts[0]) / pd.Timedelta(seconds=1)).to_numpy(float)
    aht = rows["aht_s"].to_numpy(float)
    aht = np.where(np.isfinite(aht) & (aht > 0), aht, 1.0)
    is_open = rows["open"].to_numpy(bool)
    coh = email_cohorts(start_s, is_open, rows["arrivals"].to_numpy(float), aht, spec.carry_over_closed,
                        interval_s, spec.response_window_h * 3600.0)
    coh["start_s"] = start_s
    if float(coh["contacts"][coh["release"] >= 0].sum()) <= 0:
        return None
    per_head = math.floor((1.0 - sc.shrinkage) * interval_s * spec.max_occupancy)
    return DeferredTable(list(starts), is_open, coh, per_head, interval_s)


def most_heads(problem: RosterProblem) -> int:
    """The most heads any interval could have: every agent of the pool and every hire candidate."""
    hire = problem.scenario.hire
    return len(problem.agents) + (sum(p.cap for p in hire.profiles) if hire is not None else 0)


def service_tables(problem: RosterProblem, heads_cap: int | None = None) -> dict[str, QueuedTable | DeferredTable]:
    """Every channel's table (channels without contacts this week are left out); a queued channel's
    reaches at most ``heads_cap`` heads (default ``most_heads(problem)``)."""
    cap = most_heads(problem) if heads_cap is None else heads_cap
    out = {}
    for channel, spec in problem.scenario.channels.items():
        rows = channel_rows(problem, channel)
        if rows.empty:
            continue
        table = _deferred_table(problem, rows, channel) if spec.model == "deferred" else \
            _queued_table(rows, problem.scenario, cap)
        if table is not None:
            out[channel] = table
    return out


@dataclass
class ServiceVars:
    """The targets in a model: ``deficit_bp`` per channel and a ``stable`` literal per busy interval of
    a queued channel."""

    deficit_bp: dict[str, cp_model.IntVar] = field(default_factory=dict)
    stable: list[cp_model.IntVar] = field(default_factory=list)

    def deficit(self) -> cp_model.LinearExprT:
        return sum(self.deficit_bp.values())

    def unstable(self) -> cp_model.LinearExprT:
        return len(self.stable) - sum(self.stable)


def add_service_targets(problem: RosterProblem, model: cp_model.CpModel, heads: HeadsFn,
                        tables: dict[str, QueuedTable | DeferredTable]) -> ServiceVars:
    """Each channel's level + ``deficit_bp`` reaches its target (see the module docstring)."""
    out = ServiceVars()
    day_of = {d: i for i, d in enumerate(problem.days)}

    def heads_at(at: pd.Timestamp, channel: str):
        return heads(day_of[at.date()], at.hour * 60 + at.minute, channel)

    for channel, table in tables.items():
        if isinstance(table, QueuedTable):
            credit, scale = _queued_credit(model, channel, table, heads_at, out.stable), SL_SCALE
        else:
            credit, scale = _deferred_credit(model, channel, table, heads_at), DEFERRED_SCALE
        target = problem.scenario.channels[channel].service_level_target
        deficit = model.new_int_var(0, 10_000, f"deficit_bp(channel={channel})")
        model.add(credit + scale // 10_000 * deficit >= math.ceil(target * scale))
        out.deficit_bp[channel] = deficit
    return out


def _queued_credit(model, channel: str, table: QueuedTable, heads_at, stable: list) -> cp_model.LinearExprT:
    credit = []
    for at, share, levels, first in zip(table.at, table.share, table.levels, table.stable_from):
        where = f"channel={channel}, at={at:%Y-%m-%dT%H:%M}"
        if first < 0:  # never stable within the table: unstable, credits nothing
            stable.append(model.new_constant(0))
            continue
        top = levels[-1]
        last = next(k for k in range(first, len(levels)) if levels[k] >= top - SATURATED)
        ks = range(max(first, 1), last + 1)
        ys = [model.new_bool_var(f"service_heads({where}, k={k})") for k in ks]  # "at least k heads"
        prev = 0.0
        if first == 0:  # stable with no heads (a tiny load): the level at 0 heads is credited as is
            stable.append(model.new_constant(1))
            credit.append(math.floor(SL_SCALE * share * levels[0]))
            prev = levels[0]
        else:
            stable.append(ys[0])
        if not ys:
            continue
        for a, b in zip(ys, ys[1:]):
            model.add_implication(b, a)
        model.add(heads_at(at, channel) >= (ks[0] - 1) * ys[0] + sum(ys))
        for k, y in zip(ks, ys):
            gain = math.floor(SL_SCALE * share * (levels[k] - prev))
            prev = levels[k]
            if gain > 0:
                credit.append(gain * y)
    return sum(credit)


def _deferred_credit(model, channel: str, table: DeferredTable, heads_at) -> cp_model.LinearExprT:
    coh = table.cohorts
    start_s = coh["start_s"]
    placed = (coh["release"] >= 0) & (coh["contacts"] > 0)
    total = float(coh["contacts"][placed].sum())
    work = np.asarray(coh["work_s"], float)
    w_start = np.cumsum(work) - work
    released = np.cumsum(np.bincount(coh["release"][placed], weights=work[placed], minlength=len(table.at)))
    done, prev = [], 0
    for j, at in enumerate(table.at):
        p = model.new_int_var(0, int(math.floor(released[j])), f"work_done_s(channel={channel}, "
                                                               f"by={at:%Y-%m-%dT%H:%M})")
        capacity = table.per_head_s * heads_at(at, channel) if table.is_open[j] else 0
        model.add(p <= prev + capacity)
        done.append(p)
        prev = p
    credit = []
    for i in np.flatnonzero(placed):
        deadline = coh["deadline_s"][i]
        j = int(np.searchsorted(start_s, deadline, side="right")) - 1
        if j >= 0 and deadline < start_s[j] + table.interval_s:
            j -= 1  # the deadline falls inside interval j: count what was done before it
        if j < 0:
            continue
        # answered work [s] of the cohort by its deadline: what FIFO has done by then beyond the work
        # ahead of it, between 0 (``late``: the queue had not reached it) and its own
        ahead = math.ceil(w_start[i])
        answered = model.new_int_var(0, math.floor(work[i]), f"answered_work_s(channel={channel}, cohort={i})")
        late = model.new_bool_var(f"late(channel={channel}, cohort={i})")
        model.add(answered <= done[j] - ahead + ahead * late)
        model.add(answered <= math.floor(work[i]) * (1 - late))
        credit.append(math.floor(DEFERRED_SCALE * coh["contacts"][i] / total / work[i]) * answered)
    return sum(credit)


class ServiceTarget(Family):
    """The service targets in the roster model (``add_service_targets`` over the heads of ``rv``);
    ``vars`` holds the deficits and stable literals once built."""

    name = "service_target"

    def __init__(self, tables: dict[str, QueuedTable | DeferredTable]):
        self.tables = tables
        self.vars = ServiceVars()

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        def heads(d: int, t: int, channel: str):
            return sum(rv.heads.get((d, t, channel), []))

        self.vars = add_service_targets(problem, model, heads, self.tables)
        return []


class TargetsMet(Family):
    """Hard: every channel reaches its target and no queue is unstable (``ServiceTarget`` with no deficit
    and every interval stable). ``plan --hire auto`` searches the pool with its hires again under it,
    once the sizing has shown the targets reachable: the plan's own search then keeps what the sizing
    promised."""

    name = "targets_met"

    def __init__(self, tables: dict[str, QueuedTable | DeferredTable]):
        self.tables = tables

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        target = ServiceTarget(self.tables)
        target.build(problem, model, rv)
        for deficit in target.vars.deficit_bp.values():
            model.add(deficit == 0)
        model.add(target.vars.unstable() == 0)
        return []
