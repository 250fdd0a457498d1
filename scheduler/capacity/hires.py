"""Hire candidates from the scenario's ``[hire]`` table, the roster family that makes them optional, and
``hires.csv``."""

from __future__ import annotations

import pandas as pd
from ortools.sat.python import cp_model

from core.scenario import Scenario
from scheduler.agents import Agent
from scheduler.roster.family import Family, Term
from scheduler.roster.model import RosterVars
from scheduler.roster.problem import RosterProblem

HIRES_COLUMNS = ["agent_id", "agent_name", "profile", "skills", "contract", "hourly_cost", "max_weekly_h",
                 "templates", "team", "shifts", "paid_hours", "cost"]


def hire_candidates(scenario: Scenario, existing: list[Agent]) -> list[tuple[Agent, int]]:
    """``cap`` agents of each ``[hire]`` profile, with the profile's index. Ids are
    ``<id_prefix><profile number>-<nnn>`` and clash with no agent of ``existing``; a profile's
    candidates are listed in the order they are hired (``HireOption``)."""
    if scenario.hire is None:
        return []
    taken = {a.agent_id for a in existing}
    out = []
    for p, prof in enumerate(scenario.hire.profiles):
        i = 0
        for _ in range(prof.cap):
            i += 1
            while (aid := f"{scenario.hire.id_prefix}{p + 1}-{i:03d}") in taken:
                i += 1
            taken.add(aid)
            out.append((Agent(aid, f"新招坐席 {aid}", tuple(prof.skills), prof.contract, prof.hourly_cost,
                              prof.max_weekly_h, scenario.hire.team, templates=tuple(prof.templates)), p))
    return out


class HireOption(Family):
    """Hire candidates are optional agents: ``hired(agent=...)`` is 1 when the agent works any shift
    (every shift implies it), and a profile's candidates are hired in order, so that hiring the same
    number of them is one solution, not one per subset."""

    name = "hire_option"

    def __init__(self, profile_of: dict[str, int]):
        self.profile_of = profile_of
        self.hired: dict[str, cp_model.IntVar] = {}

    def build(self, problem: RosterProblem, model: cp_model.CpModel, rv: RosterVars) -> list[Term]:
        last: dict[int, cp_model.IntVar] = {}
        for a, agent in enumerate(problem.agents):
            p = self.profile_of.get(agent.agent_id)
            if p is None:
                continue
            hired = model.new_bool_var(f"hired(agent={agent.agent_id}, profile={p + 1})")
            self.hired[agent.agent_id] = hired
            for d in range(len(problem.days)):
                for k in rv.by_agent_day.get((a, d), []):
                    model.add_implication(rv.x[k], hired)
            if p in last:
                model.add_implication(hired, last[p])
            last[p] = hired
        return []

    def count(self) -> cp_model.LinearExprT:
        return sum(self.hired.values())


def hires_frame(hired: list[Agent], profile_of: dict[str, int], scenario: Scenario,
                shifts: pd.DataFrame) -> pd.DataFrame:
    """``hires.csv``: one row per hired agent, with its profile and what it works this week."""
    profiles = scenario.hire.profiles if scenario.hire else []
    rows = []
    for a in hired:
        own = shifts[shifts["agent_id"] == a.agent_id]
        rows.append({"agent_id": a.agent_id, "agent_name": a.name, "profile": profiles[profile_of[a.agent_id]].label,
                     "skills": "|".join(a.skills), "contract": a.contract, "hourly_cost": a.hourly_cost,
                     "max_weekly_h": a.max_weekly_h, "templates": "|".join(a.templates), "team": a.team,
                     "shifts": len(own), "paid_hours": float(own["paid_hours"].sum()),
                     "cost": float(own["cost"].sum())})
    return pd.DataFrame(rows, columns=HIRES_COLUMNS)
