"""``schedule validate``: re-check a roster edited by hand against every labour rule, coverage and cost.

``schedule validate --plan DIR [--roster FILE]`` rebuilds the ``RosterProblem`` the plan was made from
and runs the solver-free validator (:func:`scheduler.validation.validate_roster`) on the edited shifts:

- the problem: the week, scenario, agent pool, calendar, events, last week's plan and the agents'
  requests (approved leave is a hard rule) that ``summary.json`` records under ``inputs`` (each replaced
  by the option of the same name when given),
  on the plan's own ``requirements.csv`` (no new forecast: the roster is judged against the
  requirements it was made for, even when the history has changed since);
- the roster: the plan's shifts file (default), or ``--roster`` a shifts file edited by hand, a
  ``roster_wide.csv`` or a ``roster_wide.xlsx`` (``schedule export``). Only the times are read (shift,
  lunch); what follows from them (paid hours, template, cost, channels) is derived again. A
  ``paid_hours`` column that disagrees with the times is reported, since payroll reads it;
- ``--roster FILE`` without ``--plan``: the week is the one the file's dates lie in, the problem is
  built as ``schedule plan`` would (``--scenario``, ``--agents``, ``--history``, ``--calendar``,
  ``--events``, ``--previous``, ``--requests``; forecast included) and there is no plan to compare
  coverage and cost with.

Coverage of a roster edited by hand: an edited file has no ``assignments.csv`` (which channel each
agent works each hour), so the agents on duty in each interval (shift less lunch) are split over
their skills to cover the requirement with as few heads missing as possible: a maximum flow per
interval from skill groups to channels (:func:`split_channels`); agents beyond the requirement work
their first skill. The best split is at least as good as the solver's, so the untouched plan never
shows less coverage than it had. A violation is an interval with more heads missing in all than the
plan had (``coverage``); the heads missing per channel are named in the line. Cost is the validator's
own pay computation, reported beside the plan's, never a violation: an edit may buy coverage.

Output: one line per violation naming the agent, the date (or the week, for weekly rules) and the
rule. Exit codes (``scheduler.cli``): 0 no violation, 1 violations found, 2 bad input (a malformed
cell such as ``09:00-25:00``, an unknown agent, a date outside the plan, a missing file), one line
naming file, row and field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from core.errors import InputError, check_input_file
from scheduler.agents import Agent
from scheduler.plan_folder import SHIFTS, PlanFolder, read_shifts_csv
from scheduler.roster.problem import RosterProblem, required_heads
from scheduler.roster.report import Roster, scheduled_frame
from scheduler.validation import Violations, WorkedShifts, count_violations, read_shifts, validate_roster
from scheduler.weeks import Week, parse_week

ROSTER_TIMES = ["agent_id", "date", "shift_start", "shift_end", "lunch_start", "lunch_end"]
_LABEL = re.compile(r"^(?P<aid>[^\s:]+)(?: at)?(?P<when> \d{4}-\d\d-\d\d \d\d:\d\d(?:-\d\d:\d\d)?)?: (?P<rest>.*)$")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")


@dataclass
class Options:
    """The command's options: the plan folder, the roster file and the inputs that replace the plan's."""

    plan: Path | None = None
    roster: Path | None = None
    scenario: Path | None = None
    agents: Path | None = None
    history: Path | None = None
    calendar: str | None = None
    events: Path | None = None
    previous: Path | None = None
    requests: Path | None = None


@dataclass
class Baseline:
    """What the plan had: its cost and paid hours, and heads missing per interval (``shortfall.csv``)."""

    cost: float
    paid_hours: float
    missing: dict[pd.Timestamp, int]


@dataclass
class Recheck:
    """The outcome: ``findings`` (one line per violation), ``notes`` and the edited roster's figures."""

    label: str
    header: str
    findings: list[str]
    roster: Roster
    baseline: Baseline | None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        r, b = self.roster, self.baseline
        missing = int(r.shortfall["missing"].sum()) if len(r.shortfall) else 0
        figures = (f"cost CNY {r.cost:,.0f}, paid hours {r.paid_hours:,.1f}, "
                   f"understaffed agent-intervals {missing}")
        if b is not None:
            figures = (f"cost CNY {r.cost:,.0f} (the plan: {b.cost:,.0f}, {r.cost - b.cost:+,.0f}), paid hours "
                       f"{r.paid_hours:,.1f} (the plan: {b.paid_hours:,.1f}), understaffed agent-intervals "
                       f"{missing} (the plan: {sum(b.missing.values())})")
        verdict = (f"{count_violations(self.findings)} violation(s) in {self.label}" if self.findings
                   else f"valid: no violation in {self.label}")
        return [self.header, *(f"note: {n}" for n in self.notes), *self.findings, figures, verdict]


