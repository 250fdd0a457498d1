"""The agent-friendly terms and the requests: each term on a micro-instance where it changes the optimum,
the measures, the ledger carried between plans, request parsing errors, approved leave as a hard rule,
and one outcome row per request with what a denied one would have cost."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pandas as pd
import pytest
from factories import MON, WEEK, agent, plan_frames, problem, scenario

from core.errors import InputError, SolverError
from scheduler.plan import previous_ledger
from scheduler.plan_folder import PlanFolder
from scheduler.requests import Request, check_requests, read_requests, request_outcomes, requests_summary
from scheduler.roster import solve_roster
from scheduler.roster.friendly import (
    friendly_measures,
    ledger_frame,
    prior_counts,
    rest_weeks,
    worked_by_agent,
)
from scheduler.validation import validate_roster
from scheduler.weeks import Week

DAY = {"name": "day", "starts": ["09:00"], "span_h": 9, "lunch": True, "contracts": ["full_time"]}
SHORT = {"name": "short", "starts": ["09:00", "10:00"], "span_h": 4, "lunch": False,
         "contracts": ["full_time", "part_time"]}
AM = {"name": "am", "starts": ["09:00"], "span_h": 4, "lunch": False, "contracts": ["part_time"]}
PM = {"name": "pm", "starts": ["14:00"], "span_h": 4, "lunch": False, "contracts": ["part_time"]}


def solve(p):
    """The roster of ``p``, checked by the validator."""
    roster = solve_roster(p)
    assert validate_roster(p, roster) == []
    return roster


def weighted(p, per_day: dict[dt.date, float]):
    """``p`` with a shortfall weight [CNY per missing head-interval] for each day."""
    req = p.requirements.copy()
    req["shortfall_weight"] = [per_day[pd.Timestamp(t).date()] for t in req["interval_start"]]
    return dataclasses.replace(p, requirements=req)


def friendly(on: bool, **roster):
    return {"agent_friendly": on, **roster}


def rest_days(r, agent_id="A001") -> set[dt.date]:
    return set(WEEK) - set(r.shifts.loc[r.shifts["agent_id"] == agent_id, "date"])


# Rest on the two days with the least coverage at stake: Monday and Wednesday, not consecutive;
# Tuesday is worth a little more than Wednesday, so a pair costs 8 x 1 CNY.
NEAR_PAIR = {WEEK[0]: 40, WEEK[1]: 42, WEEK[2]: 41, **{d: 100 for d in WEEK[3:]}}


@pytest.mark.parametrize("on, rests", [(False, {WEEK[0], WEEK[2]}), (True, {WEEK[0], WEEK[1]})])
def test_paired_rest_days_change_the_optimum(on, rests):
    p = weighted(problem(scenario(templates=[DAY], roster=friendly(on)), [agent(1)], WEEK, {"chat": 1}),
                 NEAR_PAIR)
    r = solve(p)
    assert rest_days(r) == rests
    m = friendly_measures(p, r.shifts)["paired_rest_days"]
    assert (m["full_timer_weeks"], m["with_two_consecutive_rest_days"]) == (1, int(on))
    if on:
        assert r.solver["objective_terms"].get("rest_pairs", 0) == 0


def test_a_rest_on_sunday_and_monday_is_a_pair_of_the_mondays_week():
    """Last week's plan has A001 working Saturday and resting Sunday: resting Monday and Wednesday (the
    cheapest rests) already pairs Sunday and Monday, so the week needs no other pair."""
    saturday = pd.Timestamp(MON - dt.timedelta(days=2))
    prev = pd.DataFrame([{"agent_id": "A001", "date": saturday.date(), "shift_start": saturday + pd.Timedelta(hours=9),
                          "shift_end": saturday + pd.Timedelta(hours=18)}])
    p = weighted(problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1}, previous_shifts=prev), NEAR_PAIR)
    assert rest_weeks(p)[0].slots[0] == MON - dt.timedelta(days=1)
    r = solve(p)
    assert rest_days(r) == {WEEK[0], WEEK[2]}
    assert friendly_measures(p, r.shifts)["paired_rest_days"]["with_two_consecutive_rest_days"] == 1


def test_paired_rest_costs_no_more_than_its_penalty():
    """A pair worth less than it costs in coverage is not bought: the penalty is a price, not a rule."""
    dear = {**NEAR_PAIR, WEEK[1]: 100}  # resting Tuesday now loses 8 x 59 CNY of coverage
    p = weighted(problem(scenario(templates=[DAY], roster=friendly(True)), [agent(1)], WEEK, {"chat": 1}), dear)
    r = solve(p)
    assert rest_days(r) == {WEEK[0], WEEK[2]}
    assert r.solver["objective_terms"]["rest_pairs"] == pytest.approx(p.scenario.roster.paired_rest_penalty)


def test_part_timers_and_weeks_cut_by_the_horizon_are_not_counted():
    p = problem(scenario(templates=[DAY, AM], roster=friendly(True)), [agent(1), agent(2, contract="part_time")],
                WEEK[:5], {"chat": 1})
    assert rest_weeks(p) == []  # Mon..Fri: the weekend is the next plan's
    sunday = pd.Timestamp("2025-11-09")
    prev = pd.DataFrame([{"agent_id": "A001", "date": sunday.date(), "shift_start": sunday + pd.Timedelta(hours=9),
                          "shift_end": sunday + pd.Timedelta(hours=18)}])
    wed = problem(scenario(templates=[DAY], roster=friendly(True)), [agent(1)], WEEK[2:], {"chat": 1},
                  previous_shifts=prev)
    # the Sunday before, Monday and Tuesday known from the previous plan: rested
    assert [w.slots for w in rest_weeks(wed)] == [(MON - dt.timedelta(days=1), MON, WEEK[1], 0, 1, 2, 3, 4)]


def test_start_time_changes_change_the_optimum():
    """Monday's demand is 09:00-13:00, Tuesday's 10:00-14:00: one start each day, or the same start."""
    def demand(day, minute):
        lo = 9 * 60 if day == WEEK[0] else 10 * 60
        return {"chat": 1 if lo <= minute < lo + 240 else 0}

    def run(on):
        p = problem(scenario(templates=[SHORT], roster=friendly(on, start_change_penalty=1000)), [agent(1)],
                    WEEK[:2], demand)
        r = solve(p)
        return p, r, sorted(r.shifts["shift_start"].dt.strftime("%H:%M"))

    p_off, r_off, off = run(False)
    assert off == ["09:00", "10:00"]
    assert friendly_measures(p_off, r_off.shifts)["start_time_changes"] == 1
    p_on, r_on, on = run(True)
    assert len(set(on)) == 1 and len(on) == 2
    assert friendly_measures(p_on, r_on.shifts)["start_time_changes"] == 0


def weekend_only(day, minute):
    """One head on Saturday and Sunday, 09:00-17:00: what one shift of ``EIGHT`` covers."""
    return {"chat": 1 if day.weekday() >= 5 and minute < 17 * 60 else 0}


EIGHT = {"name": "eight", "starts": ["09:00"], "span_h": 8, "lunch": False, "contracts": ["full_time"]}


def test_spread_gives_each_agent_a_weekend_day():
    """Without the spread the cheaper agent works both weekend days; with it (no tolerance), one each
    (+8 CNY)."""
    agents = [agent(1, cost=30.0), agent(2, cost=31.0)]
    for on, counts in ((False, {"A001": 2, "A002": 0}), (True, {"A001": 1, "A002": 1})):
        p = problem(scenario(templates=[EIGHT], roster=friendly(on, spread_tolerance=0)), agents, WEEK,
                    weekend_only)
        r = solve(p)
        got = r.shifts.groupby("agent_id").size().reindex(["A001", "A002"], fill_value=0).to_dict()
        assert got == counts
        m = friendly_measures(p, r.shifts)["weekend_days_per_full_timer"]
        assert m["spread"] == (2 if not on else 0)


def test_a_spread_within_the_tolerance_is_free():
    agents = [agent(1, cost=30.0), agent(2, cost=31.0)]
    p = problem(scenario(templates=[EIGHT], roster=friendly(True, spread_tolerance=2)), agents, WEEK, weekend_only)
    r = solve(p)
    assert r.shifts.groupby("agent_id").size().to_dict() == {"A001": 2}
    assert r.solver["objective_terms"].get("spread", 0) == 0


def test_spread_is_carried_by_the_ledger():
    """A002 worked 4 more weekend days to date: now A001 takes both, and the ledger adds them up."""
    agents = [agent(1, cost=31.0), agent(2, cost=30.0)]
    ledger = {"A001": {"weekend_days": 0}, "A002": {"weekend_days": 4}}
    p = problem(scenario(templates=[EIGHT]), agents, WEEK, weekend_only, ledger_to_date=ledger)
    r = solve(p)
    assert set(r.shifts["agent_id"]) == {"A001"} and len(r.shifts) == 2
    m = friendly_measures(p, r.shifts)["weekend_days_per_full_timer"]
    assert (m["spread"], m["to_date_spread"]) == (2, 2)
    out = ledger_frame(p, r.shifts).set_index("agent_id")
    assert out.loc["A001", "weekend_days"] == 2 and out.loc["A002", "weekend_days"] == 4
    assert set(out["through"]) == {WEEK[-1].isoformat()}


def test_the_month_warm_start_spreads_weekends_to_date_across_its_windows():
    """The month's week-by-week start carries the spread's ledger from window to window (and the
    windows keep the spread on, the per-agent pairs and start times off): three weeks of one head on
    weekends and three agents of different pay share the six weekend days two each. Without the
    ledger each window would start everyone at zero and hand its week to the cheapest again."""
    from scheduler.horizon import chained_weeks_roster, window_roster

    days = [MON + dt.timedelta(days=i) for i in range(21)]
    agents = [agent(1, cost=30.0), agent(2, cost=31.0), agent(3, cost=32.0)]
    p = problem(scenario(templates=[EIGHT], roster=friendly(True, spread_tolerance=0)), agents, days, weekend_only)
    spec = window_roster(p.scenario.roster, 2.0)
    assert (spec.paired_rest_penalty, spec.start_change_penalty, spec.spread_penalty) == (
        0, 0, p.scenario.roster.spread_penalty)
    assert window_roster(p.scenario.roster, 2.0, spread_penalty=123.0).spread_penalty == 123.0
    start = chained_weeks_roster(p, 2.0)
    assert start.shifts.groupby("agent_id").size().to_dict() == {"A001": 2, "A002": 2, "A003": 2}
    assert friendly_measures(p, start.shifts)["weekend_days_per_full_timer"]["spread"] == 0
    # terms off: the windows keep them off
    assert not window_roster(p.scenario.roster.model_copy(update={"agent_friendly": False}), 2.0).agent_friendly


def test_a_newcomer_starts_level_with_the_least_loaded_agent_of_its_contract():
    agents = [agent(1), agent(2), agent(3), agent(4, contract="part_time")]
    p = problem(scenario(templates=[DAY]), agents, WEEK, {"chat": 1},
                ledger_to_date={"A001": {"weekend_days": 5, "late_shifts": 1}, "A002": {"weekend_days": 3}})
    prior = prior_counts(p)
    assert prior["A003"] == {"weekend_days": 3, "holiday_days": 0, "late_shifts": 0}
    assert prior["A004"] == {"weekend_days": 0, "holiday_days": 0, "late_shifts": 0}  # no part-timer known


def test_agents_on_leave_do_not_set_the_least_loaded():
    """A003 is on leave all weekend: the spread is taken over the agents who could work it."""
    agents = [agent(1, cost=30.0), agent(2, cost=31.0), agent(3, unavailable=frozenset(WEEK[5:]))]
    p = problem(scenario(templates=[EIGHT], roster=friendly(True, spread_tolerance=0)), agents, WEEK, weekend_only)
    r = solve(p)
    assert r.shifts.groupby("agent_id").size().to_dict() == {"A001": 1, "A002": 1}


def test_iso_weeks_group_the_horizon_by_iso_week():
    p = problem(scenario(templates=[DAY]), [agent(1)], [WEEK[2] + dt.timedelta(days=i) for i in range(7)],
                {"chat": 1})
    assert p.iso_weeks() == [[0, 1, 2, 3, 4], [5, 6]]
    assert problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1}).iso_weeks() == [list(range(7))]


def test_terms_off_build_the_model_as_before():
    """roster.agent_friendly = false adds no variable: the model of the registry without the terms."""
    from scheduler.roster.constraints import default_families
    from scheduler.roster.friendly import PairedRestDays, Spread, StartTimes
    from scheduler.roster.model import build_model

    agents = [agent(1), agent(2, cost=31.0), agent(3, contract="part_time")]
    p = problem(scenario(templates=[DAY, SHORT, AM], roster=friendly(False)), agents, WEEK, weekend_only)
    without = [f for f in default_families() if not isinstance(f, (PairedRestDays, StartTimes, Spread))]
    assert len(build_model(p).model.proto.variables) == len(build_model(p, families=without).model.proto.variables)
    on = dataclasses.replace(p, scenario=scenario(templates=[DAY, SHORT, AM]))
    assert len(build_model(on).model.proto.variables) > len(build_model(p).model.proto.variables)


# -- requests ------------------------------------------------------------------------------------------------
def write_requests(tmp_path, lines: list[str], header="agent_id,date,kind,note"):
    path = tmp_path / "requests.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


POOL = [agent(1), agent(2, contract="part_time")]


def read(tmp_path, lines, header="agent_id,date,kind,note"):
    return read_requests(write_requests(tmp_path, lines, header), POOL, WEEK, scenario(templates=[DAY, AM, PM]))


def test_requests_with_chinese_headers_and_kinds_read_as_the_plain_file(tmp_path):
    plain = read(tmp_path, ["A001,2025-11-12,leave,婚假", "A001,2025-11-13,day_off,", "A002,2025-11-12,shift:pm,"])
    vendor = read(tmp_path, ["A001,2025/11/12,请假,婚假", "A001,2025年11月13日,休息,", "A002,2025-11-12,shift:pm,"],
                  header="工号,日期,申请类型,备注")
    assert vendor == plain


def test_requests_are_read_with_their_rows(tmp_path):
    got = read(tmp_path, ["A001,2025-11-12,leave,婚假", "A001,2025-11-13,day_off,", "A002,2025-11-12,shift:pm,school"])
    assert [(r.agent_id, r.date.day, r.kind, r.template, r.note, r.row) for r in got] == [
        ("A001", 12, "leave", None, "婚假", 2), ("A001", 13, "day_off", None, "", 3),
        ("A002", 12, "shift", "pm", "school", 4)]
    assert got[2].label == "shift:pm"


def test_a_bom_and_no_note_column_are_fine(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("agent_id,date,kind\nA001,2025-11-12,day_off\n".encode("utf-8-sig"))
    assert read_requests(path, POOL, WEEK, scenario(templates=[DAY]))[0].kind == "day_off"


@pytest.mark.parametrize("line, where, needle", [
    ("A999,2025-11-12,leave,", "requests.csv:2, field 'agent_id'", "unknown agent 'A999'"),
    ("A001,12/11/2025,leave,", "requests.csv:2, field 'date'", "is not a date (YYYY-MM-DD, YYYY/M/D, YYYY年M月D日)"),
    ("A001,2025-11-20,leave,", "requests.csv:2, field 'date'", "outside the planning days 2025-11-10..2025-11-16"),
    ("A001,2025-11-12,holiday,", "requests.csv:2, field 'kind'", "unknown kind 'holiday'"),
    ("A001,2025-11-12,shift:,", "requests.csv:2, field 'kind'", "unknown kind 'shift:'"),
    ("A001,2025-11-12,shift:night,", "requests.csv:2, field 'kind'", "unknown template 'night'"),
    ("A001,2025-11-12,shift:pm,", "requests.csv:2, field 'kind'", "template 'pm' is not open to full_time agent A001"),
])
def test_request_errors_name_file_row_and_field(tmp_path, line, where, needle):
    with pytest.raises(InputError) as err:
        read(tmp_path, [line])
    assert where in str(err.value) and needle in str(err.value)


def test_a_second_request_for_the_same_day_is_an_error(tmp_path):
    with pytest.raises(InputError, match=r"requests.csv:3, field 'date': a second request of agent A001 on "
                                         r"2025-11-12 \(the first is row 2\)"):
        read(tmp_path, ["A001,2025-11-12,day_off,", "A001,2025-11-12,shift:day,"])


def test_a_requests_file_without_kind_names_the_column(tmp_path):
    with pytest.raises(InputError, match=r"requests.csv:1, field 'kind': missing column 'kind'"):
        read(tmp_path, ["A001,2025-11-12"], header="agent_id,date")


def test_a_template_with_no_shift_that_day_is_an_error(tmp_path):
    weekday_only = {**AM, "day_types": ["weekday"]}
    path = write_requests(tmp_path, ["A002,2025-11-15,shift:am,"])
    scn = scenario(templates=[DAY, weekday_only])
    reqs = read_requests(path, POOL, WEEK, scn)
    p = problem(scn, POOL, WEEK, {"chat": 1}, requests=reqs)
    with pytest.raises(InputError, match=r"requests.csv:2, field 'kind': template 'am' has no shift on 2025-11-15"):
        check_requests(p)


def req(aid, day, kind, template=None):
    return Request(aid, day, kind, template, row=2, source="requests.csv")


def test_approved_leave_is_never_rostered_and_the_validator_catches_it():
    p = weighted(problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1}), NEAR_PAIR)
    r = solve(p)
    worked = WEEK[4]
    assert worked in set(r.shifts["date"])
    leave = dataclasses.replace(p, requests=(req("A001", worked, "leave"),))
    lines = validate_roster(leave, r)  # the plan as it was, checked against the approved leave
    assert [x for x in lines if x.startswith("leave: A001 2025-11-14")], lines
    r2 = solve(leave)  # the validator passes it
    assert worked not in set(r2.shifts["date"])
    out = request_outcomes(leave, r2)
    assert out[["kind", "granted"]].values.tolist() == [["leave", True]]


def test_a_pinned_shift_on_requested_leave_is_explained():
    pins = pd.DataFrame([{"agent_id": "A001", "date": MON, "shift_start": pd.Timestamp("2025-11-10 09:00")}])
    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1}, pinned_shifts=pins,
                requests=(req("A001", MON, "leave"),))
    with pytest.raises(InputError, match=r"agent A001 \(agent1\): on leave 2025-11-10 \(request, requests.csv:2\) "
                                         r"vs pinned shift 2025-11-10 09:00"):
        solve_roster(p)


def test_a_day_off_request_changes_the_optimum_and_is_granted():
    """The plan rests Monday and Tuesday; a day off on Wednesday (300 CNY) moves Monday's rest to it
    (8 x 1 CNY of coverage)."""
    base = weighted(problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1}), NEAR_PAIR)
    assert rest_days(solve(base)) == {WEEK[0], WEEK[1]}
    p = dataclasses.replace(base, requests=(req("A001", WEEK[2], "day_off"),))
    r = solve(p)
    assert rest_days(r) == {WEEK[1], WEEK[2]}
    out = request_outcomes(p, r)
    assert out.to_dict("records")[0]["granted"] and requests_summary(out)["granted"] == 1


def test_a_preferred_template_changes_the_optimum():
    """The morning is worth 10 CNY a head-hour more than the afternoon; the agent asked for the afternoon."""
    def run(requests):
        p = problem(scenario(templates=[AM, PM], labour={"min_rest_h": 0}), [agent(2, contract="part_time")],
                    [MON], {"chat": 1}, requests=requests)
        req_ = p.requirements.copy()
        req_["shortfall_weight"] = [60.0 if pd.Timestamp(t).hour < 13 else 50.0 for t in req_["interval_start"]]
        p = dataclasses.replace(p, requirements=req_)
        return p, solve(p)

    _, r = run(())
    assert r.shifts["template"].tolist() == ["am"]
    p, r = run((req("A002", MON, "shift", "pm"),))
    assert r.shifts["template"].tolist() == ["pm"]
    assert request_outcomes(p, r)["granted"].tolist() == [True]


def test_every_request_has_an_outcome_and_a_denial_says_what_it_would_have_cost():
    """Leave on Monday and a day off on Wednesday are the week's two rest days; a day off on Friday too
    would leave Friday's 8 head-intervals (8 x 100 CNY) uncovered for 240 CNY of pay saved: 560 > 300."""
    requests = (req("A001", WEEK[4], "day_off"), req("A001", WEEK[2], "day_off"), req("A001", WEEK[0], "leave"))
    p = weighted(problem(scenario(templates=[DAY], roster=friendly(False)), [agent(1)], WEEK, {"chat": 1},
                         requests=requests), NEAR_PAIR)
    r = solve(p)
    out = request_outcomes(p, r)
    assert len(out) == 3 and out["kind"].tolist() == ["day_off", "day_off", "leave"]
    assert out["granted"].tolist() == [False, True, True]
    denied = out.iloc[0]
    assert denied["cost_if_granted"] == pytest.approx(8 * 100 - 8 * 30, abs=0.01)
    assert denied["missing_if_granted"] == 8
    assert denied["reason"] == ("denied: granting it costs CNY 560 more (shortfall +800, pay -240; +8 missing "
                                "head-intervals) > day_off_penalty=300")
    assert requests_summary(out) == {"granted": 2, "of": 3, "by_kind": {"leave": {"granted": 1, "of": 1},
                                                                          "day_off": {"granted": 1, "of": 2}}}


