"""A calendar month in one model: ``schedule plan --month 2025-10``.

A ``Month`` stands where ``plan`` takes a ``scheduler.weeks.Week`` (the same ``label``, ``days``,
``start_date``, ``end_date`` and ``describe``), so the month runs through the week's pipeline
(``scheduler.plan``: forecast, requirements, roster, validation, plan folder) with every day of the
month in one roster model. The rules are exact over the month: the calendar-month overtime cap, and
the per-ISO-week rules (standard days, rest-day work, one rest day a week, ``max_weekly_h``) for every
ISO week the month cuts, the partial first week continuing from ``--previous``.

The month is solved with ``[roster.month]``'s settings (its deterministic ``time_limit_s``, a 2% gap) and warm-started
from the same month planned week by week (each ISO week of the month, clipped to it, solved with the
next one as look-ahead for ``warm_start_weeks_s``, the weeks before carried over: rest, days,
overtime, comp days off, the spread's ledger). With ``[roster.month] root_bound`` HiGHS bounds the month
model on one more thread from the start (``scheduler.roster.root_bound``: cutting planes at its root,
no cutoff as no roster is known yet); the month model's windows read that bound when their first pass
ends (waiting for it if need be, so the same inputs give the same roster and the same bound), stop
once the roster is proven within the gap, and the plan reports the higher of it and CP-SAT's. The
weeks and the month model run ``behind`` HiGHS on the CPU (a lower priority), so it is not the last to finish.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core import interrupt
from core.errors import InputError, SolverError
from core.scenario import RosterSpec, Scenario
from scheduler.roster import model as roster_model
from scheduler.roster import solve_roster
from scheduler.roster.friendly import counts_to_date
from scheduler.roster.model import SCALE, build_model
from scheduler.roster.problem import RosterProblem
from scheduler.roster.root_bound import RootBound, behind

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Month:
    """A calendar month."""

    year: int
    month: int
    kind = "month"

    @property
    def start_date(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end_date(self) -> dt.date:
        nxt = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    @property
    def days(self) -> list[dt.date]:
        n = (self.end_date - self.start_date).days + 1
        return [self.start_date + dt.timedelta(days=i) for i in range(n)]

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def describe(self) -> str:
        s, e = self.start_date, self.end_date
        weeks = sorted({d.isocalendar()[:2] for d in self.days})
        return (f"{self.label}: {s:%a} {s.isoformat()} .. {e:%a} {e.isoformat()} ({len(self.days)} days, "
                f"ISO weeks {weeks[0][1]:02d}-{weeks[-1][1]:02d})")


def parse_month(text: str) -> Month:
    """``2025-10`` is October 2025."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"'{text}' is not a month: use YYYY-MM, such as 2025-10", field="--month")
    return Month(int(m.group(1)), int(m.group(2)))


def month_scenario(scenario: Scenario) -> Scenario:
    """The scenario with ``[roster.month]``'s solver settings and ``unstable_factor`` (and its
    ``spread_penalty``, when set) in place of the week's."""
    spec = scenario.roster.month
    update = {"time_limit_s": spec.time_limit_s, "relative_gap": spec.relative_gap, "search": spec.search,
              "workers": spec.workers, "window_days": spec.window_days, "unstable_factor": spec.unstable_factor}
    if spec.spread_penalty is not None:
        update["spread_penalty"] = spec.spread_penalty
    roster = scenario.roster.model_copy(update=update)
    return scenario.model_copy(update={"roster": roster})


def sub_horizon(problem: RosterProblem, days: list[dt.date], **changes) -> RosterProblem:
    """``problem`` on some of its ``days`` (consecutive), with the same inputs, and ``changes``."""
    at = pd.to_datetime(problem.requirements["interval_start"]).dt.date
    changes = {"hint_shifts": None, "published_shifts": None, "pinned_shifts": None, "proven_bound": None, **changes}
    return dataclasses.replace(problem, days=list(days), requirements=problem.requirements[at.isin(set(days))],
                               open_windows={d: problem.open_windows[d] for d in days},
                               promotion_days={d: n for d, n in problem.promotion_days.items() if d in days},
                               **changes)


def week_segments(problem: RosterProblem) -> list[RosterProblem]:
    """The problem cut into its ISO weeks (clipped to its days), each a problem of its own with the
    same inputs; the first keeps ``problem``'s previous shifts, ledger and month overtime."""
    return [sub_horizon(problem, [problem.days[i] for i in group]) for group in problem.iso_weeks()]