# -- the command -----------------------------------------------------------------------------------------------------
def recheck(opts: Options) -> Recheck:
    """Rebuild the problem, read the edited roster and validate it (see the module docstring)."""
    from scheduler.plan import build_problem

    if opts.plan is None and opts.roster is None:
        raise InputError("give --plan DIR (and --roster FILE to check an edited copy), or --roster FILE",
                         field="--plan")
    notes: list[str] = []
    folder = PlanFolder(opts.plan) if opts.plan is not None else None
    summary = folder.summary() if folder is not None else {}
    path = Path(opts.roster) if opts.roster is not None else folder.file(SHIFTS)
    kind = roster_kind(path)
    if folder is not None:
        week = _summary_week(folder, summary)
        inputs = _plan_inputs(folder, summary, week, opts, notes)
        built = build_problem(inputs, requirements=folder.requirements(numbers=("required_scheduled",)))
        shortfall = folder.shortfall()
        missing = shortfall.groupby("interval_start")["missing"].sum() if len(shortfall) else pd.Series(dtype=float)
        baseline = Baseline(float(summary.get("cost", np.nan)), float(summary.get("paid_hours", np.nan)),
                            {pd.Timestamp(t): int(n) for t, n in missing.items()})
        against = f"plan {folder.path}"
    else:
        week = roster_week(path, kind)
        inputs = _fresh_inputs(week, opts)
        built = build_problem(inputs)
        baseline = None
        against = f"a new forecast for {week.label}"
        notes.append("no plan to compare with (--plan): intervals short of the requirement are counted, "
                     "not reported as violations")
    problem = built.problem
    lunch_min = _lunch_min(folder, problem)
    shifts, file_paid = read_roster(path, kind, problem, lunch_min)
    roster = rebuilt_roster(problem, shifts)
    findings = agent_findings(validate_roster(problem, roster) + paid_hours_violations(shifts, file_paid),
                              problem, week.label)
    if baseline is not None:
        findings += coverage_findings(roster, baseline)
    header = (f"{week.label}: {path} checked against {against} (scenario {problem.scenario.name}, "
              f"{len(problem.agents)} agents)")
    return Recheck(week.label, header, findings, roster, baseline, notes)


def _summary_week(folder: PlanFolder, summary: dict) -> Week:
    """The plan's week, or its month (``plan --month``: a ``scheduler.horizon.Month``)."""
    if isinstance(summary.get("month"), str) and "week" not in summary:
        from scheduler.horizon import parse_month

        return parse_month(summary["month"])
    text = summary.get("week")
    if not isinstance(text, str):
        raise InputError("names no week: schedule validate checks a week's (or a month's) plan",
                         file=folder.file("summary.json"), field="week")
    return parse_week(text)


def _plan_inputs(folder: PlanFolder, summary: dict, week: Week, opts: Options, notes: list[str]):
    """The plan's inputs as ``summary.json`` records them, each replaced by its option when given."""
    from scheduler.plan import load_inputs

    rec = summary.get("inputs") if isinstance(summary.get("inputs"), dict) else {}

    def pick(option, key):
        return option if option is not None else (rec.get(key) or None)

    previous = pick(opts.previous, "previous")
    if opts.previous is None and previous is not None and not Path(previous).is_dir():
        notes.append(f"the plan's --previous {previous} is gone: rest and consecutive days across the start of "
                     f"{week.label} are not checked (give --previous DIR)")
        previous = None
    requests = pick(opts.requests, "requests")
    if opts.requests is None and requests is not None and not Path(requests).is_file():
        notes.append(f"the plan's --requests {requests} is gone: approved leave is not checked (give --requests CSV)")
        requests = None
    calendar = opts.calendar if opts.calendar is not None else (rec.get("calendar_file") or rec.get("calendar"))
    return load_inputs(week, scenario_path=pick(opts.scenario, "scenario"), history_path=pick(opts.history, "history"),
                       agents_path=pick(opts.agents, "agents"), calendar=calendar, previous_plan=previous,
                       events_path=pick(opts.events, "events"), requests_path=requests)


