"""What a plan says about capacity: whether a target is missed, the ``capacity`` section of
``summary.json`` with its one console line, and the binding cause of a week's shortfall.

No solver here: the sizing (``sizing.py``) hands over a ``Sizing``; ``binding_cause`` reads
``shortfall.csv``'s causes (``roster.report.ShortfallDiagnostics``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from core.scenario import Scenario
    from scheduler.capacity.sizing import Sizing


def missed_targets(service: dict) -> list[str]:
    """Channels of ``summarize_service``'s result below their target, or with an unstable queue in
    some interval (customers there are never answered, whatever the weekly level)."""
    return [channel for channel, s in service.items() if below_target(s) or s.get("unstable_intervals", 0) > 0]


def below_target(channel: dict) -> bool:
    """Whether one channel of ``summarize_service``'s result has a weekly level below its target."""
    level, target = channel.get("service_level"), channel.get("target")
    return level is not None and target is not None and level < target


def missed_text(service: dict) -> str:
    """How each missed channel misses (``missed_targets``): "chat 73.1% against 80%", "phone (4 unstable
    intervals)"; a channel above its weekly target can still miss by an unstable interval."""
    parts = []
    for channel in missed_targets(service):
        s = service[channel]
        level, target, unstable = s.get("service_level"), s.get("target"), s.get("unstable_intervals", 0)
        text = channel
        if level is not None and target is not None and level < target:
            text += f" {100 * level:.1f}% against {100 * target:.0f}%"
        if unstable:
            text += f" ({unstable} unstable interval{'s' if unstable != 1 else ''})"
        parts.append(text)
    return ", ".join(parts)


# -- the capacity section -------------------------------------------------------------------------------
def capacity_section(sizing: Sizing | None, scenario: Scenario, *, hired: bool = False,
                     budget_s: float | None = None, missed: str = "", held: dict | None = None,
                     cause: dict | None = None) -> dict:
    """``summary.json``'s ``capacity``: ``pool_short`` and ``hires`` (by profile), how sure the count
    is, what even the hires leave missed, and whether this plan includes them (``hired``, with their
    pay this week). ``sizing`` None: nothing sized, because every target is met (``missed``, the
    ``missed_text``, empty) or because the caller does not size (compare, sweep: ``pool_short`` is then
    unknown, null), or because the plan's roster was mended to every target without one (``held``
    with ``mended_days``: ``plan._mended``). ``cause``: the week's ``binding_cause``; when even the hires
    leave a target missed and it is ``structural``, the section names it (``structural_cause``) instead
    of asking for more hires."""
    if sizing is None and held:  # mended to every target without a sizing (plan._mended)
        out = {"pool_short": False, "sized": False, "held_to_targets": held}
        return {**out, "note": _held_line(held)}
    if sizing is None and missed:
        return {"pool_short": None, "sized": False,
                "note": f"missed: {missed}; not sized here: schedule plan --week or --weeks sizes "
                        "the pool of a week (--hire auto adds the hires)"}
    if sizing is None:
        return {"pool_short": False, "sized": False, "note": "every channel meets its target"}
    profiles = scenario.hire.profiles if scenario.hire else []
    hires = [{"skills": "|".join(profiles[p].skills), "contract": profiles[p].contract, "count": n,
              "profile": profiles[p].label, "hourly_cost": profiles[p].hourly_cost}
             for p, n in sorted(sizing.hires.items()) if n]
    found = sizing.roster is not None
    out = {"pool_short": sizing.pool_short, "sized": True, "hires": hires, "hires_total": sizing.count,
           "proven_minimal": sizing.proven, "hires_lower_bound": sizing.lower_bound,
           "verified": sizing.verified, "targets_reachable": sizing.reachable if found else None,
           "hired": bool(hired and found)}
    if found and not sizing.reachable:
        out["left_missed"] = {"unstable_intervals": sizing.unstable,
                              "points_below_target": {ch: v / 100 for ch, v in sizing.deficit_bp.items() if v}}
        if cause is not None and structural(cause["cause"]):
            out["structural_cause"] = cause["cause"]
    if sizing.roster is not None and sizing.hired:
        ids = {a.agent_id for a in sizing.hired}
        own = sizing.roster.shifts[sizing.roster.shifts["agent_id"].isin(ids)]
        out["hire_cost"] = round(float(own["cost"].sum()), 2)
        out["hire_paid_hours"] = round(float(own["paid_hours"].sum()), 2)
    out["sizing"] = {"status": sizing.status, "wall_s": round(sizing.wall_s, 3),
                     **({"budget_s": budget_s} if budget_s is not None else {}),
                     "counting_deterministic_time": round(sizing.counting.deterministic_time, 3)}
    if held:  # the plan was planned again to the targets its pool can meet (roster.hold_targets)
        out["held_to_targets"] = held
    out["note"] = capacity_line(out, has_hire_table=scenario.hire is not None)
    return out


def _held_line(held: dict) -> str:
    """A plan held to its targets (``roster.hold_targets``) in one line: what it cost against the roster
    that priced them, and the days searched again when the plan's roster was mended (``plan._mended``)."""
    days = held.get("mended_days")
    how = f"; searched again from it, {', '.join(days)} free" if days else ""
    return (f"pool not short: planned to every target (roster.hold_targets), CNY "
            f"{held['held_cost'] - held['priced_cost']:+,.0f} against the roster that priced them{how}")


def _hires_text(section: dict) -> str:
    return ", ".join(f"{h['count']} {h['skills']} {h['contract']}" for h in section["hires"])