def test_requests_outcome_is_excel_safe_a_bom_and_a_formula_note_escaped(tmp_path):
    """An agent's note is text a person typed: one starting with '=' must not run in Excel or WPS."""
    note = '=HYPERLINK("http://x.example","pay rise")'
    request = dataclasses.replace(req("A001", WEEK[0], "day_off"), note=note)
    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK[:1], {"chat": 1}, requests=(request,))
    out = request_outcomes(p, solve(p))
    folder = PlanFolder(tmp_path / "plan")
    folder.write(**plan_frames(), requests_outcome=out)
    raw = folder.file("requests_outcome.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the names and notes as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["note"] == "'" + note and rows[0]["granted"] == "False"


def test_a_denial_names_the_agent_who_would_cover():
    """Coverage Mon..Fri; A001 (30 CNY/h) works it. Friday off would need A002 (70 CNY/h): +8 x 40 = 320 CNY
    of pay, more than the 300 the request is worth (leaving Friday short would cost 8 x 100 - 240)."""
    agents = [agent(1, cost=30.0), agent(2, cost=70.0)]
    p = problem(scenario(templates=[DAY], roster=friendly(False)), agents, WEEK,
                lambda day, minute: {"chat": 1 if day.weekday() < 5 else 0},
                requests=(req("A001", WEEK[4], "day_off"),))
    p = weighted(p, dict.fromkeys(WEEK, 100.0))
    r = solve(p)
    assert set(r.shifts["agent_id"]) == {"A001"} and len(r.shifts) == 5
    row = request_outcomes(p, r).iloc[0]
    assert not row["granted"]
    assert row["cost_if_granted"] == pytest.approx(320.0, abs=0.01) and row["missing_if_granted"] == 0
    assert "A002 works 2025-11-14 09:00" in row["reason"] and "pay +320" in row["reason"]


# -- the ledger in the plan folder ------------------------------------------------------------------------------
def test_ledger_round_trip_and_errors(tmp_path):
    p = problem(scenario(templates=[EIGHT], roster=friendly(True, spread_tolerance=0)), [agent(1), agent(2)], WEEK,
                weekend_only)
    r = solve(p)
    folder = PlanFolder(tmp_path / "plan", "--previous")
    folder.write(**plan_frames(), ledger=ledger_frame(p, r.shifts))
    back = folder.ledger()
    assert {k: v["weekend_days"] for k, v in back.items()} == {"A001": 1, "A002": 1}
    assert back["A001"]["through"] == WEEK[-1]
    text = folder.file("ledger.csv").read_text().replace("A002,full_time,1", "A002,full_time,x")
    folder.file("ledger.csv").write_text(text)
    with pytest.raises(InputError, match=r"ledger.csv:3, field 'weekend_days': 'x' is not a count"):
        folder.ledger()


def test_previous_plan_without_a_ledger_counts_its_shifts(tmp_path):
    frames = plan_frames()
    frames["shifts"] = frames["shifts"].assign(day_type="weekend")
    folder = PlanFolder(tmp_path / "old", "--previous")
    folder.write(**frames)  # a plan written before ledger.csv existed
    got = previous_ledger(folder, folder.shifts(), Week(2025, 47))
    assert got == {"A001": {"weekend_days": 1, "holiday_days": 0, "late_shifts": 0},
                   "A002": {"weekend_days": 1, "holiday_days": 0, "late_shifts": 0}}
    p = problem(scenario(templates=[EIGHT]), [agent(1)], WEEK, weekend_only)
    folder.write(**frames, ledger=ledger_frame(p, solve(p).shifts))
    with pytest.raises(InputError, match=r"ledger.csv, field 'through': the ledger of agent A001 counts to "
                                         r"2025-11-16, not before 2025-W46 starts"):
        previous_ledger(folder, folder.shifts(), Week(2025, 46))


def test_worked_by_agent_reads_a_plan_folder_shift_frame(tmp_path):
    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1})
    r = solve(p)
    folder = PlanFolder(tmp_path / "p")
    folder.write(**{**plan_frames(), "shifts": r.shifts})
    assert worked_by_agent(p, folder.shifts()) == worked_by_agent(p, r.shifts)


