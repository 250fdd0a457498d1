"""Rest-day work as the law allows, on micro-instances: the calendar's standard days, 200% or time off in
lieu, the comp-off ledger across plans, the calendar month's overtime cap, one full rest day in every ISO
week, fitted shifts, and horizons longer than a week. Every solved roster is re-checked by the validator,
and each rule is also broken by hand to see the validator catch it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from factories import CAL, DAY, WEEK, agent, problem, scenario

from core.errors import InputError
from scheduler.chain import parse_weeks
from scheduler.horizon import Month, _ledger_after, chained_weeks_roster, parse_month, week_segments
from scheduler.plan_folder import PlanFolder
from scheduler.roster import RosterProblem, solve_roster
from scheduler.roster.problem import shift_shapes
from scheduler.validation import validate_roster


def solve(p: RosterProblem):
    roster = solve_roster(p)
    assert validate_roster(p, roster) == []
    return roster

D = dt.date
FITTED = {**DAY, "fit_window": True}


def monday(year: int, week: int) -> dt.date:
    return dt.date.fromisocalendar(year, week, 1)


def days_of(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def probe(days: list[dt.date], **kw) -> RosterProblem:
    return problem(scenario(templates=[DAY], **kw), [agent(1)], days, {"chat": 1})


# -- the calendar's standard days ---------------------------------------------------------------------------
@pytest.mark.parametrize("year, week, standard, std_h", [
    (2025, 11, 5, 40),  # an ordinary week
    (2025, 39, 6, 48),  # Sun Sep 28 is a makeup workday
    (2025, 40, 2, 16),  # Mon, Tue; Wed-Fri National Day (statutory), Sat-Sun swapped rest days
    (2025, 41, 3, 24),  # Mon Mid-Autumn (statutory), Tue-Wed rest, Thu, Fri and the makeup Saturday
    (2025, 5, 1, 8),    # Spring Festival: Mon only; Tue-Fri statutory, Sat-Sun rest
    (2025, 6, 4, 32),   # Mon-Tue rest, Wed-Fri and the makeup Saturday
])
def test_standard_days_and_hours_follow_the_calendar(year, week, standard, std_h):
    p = probe(days_of(monday(year, week), 7))
    assert p.standard_days(p.days[0]) == standard
    assert p.weekly_std_min(p.days[3]) == std_h * 60
    # a plan of two days of the week still counts the whole ISO week
    assert probe(days_of(monday(year, week) + dt.timedelta(days=5), 2)).standard_days(p.days[5]) == standard


def test_days_beyond_the_standard_days_are_rest_day_work_in_a_holiday_week():
    """2025-W40 has 2 standard days: an agent working 6 days works Mon and Tue at the ordinary rate, the
    statutory days at 300% and the swapped rest days at 200% (the cheapest week rests on a statutory
    day: a rest day at 2x costs less than a statutory one at 3x)."""
    w40 = days_of(monday(2025, 40), 7)
    scn = scenario(templates=[FITTED], rest_day_work={"options": ["paid"]})
    r = solve(problem(scn, [agent(1, cost=10)], w40, {"chat": 1}))
    assert len(r.shifts) == 6  # one full rest day in the week
    by_type = r.shifts.groupby("day_type")["pay_multiplier"].agg(list).to_dict()
    assert by_type == {"weekday": pytest.approx([1.0, 1.0]), "statutory_holiday": pytest.approx([3.0, 3.0]),
                       "holiday_rest_day": pytest.approx([2.0, 2.0])}
    assert r.shifts.loc[r.shifts["day_type"] == "holiday_rest_day", "rest_day"].eq("paid").all()
    assert r.cost == pytest.approx(10 * (2 * 8 + 2 * 7 * 3 + 2 * 7 * 2))
    assert r.overtime_hours == pytest.approx(14)  # the rest days' 7 fitted hours; statutory hours are not counted


# -- shifts fitted to the day's window ----------------------------------------------------------------------
def test_a_fitted_template_staffs_the_holiday_window_with_paid_hours_following():
    hol = D(2025, 10, 1)  # statutory, window 10:00-18:00
    plain = problem(scenario(templates=[DAY]), [agent(1)], [hol], {"chat": 1})
    assert shift_shapes(plain, hol) == []  # 09:00-18:00 does not fit: the old holiday shortfall
    fitted = problem(scenario(templates=[FITTED]), [agent(1, cost=20)], [hol], {"chat": 1})
    (shape,) = shift_shapes(fitted, hol)
    assert (shape.start_min, shape.end_min, shape.paid_min) == (600, 1080, 420)
    r = solve(fitted)
    s = r.shifts.iloc[0]
    assert (s["paid_hours"], s["pay_multiplier"], s["cost"]) == (7, pytest.approx(3.0), pytest.approx(7 * 20 * 3))
    # on a weekday the template is itself
    weekday = problem(scenario(templates=[FITTED]), [agent(1)], [WEEK[0]], {"chat": 1})
    assert [(x.start_min, x.end_min) for x in shift_shapes(weekday, WEEK[0])] == [(540, 1080)]


def test_min_span_keeps_too_short_fits_out_and_the_validator_knows_fitted_shifts():
    hol = D(2025, 10, 1)
    scn = scenario(templates=[{**FITTED, "min_span_h": 8.5}])
    assert shift_shapes(problem(scn, [agent(1)], [hol], {"chat": 1}), hol) == []
    p = problem(scenario(templates=[FITTED]), [agent(1, cost=20)], [hol], {"chat": 1})
    r = solve(p)
    moved = r.shifts.assign(shift_start=r.shifts["shift_start"] - pd.Timedelta(hours=1))  # 09:00: unfitted
    v = validate_roster(p, dataclasses.replace(r, shifts=moved))
    assert any(x.startswith("template:") for x in v) and any(x.startswith("window:") for x in v)


def test_fitting_is_validated_in_the_scenario():
    with pytest.raises(ValueError, match="min_span_h applies to fit_window"):
        scenario(templates=[{**DAY, "min_span_h": 4}])


# -- 200% or time off in lieu ---------------------------------------------------------------------------------
def six_days(policy: dict, cost: float = 10.0, **kw):
    scn = scenario(templates=[DAY], rest_day_work=policy)
    return problem(scn, [agent(1, cost=cost)], WEEK, {"chat": 1}, **kw)


def test_the_roster_picks_the_cheaper_compensation():
    # owed_day_cost 2: a comp day the week cannot give back is worth 2 x 8 h; 8 h at 1x + 16 h > 8 h at 2x
    paid = solve(six_days({"options": ["comp_off", "paid"], "owed_day_cost": 2.0}))
    assert len(paid.shifts) == 6 and list(paid.shifts["rest_day"]).count("paid") == 1
    assert paid.comp_off.empty
    # owed_day_cost 0.5 (a pool with slack later): 8 h at 1x + 4 h < 16 h, time off in lieu
    comp = solve(six_days({"options": ["comp_off", "paid"], "owed_day_cost": 0.5}))
    sixth = comp.shifts.sort_values("date").iloc[-1]
    assert sixth["rest_day"] == "comp_off" and sixth["pay_multiplier"] == pytest.approx(1.0)
    assert comp.overtime_hours == 0 and comp.cost == pytest.approx(6 * 80)
    (row,) = comp.comp_off.itertuples()
    assert (row.earned_on, row.due_by, row.given_on) == (sixth["date"], WEEK[6] + dt.timedelta(weeks=4), None)
    assert comp.solver["objective_terms"]["comp_off"] == pytest.approx(0.5 * 8 * 10)
    # a policy of one option forces it
    forced = solve(six_days({"options": ["comp_off"], "owed_day_cost": 5.0}))
    assert list(forced.shifts["rest_day"]).count("comp_off") == 1


def test_a_comp_day_is_given_back_inside_the_plan_when_a_later_week_has_room():
    """Two weeks: the first needs the agent 6 days, the second 4. Time off in lieu costs the 6th day at 1x
    and the comp day in week 2 costs nothing the plan needs, so it beats 200%; when week 2 needs 5 days,
    giving the day back would leave a day short, and 200% wins."""
    two = days_of(WEEK[0], 14)
    pol = {"options": ["comp_off", "paid"], "owed_day_cost": 2.0}

    def demand(free_days_in_week2):
        def f(day, minute):
            second = day >= WEEK[0] + dt.timedelta(days=7)
            return {"chat": 0 if second and day.weekday() < free_days_in_week2 else 1}
        return f

    roomy = solve(problem(scenario(templates=[DAY], rest_day_work=pol), [agent(1, cost=10)], two, demand(3)))
    assert list(roomy.shifts["rest_day"]).count("comp_off") == 1 and "paid" not in set(roomy.shifts["rest_day"])
    (row,) = roomy.comp_off.itertuples()
    assert row.given_on is not None and row.given_on >= WEEK[0] + dt.timedelta(days=7)
    assert roomy.cost == pytest.approx(10 * 80)  # 6 + 4 days, every one at the ordinary rate
    tight = solve(problem(scenario(templates=[DAY], rest_day_work=pol), [agent(1, cost=10)], two, demand(2)))
    assert list(tight.shifts["rest_day"]).count("paid") >= 1 and tight.comp_off.empty


def test_comp_days_owed_from_the_previous_plan_are_given_by_their_due_date():
    owed = pd.DataFrame([{"agent_id": "A001", "earned_on": WEEK[0] - dt.timedelta(weeks=3),
                          "due_by": WEEK[6], "given_on": None}])
    p = six_days({"options": ["paid"]}, comp_off=owed)
    r = solve(p)
    assert len(r.shifts) == 4  # 5 standard days, one of them the comp day off
    (row,) = r.comp_off.itertuples()
    assert row.given_on in WEEK and row.given_on not in set(r.shifts["date"])
    # the validator: a comp day on a worked day, and a due day not given, are violations
    worked_day = r.shifts["date"].iloc[0]
    on_work = r.comp_off.assign(given_on=[worked_day])
    assert any("not a free non-statutory" in x for x in validate_roster(p, dataclasses.replace(r, comp_off=on_work)))
    missing = r.comp_off.assign(given_on=[None])
    assert any("not given" in x for x in validate_roster(p, dataclasses.replace(r, comp_off=missing)))


def test_the_validator_checks_what_a_rest_day_shift_says():
    p = six_days({"options": ["paid"]})
    r = solve(p)
    flags = r.shifts.assign(rest_day="")
    v = validate_roster(p, dataclasses.replace(r, shifts=flags))
    assert any(x.startswith("rest day:") and "not one of rest_day_work.options" in x for x in v)
    wrong = r.shifts.assign(rest_day="comp_off")  # every shift, also the 5 standard days
    v = validate_roster(p, dataclasses.replace(r, shifts=wrong))
    assert any("within the week's 5 standard days" in x for x in v)


# -- the ISO week across plans: one full rest day, rest-day work counted from Monday -------------------------
def test_the_iso_week_continues_across_the_previous_plan():
    """The plan starts on Friday; the previous plan had the agent on Mon-Thu. Of Fri-Sun the agent may
    work 2 days (one full rest day in the ISO week), and the second is rest-day work (6th non-statutory
    day of an ordinary week)."""
    prev = pd.DataFrame([{"agent_id": "A001", "date": d, "shift_start": pd.Timestamp(d) + pd.Timedelta(hours=9),
                          "shift_end": pd.Timestamp(d) + pd.Timedelta(hours=18), "paid_hours": 8.0}
                         for d in WEEK[:4]])
    scn = scenario(templates=[DAY], rest_day_work={"options": ["paid"]}, labour={"max_consecutive_days": 7})
    p = problem(scn, [agent(1, cost=10)], WEEK[4:], {"chat": 1}, previous_shifts=prev)
    r = solve(p)
    assert len(r.shifts) == 2
    assert sorted(r.shifts["pay_multiplier"]) == pytest.approx([1.0, 2.0])
    # a third day, by hand, is a seventh in the ISO week
    (day,) = set(WEEK[4:]) - set(r.shifts["date"])
    extra = r.shifts.iloc[[0]].assign(date=day)
    extra = extra.assign(shift_start=pd.Timestamp(day) + pd.Timedelta(hours=9),
                         shift_end=pd.Timestamp(day) + pd.Timedelta(hours=18),
                         lunch_start=pd.Timestamp(day) + pd.Timedelta(hours=12),
                         lunch_end=pd.Timestamp(day) + pd.Timedelta(hours=13))
    seven = dataclasses.replace(r, shifts=pd.concat([r.shifts, extra], ignore_index=True))
    assert any(x.startswith("max_days_per_week: A001: 7 working days in 2025-W46") for x in validate_roster(p, seven))


# -- the calendar month's overtime cap ---------------------------------------------------------------------------
def test_the_overtime_cap_is_counted_per_calendar_month():
    """Thu Oct 30 .. Tue Nov 4 2025, 9-paid-hour weekday shifts (1 h overtime each), 35 h of October's 36
    used before the plan: one October shift, and both November ones (a fresh month)."""
    nine = {"name": "nine", "starts": ["09:00"], "span_h": 10, "lunch": True, "day_types": ["weekday"]}
    scn = scenario(templates=[nine], windows={"weekday": "09:00-19:00"})
    p = problem(scn, [agent(1)], days_of(D(2025, 10, 30), 6), {"chat": 1}, month_overtime_h={"A001": 35})
    assert [len(m) for m in p.months()] == [2, 4]
    r = solve(p)
    months = r.shifts["date"].map(lambda d: d.month).value_counts().to_dict()
    assert months == {10: 1, 11: 2}
    mo = r.month_overtime.set_index("month").loc[["2025-10", "2025-11"], "overtime_h_total"].tolist()
    assert mo == pytest.approx([36.0, 2.0])
    tighter = dataclasses.replace(p, month_overtime_h={"A001": 36})
    assert any(x.startswith("overtime: A001: 1 overtime h in 2025-10") for x in validate_roster(tighter, r))


# -- horizons longer than a week -----------------------------------------------------------------------------------
def test_a_month_horizon_groups_its_iso_weeks_and_cuts_into_week_segments():
    october = parse_month("2025-10")
    assert (october.start_date, october.end_date, len(october.days)) == (D(2025, 10, 1), D(2025, 10, 31), 31)
    p = problem(scenario(templates=[DAY]), [agent(1)], october.days, {"chat": 1})
    weeks = p.iso_weeks()
    assert [len(w) for w in weeks] == [5, 7, 7, 7, 5]  # Wed Oct 1 .. Fri Oct 31
    assert weeks[0] == [0, 1, 2, 3, 4] and weeks[-1][-1] == 30
    assert [len(s.days) for s in week_segments(p)] == [5, 7, 7, 7, 5]
    assert Month(2025, 12).end_date == D(2025, 12, 31) and Month(2024, 2).end_date == D(2024, 2, 29)


@pytest.mark.parametrize("text", ["2025-13", "2025", "10-2025", "2025-W40"])
def test_a_bad_month_is_a_one_line_error(text):
    with pytest.raises(InputError, match="is not a month"):
        parse_month(text)


def test_a_range_of_weeks():
    weeks = parse_weeks("2025-W39:2025-W42")
    assert [w.label for w in weeks] == ["2025-W39", "2025-W40", "2025-W41", "2025-W42"]
    assert [w.label for w in parse_weeks("2025-W52:2026-W02")] == ["2025-W52", "2026-W01", "2026-W02"]
    for bad, why in (("2025-W40", "not a range"), ("2025-W42:2025-W40", "comes before"),
                     ("2024-W01:2026-W10", "more than")):
        with pytest.raises(InputError, match=why):
            parse_weeks(bad)


def test_a_two_week_roster_keeps_one_rest_day_in_each_iso_week():
    r = solve(problem(scenario(templates=[DAY], labour={"max_consecutive_days": 12}), [agent(1, cost=10)],
                      days_of(WEEK[0], 14), {"chat": 1}))
    per_week = r.shifts["date"].map(lambda d: d.isocalendar()[1]).value_counts()
    assert per_week.tolist() == [6, 6]


# -- the ledgers through the plan folder ------------------------------------------------------------------------
def test_the_ledgers_round_trip_through_the_plan_folder(tmp_path):
    r = solve(six_days({"options": ["comp_off"]}))
    folder = PlanFolder(tmp_path / "plan")
    empty = pd.DataFrame()
    folder.write(forecast=empty, requirements=empty, shifts=r.shifts, coverage=empty, assignments=empty,
                 shortfall=empty, summary={}, comp_off=r.comp_off, month_overtime=r.month_overtime)
    back = folder.comp_off()
    assert back[["agent_id", "earned_on", "due_by", "given_on"]].values.tolist() == \
        r.comp_off[["agent_id", "earned_on", "due_by", "given_on"]].values.tolist()
    assert folder.month_overtime()["overtime_h_total"].tolist() == pytest.approx(
        r.month_overtime["overtime_h_total"].tolist())
    # the next week owes the day; carried through the problem, it is given before it falls due
    nxt = [d + dt.timedelta(weeks=4) for d in WEEK]
    p = problem(scenario(templates=[DAY]), [agent(1)], nxt, {"chat": 1}, comp_off=back)
    assert p.comp_owed_at_start("A001") == [nxt[6]]
    assert solve(p).comp_off["given_on"].notna().all()


def test_a_malformed_ledger_names_file_row_and_field(tmp_path):
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / "comp_off.csv").write_text("agent_id,earned_on,due_by,given_on\nA001,2025-10-04,soon,\n")
    with pytest.raises(InputError) as err:
        PlanFolder(folder, "--previous").comp_off()
    assert "comp_off.csv" in str(err.value) and "due_by" in str(err.value) and ":2" in str(err.value)
    assert PlanFolder(tmp_path, "--previous").month_overtime() is None  # a folder without it: none carried


def test_solver_free_problem_checks_the_ledger_columns():
    with pytest.raises(InputError, match="comp_off lack column"):
        six_days({"options": ["paid"]}, comp_off=pd.DataFrame({"agent_id": ["A001"]}))
    assert solve_roster is not None and CAL is not None


def test_the_week_by_week_start_keeps_each_week_and_carries_the_ledger():
    """The month's warm start: each week solved with the next as look-ahead, only its own shifts kept,
    the comp days it earns owed in the next window. One agent, two weeks needing 6 days each, time off
    in lieu within a week forced. Planned alone, the first week would take its 6th day and owe the
    second a day off (6 + 4 days); looking ahead, it works 5 and the second 6 (11 days of coverage)."""
    two = days_of(WEEK[0], 14)
    scn = scenario(templates=[DAY], rest_day_work={"options": ["comp_off"], "comp_off_weeks": 1},
                   labour={"max_consecutive_days": 12})
    p = problem(scn, [agent(1, cost=10)], two, {"chat": 1})
    start = chained_weeks_roster(p, 2.0)
    weeks = start.shifts["date"].map(lambda d: d.isocalendar()[1]).value_counts().sort_index().tolist()
    assert weeks == [5, 6] and start.cost == pytest.approx(11 * 80)
    assert start.shifts["rest_day"].tolist().count("comp_off") == 1
    # weeks with nothing short (an empty shortfall table) count no understaffed intervals
    easy = chained_weeks_roster(problem(scn, [agent(1, cost=10)], two, {"chat": 0}), 1.0)
    assert easy.understaffed == 0 and len(easy.shifts) == 0
    ledger = pd.DataFrame([{"agent_id": "A001", "earned_on": WEEK[5], "due_by": WEEK[6] + dt.timedelta(weeks=4),
                            "given_on": WEEK[6] + dt.timedelta(days=3)},
                           {"agent_id": "A001", "earned_on": WEEK[6] + dt.timedelta(days=6), "due_by": None,
                            "given_on": None}])
    after = _ledger_after(ledger, WEEK)
    assert after["earned_on"].tolist() == [WEEK[5]] and after["given_on"].tolist() == [None]
