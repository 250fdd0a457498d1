"""Solver-agnostic roster validation: re-check every hard rule, recompute cost and coverage.

``validate_roster(problem, roster)`` reads only the roster's DataFrames (``shifts``, ``assignments``,
``scheduled``, ``shortfall``) and totals, never the model, and returns human-readable violations
(empty = valid). It imports no solver, so it also checks rosters made by hand or by another tool.

Pay rules recomputed here (the same rules ``scheduler.roster.constraints.PayCost`` documents, written
again independently): statutory holiday shifts at ``pay.statutory_holiday``; in the standard hours
system, an agent's working days beyond ``ordinary_days_per_week`` in date order at
``pay.rest_day_overtime``; otherwise ordinary hours at ``pay.weekend`` on weekend and holiday rest
days (1.0 elsewhere) and hours beyond ``max_paid_h_per_day`` at ``max(that, pay.workday_overtime)``
(no daily overtime in comprehensive-hours mode); ordinary hours beyond ``max_paid_h_per_week`` a week
earn ``pay.workday_overtime - 1`` extra, attributed to the agent's latest shifts first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd

from core.names import PREMIUM_DAY_TYPES
from core.scenario import Window, hhmm_to_min
from scheduler.roster.problem import RosterProblem, required_heads

REL_TOL = 1e-6
MAX_PER_RULE = 20  # violations listed per rule before "... and N more"


def validate_roster(problem: RosterProblem, roster) -> list[str]:
    out = _Violations()
    shifts = roster.shifts
    agents = {a.agent_id: a for a in problem.agents}
    step = pd.Timedelta(minutes=problem.interval_min)
    lab, spec = problem.scenario.labour, problem.scenario.roster
    worked: dict[tuple[str, dt.date], object] = {}

    # -- each shift: agent, date, template, window, lunch, paid hours, leave -------------------------
    for r in shifts.itertuples(index=False):
        agent = agents.get(r.agent_id)
        label = f"{r.agent_id} {pd.Timestamp(r.shift_start):%Y-%m-%d %H:%M}"
        if agent is None:
            out.add("agent", f"{label}: unknown agent")
            continue
        day = pd.Timestamp(r.shift_start).date()
        if day not in problem.days or pd.Timestamp(r.date).date() != day:
            out.add("date", f"{label}: date {r.date} is not a planning day or not the shift's start date")
            continue
        if (r.agent_id, day) in worked:
            out.add("one shift per day", f"{label}: second shift of the agent that day")
            continue
        worked[r.agent_id, day] = r
        if day in agent.unavailable:
            out.add("leave", f"{label}: the agent is on leave that day")
        start, end = _minute(r.shift_start, day), _minute(r.shift_end, day)
        tpl = _match_template(problem, agent, day, start, end, getattr(r, "template", None))
        if tpl is None:
            out.add("template", f"{label}-{pd.Timestamp(r.shift_end):%H:%M}: matches no shift template allowed "
                                f"for a {agent.contract} agent on {problem.day_types[day]}")
        w = problem.open_windows[day]
        if not w.is_open or start < w.start_min or end > w.end_min:
            out.add("window", f"{label}: shift outside the service window {_hhmm(w.start_min)}-{_hhmm(w.end_min)}")
        lunch_min = 0
        expected = problem.break_min(tpl) if tpl is not None else spec.lunch_min
        has_lunch = not pd.isna(r.lunch_start)
        if has_lunch:
            ls, le = _minute(r.lunch_start, day), _minute(r.lunch_end, day)
            lunch_min = le - ls
            if tpl is not None and not expected:
                out.add("lunch", f"{label}: template '{tpl.name}' has no lunch")
            elif lunch_min != expected:
                what = f"break_h={tpl.break_h:g}" if tpl is not None and tpl.break_h else f"lunch_min={spec.lunch_min}"
                out.add("lunch", f"{label}: lunch lasts {lunch_min} min, {what}")
            if ls < start + problem.interval_min or le > end - problem.interval_min:
                out.add("lunch", f"{label}: lunch {_hhmm(ls)} in the shift's first or last interval or outside it")
            own_window = getattr(tpl, "lunch_window", None) if tpl is not None else None
            if spec.lunch_policy == "fixed" and not own_window:
                if ls != hhmm_to_min(spec.fixed_lunch_at):
                    out.add("lunch", f"{label}: lunch at {_hhmm(ls)}, fixed_lunch_at={spec.fixed_lunch_at}")
            else:
                window_text = own_window or spec.lunch_window
                lw = Window.parse(window_text)
                if ls < lw.start_min or le > lw.end_min:
                    out.add("lunch", f"{label}: lunch {_hhmm(ls)}-{_hhmm(le)} outside lunch_window {window_text}")
                if (ls - w.start_min) % problem.interval_min:
                    out.add("lunch", f"{label}: lunch {_hhmm(ls)} does not start on an interval")
        elif tpl is not None and expected:
            out.add("lunch", f"{label}: template '{tpl.name}' needs a {expected}-min lunch")
        paid = (end - start - lunch_min) / 60
        if abs(float(r.paid_hours) - paid) > 1e-9:
            out.add("paid hours", f"{label}: paid_hours {r.paid_hours:g}, span minus lunch is {paid:g}")
        if paid * 60 > problem.daily_cap_min() + 1e-9:
            out.add("daily hours", f"{label}: {paid:g} paid h > max_paid_h_per_day + max_overtime_h_per_day "
                                   f"= {problem.daily_cap_min() / 60:g}")

    # -- assignments: inside worked intervals, skills, exactly one channel per worked interval ---------
    seen: dict[tuple[str, pd.Timestamp], str] = {}
    for r in roster.assignments.itertuples(index=False):
        at = pd.Timestamp(r.interval_start)
        label = f"{r.agent_id} at {at:%Y-%m-%d %H:%M}"
        agent = agents.get(r.agent_id)
        if agent is None:
            out.add("assignment", f"{label}: unknown agent")
            continue
        if not agent.can(r.channel):
            out.add("skills", f"{label}: works {r.channel} without the skill (skills {'|'.join(agent.skills)})")
        if (r.agent_id, at) in seen:
            out.add("one channel", f"{label}: works {seen[r.agent_id, at]} and {r.channel} at once")
            continue
        seen[r.agent_id, at] = r.channel
        s = worked.get((r.agent_id, at.date()))
        if s is None or not _works_at(s, at, step):
            out.add("assignment", f"{label}: assigned {r.channel} outside a worked interval (shift minus lunch)")
    for (aid, day), s in worked.items():
        for t in problem.grid(day):
            at = problem.at(day, t)
            if _works_at(s, at, step) and (aid, at) not in seen:
                out.add("one channel", f"{aid} at {at:%Y-%m-%d %H:%M}: on shift but assigned no channel")

    # -- weekly rules, min rest, consecutive days, pinned --------------------------------------------
    by_agent: dict[str, list] = defaultdict(list)
    for (aid, _day), s in sorted(worked.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        by_agent[aid].append(s)
    pay = _pay(problem, agents, by_agent)
    for aid, rows in by_agent.items():
        agent = agents[aid]
        if len(rows) > problem.max_working_days:
            out.add("max_days_per_week", f"{aid}: {len(rows)} working days > max_days_per_week "
                                         f"{problem.max_working_days} (one rest day a week at least)")
        paid_min = sum(int(round(float(s.paid_hours) * 60)) for s in rows)
        if paid_min > problem.weekly_cap_min(agent):
            cap_h = problem.weekly_cap_min(agent) / 60
            out.add("weekly hours", f"{aid}: {paid_min / 60:g} paid h > weekly cap {cap_h:g} "
                                    f"(max_paid_h_per_week + overtime allowance, max_weekly_h)")
        ot = pay["overtime_min"][aid]
        allowance = problem.weekly_overtime_allowance_min(aid)
        if ot > allowance:
            out.add("overtime", f"{aid}: {ot / 60:g} overtime h > this week's allowance {allowance / 60:g} "
                                f"(max_overtime_h_per_month pro-rated, less month_overtime_h)")
        spans = [(pd.Timestamp(s.shift_start), pd.Timestamp(s.shift_end)) for s in rows]
        prev = problem.previous_for(aid)
        spans = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in zip(prev["shift_start"], prev["shift_end"])] + spans
        spans.sort()
        rest = pd.Timedelta(hours=lab.min_rest_h)
        for (_s0, e0), (s1, _e1) in zip(spans, spans[1:]):
            if s1 >= pd.Timestamp(problem.days[0]) and s1 - e0 < rest:
                out.add("min_rest", f"{aid}: {(s1 - e0).total_seconds() / 3600:g} h between the shift ending "
                                    f"{e0:%Y-%m-%dT%H:%M} and the one starting {s1:%Y-%m-%dT%H:%M} "
                                    f"< min_rest_h={lab.min_rest_h:g}")
        dates = {pd.Timestamp(s.shift_start).date() for s in rows} | problem.previous_worked_dates(aid)
        run = 0
        d = problem.days[0] - dt.timedelta(days=lab.max_consecutive_days + 1)
        while d <= problem.days[-1]:
            run = run + 1 if d in dates else 0
            if run > lab.max_consecutive_days and d >= problem.days[0]:
                out.add("consecutive days", f"{aid}: {run} days worked in a row to {d.isoformat()} > "
                                            f"max_consecutive_days={lab.max_consecutive_days}")
            d += dt.timedelta(days=1)
    pins = problem.pinned_shifts
    if pins is not None and not pins.empty:
        for p in pins.itertuples(index=False):
            start = pd.Timestamp(p.shift_start)
            s = worked.get((p.agent_id, start.date()))
            if s is None or pd.Timestamp(s.shift_start) != start:
                out.add("pinned", f"{p.agent_id}: pinned shift {start:%Y-%m-%d %H:%M} not worked")

    # -- cost --------------------------------------------------------------------------------------------
    for r in shifts.itertuples(index=False):
        key = (r.agent_id, pd.Timestamp(r.shift_start))
        if key in pay["shift_cost"] and not _close(float(r.cost), pay["shift_cost"][key]):
            out.add("cost", f"{r.agent_id} {key[1]:%Y-%m-%d %H:%M}: cost {float(r.cost):.4f}, "
                            f"the pay rules give {pay['shift_cost'][key]:.4f}")
    total = sum(pay["shift_cost"].values())
    if not _close(float(roster.cost), total):
        out.add("cost", f"roster cost {float(roster.cost):.4f}, the pay rules give {total:.4f}")
    if not _close(float(roster.premium_cost), total - pay["base"]):
        out.add("cost", f"premium_cost {float(roster.premium_cost):.4f}, the pay rules give {total - pay['base']:.4f}")
    paid_total = float(shifts["paid_hours"].sum()) if len(shifts) else 0.0
    if not _close(float(roster.paid_hours), paid_total):
        out.add("cost", f"paid_hours {float(roster.paid_hours):g}, the shifts sum to {paid_total:g}")
    ot_total = sum(pay["overtime_min"].values()) / 60
    if not _close(float(roster.overtime_hours), ot_total):
        out.add("overtime", f"overtime_hours {float(roster.overtime_hours):g}, the pay rules give {ot_total:g}")

    # -- coverage ----------------------------------------------------------------------------------------
    counts = defaultdict(int)
    for r in roster.assignments.itertuples(index=False):
        counts[pd.Timestamp(r.interval_start), r.channel] += 1
    reported = {(pd.Timestamp(t), c): int(n) for t, c, n in zip(
        roster.scheduled["interval_start"], roster.scheduled["channel"], roster.scheduled["scheduled_heads"])}
    req = problem.requirements
    expected_short = {}
    for t, c, n in zip(pd.to_datetime(req["interval_start"]), req["channel"], req["required_scheduled"]):
        t = pd.Timestamp(t)
        have = counts.get((t, c), 0)
        if reported.get((t, c)) != have:
            out.add("scheduled", f"{c} at {t:%Y-%m-%d %H:%M}: scheduled_heads {reported.get((t, c))}, "
                                 f"assignments give {have}")
        need = required_heads(n)
        if t.date() in problem.days and need > have:
            expected_short[t, c] = need - have
    got_short = {(pd.Timestamp(t), c): int(m) for t, c, m in zip(
        roster.shortfall["interval_start"], roster.shortfall["channel"], roster.shortfall["missing"])}
    for key in sorted(set(expected_short) | set(got_short)):
        if expected_short.get(key, 0) != got_short.get(key, 0):
            out.add("shortfall", f"{key[1]} at {key[0]:%Y-%m-%d %H:%M}: shortfall reports "
                                 f"{got_short.get(key, 0)} missing, coverage gives {expected_short.get(key, 0)}")
    return out.lines()


# -- helpers ---------------------------------------------------------------------------------------------
class _Violations:
    def __init__(self):
        self.by_rule: dict[str, list[str]] = defaultdict(list)

    def add(self, rule: str, text: str) -> None:
        self.by_rule[rule].append(f"{rule}: {text}")

    def lines(self) -> list[str]:
        out = []
        for rule, items in self.by_rule.items():
            out += items[:MAX_PER_RULE]
            if len(items) > MAX_PER_RULE:
                out.append(f"{rule}: ... and {len(items) - MAX_PER_RULE} more")
        return out


def _minute(ts, day: dt.date) -> int:
    return int((pd.Timestamp(ts) - pd.Timestamp(day)).total_seconds() // 60)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def _works_at(shift, at: pd.Timestamp, step: pd.Timedelta) -> bool:
    if at < pd.Timestamp(shift.shift_start) or at + step > pd.Timestamp(shift.shift_end):
        return False
    if pd.isna(shift.lunch_start):
        return True
    return not (at < pd.Timestamp(shift.lunch_end) and at + step > pd.Timestamp(shift.lunch_start))


def _match_template(problem: RosterProblem, agent, day: dt.date, start: int, end: int, name):
    day_type = problem.day_types[day]
    for tpl in problem.scenario.roster.templates:
        if name is not None and isinstance(name, str) and name and tpl.name != name:
            continue
        if agent.contract not in tpl.contracts or day_type not in tpl.day_types:
            continue
        if tpl.promotion_only and day not in problem.promotion_days:
            continue
        if any(hhmm_to_min(s) == start for s in tpl.starts) and start + int(round(tpl.span_h * 60)) == end:
            return tpl
    return None


def _pay(problem: RosterProblem, agents: dict, by_agent: dict[str, list]) -> dict:
    """Cost per shift, base cost and overtime minutes per agent, from the pay rules."""
    pay, lab = problem.scenario.pay, problem.scenario.labour
    std_day = lab.max_paid_h_per_day * 60
    shift_cost, overtime = {}, {}
    base_total = 0.0
    for aid, rows in by_agent.items():
        rate = agents[aid].hourly_cost
        parts = []
        for nth, s in enumerate(sorted(rows, key=lambda s: pd.Timestamp(s.shift_start)), start=1):
            paid_min = float(s.paid_hours) * 60
            day_type = problem.day_types[pd.Timestamp(s.shift_start).date()]
            base_total += paid_min / 60 * rate
            if day_type == "statutory_holiday":
                parts.append([s, paid_min / 60 * rate * pay.statutory_holiday, 0.0, 0.0])
            elif not lab.comprehensive_hours and nth > problem.ordinary_days_per_week:
                parts.append([s, paid_min / 60 * rate * pay.rest_day_overtime, 0.0, paid_min])
            else:
                mult = pay.weekend if day_type in PREMIUM_DAY_TYPES else 1.0
                ordinary = paid_min if lab.comprehensive_hours else min(paid_min, std_day)
                extra = paid_min - ordinary
                cost = rate * (ordinary / 60 * mult + extra / 60 * max(mult, pay.workday_overtime))
                parts.append([s, cost, ordinary, extra])
        excess = max(0.0, sum(p[2] for p in parts) - lab.max_paid_h_per_week * 60)
        for p in reversed(parts):  # the week's excess ordinary hours fall on the latest shifts
            take = min(excess, p[2])
            p[1] += take * (pay.workday_overtime - 1) * rate / 60
            p[3] += take
            excess -= take
        for s, cost, _, _ot in parts:
            shift_cost[aid, pd.Timestamp(s.shift_start)] = cost
        overtime[aid] = sum(p[3] for p in parts)
    return {"shift_cost": shift_cost, "overtime_min": defaultdict(float, overtime), "base": base_total}
