"""The roster as a planner reads it, and the shortfall report built from the named penalty variables.

No solver here: ``model.py`` hands over the chosen shifts and the values of the penalty variables
(named ``understaffed(channel=chat, at=2025-11-11T20:00)``); this module builds the DataFrames and
gives each understaffed interval its binding cause from simple diagnostic checks on the pool, the
templates, and the hard rules' own ``diagnose`` (``rules.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from scheduler.agents import Agent
from scheduler.roster.constraints import hard_rules
from scheduler.roster.problem import RosterProblem, ShiftShape, required_heads, shift_shapes

PENALTY_NAME = re.compile(r"^understaffed\(channel=(?P<channel>[^,]+), at=(?P<at>[^)]+)\)$")
SHIFT_COLUMNS = ["agent_id", "agent_name", "date", "day_type", "template", "shift_start", "shift_end",
                 "lunch_start", "lunch_end", "paid_hours", "pay_multiplier", "cost", "channels",
                 "promotion", "rest_day", "overtime_hours"]
COMP_OFF_COLUMNS = ["agent_id", "agent_name", "earned_on", "due_by", "given_on"]
MONTH_OVERTIME_COLUMNS = ["agent_id", "agent_name", "month", "overtime_h_before", "overtime_h_plan",
                          "overtime_h_total", "cap_h"]
SHORTFALL_COLUMNS = ["interval_start", "channel", "required_scheduled", "scheduled_heads", "missing", "cause"]
WALL_TIME = "wall_time"  # in ``solver["stopped_by"]``: the clock, not the deterministic budget, stopped a solve


def stopped_by_clock(stopped_by: str) -> bool:
    """Whether a roster's ``solver["stopped_by"]`` says the wall clock stopped its solve, or one stage of it
    (``"counts: wall_time ...; agents: ..."`` when staged): such a roster depends on the machine's load."""
    return WALL_TIME in str(stopped_by)


@dataclass
class Roster:
    """A solved roster.

    - ``shifts``: one row per agent shift (``SHIFT_COLUMNS``; timestamps are pandas Timestamps,
      lunch columns NaT without lunch; ``channels`` = channels worked, most hours first, joined by ``|``;
      ``cost`` [cost units] and ``pay_multiplier`` = cost / (paid_hours x hourly_cost));
    - ``assignments``: ``interval_start, agent_id, channel``, one row per working agent-interval;
    - ``scheduled``: ``interval_start, channel, scheduled_heads`` for every requirement row;
    - ``shortfall``: ``interval_start, channel, required_scheduled, scheduled_heads, missing, cause``;
    - ``solver``: ``status, objective, best_bound, gap, wall_s, num_variables, seed`` (+ details);
    - ``cost`` (pay only), ``paid_hours``, ``overtime_hours`` [h], ``premium_cost`` (cost above base rate);
    - ``comp_off``: the comp-off ledger (``COMP_OFF_COLUMNS``): one row per comp day off owed at the
      start or earned by a ``rest_day = comp_off`` shift, with its ``due_by`` and the ``given_on`` date
      when the plan gives it (empty: still owed when the plan ends);
    - ``month_overtime``: per agent and calendar month of the plan, the overtime hours worked before
      the plan, in it, in all, and the cap (``MONTH_OVERTIME_COLUMNS``).

    In ``shifts``, ``rest_day`` is ``paid`` or ``comp_off`` for rest-day work (empty otherwise) and
    ``overtime_hours`` the hours the monthly cap counts.
    """

    shifts: pd.DataFrame
    assignments: pd.DataFrame
    scheduled: pd.DataFrame
    shortfall: pd.DataFrame
    solver: dict = field(default_factory=dict)
    cost: float = 0.0
    paid_hours: float = 0.0
    overtime_hours: float = 0.0
    premium_cost: float = 0.0
    comp_off: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COMP_OFF_COLUMNS))
    month_overtime: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MONTH_OVERTIME_COLUMNS))


