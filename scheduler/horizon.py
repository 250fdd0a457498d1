"""A calendar month in one model: ``schedule plan --month 2025-10``.

A ``Month`` stands where ``plan`` takes a ``scheduler.weeks.Week`` (the same ``label``, ``days``,
``start_date``, ``end_date`` and ``describe``), so the month runs through the week's pipeline
(``scheduler.plan``: forecast, requirements, roster, validation, plan folder) with every day of the
month in one roster model. The rules are exact over the month: the calendar-month overtime cap, and
the per-ISO-week rules (standard days, rest-day work, one rest day a week, ``max_weekly_h``) for every
ISO week the month cuts, the partial first week continuing from ``--previous``.

The month is solved with ``[roster.month]``'s settings (a 600 s budget, a 2% gap) and warm-started
from the same month planned as chained weeks (each ISO week of the month, clipped to it, solved for
``warm_start_weeks_s`` with the previous part carried over: rest, days, overtime, comp days off).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core.errors import InputError
from core.scenario import Scenario
from scheduler.roster.problem import RosterProblem

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
    """The scenario with ``[roster.month]``'s solver settings in place of the week's."""
    spec = scenario.roster.month
    roster = scenario.roster.model_copy(update={"time_limit_s": spec.time_limit_s, "relative_gap": spec.relative_gap,
                                                "search": spec.search, "workers": spec.workers})
    return scenario.model_copy(update={"roster": roster})


def week_segments(problem: RosterProblem) -> list[RosterProblem]:
    """The problem cut into its ISO weeks (clipped to its days), each a problem of its own with the
    same inputs; the first keeps ``problem``'s previous shifts, ledger and month overtime."""
    out = []
    for group in problem.iso_weeks():
        days = [problem.days[i] for i in group]
        at = pd.to_datetime(problem.requirements["interval_start"]).dt.date
        req = problem.requirements[at.isin(set(days))]
        out.append(dataclasses.replace(problem, days=days, requirements=req,
                                       open_windows={d: problem.open_windows[d] for d in days},
                                       promotion_days={d: n for d, n in problem.promotion_days.items() if d in days},
                                       hint_shifts=None, published_shifts=None, pinned_shifts=None))
    return out


def chained_weeks_roster(problem: RosterProblem, time_limit_s: float,
                         echo: Callable[[str], object] | None = None) -> pd.DataFrame:
    """The month's shifts when its ISO weeks are planned one after the other, each for ``time_limit_s``
    with the weeks before it carried over (shifts, comp-off ledger, month overtime): a warm start for
    the month model."""
    from scheduler.roster import solve_roster

    week_roster = problem.scenario.roster.model_copy(update={"time_limit_s": time_limit_s})
    scenario = problem.scenario.model_copy(update={"roster": week_roster})
    previous = problem.previous_shifts
    ledger = problem.comp_off
    overtime = (f"{problem.days[0]:%Y-%m}", dict(problem.month_overtime_h))
    shifts = []
    for seg in week_segments(problem):
        t0 = time.perf_counter()
        seg = dataclasses.replace(seg, scenario=scenario, previous_shifts=previous, comp_off=ledger,
                                  month_overtime_h=overtime[1] if f"{seg.days[0]:%Y-%m}" == overtime[0] else {})
        roster = solve_roster(seg)
        shifts.append(roster.shifts)
        previous = pd.concat([f for f in (previous, roster.shifts) if f is not None and len(f)], ignore_index=True)
        ledger = roster.comp_off
        month = f"{seg.days[-1]:%Y-%m}"
        last = roster.month_overtime[roster.month_overtime["month"] == month]
        overtime = (month, {a: float(h) for a, h in zip(last["agent_id"], last["overtime_h_total"])})
        if echo is not None:
            echo(f"warm start {seg.days[0]}..{seg.days[-1]}: cost {roster.cost:,.0f}, "
                 f"gap {100 * roster.solver['gap']:.2f}%, {time.perf_counter() - t0:.0f} s")
    return pd.concat(shifts, ignore_index=True) if shifts else pd.DataFrame()


def run_month(inputs, echo: Callable[[str], object] | None = None):
    """Plan ``inputs.week`` (a ``Month``) in one model under ``[roster.month]``, warm-started from its
    chained weeks; the ``scheduler.plan.PlanResult`` of ``run_plan``."""
    from scheduler.plan import build_problem, run_plan

    inputs = dataclasses.replace(inputs, scenario=month_scenario(inputs.scenario))
    built = build_problem(inputs)
    spec = inputs.scenario.roster.month
    t0 = time.perf_counter()
    if spec.warm_start_weeks_s > 0:
        hint = chained_weeks_roster(built.problem, spec.warm_start_weeks_s, echo)
        built.problem = dataclasses.replace(built.problem, hint_shifts=hint)
    built.timings["warm_start_s"] = time.perf_counter() - t0
    return run_plan(inputs, built=built)