# -- end to end through the CLI --------------------------------------------------------------------------------
def test_plan_with_a_bad_requests_file_is_one_line_exit_2_nothing_written(tmp_path):
    from typer.testing import CliRunner

    from scheduler.cli import app

    path = write_requests(tmp_path, ["A001,2025-03-12,leave,", "A017,2025-03-13,shift:late,"])
    out = tmp_path / "out" / "plan"
    result = CliRunner().invoke(app, ["plan", "--week", "2025-11", "--out", str(out), "--requests", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: {path}:3, field 'kind': unknown template 'late'; templates: day, part_am, part_pm"]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_week_with_requests_and_the_cost_of_the_terms_end_to_end(tmp_path, small_plan_inputs):
    """schedule plan --requests --friendly-cost on 2025-W11 with a 12-agent pool and a 2 s budget: no
    leave is rostered, one outcome row per request in the file's order, the summary, console and
    ledger agree, and schedule validate re-checks the leave from the plan's own requests. (The issue's
    figures on the default pool and budget: benchmarks/bench_friendly.py, README.)"""
    import json

    from typer.testing import CliRunner

    from scheduler.cli import app

    scenario_path, agents_path = small_plan_inputs(tmp_path / "in")
    text = scenario_path.read_text(encoding="utf-8").replace("time_limit_s = 5", "time_limit_s = 2")
    scenario_path.write_text(text, encoding="utf-8")  # its [hire] budget is short: 12 agents miss the targets
    rows = [("A01", "2025-03-12", "leave"), ("A03", "2025-03-11", "day_off"), ("A05", "2025-03-14", "day_off"),
            ("A07", "2025-03-10", "day_off"), ("A09", "2025-03-13", "shift:part_pm")]
    path = write_requests(tmp_path, [f"{a},{d},{k}," for a, d, k in rows])
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["plan", "--week", "2025-11", "--scenario", str(scenario_path), "--agents",
                                      str(agents_path), "--out", str(out), "--requests", str(path), "--friendly-cost"])
    assert result.exit_code == 0, result.output
    assert "requests granted" in result.stdout and "cost of the terms" in result.stdout
    outcome = pd.read_csv(out / "requests_outcome.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert outcome[["agent_id", "date", "kind"]].values.tolist() == [list(r) for r in rows]
    shifts = pd.read_csv(out / "shifts.csv", encoding="utf-8-sig")
    assert ("A01", "2025-03-12") not in set(zip(shifts["agent_id"], shifts["date"]))
    assert outcome["granted"].iloc[0] == "True"
    denied = outcome[outcome["granted"] == "False"]
    assert denied["reason"].str.startswith("denied: granting it costs CNY").all()
    friendly = json.loads((out / "summary.json").read_text(encoding="utf-8"))["agent_friendly"]
    assert friendly["requests"]["granted"] == int((outcome["granted"] == "True").sum())
    assert friendly["cost_of_terms"]["measures_off"]["terms_on"] is False
    ledger = pd.read_csv(out / "ledger.csv")
    assert len(ledger) == 12 and (ledger["through"] == "2025-03-16").all()
    assert ledger["weekend_days"].sum() == sum(pd.to_datetime(shifts["date"]).dt.day_of_week >= 5)
    ok = CliRunner().invoke(app, ["validate", "--plan", str(out)])
    assert ok.exit_code == 0, ok.output


# -- the two stages ------------------------------------------------------------------------------------------
def _term_minimum(p, families, fixed: dict[int, bool]) -> float:
    """The least the families' terms cost with every shift decision fixed as in ``fixed``."""
    from ortools.sat.python import cp_model

    from scheduler.roster.model import build_model

    built = build_model(p, families=families)
    for k, on in fixed.items():
        built.model.add(built.rv.x[k] == int(on))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) == cp_model.OPTIMAL
    return solver.objective_value


@pytest.mark.parametrize("seed", range(12))
def test_group_relaxations_never_price_more_than_the_per_agent_terms(seed):
    """Stage 1's bound is a bound of the full objective only if, for every roster, the per-group terms
    cost at most what the per-agent terms do: checked on random rosters of one skill group."""
    import random

    from scheduler.roster.friendly import GroupPairedRest, GroupStartTimes, PairedRestDays, StartTimes
    from scheduler.roster.model import build_model

    rng = random.Random(seed)
    agents = [agent(i, contract=rng.choice(["full_time", "full_time", "part_time"])) for i in range(1, 5)]
    sunday = pd.Timestamp(MON - dt.timedelta(days=1))  # the week before: some worked its Sunday
    prev = pd.DataFrame([{"agent_id": a.agent_id, "date": sunday.date(), "shift_start": sunday + pd.Timedelta(hours=8),
                          "shift_end": sunday + pd.Timedelta(hours=12)} for a in agents if rng.random() < 0.5],
                        columns=["agent_id", "date", "shift_start", "shift_end"])
    p = problem(scenario(templates=[DAY, SHORT, AM], labour={"min_rest_h": 0}), agents, WEEK, {"chat": 1},
                previous_shifts=prev if seed % 2 else None)
    cands = build_model(p, families=[]).rv.cands
    fixed, taken = {}, set()
    for c in cands:  # at most one shift a day, about half the days worked
        on = (c.agent, c.day) not in taken and rng.random() < 0.3
        fixed[c.idx] = on
        if on:
            taken.add((c.agent, c.day))
    for group, exact in ((GroupPairedRest, PairedRestDays), (GroupStartTimes, StartTimes)):
        assert _term_minimum(p, [group()], fixed) <= _term_minimum(p, [exact()], fixed) + 1e-6


def test_the_group_relaxation_sees_that_a_six_day_week_has_no_pair():
    """A001 works Mon..Sat, A002 only Fri..Sun: the group's rest days (A002 Mon..Thu, A001 Sunday) hold two
    pairs, but A001 has one rest day, so one full-timer of the two is unpaired, as the per-agent term
    says. (Without the per-agent "two rest days" literal the relaxation priced it 0: a month of six-day
    weeks looked paired to stage 1 and was not to stage 2.)"""
    from scheduler.roster.friendly import GroupPairedRest, PairedRestDays
    from scheduler.roster.model import SCALE, build_model

    p = problem(scenario(templates=[DAY]), [agent(1), agent(2)], WEEK, {"chat": 1})
    works = {0: set(range(6)), 1: {4, 5, 6}}
    fixed = {c.idx: c.day in works[c.agent] for c in build_model(p, families=[]).rv.cands}
    penalty = p.scenario.roster.paired_rest_penalty
    group, exact = _term_minimum(p, [GroupPairedRest()], fixed), _term_minimum(p, [PairedRestDays()], fixed)
    assert group == exact == penalty * SCALE


@pytest.mark.parametrize("seed", range(12))
def test_the_pair_terms_price_exactly_the_weeks_without_a_pair(seed):
    """With the six-day cut (a six-day week pairs only its Monday with the Sunday before), the per-agent
    term still costs exactly the full-timer weeks without two consecutive rest days, and the group
    relaxation no more: random rosters of mostly five- and six-day weeks, some Sundays before rested."""
    import random

    from scheduler.roster.friendly import GroupPairedRest, PairedRestDays
    from scheduler.roster.model import SCALE, build_model

    rng = random.Random(seed)
    agents = [agent(i) for i in range(1, 5)]
    sunday = MON - dt.timedelta(days=1)
    rested = {a.agent_id for a in agents if rng.random() < 0.5}
    at = pd.Timestamp(sunday)
    prev = pd.DataFrame([{"agent_id": a.agent_id, "date": sunday, "shift_start": at + pd.Timedelta(hours=8),
                          "shift_end": at + pd.Timedelta(hours=12)} for a in agents if a.agent_id not in rested],
                        columns=["agent_id", "date", "shift_start", "shift_end"])
    p = problem(scenario(templates=[DAY], labour={"min_rest_h": 0}), agents, WEEK, {"chat": 1}, previous_shifts=prev)
    works = {a: set(rng.sample(range(7), rng.choice([4, 5, 6, 6]))) for a in range(len(agents))}
    fixed = {c.idx: c.day in works[c.agent] for c in build_model(p, families=[]).rv.cands}
    unpaired = 0
    for a, agent_ in enumerate(agents):
        rest = [agent_.agent_id in rested] + [d not in works[a] for d in range(7)]
        unpaired += not any(r and q for r, q in zip(rest, rest[1:]))
    penalty = p.scenario.roster.paired_rest_penalty
    exact = _term_minimum(p, [PairedRestDays()], fixed)
    assert exact == pytest.approx(penalty * SCALE * unpaired)
    assert _term_minimum(p, [GroupPairedRest()], fixed) <= exact + 1e-6


def test_a_six_day_week_after_a_sunday_off_rested_on_monday_is_paired():
    """The one pair a six-day week can have: the Sunday before and its Monday; the six-day cut lets it."""
    from scheduler.roster.friendly import GroupPairedRest, PairedRestDays
    from scheduler.roster.model import build_model

    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1},
                previous_shifts=pd.DataFrame(columns=["agent_id", "date", "shift_start", "shift_end"]))
    fixed = {c.idx: c.day != 0 for c in build_model(p, families=[]).rv.cands}
    assert _term_minimum(p, [PairedRestDays()], fixed) == 0
    assert _term_minimum(p, [GroupPairedRest()], fixed) == 0