def _fresh_inputs(week: Week, opts: Options):
    from scheduler.plan import load_inputs

    return load_inputs(week, scenario_path=opts.scenario, history_path=opts.history, agents_path=opts.agents,
                       calendar=opts.calendar, previous_plan=opts.previous, events_path=opts.events,
                       requests_path=opts.requests)


def _lunch_min(folder: PlanFolder | None, problem: RosterProblem) -> int:
    """The lunch length a wide cell ``L12:00`` stands for: the plan's, as ``schedule export`` wrote it."""
    if folder is not None:
        from scheduler.vendor_export import load_plan

        return load_plan(folder.path).lunch_min
    return problem.scenario.roster.lunch_min


# -- reading the roster ----------------------------------------------------------------------------------------------
def roster_kind(path: Path) -> str:
    """``long`` (the plan's shifts file), ``wide`` (roster_wide.csv) or ``xlsx`` (roster_wide.xlsx)."""
    check_input_file(path, "roster file", "--roster")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix != ".csv":
        raise InputError(f"not a roster: give a {SHIFTS}, a roster_wide.csv or a roster_wide.xlsx", file=path,
                         field="--roster")
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = {c.strip().strip('"') for c in fh.readline().split(",")}
    return "long" if "shift_start" in header else "wide"


def roster_week(path: Path, kind: str) -> Week:
    """The ISO week of the roster's first date (without a plan, the file says which week it is)."""
    if kind == "long":
        dates = read_shifts_csv(path)["date"]
    else:
        from scheduler.vendor_export import read_wide_csv, read_wide_xlsx

        dates = (read_wide_xlsx(path) if kind == "xlsx" else read_wide_csv(path))["date"]
    if not len(dates):
        raise InputError("the roster has no shift to tell its week: give --plan DIR", file=path, field="--roster")
    return parse_week(min(dates).isoformat())


def read_roster(path: Path, kind: str, problem: RosterProblem, lunch_min: int) -> tuple[pd.DataFrame, pd.Series | None]:
    """The shift times (:data:`ROSTER_TIMES`) of the roster file, and the file's own ``paid_hours`` per
    shift (None for a wide roster, which has none). Unknown agents and dates outside the plan are
    input errors naming the row and field."""
    agents = {a.agent_id for a in problem.agents}
    days = set(problem.days)
    if kind in ("wide", "xlsx"):
        from scheduler.vendor_export import read_wide_csv, read_wide_xlsx

        reader = read_wide_xlsx if kind == "xlsx" else read_wide_csv
        return reader(path, lunch_min, agents=agents, days=days)[ROSTER_TIMES], None
    shifts = read_shifts_csv(path)
    for i, r in enumerate(shifts.itertuples(index=False), start=2):
        _check_long_row(r, i, path, agents, days)
    return shifts[ROSTER_TIMES].reset_index(drop=True), shifts["paid_hours"].reset_index(drop=True)


def _check_long_row(r, row: int, path: Path, agents: set[str], days: set[dt.date]) -> None:
    if r.agent_id not in agents:
        raise InputError(f"unknown agent '{r.agent_id}' (not in the agent pool)", file=path, row=row, field="agent_id")
    if r.date not in days:
        raise InputError(f"{r.date} is not a day of the plan ({min(days)} to {max(days)})", file=path, row=row,
                         field="date")
    if r.shift_start.date() != r.date:
        raise InputError(f"the shift starts on {r.shift_start.date()}, not on its date {r.date}", file=path, row=row,
                         field="shift_start")
    if r.shift_end <= r.shift_start:
        raise InputError("the shift ends before it starts", file=path, row=row, field="shift_end")
    if pd.isna(r.lunch_start) != pd.isna(r.lunch_end):
        raise InputError("a lunch needs both lunch_start and lunch_end", file=path, row=row,
                         field="lunch_end" if pd.isna(r.lunch_end) else "lunch_start")
    if not pd.isna(r.lunch_start) and r.lunch_end <= r.lunch_start:
        raise InputError("the lunch ends before it starts", file=path, row=row, field="lunch_end")