def build_roster(problem: RosterProblem, shifts: list[dict], penalty_values: list[tuple],
                 info: dict, comp_off: pd.DataFrame | None = None) -> Roster:
    """``shifts``: dicts with ``cand`` (agent, day, shape), ``lunch`` [min] or None, ``cost``,
    ``overtime_min``, ``rest_day`` (``paid``, ``comp_off`` or empty) and ``channels`` {channel:
    [interval starts]}; ``penalty_values``: (name, value, weight, requirement index) of every penalty
    variable; ``comp_off``: the comp-off ledger after the plan."""
    rows, assign = [], []
    for s in sorted(shifts, key=lambda s: (s["cand"].day, s["cand"].start_min,
                                           problem.agents[s["cand"].agent].agent_id)):
        c = s["cand"]
        agent = problem.agents[c.agent]
        day = problem.days[c.day]
        lunch = s["lunch"]
        paid_h = c.shape.paid_min / 60
        chans = sorted(s["channels"].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        rows.append({
            "agent_id": agent.agent_id, "agent_name": agent.name, "date": day,
            "day_type": problem.day_types[day], "template": c.shape.template,
            "shift_start": problem.at(day, c.start_min), "shift_end": problem.at(day, c.end_min),
            "lunch_start": problem.at(day, lunch) if lunch is not None else pd.NaT,
            "lunch_end": problem.at(day, lunch + c.shape.lunch_min) if lunch is not None else pd.NaT,
            "paid_hours": paid_h, "pay_multiplier": s["cost"] / (paid_h * agent.hourly_cost) if paid_h else 0.0,
            "cost": s["cost"], "channels": "|".join(ch for ch, _ in chans),
            "promotion": problem.promotion_days.get(day, ""), "rest_day": s.get("rest_day", ""),
            "overtime_hours": s["overtime_min"] / 60,
            "_overtime_min": s["overtime_min"], "_rate": agent.hourly_cost,
        })
        for ch, ts in s["channels"].items():
            for t in ts:
                assign.append({"interval_start": problem.at(day, t), "agent_id": agent.agent_id, "channel": ch})
    frame = pd.DataFrame(rows, columns=SHIFT_COLUMNS + ["_overtime_min", "_rate"])
    overtime_h = float(frame["_overtime_min"].sum()) / 60 if len(frame) else 0.0
    base = float((frame["paid_hours"] * frame["_rate"]).sum()) if len(frame) else 0.0
    frame = frame[SHIFT_COLUMNS]
    for col in ("shift_start", "shift_end", "lunch_start", "lunch_end"):
        frame[col] = pd.to_datetime(frame[col])
    assignments = pd.DataFrame(assign, columns=["interval_start", "agent_id", "channel"])
    if len(assignments):
        assignments = assignments.sort_values(["interval_start", "channel", "agent_id"], ignore_index=True)
    scheduled = scheduled_frame(problem.requirements, assignments)
    cost = float(frame["cost"].sum()) if len(frame) else 0.0
    comp_off = pd.DataFrame(columns=COMP_OFF_COLUMNS) if comp_off is None else comp_off[COMP_OFF_COLUMNS]
    shortfall = shortfall_frame(problem, penalty_values, scheduled, frame, assignments, comp_off)
    return Roster(shifts=frame.reset_index(drop=True), assignments=assignments, scheduled=scheduled,
                  shortfall=shortfall, solver=info, cost=cost,
                  paid_hours=float(frame["paid_hours"].sum()) if len(frame) else 0.0,
                  overtime_hours=overtime_h, premium_cost=cost - base, comp_off=comp_off.reset_index(drop=True),
                  month_overtime=month_overtime_frame(problem, frame))


def month_overtime_frame(problem: RosterProblem, shifts: pd.DataFrame) -> pd.DataFrame:
    """Per agent and calendar month of the plan: overtime [h] before the plan (``month_overtime_h``,
    for the first month), in the plan's shifts, in all, and ``max_overtime_h_per_month``. The next
    plan's ``--previous`` reads the month-to-date total from here."""
    cap = problem.scenario.labour.max_overtime_h_per_month
    in_plan: dict[tuple[str, str], float] = {}
    for aid, day, hours in zip(shifts["agent_id"], shifts["date"], shifts["overtime_hours"]):
        key = (aid, f"{day:%Y-%m}")
        in_plan[key] = in_plan.get(key, 0.0) + float(hours)
    first = f"{problem.days[0]:%Y-%m}"
    rows = []
    for month in dict.fromkeys(f"{problem.days[d[0]]:%Y-%m}" for d in problem.months()):
        for agent in problem.agents:
            before = float(problem.month_overtime_h.get(agent.agent_id, 0.0)) if month == first else 0.0
            plan = in_plan.get((agent.agent_id, month), 0.0)
            rows.append({"agent_id": agent.agent_id, "agent_name": agent.name, "month": month,
                         "overtime_h_before": before, "overtime_h_plan": plan, "overtime_h_total": before + plan,
                         "cap_h": cap})
    return pd.DataFrame(rows, columns=MONTH_OVERTIME_COLUMNS)


def scheduled_frame(requirements: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Heads working each channel in each requirement row's interval (0 where none)."""
    out = pd.DataFrame({"interval_start": pd.to_datetime(requirements["interval_start"]).values,
                        "channel": requirements["channel"].astype(str).values})
    if len(assignments):
        counts = assignments.groupby(["interval_start", "channel"]).size().rename("scheduled_heads")
        out = out.join(counts, on=["interval_start", "channel"])
    else:
        out["scheduled_heads"] = 0
    out["scheduled_heads"] = out["scheduled_heads"].fillna(0).astype(int)
    return out


# -- shortfall report -----------------------------------------------------------------------------------
def shortfall_frame(problem: RosterProblem, penalty_values: list[tuple], scheduled: pd.DataFrame,
                    shifts: pd.DataFrame, assignments: pd.DataFrame,
                    comp_off: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per understaffed requirement, read from the penalty variables' names."""
    heads = {(pd.Timestamp(t), ch): n for t, ch, n in
             zip(scheduled["interval_start"], scheduled["channel"], scheduled["scheduled_heads"])}
    req = {(pd.Timestamp(t), str(ch)): required_heads(n) for t, ch, n in
           zip(pd.to_datetime(problem.requirements["interval_start"]), problem.requirements["channel"],
               problem.requirements["required_scheduled"])}
    diag = ShortfallDiagnostics(problem, shifts, assignments, comp_off)
    rows = []
    for name, value, _weight, _idx in penalty_values:
        m = PENALTY_NAME.match(name)
        if not m or value <= 0:
            continue
        at, ch = pd.Timestamp(m["at"]), m["channel"]
        need = req[at, ch]
        have = heads.get((at, ch), 0)
        missing = max(0, need - have)
        if missing:
            rows.append({"interval_start": at, "channel": ch, "required_scheduled": need,
                         "scheduled_heads": have, "missing": missing, "cause": diag.cause(at, ch, need)})
    out = pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)
    return out.sort_values(["interval_start", "channel"], ignore_index=True) if len(out) else out


class ShortfallDiagnostics:
    """Why an interval stays short: the first check that binds. The structural checks (window, grid,
    templates, lunch, skills, contracts) are here; whether a labour rule keeps a free agent off the
    shifts that would cover it, each hard rule says itself (``HardRule.diagnose``), asked in registry
    order. An agent no rule keeps off is left out for cost.

    What the rules read: ``problem``, ``by_agent`` (agent_id -> the agent's shift rows),
    ``days_worked`` and ``paid_min`` (agent_id -> days and paid minutes in the roster) and
    ``comp_days_off`` ((agent_id, date) of the comp days off the roster gives)."""

    def __init__(self, problem: RosterProblem, shifts: pd.DataFrame, assignments: pd.DataFrame,
                 comp_off: pd.DataFrame | None = None):
        self.problem = problem
        self.rules = hard_rules()
        self.shapes = {d: shift_shapes(problem, d) for d in problem.days}
        self.shifts = {(r.agent_id, r.date): r for r in shifts.itertuples(index=False)}
        self.busy = {(r.agent_id, pd.Timestamp(r.interval_start)): r.channel
                     for r in assignments.itertuples(index=False)}
        self.by_agent: dict[str, list] = {}
        for r in shifts.itertuples(index=False):
            self.by_agent.setdefault(r.agent_id, []).append(r)
        self.days_worked = {aid: len(rows) for aid, rows in self.by_agent.items()}
        self.paid_min = {aid: sum(int(round(r.paid_hours * 60)) for r in rows) for aid, rows in self.by_agent.items()}
        self.grids = {d: set(problem.grid(d)) for d in problem.days}
        self.comp_days_off = set() if comp_off is None else {
            (aid, pd.Timestamp(g).date()) for aid, g in zip(comp_off["agent_id"], comp_off["given_on"])
            if not pd.isna(g)}

    def cause(self, at: pd.Timestamp, channel: str, need: int) -> str:
        p = self.problem
        day, minute = at.date(), at.hour * 60 + at.minute
        when = f"{day.isoformat()} {at:%H:%M}"
        if minute not in self.grids[day]:
            if p.open_windows[day].contains(minute):
                return f"{at:%H:%M} is not an interval start of the {p.interval_min}-min grid"
            return f"service window closed at {at:%H:%M} on {day.isoformat()} ({p.day_types[day]})"
        covering = [s for s in self.shapes[day] if minute in s.covered]
        if not covering:
            return f"no shift template covers {at:%H:%M} on {p.day_types[day]} {day.isoformat()}"
        step = p.interval_min
        covering = [s for s in covering if any(minute in s.working(l, step) for l in (s.lunch_starts or (None,)))]
        if not covering:
            return (f"lunch: every shift covering {at:%H:%M} takes its lunch then "
                    f"(lunch_policy={p.scenario.roster.lunch_policy})")
        skilled = [a for a in p.agents if a.can(channel)]
        if len(skilled) < need:
            return f"pool has {len(skilled)} {channel}-skilled agents; {when} needs {need}"
        eligible = [a for a in skilled if any(p.may_work(a, s.template, s.contracts) for s in covering)]
        if len(eligible) < need:
            return (f"only {len(eligible)} {channel}-skilled agents have a contract whose templates "
                    f"cover {when}; it needs {need}")
        reasons: dict[str, int] = {}
        for a in eligible:
            r = self._why_not(a, day, at, channel, covering)
            if r is not None:
                reasons[r] = reasons.get(r, 0) + 1
        if reasons.get("free"):
            return "cost: a shift here costs more than the shortfall penalty it removes"
        text = ", ".join(f"{k} ({n})" for k, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        working = len(eligible) - sum(reasons.values())
        return (f"{len(eligible)} {channel}-skilled agents could cover {when}: {working} work it, "
                f"the others are {text}")

    def _why_not(self, agent: Agent, day: dt.date, at: pd.Timestamp, channel: str,
                 covering: list[ShiftShape]) -> str | None:
        """None if the agent works ``channel`` at ``at``; else why not ("free" if nothing but cost)."""
        busy = self.busy.get((agent.agent_id, at))
        if busy == channel:
            return None
        if busy is not None:
            return "needed on other channels"
        shift = self.shifts.get((agent.agent_id, day))
        if shift is not None:
            if not pd.isna(shift.lunch_start) and shift.lunch_start <= at < shift.lunch_end:
                return "at lunch"
            return "on a shift that does not cover it"
        blocked = [self._blocked(agent, day, s) for s in covering
                   if self.problem.may_work(agent, s.template, s.contracts)]
        if any(b is None for b in blocked):
            return "free"
        return blocked[0]

    def _blocked(self, agent: Agent, day: dt.date, shape: ShiftShape) -> str | None:
        """The first hard rule's reason that ``agent`` cannot work ``shape`` on ``day``, or None."""
        for rule in self.rules:
            why = rule.diagnose(self, agent, day, shape)
            if why is not None:
                return why
        return None