def test_two_stages_keep_the_groups_coverage_and_pair_the_agents():
    """Four full-timers of one skill group cover two heads Mon..Fri and one at the weekend (lunches
    included: 19 shifts, five days each at most at the ordinary rate): stage 1 sets the counts, stage 2
    gives every agent two consecutive rest days; the bound is stage 1's. Without the terms, one stage."""
    def demand(day, minute):
        return {"chat": 2 if day.weekday() < 5 else 1}

    agents = [agent(1), agent(2, cost=31.0), agent(3, cost=32.0), agent(4, cost=33.0)]
    p = problem(scenario(templates=[DAY], roster={"time_limit_s": 2}), agents, WEEK, demand)
    r = solve(p)
    stages = r.solver["stages"]
    assert set(stages) == {"counts", "agents"}
    assert r.solver["best_bound"] == stages["counts"]["best_bound"] <= r.solver["objective"] + 1e-6
    m = friendly_measures(p, r.shifts)["paired_rest_days"]
    assert m["with_two_consecutive_rest_days"] == 4
    off = solve(dataclasses.replace(p, scenario=scenario(templates=[DAY], roster=friendly(False, time_limit_s=2))))
    assert "stages" not in off.solver


def test_a_denied_preferred_template_says_what_it_would_cost():
    """The morning is worth 8 x 4 x 25 CNY more than the afternoon: the afternoon asked for is denied."""
    p = problem(scenario(templates=[AM, PM], labour={"min_rest_h": 0}), [agent(2, contract="part_time")], [MON],
                {"chat": 1}, requests=(req("A002", MON, "shift", "pm"),))
    req_ = p.requirements.copy()
    req_["shortfall_weight"] = [75.0 if pd.Timestamp(t).hour < 13 else 50.0 for t in req_["interval_start"]]
    p = dataclasses.replace(p, requirements=req_)
    r = solve(p)
    assert r.shifts["template"].tolist() == ["am"]
    row = request_outcomes(p, r).iloc[0]
    assert not row["granted"] and row["kind"] == "shift:pm"
    assert row["cost_if_granted"] == pytest.approx(4 * 25.0, abs=0.01)
    assert row["reason"].endswith("> preferred_shift_penalty=50")