# -- the roster as the validator reads it ------------------------------------------------------------------------------
def paid_hours_of(shifts: pd.DataFrame) -> pd.Series:
    """[h] each shift's span less its lunch."""
    span = (shifts["shift_end"] - shifts["shift_start"]).dt.total_seconds()
    lunch = (shifts["lunch_end"] - shifts["lunch_start"]).dt.total_seconds().fillna(0.0)
    return (span - lunch) / 3600


def rebuilt_roster(problem: RosterProblem, times: pd.DataFrame) -> Roster:
    """A ``Roster`` of the edited shift times with everything the validator cross-checks derived from
    them: paid hours, each shift's cost (the validator's pay rules), channels (:func:`split_channels`),
    heads scheduled and the shortfall. What is left for the validator to find is what the times break."""
    names = {a.agent_id: a.name for a in problem.agents}
    shifts = times.assign(agent_name=times["agent_id"].map(names), paid_hours=paid_hours_of(times))
    worked = read_shifts(problem, shifts, Violations())  # the validator's index: one shift per agent and day
    pay = worked.pay
    # rest-day work the file does not say how it is compensated is paid (time off in lieu is what a
    # roster must arrange and record; the validator's pay already costs it so)
    marks = shifts["rest_day"] if "rest_day" in shifts.columns else pd.Series(None, index=shifts.index, dtype=object)
    shifts["rest_day"] = [m if isinstance(m, str) and m.strip() else
                          ("paid" if pay.rest_day.get((a, pd.Timestamp(t)), False) else None)
                          for m, a, t in zip(marks, shifts["agent_id"], shifts["shift_start"])]
    shifts["cost"] = [pay.shift_cost.get((a, pd.Timestamp(s)), 0.0) for a, s in zip(shifts["agent_id"],
                                                                                   shifts["shift_start"])]
    assignments = split_channels(problem, worked)
    scheduled = scheduled_frame(problem.requirements, assignments)
    cost = float(sum(pay.shift_cost.values()))
    return Roster(shifts=shifts, assignments=assignments, scheduled=scheduled,
                  shortfall=shortfall_of(problem, scheduled), cost=cost,
                  paid_hours=worked.paid_hours,
                  overtime_hours=sum(pay.overtime_min.values()) / 60, premium_cost=cost - pay.base)


def _on_duty(s, at: pd.Timestamp, step: pd.Timedelta) -> bool:
    """The agent works the interval: inside the shift and clear of the lunch."""
    if at < s.shift_start or at + step > s.shift_end:
        return False
    return pd.isna(s.lunch_start) or not (at < s.lunch_end and at + step > s.lunch_start)


def split_channels(problem: RosterProblem, worked: WorkedShifts) -> pd.DataFrame:
    """``interval_start, agent_id, channel``: each agent on duty in an open interval gets one of its
    skills, so that as few required heads as possible are missing (:func:`best_split`)."""
    step = pd.Timedelta(minutes=problem.interval_min)
    need: dict[pd.Timestamp, dict[str, int]] = defaultdict(dict)
    for t, c, n in zip(pd.to_datetime(problem.requirements["interval_start"]), problem.requirements["channel"],
                       problem.requirements["required_scheduled"]):
        need[pd.Timestamp(t)][str(c)] = required_heads(n)
    on_duty: dict[pd.Timestamp, list[Agent]] = defaultdict(list)
    for (aid, day), s in sorted(worked.by_day.items()):
        for minute in problem.grid(day):
            at = problem.at(day, minute)
            if _on_duty(s, at, step):
                on_duty[at].append(worked.agents[aid])
    rows = [(at, aid, ch) for at in sorted(on_duty) for aid, ch in best_split(on_duty[at], need[at]).items()]
    return pd.DataFrame(rows, columns=["interval_start", "agent_id", "channel"])


