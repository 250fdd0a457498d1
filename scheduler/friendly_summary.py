"""The agent-friendliness section of ``summary.json`` and its console lines, and the side-by-side
solve that prices the terms (``schedule plan --friendly-cost``).

``summary["agent_friendly"]`` holds the measures of :func:`scheduler.roster.friendly.friendly_measures`
(paired rest days of full-timers, start-time changes, the spread of weekend days per full-timer and
of every ledger key per contract), ``requests`` (granted x of y, by kind) when the plan had requests,
and ``cost_of_terms``: null unless the plan was made with ``--friendly-cost``, which solves the same
problem again with ``roster.agent_friendly = false`` (the same scenario limits, so about the plan's
solve time again) and gives both plans' pay cost, shortfall and objective without the friendly terms,
their ratios, and the measures of the plan without the terms.
"""

from __future__ import annotations

import dataclasses

from scheduler.roster import RosterProblem
from scheduler.roster.friendly import friendly_line, friendly_measures
from scheduler.roster.report import Roster

FRIENDLY_KINDS = ("rest_pairs", "start_times", "spread")


def friendly_section(problem: RosterProblem, roster: Roster, requests: dict | None = None,
                     cost_of_terms: dict | None = None) -> dict:
    return {**friendly_measures(problem, roster.shifts), **({"requests": requests} if requests else {}),
            "cost_of_terms": cost_of_terms}


def without_terms(problem: RosterProblem) -> RosterProblem:
    """The same problem with ``roster.agent_friendly = false``."""
    sc = problem.scenario
    off = sc.model_copy(update={"roster": sc.roster.model_copy(update={"agent_friendly": False})})
    return dataclasses.replace(problem, scenario=off)


def service_objective(roster: Roster) -> float:
    """The objective without the friendly terms and requests: pay, shortfall, channel switches, changes."""
    terms = roster.solver.get("objective_terms", {})
    return float(sum(v for k, v in terms.items() if k not in (*FRIENDLY_KINDS, "requests", "fairness")))


def cost_of_terms(problem: RosterProblem, roster: Roster, roster_off: Roster, problem_off: RosterProblem) -> dict:
    """The plan (terms on) against ``roster_off``, the same plan solved with the terms off."""
    def figures(r: Roster) -> dict:
        return {"cost": round(float(r.cost), 2),
                "understaffed_agent_intervals": int(r.shortfall["missing"].sum()) if len(r.shortfall) else 0,
                "service_objective": round(service_objective(r), 2),
                "objective": round(float(r.solver.get("objective", float("nan"))), 2),
                "gap": r.solver.get("gap"), "stopped_by": r.solver.get("stopped_by")}

    on, off = figures(roster), figures(roster_off)
    return {"on": on, "off": off,
            "cost_ratio": round(on["cost"] / off["cost"], 5) if off["cost"] else None,
            "service_objective_ratio": (round(on["service_objective"] / off["service_objective"], 5)
                                        if off["service_objective"] else None),
            "measures_off": friendly_measures(problem_off, roster_off.shifts)}


def friendly_lines(section: dict) -> list[str]:
    from scheduler.requests import requests_line

    lines = [friendly_line(section)]
    if section.get("requests"):
        lines.append(requests_line(section["requests"]))
    c = section.get("cost_of_terms")
    if c:
        pr = c["measures_off"]["paired_rest_days"]
        lines.append(f"cost of the terms: CNY {c['on']['cost']:,.0f} vs {c['off']['cost']:,.0f} with "
                     f"roster.agent_friendly = false (x{c['cost_ratio']:.4f}); service objective x"
                     f"{c['service_objective_ratio']:.4f}; understaffed agent-intervals "
                     f"{c['on']['understaffed_agent_intervals']} vs {c['off']['understaffed_agent_intervals']}; "
                     f"paired rest days without the terms {pr['with_two_consecutive_rest_days']}/"
                     f"{pr['full_timer_weeks']}")
    return lines