@dataclass
class ChainedStart:
    """The month planned week by week: its ``shifts`` (the month model's warm start), and what the
    weeks cost together: pay ``cost`` and ``understaffed`` agent-intervals."""

    shifts: pd.DataFrame
    cost: float = 0.0
    understaffed: int = 0


def chained_weeks_roster(problem: RosterProblem, time_limit_s: float,
                         echo: Callable[[str], object] | None = None,
                         spread_penalty: float | None = None) -> ChainedStart:
    """The month's shifts planned one ISO week at a time with one week of look-ahead (a rolling
    horizon): each week is solved together with the next for ``time_limit_s`` (the scenario's
    ``time_limit_s`` for one solve), with the weeks before it carried over (shifts, comp-off ledger,
    month overtime, the spread's ledger to date), and only its own shifts are kept; the look-ahead
    week's shifts warm-start the next window. The windows plan under ``window_roster``: the spread
    on at ``spread_penalty`` (run_month gives the week's price), the per-agent pairs and start times
    left to the month model. The look-ahead is what makes it a good start:
    a week planned alone does not see the next week's demand nor that its rest days must leave the
    next week's runs of days legal (on 2025-10, the month model's objective from plain chained weeks
    was 503.6k, from weeks with a week of look-ahead 475.9k, and the month's proven bound 467.4k).

    A window whose search goes astray with the spread (2025-10's second and third, 7.1% and 6.5% from
    their bounds) is kept as it is: solving it again without the spread cost 32 of the start's 82
    deterministic units, and the month model's windows repair it anyway (2025-10: 1.99% in 466 s
    without the second solves, 1.95% in 524 s with them; 2025-05: 1.93% in 455 s, 1.99% in 489 s)."""
    scenario = problem.scenario.model_copy(update={"roster": window_roster(problem.scenario.roster, time_limit_s,
                                                                               spread_penalty)})
    segments = [[problem.days[i] for i in group] for group in problem.iso_weeks()]
    previous, ledger, to_date = problem.previous_shifts, problem.comp_off, problem.ledger_to_date
    overtime = {(aid, f"{problem.days[0]:%Y-%m}"): h for aid, h in problem.month_overtime_h.items()}
    start = ChainedStart(pd.DataFrame())
    kept, ahead = [], None
    for i, days in enumerate(segments):
        if interrupt.requested():  # Ctrl-C: the weeks so far are not a month's roster
            raise SolverError(interrupt.NO_ROSTER, stopped_by=interrupt.STOPPED)
        t0 = time.perf_counter()
        window = days + (segments[i + 1] if i + 1 < len(segments) else [])
        month = f"{window[0]:%Y-%m}"
        win = sub_horizon(problem, window, scenario=scenario, previous_shifts=previous, comp_off=ledger,
                          month_overtime_h={aid: h for (aid, m), h in overtime.items() if m == month},
                          ledger_to_date=to_date)
        if ahead is not None and len(ahead):  # the last window's look-ahead week starts this one
            win = dataclasses.replace(win, hint_shifts=ahead)
        roster = solve_roster(win)
        ahead = roster.shifts[~roster.shifts["date"].isin(set(days))]
        mine = roster.shifts[roster.shifts["date"].isin(set(days))]
        kept.append(mine)
        frames = [f for f in (previous, mine) if f is not None and len(f)]
        previous = pd.concat(frames, ignore_index=True) if frames else previous
        ledger = _ledger_after(roster.comp_off, days)
        to_date = counts_to_date(win, mine)
        for aid, day, hours in zip(mine["agent_id"], mine["date"], mine["overtime_hours"]):
            overtime[aid, f"{day:%Y-%m}"] = overtime.get((aid, f"{day:%Y-%m}"), 0.0) + float(hours)
        start.cost += float(mine["cost"].sum())
        short = roster.shortfall
        at = pd.to_datetime(short["interval_start"])  # an empty shortfall has no datetime column
        start.understaffed += int(short.loc[at.dt.date.isin(set(days)).to_numpy(), "missing"].sum())
        if echo is not None:
            echo(f"warm start {days[0]}..{days[-1]} (looking to {window[-1]}): cost {mine['cost'].sum():,.0f}, "
                 f"gap {100 * roster.solver['gap']:.2f}%, {time.perf_counter() - t0:.0f} s")
    start.shifts = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    return start