def _left_text(left: dict) -> str:
    parts = [f"{ch} {pts:.2f} points below target" for ch, pts in left.get("points_below_target", {}).items()]
    if left.get("unstable_intervals"):
        parts.append(f"{left['unstable_intervals']} interval(s) with an unstable queue")
    return ", ".join(parts)


def capacity_line(section: dict, has_hire_table: bool = True) -> str:
    """The capacity section in one console line."""
    if not section.get("sized"):
        return section["note"] if section.get("held_to_targets") else f"capacity: {section['note']}"
    n, hires = section["hires_total"], _hires_text(section)
    sure = "proven minimal" if section["proven_minimal"] else f"at least {section['hires_lower_bound']}"
    left = section.get("left_missed")
    budget = "" if section["verified"] else "; the sizing ran out of budget: raise hire.time_limit_s"
    if section["targets_reachable"] is None and not section["hires_lower_bound"]:
        return ("capacity unknown: the sizing found no roster meeting every target in its budget, and no hire "
                "is proven needed: raise hire.time_limit_s")
    if section["targets_reachable"] is None:
        return (f"pool short: at least {section['hires_lower_bound']} hire(s) needed ({hires or 'none found'}); "
                f"the sizing found no roster in its budget: raise hire.time_limit_s")
    if section["hired"]:
        if n:
            cost = section.get("hire_cost", 0)
            line = f"hired {n} ({sure}): {hires}, CNY {cost:,.0f} this week; hires.csv lists them"
        else:
            line = "no hire of the [hire] table helps" if left else "no hires needed: this pool meets every target"
        return line + (f"; still missed: {_left_text(left)}" if left else "") + budget
    if left and not section["verified"]:  # what the sizing's roster left is its budget's, not the pool's
        lower = section["hires_lower_bound"]
        if not lower:
            return ("capacity unknown: the sizing's roster still missed the targets when its budget ran out, and no "
                    "hire is proven needed: raise hire.time_limit_s")
        return (f"pool short: at least {lower} hire(s) needed ({hires}); the sizing's roster with them still missed "
                "the targets when its budget ran out: raise hire.time_limit_s")
    if left:
        what = f"even {n} hire(s) ({hires}) leave" if n else "this pool leaves"
        if section.get("structural_cause"):
            return (f"templates short: {what} {_left_text(left)}; the shift templates bind, not the pool: "
                    f"{section['structural_cause']}: add starts or longer spans to roster.templates for those "
                    f"hours") + budget
        fix = "widen the [hire] caps or templates" if has_hire_table else "add a [hire] table to size hires"
        return f"pool short: {what} {_left_text(left)}; {fix}" + budget
    if n:
        return f"pool short: hire {n} ({sure}): {hires} to meet every target; plan --hire auto adds them" + budget
    held = section.get("held_to_targets")
    if held:
        return _held_line(held)
    return ("pool not short: a roster of this pool meets every target at a higher cost, the plan left them "
            "for cost (understaffed_penalty); plan --hire auto plans to the targets")


# -- the binding cause ------------------------------------------------------------------------------------
# the causes (roster.report.ShortfallDiagnostics.cause) that more agents working the same templates do not remove
_STRUCTURAL = re.compile(r"^(service window closed|no shift template covers|lunch: every shift covering"
                         r"|only \d+ \S+-skilled agents have a contract whose templates cover)")


def structural(cause: str) -> bool:
    """Whether a shortfall cause is in the rules rather than the pool: the window is closed, no template
    covers the interval, every shift covering it takes its lunch then, or too few agents have a contract
    whose templates cover it."""
    return bool(_STRUCTURAL.match(cause))


_COULD_COVER = re.compile(r"^\d+ \S+-skilled agents could cover .*?: \d+ work it, the others are (?P<reasons>.*)$")
_REASON = re.compile(r"(.+?) \((\d+)\)(?:, |$)")
_NUMBERS = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d+(?:\.\d+)?")


def cause_kind(cause: str) -> str:
    """What a shortfall cause is about, without its interval or channel: "N agents could cover ..., the
    others are R1 (n1), R2 (n2)" is about R1, the reason that keeps most agents off (e.g. "agents
    already at max_days_per_week": the pool is used up); any other cause is its text with dates,
    times and numbers taken out ("pool has # chat-skilled agents; # needs #")."""
    m = _COULD_COVER.match(cause)
    if m:
        reasons = _REASON.findall(m["reasons"])
        if reasons:
            return f"agents {reasons[0][0]}"
    return _NUMBERS.sub("#", cause)


def binding_cause(shortfall: pd.DataFrame) -> dict | None:
    """The most binding cause of a week's shortfall: the kind of cause (``cause_kind``) with the most
    missing heads; its worst interval's cause stands for it. None without shortfall."""
    if shortfall is None or shortfall.empty:
        return None
    frame = shortfall.assign(kind=[cause_kind(str(c)) for c in shortfall["cause"]])
    weight = frame.groupby("kind", sort=False)["missing"].sum()
    kind = str(weight.idxmax())
    group = frame[frame["kind"] == kind]
    worst = group.loc[group["missing"].idxmax()]
    return {"cause": str(worst["cause"]), "kind": kind, "missing": int(weight[kind]),
            "of": int(frame["missing"].sum()), "intervals": int(len(group)),
            "example": {"interval_start": pd.Timestamp(worst["interval_start"]).strftime("%Y-%m-%dT%H:%M"),
                        "channel": str(worst["channel"]), "missing": int(worst["missing"])}}


def cause_line(cause: dict) -> str:
    """The binding cause in one console line."""
    return (f"binding cause ({cause['missing']} of {cause['of']} missing agent-intervals, "
            f"{cause['intervals']} interval(s)): {cause['cause']}")