def test_summary_section_and_console_lines():
    from scheduler.friendly_summary import friendly_lines, friendly_section

    p = weighted(problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1},
                         requests=(req("A001", WEEK[2], "day_off"),)), NEAR_PAIR)
    r = solve(p)
    section = friendly_section(p, r, requests_summary(request_outcomes(p, r)))
    assert section["paired_rest_days"] == {"full_timer_weeks": 1, "with_two_consecutive_rest_days": 1, "share": 1.0}
    assert section["cost_of_terms"] is None
    lines = friendly_lines(section)
    assert lines[0].startswith("agent-friendly (on): paired rest days 1/1 full-timer weeks (100.0%), "
                               "start-time changes 0")
    assert lines[1] == "requests granted 1/1 (day_off 1/1)"


def test_two_stages_with_a_published_roster():
    """Against a published roster (each change costs, a term with a constant part): the bound handed
    to stage 2 must leave the constant out, or stage 2 is held 600 CNY above its optimum. Stage 2 may
    stay one unpaired week above stage 1's bound (pairing every agent can take changes that cost more),
    never more."""
    agents = [agent(1), agent(2, cost=31.0), agent(3, cost=32.0)]
    base = problem(scenario(templates=[DAY], roster={"time_limit_s": 2}), agents, WEEK, {"chat": 2})
    published = solve(base).shifts
    p = dataclasses.replace(base, published_shifts=published[published["agent_id"] != "A003"])
    r = solve(p)
    assert r.solver["stages"]["agents"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert r.solver["best_bound"] <= r.solver["objective"] + 1e-6
    assert r.solver["objective"] - r.solver["best_bound"] <= p.scenario.roster.paired_rest_penalty + 1e-6


def test_no_roster_in_time_says_whether_the_clock_or_the_budget_stopped_the_search():
    """A sweep row without a roster must tell a loaded machine's miss from the point's own answer."""
    from ortools.sat.python import cp_model

    from scheduler.roster.model import check_status, make_solver
    from scheduler.roster.report import stopped_by_clock

    p = problem(scenario(templates=[DAY]), [agent(1)], WEEK, {"chat": 1})
    solver = make_solver(p)
    solver.solve(cp_model.CpModel())  # no deterministic time spent: so the clock stopped the search
    with pytest.raises(SolverError) as err:
        check_status(p, solver, cp_model.UNKNOWN)
    assert stopped_by_clock(err.value.stopped_by) and "raise it" in str(err.value)
