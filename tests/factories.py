"""Builders shared by several test modules (fixtures are in conftest.py).

Tiny roster instances built in code, for the roster model's micro tests and the validator's tests:
:func:`scenario` (the default scenario with changes), :func:`agent`, :func:`problem` (a RosterProblem
with a demand per interval), the templates :data:`DAY` and :data:`SPLIT`, and the week :data:`WEEK`.
Test modules import them by name (``tests/`` is on ``sys.path`` under pytest).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core.scenario import Scenario, load_scenario
from forecasts.calendar import Calendar
from scenarios import DEFAULT_SCENARIO
from scheduler.agents import Agent
from scheduler.roster import RosterProblem

CAL = Calendar.cn()
BASE = load_scenario(DEFAULT_SCENARIO)
MON = dt.date(2025, 11, 10)  # an ordinary week: Mon 10 .. Sun 16 Nov 2025
WEEK = [MON + dt.timedelta(days=i) for i in range(7)]


def scenario(*, templates=None, roster=None, labour=None, pay=None, windows=None, **top) -> Scenario:
    data = BASE.model_dump(exclude={"path"})
    data["roster"]["time_limit_s"] = 5
    if templates is not None:
        data["roster"]["templates"] = templates
    for key, upd in (("roster", roster), ("labour", labour), ("pay", pay), ("windows", windows)):
        if upd:
            data[key].update(upd)
    data.update(top)
    return Scenario.model_validate(data)


def agent(i: int, skills=("chat",), contract="full_time", cost=30.0, **kw) -> Agent:
    return Agent(f"A{i:03d}", f"agent{i}", tuple(skills), contract, cost, **kw)


def problem(scn: Scenario, agents, days, demand, **kw) -> RosterProblem:
    """``demand``: {channel: heads} in every open interval, or a function (day, minute) -> {channel: heads}."""
    empty = pd.DataFrame(columns=["interval_start", "channel", "required_scheduled"])
    probe = RosterProblem.build(scn, agents, empty, days, calendar=CAL)
    rows = []
    for day in days:
        for minute in probe.grid(day):
            heads = demand(day, minute) if callable(demand) else demand
            for ch, n in heads.items():
                rows.append({"interval_start": probe.at(day, minute), "channel": ch, "required_scheduled": n,
                             "required_agents": n, "contacts": 0})
    req = pd.DataFrame(rows, columns=["interval_start", "channel", "required_scheduled", "required_agents",
                                      "contacts"])
    return RosterProblem.build(scn, agents, req, days, calendar=CAL, **kw)



DAY = {"name": "day", "starts": ["09:00"], "span_h": 9, "lunch": True, "contracts": ["full_time"]}

SPLIT = {"name": "split", "starts": ["09:00"], "span_h": 13, "break_h": 5, "lunch_window": "12:00-18:00",
         "contracts": ["full_time"]}


def two_peaks(day, minute):
    """Chat at 09:00-13:00 and 18:00-22:00 only: a morning and an evening peak."""
    return {"chat": int(9 * 60 <= minute < 13 * 60 or 18 * 60 <= minute < 22 * 60)}


# -- rest between shifts: an early template, and last week's late Sunday shift ------------------------------
EARLY = {"name": "early", "starts": ["07:00"], "span_h": 9, "lunch": True}


def late_sunday(agent_id: str) -> pd.DataFrame:
    """Last week's shift ending Sunday 2025-11-09 at 23:00."""
    return pd.DataFrame([{"agent_id": agent_id, "date": dt.date(2025, 11, 9),
                          "shift_start": pd.Timestamp("2025-11-09 14:00"),
                          "shift_end": pd.Timestamp("2025-11-09 23:00")}])