def window_roster(roster: RosterSpec, time_limit_s: float, spread_penalty: float | None = None) -> RosterSpec:
    """The roster settings of a warm-start window: ``time_limit_s``, and of the agent-friendly terms only the
    spread (weekend, holiday and late shifts evened out to date, the ledger carried from window to
    window), at ``spread_penalty`` (the week's price; None: ``roster``'s).

    The per-agent pairs and start times are left to the month model: with them, a window's solve runs in
    two stages, and the counts stage of a two-week window holding holidays could not find a roster
    within its budget (2025-10's second and third windows stopped 72% and 74% from their bounds with
    half a million CNY of shortfall; without them, 0.6-2.0% in 11-15 s). The spread is what the month
    model cannot repair from a start that ignores it: weeks planned without it hand the weekends to
    whoever is cheapest (weekend days per full-timer 3-10 on 2025-11), and the month's counts stage,
    stopping at its gap, left them 3 apart. At the week's price the windows even them out where it
    costs little (6-8 on 2025-11, and the month model kept 2 apart at a 2.17% gap); at the month's
    price (4000) the windows, whose band holds to date at every window, gave up coverage for it
    and the month model stopped 10.6% from its bound."""
    update = {"time_limit_s": time_limit_s, "window_days": 0}  # a window is searched whole
    if roster.agent_friendly:
        update.update(paired_rest_penalty=0, start_change_penalty=0)
        if spread_penalty is not None:
            update["spread_penalty"] = spread_penalty
    return roster.model_copy(update=update)


def _root_bound(problem: RosterProblem, time_limit_s: float) -> RootBound:
    """HiGHS's root bound of ``problem``'s roster model, started (no cutoff: it starts before any roster is
    known; its clock a safety net as CP-SAT's, at ``WALL_SAFETY`` x the month's ``time_limit_s``)."""
    return RootBound(build_model(problem).model.proto, time_limit_s * roster_model.WALL_SAFETY).start()


def _ledger_after(ledger: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    """A window's comp-off ledger as it stands after ``days`` (its first part): days earned later are
    dropped, days given later are owed again."""
    last = days[-1]
    later = [d is not None and not pd.isna(d) and d > last for d in ledger["earned_on"]]
    out = ledger.loc[[not x for x in later]].copy()
    out["given_on"] = [None if g is None or pd.isna(g) or g > last else g for g in out["given_on"]]
    return out


def run_month(inputs, echo: Callable[[str], object] | None = None):
    """Plan ``inputs.week`` (a ``Month``) in one model under ``[roster.month]``, warm-started from its
    chained weeks; the ``scheduler.plan.PlanResult`` of ``run_plan``."""
    from scheduler.plan import build_problem

    week_spread = inputs.scenario.roster.spread_penalty  # the warm start's windows keep the week's price
    # no capacity sizing: its models are a week's (a month's took 85-99 s to find no roster)
    inputs = dataclasses.replace(inputs, scenario=month_scenario(inputs.scenario), size_capacity=False)
    built = build_problem(inputs)
    spec = inputs.scenario.roster.month
    second = _root_bound(built.problem, inputs.scenario.roster.time_limit_s) if spec.root_bound else None
    work = lambda: _warm_started_plan(inputs, built, spec, week_spread, echo)  # noqa: E731
    if second is None:
        result, start = work()
    else:  # HiGHS works on the month model while the weeks are planned, then the month, behind it on the CPU
        built.problem = dataclasses.replace(built.problem, proven_bound=second.result)
        result, start = behind(work)
        found = second.result()  # the month model's second bound: summary.json solver.root_bound
        result.summary["solver"]["root_bound"] = {"bound": None if found is None else found / SCALE,
                                                  **second.figures()}
    if start is not None:  # what the month model started from: summary.json solver.warm_start
        result.summary["solver"]["warm_start"] = {"cost": round(start.cost, 2), "understaffed": start.understaffed,
                                                  "wall_s": round(built.timings["warm_start_s"], 1)}
    return result


def _warm_started_plan(inputs, built, spec, week_spread: float, echo: Callable[[str], object] | None):
    """``run_plan``'s result for the month model, warm-started from its chained weeks (``spec.warm_start_weeks_s``
    per week; none when that is 0 or finds no roster), and that start (or None)."""
    from scheduler.plan import run_plan

    t0 = time.perf_counter()
    start = None
    if spec.warm_start_weeks_s > 0:
        try:
            start = chained_weeks_roster(built.problem, spec.warm_start_weeks_s, echo, week_spread)
            built.problem = dataclasses.replace(built.problem, hint_shifts=start.shifts)
        except SolverError as exc:  # a start is a help, not a need: the month model searches without it
            if interrupt.requested():
                raise
            if echo is not None:
                echo(f"note: no warm start ({exc}); the month model starts without one")
    built.timings["warm_start_s"] = time.perf_counter() - t0
    return run_plan(inputs, built=built), start