def best_split(agents: list[Agent], need: dict[str, int]) -> dict[str, str]:
    """agent_id -> channel: a maximum flow from the agents' skill groups to the channels (capacity: the
    heads each channel needs) covers as many required heads as any split can; agents beyond it work
    their first skill. Deterministic: agents in id order."""
    groups: dict[tuple[str, ...], list[Agent]] = defaultdict(list)
    for a in sorted(agents, key=lambda a: a.agent_id):
        groups[tuple(a.skills)].append(a)
    keys = list(groups)
    channels = [c for c in need if need[c] > 0]
    n = 2 + len(keys) + len(channels)
    sink = n - 1
    cap = np.zeros((n, n), dtype=np.int32)
    for g, key in enumerate(keys, start=1):
        cap[0, g] = len(groups[key])
        for j, c in enumerate(channels):
            if c in key:
                cap[g, 1 + len(keys) + j] = len(groups[key])
    for j, c in enumerate(channels):
        cap[1 + len(keys) + j, sink] = need[c]
    flow = maximum_flow(csr_matrix(cap), 0, sink).flow.toarray()
    out: dict[str, str] = {}
    for g, key in enumerate(keys, start=1):
        members = iter(groups[key])
        for j, c in enumerate(channels):
            for _ in range(int(flow[g, 1 + len(keys) + j])):
                out[next(members).agent_id] = c
        for a in members:
            out[a.agent_id] = next((s for s in a.skills if s in need), a.skills[0])  # a channel served here
    return out


def shortfall_of(problem: RosterProblem, scheduled: pd.DataFrame) -> pd.DataFrame:
    """Requirement rows of the planning days with fewer heads scheduled than required."""
    need = [required_heads(n) for n in problem.requirements["required_scheduled"]]
    frame = scheduled.assign(required_scheduled=need)
    frame["missing"] = (frame["required_scheduled"] - frame["scheduled_heads"]).clip(lower=0)
    days = set(problem.days)
    keep = (frame["missing"] > 0) & pd.to_datetime(frame["interval_start"]).dt.date.isin(days)
    return frame[keep].reset_index(drop=True)[["interval_start", "channel", "required_scheduled",
                                                 "scheduled_heads", "missing"]]


# -- findings ------------------------------------------------------------------------------------------------------
def agent_findings(violations: list[str], problem: RosterProblem, label: str) -> list[str]:
    """The validator's lines (``<rule>: <agent> <when>: <text>``) as ``<agent> <name>, <when>: <rule>:
    <text>``, sorted by agent and date; a weekly rule names the week. Lines about no agent stay as they are."""
    names = {a.agent_id: a.name for a in problem.agents}
    keyed = []
    for line in violations:
        rule, _, text = line.partition(": ")
        m = _LABEL.match(text)
        if m is None or m["aid"] not in names:
            keyed.append((("~", ""), line))
            continue
        when = (m["when"] or "").strip()
        if not when:
            dates = _DATE.findall(m["rest"])
            when = dates[-1] if dates else label
        keyed.append(((m["aid"], when), f"{m['aid']} {names[m['aid']]}, {when}: {rule}: {m['rest']}"))
    return [text for _, text in sorted(keyed, key=lambda kv: kv[0])]


def paid_hours_violations(shifts: pd.DataFrame, file_paid: pd.Series | None) -> list[str]:
    """Rows whose ``paid_hours`` disagree with their times (payroll reads the column), as validator lines."""
    if file_paid is None:
        return []
    out = []
    for r, given, times in zip(shifts.itertuples(index=False), file_paid, paid_hours_of(shifts)):
        if abs(float(given) - float(times)) > 1e-6:
            out.append(f"paid hours: {r.agent_id} {r.shift_start:%Y-%m-%d %H:%M}: paid_hours {float(given):g} in "
                       f"the file, its times give {float(times):g}")
    return out


def coverage_findings(roster: Roster, baseline: Baseline) -> list[str]:
    """Intervals with more heads missing than the plan had, the channels short named."""
    short = roster.shortfall
    out = []
    if not len(short):
        return out
    for at, grp in short.groupby("interval_start", sort=True):
        total = int(grp["missing"].sum())
        before = baseline.missing.get(pd.Timestamp(at), 0)
        if total > before:
            parts = ", ".join(f"{c} {int(m)}" for c, m in zip(grp["channel"], grp["missing"]))
            out.append(f"{pd.Timestamp(at):%Y-%m-%d %H:%M}: coverage: {total} required head(s) missing ({parts}), "
                       f"the plan {before}")
    return out
