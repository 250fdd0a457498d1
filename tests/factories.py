"""Builders shared by several test modules (fixtures are in conftest.py).

Tiny roster instances built in code, for the roster model's micro tests and the validator's tests:
:func:`scenario` (the default scenario with changes), :func:`agent`, :func:`problem` (a RosterProblem
with a demand per interval), the templates :data:`DAY` and :data:`SPLIT`, and the week :data:`WEEK`;
:func:`plan_frames`, the frames of a tiny plan folder.
Test modules import them by name (``tests/`` is on ``sys.path`` under pytest).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.scenario import Scenario, load_scenario
from forecasts.calendar import Calendar
from scenarios import DEFAULT_SCENARIO
from scheduler.agents import Agent
from scheduler.plan_folder import COLUMNS, SHORTFALL
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


T0 = pd.Timestamp("2025-11-10T09:00")  # the first interval of plan_frames()


def plan_frames() -> dict:
    """A two-interval plan with the types the planner produces: timestamps, dates, floats, NaT lunches,
    Chinese names, columns out of their published order and one extra column."""
    starts = [T0, T0 + pd.Timedelta(hours=1)]
    forecast = pd.DataFrame({"channel": ["chat", "chat"], "interval_start": starts, "contacts": [10.123, 4.0],
                             "contacts_p10": [8.4, 3.0], "contacts_p90": [12.6, 5.0], "aht_s": [400.04, 400.0]})
    requirements = pd.DataFrame({"interval_start": starts, "channel": "chat", "contacts": [10.1, 4.0],
                                 "aht_s": 400.0, "required_agents": [3, 2], "required_scheduled": [4, 3],
                                 "open": [True, True], "arrivals": [10.1, 4.0], "carried_over": 0.0,
                                 "load_erl": [1.1234, 0.44], "shortfall_weight": [1.0, 1.0]})
    shifts = pd.DataFrame({
        "agent_id": ["A001", "A002"], "agent_name": ["陆海峰", "王晓燕"],
        "date": [dt.date(2025, 11, 10), dt.date(2025, 11, 10)], "day_type": "weekday",
        "shift_start": [T0, T0], "shift_end": [T0 + pd.Timedelta(hours=9), T0 + pd.Timedelta(hours=4)],
        "lunch_start": [T0 + pd.Timedelta(hours=3), pd.NaT], "lunch_end": [T0 + pd.Timedelta(hours=4), pd.NaT],
        "paid_hours": [8.0, 4.0], "pay_multiplier": [1.0, 1.0], "channels": ["chat|phone", "chat"],
        "promotion": "", "cost": [304.0, 120.0]})
    coverage = pd.DataFrame({"interval_start": starts, "channel": "chat", "contacts": [10.1, 4.0], "aht_s": 400.0,
                             "required_agents": [3, 2], "scheduled_agents": [2.8, 1.4],
                             "service_level": [0.81234, np.nan], "asa_s": [12.34, np.nan], "occupancy": [0.5, np.nan],
                             "required_scheduled": [4, 3], "scheduled_heads": [4, 2], "open": [True, False]})
    assignments = pd.DataFrame({"interval_start": [T0, T0], "agent_id": ["A001", "A002"], "channel": "chat"})
    shortfall = pd.DataFrame(columns=COLUMNS[SHORTFALL])
    summary = {"week": "2025-W46", "cost": 424.0, "gap": float("nan"), "inputs": {"scenario": "baseline.toml"}}
    return dict(forecast=forecast, requirements=requirements, shifts=shifts, coverage=coverage,
                assignments=assignments, shortfall=shortfall, summary=summary)
