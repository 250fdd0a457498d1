"""The solver-agnostic validator: accepts solver output, rejects hand-broken rosters rule by rule."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pandas as pd
import pytest
from factories import DAY, MON, SPLIT, WEEK, agent, problem, scenario, two_peaks

from scheduler.agents import Agent
from scheduler.roster import solve_roster
from scheduler.roster.constraints import hard_rules
from scheduler.validation import MAX_PER_RULE, Violations, count_violations, read_shifts, validate_roster


@pytest.fixture(scope="module")
def solved():
    agents = [agent(1, cost=30), agent(2, skills=("chat", "phone"), cost=32), agent(3, skills=("phone",)),
              agent(4, contract="part_time", cost=25)]
    part = {"name": "part_am", "starts": ["09:00", "10:00"], "span_h": 4, "lunch": False, "contracts": ["part_time"]}
    # any valid roster will do here, not the cheapest: a 1 s budget (deterministic) instead of a proven gap
    p = problem(scenario(templates=[DAY, part], roster={"time_limit_s": 1}), agents, WEEK, {"chat": 2, "phone": 1})
    return p, solve_roster(p)


def broken(roster, **frames):
    out = copy.copy(roster)
    for name, frame in frames.items():
        setattr(out, name, frame)
    return out


def hits(violations, word):
    return [v for v in violations if v.startswith(word)]


def test_accepts_solver_output(solved):
    p, r = solved
    assert validate_roster(p, r) == []
    assert len(r.shifts) > 0 and len(r.assignments) > 0


def test_two_shifts_a_day(solved):
    p, r = solved
    shifts = pd.concat([r.shifts, r.shifts.iloc[[0]]], ignore_index=True)
    assert hits(validate_roster(p, broken(r, shifts=shifts)), "one shift per day")


def test_shift_off_template_and_window(solved):
    p, r = solved
    shifts = r.shifts.copy()
    i = shifts.index[shifts["template"] == "day"][0]
    shifts.loc[i, "shift_start"] -= pd.Timedelta(hours=1)
    v = validate_roster(p, broken(r, shifts=shifts))
    assert hits(v, "template") and hits(v, "window")


def test_lunch_outside_window_and_wrong_length(solved):
    p, r = solved
    shifts = r.shifts.copy()
    i = shifts.index[shifts["lunch_start"].notna()][0]
    shifts.loc[i, "lunch_start"] = shifts.loc[i, "shift_start"] + pd.Timedelta(hours=6)
    shifts.loc[i, "lunch_end"] = shifts.loc[i, "lunch_start"] + pd.Timedelta(minutes=30)
    v = validate_roster(p, broken(r, shifts=shifts))
    assert any("outside lunch_window" in x for x in hits(v, "lunch"))
    assert any("lunch_min=60" in x for x in hits(v, "lunch"))


def test_split_break_of_the_wrong_length():
    p = problem(scenario(templates=[DAY, SPLIT], windows={"weekday": "09:00-22:00"}), [agent(1)], [MON], two_peaks)
    r = solve_roster(p)
    assert validate_roster(p, r) == []
    shifts = r.shifts.copy()
    shifts.loc[0, "lunch_end"] = shifts.loc[0, "lunch_start"] + pd.Timedelta(hours=4)
    shifts.loc[0, "paid_hours"] = 9.0
    v = validate_roster(p, broken(r, shifts=shifts))
    assert any("break_h=5" in x for x in hits(v, "lunch"))


def test_fixed_lunch_policy(solved):
    p, r = solved
    fixed = dataclasses.replace(p, scenario=scenario(templates=p.scenario.roster.model_dump()["templates"],
                                                     roster={"lunch_policy": "fixed", "fixed_lunch_at": "12:30"}))
    assert any("fixed_lunch_at=12:30" in x for x in validate_roster(fixed, r))


def test_unskilled_channel_and_double_channel(solved):
    p, r = solved
    a = r.assignments.copy()
    i = a.index[a["agent_id"] == "A003"][0]  # phone only
    a.loc[i, "channel"] = "chat"
    v = validate_roster(p, broken(r, assignments=a))
    assert hits(v, "skills") and hits(v, "scheduled")
    doubled = pd.concat([r.assignments, r.assignments.iloc[[0]].assign(channel="phone")], ignore_index=True)
    assert hits(validate_roster(p, broken(r, assignments=doubled)), "one channel")


def test_assignment_during_lunch_and_missing_assignment(solved):
    p, r = solved
    s = r.shifts[r.shifts["lunch_start"].notna()].iloc[0]
    a = r.assignments.copy()
    extra = pd.DataFrame([{"interval_start": s["lunch_start"], "agent_id": s["agent_id"], "channel": "chat"}])
    assert hits(validate_roster(p, broken(r, assignments=pd.concat([a, extra], ignore_index=True))), "assignment")
    dropped = a.drop(index=a.index[0])
    v = validate_roster(p, broken(r, assignments=dropped))
    assert any("assigned no channel" in x for x in hits(v, "one channel"))
    assert hits(v, "scheduled") or hits(v, "shortfall")


def test_labour_rules_broken_by_a_stricter_problem(solved):
    p, r = solved
    works = r.shifts.groupby("agent_id").size()
    busiest = works.idxmax()
    n = int(works.max())
    stricter = dataclasses.replace(p, scenario=scenario(templates=p.scenario.roster.model_dump()["templates"],
                                                        labour={"max_days_per_week": n - 1,
                                                                "max_consecutive_days": 1,
                                                                "max_paid_h_per_week": 10,
                                                                "max_overtime_h_per_month": 0}))
    v = validate_roster(stricter, r)
    assert any(x.startswith(f"max_days_per_week: {busiest}") for x in v)
    assert hits(v, "consecutive days") and hits(v, "overtime")
    capped = dataclasses.replace(p, agents=[dataclasses.replace(a, max_weekly_h=1) if a.agent_id == busiest else a
                                            for a in p.agents])
    assert any(busiest in x for x in hits(validate_roster(capped, r), "weekly hours"))


def test_daily_hours(solved):
    p, r = solved
    short_days = dataclasses.replace(p, scenario=scenario(templates=p.scenario.roster.model_dump()["templates"],
                                                          labour={"max_paid_h_per_day": 5,
                                                                  "max_overtime_h_per_day": 1}))
    assert hits(validate_roster(short_days, r), "daily hours")


def test_min_rest_and_consecutive_days_from_previous_week(solved):
    p, r = solved
    first = r.shifts.sort_values("shift_start").iloc[0]
    prev_day = MON - dt.timedelta(days=1)
    prev = pd.DataFrame([{"agent_id": first["agent_id"], "date": prev_day,
                          "shift_start": pd.Timestamp(prev_day) + pd.Timedelta(hours=14),
                          "shift_end": pd.Timestamp(prev_day) + pd.Timedelta(hours=23)}])
    v = validate_roster(dataclasses.replace(p, previous_shifts=prev), r)
    assert any(first["agent_id"] in x and "min_rest_h=11" in x for x in hits(v, "min_rest"))
    run = pd.DataFrame([{"agent_id": first["agent_id"], "date": d,
                         "shift_start": pd.Timestamp(d) + pd.Timedelta(hours=9),
                         "shift_end": pd.Timestamp(d) + pd.Timedelta(hours=18)}
                        for d in [MON - dt.timedelta(days=i) for i in range(1, 7)]])
    v = validate_roster(dataclasses.replace(p, previous_shifts=run), r)
    assert hits(v, "consecutive days")


def test_leave(solved):
    p, r = solved
    s = r.shifts.iloc[0]
    on_leave = [dataclasses.replace(a, unavailable=frozenset({s["date"]})) if a.agent_id == s["agent_id"] else a
                for a in p.agents]
    assert hits(validate_roster(dataclasses.replace(p, agents=on_leave), r), "leave")


def test_wrong_cost_is_caught(solved):
    p, r = solved
    shifts = r.shifts.copy()
    shifts.loc[0, "cost"] *= 1.01
    v = validate_roster(p, broken(r, shifts=shifts))
    assert len(hits(v, "cost")) == 1  # the shift, not the total (unchanged)
    off = broken(r)
    off.cost = r.cost + 1
    assert any("roster cost" in x for x in validate_roster(p, off))
    # a holiday shift billed at the ordinary rate
    hol = dt.date(2025, 10, 6)
    hp = problem(scenario(templates=[{"name": "h", "starts": ["10:00"], "span_h": 8, "lunch": True}]),
                 [Agent("A001", "x", ("chat",), "full_time", 20.0)], [hol], {"chat": 1})
    hr = solve_roster(hp)
    assert validate_roster(hp, hr) == []
    cheap = hr.shifts.assign(cost=hr.shifts["paid_hours"] * 20.0)
    assert hits(validate_roster(hp, broken(hr, shifts=cheap)), "cost")


def test_shortfall_report_must_match_coverage(solved):
    p, r = solved
    tampered = r.scheduled.copy()
    tampered.loc[0, "scheduled_heads"] += 1
    assert hits(validate_roster(p, broken(r, scheduled=tampered)), "scheduled")
    assert len(r.shortfall)  # the fixture leaves weekends short (4 agents, 5 days each)
    assert hits(validate_roster(p, broken(r, shortfall=r.shortfall.iloc[1:])), "shortfall")


# -- every hard rule of the registry, broken one at a time ------------------------------------------------
def _stricter_labour(p, **labour):
    return dataclasses.replace(p, scenario=scenario(templates=p.scenario.roster.model_dump()["templates"],
                                                    labour=labour))


def _first_shift(r):
    return r.shifts.sort_values("shift_start").iloc[0]


def _break_leave(p, r):
    s = _first_shift(r)
    agents = [dataclasses.replace(a, unavailable=frozenset({s["date"]})) if a.agent_id == s["agent_id"] else a
              for a in p.agents]
    return dataclasses.replace(p, agents=agents), s["agent_id"]


def _break_max_days(p, r):
    works = r.shifts.groupby("agent_id").size()
    return _stricter_labour(p, max_days_per_week=int(works.max()) - 1), works.idxmax()


def _break_daily_hours(p, r):
    return _stricter_labour(p, max_paid_h_per_day=6, max_overtime_h_per_day=1), _first_shift(r)["agent_id"]


def _break_weekly_hours(p, r):
    aid = _first_shift(r)["agent_id"]
    agents = [dataclasses.replace(a, max_weekly_h=1) if a.agent_id == aid else a for a in p.agents]
    return dataclasses.replace(p, agents=agents), aid


def _break_monthly_overtime(p, r):
    """8 paid h a day over a 7-h standard day: 1 h of daily overtime a shift, none allowed this month."""
    aid = _first_shift(r)["agent_id"]
    return _stricter_labour(p, max_paid_h_per_day=7, max_overtime_h_per_month=0), aid


def _break_comp_off(p, r):
    """A comp day off carried from an earlier week falls due this Sunday: the roster does not give it."""
    aid = _first_shift(r)["agent_id"]
    ledger = pd.DataFrame([{"agent_id": aid, "earned_on": WEEK[0] - dt.timedelta(weeks=4), "due_by": WEEK[6],
                            "given_on": None}])
    return dataclasses.replace(p, comp_off=ledger), aid


def _break_min_rest(p, r):
    aid = _first_shift(r)["agent_id"]
    prev_day = MON - dt.timedelta(days=1)
    prev = pd.DataFrame([{"agent_id": aid, "date": prev_day,
                          "shift_start": pd.Timestamp(prev_day) + pd.Timedelta(hours=14),
                          "shift_end": pd.Timestamp(prev_day) + pd.Timedelta(hours=23)}])
    return dataclasses.replace(p, previous_shifts=prev), aid


def _break_consecutive_days(p, r):
    aid = _first_shift(r)["agent_id"]
    run = pd.DataFrame([{"agent_id": aid, "date": d, "shift_start": pd.Timestamp(d) + pd.Timedelta(hours=9),
                         "shift_end": pd.Timestamp(d) + pd.Timedelta(hours=18)}
                        for d in [MON - dt.timedelta(days=i) for i in range(1, 7)]])
    return dataclasses.replace(p, previous_shifts=run), aid


def _break_pinned(p, r):
    """Pin a day-shift start on a day the agent rests."""
    worked = set(zip(r.shifts["agent_id"], r.shifts["date"]))
    aid, day = next((a.agent_id, d) for a in p.agents if a.contract == "full_time" for d in WEEK
                    if (a.agent_id, d) not in worked)
    pins = pd.DataFrame([{"agent_id": aid, "date": day, "shift_start": pd.Timestamp(day) + pd.Timedelta(hours=9)}])
    return dataclasses.replace(p, pinned_shifts=pins), aid


BREAKS = {  # hard rule -> (how to break it against the solved roster, the violation's rule label)
    "leave": (_break_leave, "leave"),
    "max_days_per_week": (_break_max_days, "max_days_per_week"),
    "daily_hours": (_break_daily_hours, "daily hours"),
    "weekly_hours": (_break_weekly_hours, "weekly hours"),
    "monthly_overtime": (_break_monthly_overtime, "overtime"),
    "comp_off": (_break_comp_off, "comp_off"),
    "min_rest": (_break_min_rest, "min_rest"),
    "consecutive_days": (_break_consecutive_days, "consecutive days"),
    "pinned": (_break_pinned, "pinned"),
}


def test_every_hard_rule_has_a_validator_test_that_breaks_it():
    assert set(BREAKS) == {rule.name for rule in hard_rules()}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_validator_catches_each_hard_rule_and_names_the_agent(solved, name):
    p, r = solved
    breaker, label = BREAKS[name]
    stricter, aid = breaker(p, r)
    v = hits(validate_roster(stricter, r), label)
    assert v and any(aid in line for line in v), validate_roster(stricter, r)
    from scheduler.roster.constraints import hard_rules

    rule = next(x for x in hard_rules() if x.name == name)

    out = Violations()
    rule.validate(stricter, read_shifts(stricter, r.shifts, out), out)
    assert hits(out.lines(), label)  # the rule's own check finds it, not another one


def test_a_channel_the_scenario_does_not_serve_is_refused(solved):
    """Agent A002 has phone among its skills, but a scenario that does not serve phone (``served = false``)
    cannot have anyone work it: the validator names the channel and the scenario."""
    p, r = solved
    channels = {k: v for k, v in p.scenario.channels.items() if k != "phone"}
    no_phone = dataclasses.replace(p, scenario=p.scenario.model_copy(update={"channels": channels}))
    assert (r.assignments["channel"] == "phone").any()
    found = hits(validate_roster(no_phone, r), "skills")
    assert found and all("works phone, a channel scenario 'baseline' does not serve" in v
                         for v in found if "more" not in v)
    # one line per phone hour up to MAX_PER_RULE, then "... and N more": counted as the hours they stand for
    assert len(found) == MAX_PER_RULE + 1 and found[-1].startswith("skills: ... and ")
    assert count_violations(found) == (r.assignments["channel"] == "phone").sum()


def test_a_shift_on_a_closed_day_says_closed(solved):
    """A shift on a day whose window is ``closed`` (``[windows] sunday = "closed"``) is named as such, not
    as 'outside the service window 00:00-00:00'."""
    from core.scenario import Window

    p, r = solved
    sunday = WEEK[6]
    assert (r.shifts["date"] == sunday).any()
    closed = dataclasses.replace(p, open_windows={**p.open_windows, sunday: Window.parse("closed")})
    found = hits(validate_roster(closed, r), "window")
    assert found and all(v.endswith("shift on a day the service is closed") for v in found if "more" not in v)
    assert not hits(validate_roster(p, r), "window")
