"""The capacity sizing (scheduler.capacity): micro-instances where the answer is known independently,
the service-level model against the report's own figures, the [hire] keys, the binding cause and the
plan command end to end (full weeks: slow)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from factories import BASE, CAL, MON, agent
from ortools.sat.python import cp_model

from core.errors import InputError
from core.scenario import Scenario, load_scenario
from scenarios import DEFAULT_SCENARIO
from scheduler.agents import Agent
from scheduler.capacity.hires import hire_candidates, hires_frame
from scheduler.capacity.report import (
    binding_cause,
    capacity_line,
    capacity_section,
    cause_kind,
    missed_targets,
    missed_text,
)
from scheduler.capacity.service import COPIES_PER_CALL, add_service_targets, levels_by_heads, service_tables
from scheduler.capacity.sizing import size_pool
from scheduler.roster import RosterProblem
from scheduler.staffing.requirements import compute_requirements, evaluate_coverage, summarize_service
from scheduler.validation import validate_roster

BLOCK = {"name": "block", "starts": ["09:00"], "span_h": 4, "lunch": False, "contracts": ["part_time", "full_time"]}
AM = {"name": "am", "starts": ["09:00"], "span_h": 4, "lunch": False, "contracts": ["part_time"]}
PM = {"name": "pm", "starts": ["13:00"], "span_h": 4, "lunch": False, "contracts": ["part_time"]}
DAY8 = {"name": "day8", "starts": ["09:00"], "span_h": 8, "lunch": False, "contracts": ["full_time"]}


def scenario(window: str, templates: list[dict], profiles: list[dict] | None, hire_templates=(), **top) -> Scenario:
    data = BASE.model_dump(exclude={"path"})
    data["windows"] = {k: window for k in data["windows"]}
    data["roster"]["templates"] = templates
    data["roster"]["time_limit_s"] = 10
    data["hire"] = None if profiles is None else {"profiles": profiles, "templates": list(hire_templates),
                                                  "time_limit_s": 20}
    data.update(top)
    return Scenario.model_validate(data)


def chat_problem(scn: Scenario, agents, contacts_per_h: float, days=(MON,)) -> RosterProblem:
    """Chat only, the same contacts in every open hour and nothing while closed (no backlog)."""
    rows = []
    for day in days:
        w = scn.window(CAL.day_type(day))
        for m in range(w.start_min, w.end_min, 60):
            rows.append({"interval_start": pd.Timestamp(day) + pd.Timedelta(minutes=m), "channel": "chat",
                         "contacts": contacts_per_h, "aht_s": 420.0})
    forecast = pd.DataFrame(rows)
    mask = pd.Series(True, index=pd.DatetimeIndex(forecast["interval_start"]))
    req = compute_requirements(forecast, scn, mask)
    return RosterProblem.build(scn, agents, req, list(days), calendar=CAL)


def heads_needed(scn: Scenario, problem: RosterProblem) -> int:
    """The fewest heads, the same in every interval, meeting chat's target, by the report's own functions."""
    req = problem.requirements
    for h in range(200):
        heads = req[["interval_start", "channel"]].assign(scheduled_heads=h)
        s = summarize_service(evaluate_coverage(req, heads, scn), scn)["chat"]
        if s["service_level"] >= s["target"] and s["unstable_intervals"] == 0:
            return h
    raise AssertionError("no head count meets the target")


def chat_level(scn, problem, roster) -> dict:
    return summarize_service(evaluate_coverage(problem.requirements, roster.scheduled, scn), scn)["chat"]


# -- the sizing on micro-instances ------------------------------------------------------------------------
def test_a_pool_short_by_two_hires_exactly_two_and_meets_the_target():
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 5}]
    scn = scenario("09:00-13:00", [BLOCK], profiles)
    probe = chat_problem(scn, [], 120)
    need = heads_needed(scn, probe)
    assert need >= 4
    pool = [agent(i, contract="part_time") for i in range(need - 2)]
    p = chat_problem(scn, pool, 120)
    sizing = size_pool(p)
    assert sizing.count == 2 and sizing.hires == {0: 2}
    assert sizing.proven and sizing.pool_short and sizing.reachable
    level = chat_level(scn, p, sizing.roster)
    assert level["service_level"] >= 0.8 and level["unstable_intervals"] == 0
    assert validate_roster(sizing.problem, sizing.roster) == []
    assert {a.agent_id for a in sizing.hired} == set(sizing.roster.shifts["agent_id"]) - {a.agent_id for a in pool}


def test_targets_held_as_rules_make_the_plans_search_meet_what_its_price_would_skip():
    """``TargetsMet`` (the hired roster's second search): where a missing head is cheaper than an agent's pay,
    the plain plan leaves chat below its target; with the targets as rules the same search meets them,
    at a higher pay and never below the plain plan's objective."""
    from scheduler.capacity.service import TargetsMet
    from scheduler.roster import solve_roster

    scn = scenario("09:00-13:00", [BLOCK], None, understaffed_penalty=1.0)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    p = chat_problem(scn, [agent(i, contract="part_time", cost=200.0) for i in range(need + 2)], 120)
    plain = solve_roster(p)
    held = solve_roster(dataclasses.replace(p, hard_rules=(TargetsMet(service_tables(p)),)))
    assert chat_level(scn, p, plain)["service_level"] < 0.8  # the price skips agents
    level = chat_level(scn, p, held)
    assert level["service_level"] >= 0.8 and level["unstable_intervals"] == 0
    assert len(held.shifts) >= need and held.solver["objective"] >= plain.solver["objective"]
    assert validate_roster(p, held) == []


def test_a_plan_that_misses_what_its_pool_can_meet_is_planned_again_to_the_targets():
    """``roster.hold_targets``: the priced roster leaves chat below target, the sizing finds the pool can
    meet it with no hire, and the plan's roster is then searched again with the targets as rules."""
    from scheduler.capacity.report import capacity_line, capacity_section
    from scheduler.plan import _held_to_the_targets
    from scheduler.roster import solve_roster

    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 2}]
    scn = scenario("09:00-13:00", [BLOCK], profiles, understaffed_penalty=1.0)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    p = chat_problem(scn, [agent(i, contract="part_time", cost=200.0) for i in range(need + 2)], 120)
    priced = solve_roster(p)
    assert chat_level(scn, p, priced)["service_level"] < 0.8
    sizing = size_pool(p)
    assert sizing.count == 0 and sizing.reachable
    held = _held_to_the_targets(p, priced, sizing)
    level = chat_level(scn, p, held)
    assert level["service_level"] >= 0.8 and level["unstable_intervals"] == 0
    assert validate_roster(p, held) == []
    figures = held.solver["held_to_targets"]
    assert figures["held_cost"] == pytest.approx(held.cost) and figures["priced_cost"] == pytest.approx(priced.cost)
    assert figures["held_cost"] > figures["priced_cost"]
    section = capacity_section(sizing, scn, missed="", held=figures)
    assert not section["pool_short"] and capacity_line(section).startswith("pool not short: planned to every target")


def _two_days(scn: Scenario, pool, volumes: dict) -> RosterProblem:
    """Chat only, ``volumes[day]`` contacts in every open hour of that day."""
    rows = [{"interval_start": pd.Timestamp(day) + pd.Timedelta(minutes=m), "channel": "chat", "contacts": v,
             "aht_s": 420.0}
            for day, v in volumes.items() for m in range(*_window_minutes(scn, day), 60)]
    forecast = pd.DataFrame(rows)
    req = compute_requirements(forecast, scn, pd.Series(True, index=pd.DatetimeIndex(forecast["interval_start"])))
    return RosterProblem.build(scn, pool, req, list(volumes), calendar=CAL)


def _window_minutes(scn: Scenario, day: dt.date) -> tuple[int, int]:
    w = scn.window(CAL.day_type(day))
    return w.start_min, w.end_min


def test_a_roster_that_meets_the_week_but_leaves_a_queue_unstable_is_mended_on_that_day():
    """``plan._mended``: the priced roster (all but one agent away on Tuesday) meets chat's weekly level but
    Tuesday's queues never clear; mended with the targets held, Tuesday is staffed. The plan's own price
    (a missing head at 1 CNY) would staff nobody: only the targets held as rules staff Tuesday."""
    from scheduler.capacity.report import capacity_line
    from scheduler.plan import _mended
    from scheduler.roster import solve_roster
    from scheduler.staffing.requirements import unstable_rows

    tue = MON + dt.timedelta(days=1)
    scn = scenario("09:00-13:00", [BLOCK], None, understaffed_penalty=1.0)
    volumes = {MON: 150.0, tue: 30.0}
    pool = [agent(i, contract="part_time") for i in range(12)]
    p = _two_days(scn, pool, volumes)
    away = _two_days(scenario("09:00-13:00", [BLOCK], None),
                     [dataclasses.replace(a, unavailable=frozenset({tue})) if i else a for i, a in enumerate(pool)],
                     volumes)
    priced = solve_roster(away)
    coverage = evaluate_coverage(p.requirements, priced.scheduled, scn)
    service = summarize_service(coverage, scn)
    assert service["chat"]["service_level"] >= 0.8 and service["chat"]["unstable_intervals"] > 0  # the premise
    unstable = unstable_rows(coverage, scn)
    assert len(unstable) == service["chat"]["unstable_intervals"]
    assert set(pd.to_datetime(unstable["interval_start"]).dt.date) == {tue}
    roster, _, now, missed = _mended(p, priced, p.requirements, coverage, service)
    assert missed == [] and now["chat"]["unstable_intervals"] == 0 and now["chat"]["service_level"] >= 0.8
    assert chat_level(scn, p, roster) == now["chat"] and validate_roster(p, roster) == []
    assert (roster.shifts["date"] == tue).sum() > (priced.shifts["date"] == tue).sum()
    held = roster.solver["held_to_targets"]
    assert held["mended_days"] == [tue.isoformat()] and held["priced_cost"] == pytest.approx(priced.cost)
    section = capacity_section(None, scn, held=held)
    assert section["pool_short"] is False and not section["sized"]
    assert capacity_line(section).startswith("pool not short: planned to every target")


def test_targets_held_that_the_pool_cannot_meet_say_so_without_blaming_an_agent():
    """INFEASIBLE under ``TargetsMet``: the targets bind the agents together, so no agent-by-agent
    conflict is looked for (``explain_conflict`` would find none and say the labour rules conflict)."""
    from scheduler.capacity.service import TargetsMet
    from scheduler.roster import solve_roster

    scn = scenario("09:00-13:00", [BLOCK], None)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    p = chat_problem(scn, [agent(i, contract="part_time") for i in range(need - 2)], 120)
    with pytest.raises(InputError, match=r"no roster of this pool meets the rules held \(targets_met\)"):
        solve_roster(dataclasses.replace(p, hard_rules=(TargetsMet(service_tables(p)),)))


def test_a_hinted_model_with_rules_of_its_own_is_proven_infeasible_without_its_hint():
    """``windows._infeasible_without_hint``: OR-Tools 9.15 aborted the process on an infeasible model with a
    partial hint (2025-W47 held to its targets after W46), so a hinted model with ``hard_rules`` is probed
    without its hint first; a model without such rules, or without a hint, is not probed."""
    from scheduler.capacity.service import TargetsMet
    from scheduler.roster import solve_roster
    from scheduler.roster.model import _add_hints, build_model
    from scheduler.roster.windows import _infeasible_without_hint

    scn = scenario("09:00-13:00", [BLOCK], None)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    plain = chat_problem(scn, [agent(i, contract="part_time") for i in range(need - 2)], 120)
    hint = solve_roster(plain).shifts
    held = dataclasses.replace(plain, hard_rules=(TargetsMet(service_tables(plain)),), hint_shifts=hint)
    built = build_model(held)
    _add_hints(held, built)
    assert len(built.model.proto.solution_hint.vars) > 0
    probe = _infeasible_without_hint(held, built)
    assert probe is not None  # proven infeasible (the probe returns its solver only then)
    unhinted = build_model(held)
    assert _infeasible_without_hint(held, unhinted) is None  # no hint: searched as it is
    free = dataclasses.replace(plain, hint_shifts=hint)
    built_free = build_model(free)
    _add_hints(free, built_free)
    assert _infeasible_without_hint(free, built_free) is None  # the labour rules alone: not probed
    with pytest.raises(InputError, match="rules held"):
        solve_roster(held)


def test_a_completion_of_a_hinted_model_that_breaks_a_rule_says_none():
    """``model._complete`` on a model that already carries a hint (a greedy start's completion follows a
    search), with fixed shifts that cannot meet the targets held: None, the caller's fallback."""
    from scheduler.capacity.service import TargetsMet
    from scheduler.roster import solve_roster
    from scheduler.roster.model import _add_hints, _complete, build_model

    scn = scenario("09:00-13:00", [BLOCK], None)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    plain = chat_problem(scn, [agent(i, contract="part_time") for i in range(need + 2)], 120)
    held = dataclasses.replace(plain, hard_rules=(TargetsMet(service_tables(plain)),),
                               hint_shifts=solve_roster(plain).shifts)
    built = build_model(held)
    _add_hints(held, built)
    assert len(built.model.proto.solution_hint.vars) > 0
    nobody = {x.index: 0 for x in built.rv.x}
    assert _complete(held, built.model, nobody) is None
    assert len(built.model.proto.solution_hint.vars) > 0  # the model's own hint is left as it was


def test_a_roster_below_a_weekly_target_is_left_to_the_capacity_sizing():
    """A level below target may mean a short pool, which only the sizing counts: ``_mended`` declines."""
    from scheduler.plan import _mended
    from scheduler.roster import solve_roster

    scn = scenario("09:00-13:00", [BLOCK], None, understaffed_penalty=1.0)
    p = chat_problem(scn, [agent(i, contract="part_time", cost=200.0) for i in range(8)], 120)
    priced = solve_roster(p)
    coverage = evaluate_coverage(p.requirements, priced.scheduled, scn)
    service = summarize_service(coverage, scn)
    assert service["chat"]["service_level"] < 0.8
    assert _mended(p, priced, p.requirements, coverage, service) is None


def test_a_pool_that_is_big_enough_hires_nobody():
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 5}]
    scn = scenario("09:00-13:00", [BLOCK], profiles)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    sizing = size_pool(chat_problem(scn, [agent(i, contract="part_time") for i in range(need)], 120))
    assert sizing.count == 0 and sizing.reachable and not sizing.pool_short and sizing.proven


def test_fewest_hires_first_then_the_cheapest_profile():
    # all day needs the same heads: two full-timers (8 h) do what four part-timers (4 h) do, dearer per hour
    profiles = [{"name": "pt", "skills": ["chat"], "contract": "part_time", "hourly_cost": 30, "cap": 6},
                {"name": "ft dear", "skills": ["chat"], "contract": "full_time", "hourly_cost": 50, "cap": 6},
                {"name": "ft", "skills": ["chat"], "contract": "full_time", "hourly_cost": 45, "cap": 6}]
    scn = scenario("09:00-17:00", [AM, PM, DAY8], profiles)
    need = heads_needed(scn, chat_problem(scn, [], 90))
    p = chat_problem(scn, [agent(i) for i in range(need - 2)], 90)
    sizing = size_pool(p)
    assert sizing.hires == {2: 2} and sizing.proven
    assert chat_level(scn, p, sizing.roster)["service_level"] >= 0.8


def test_hires_that_cannot_help_leave_the_pool_short_and_say_by_how_much():
    profiles = [{"skills": ["phone"], "contract": "part_time", "hourly_cost": 40, "cap": 5}]
    scn = scenario("09:00-13:00", [BLOCK], profiles)
    need = heads_needed(scn, chat_problem(scn, [], 120))
    sizing = size_pool(chat_problem(scn, [agent(i, contract="part_time") for i in range(need - 2)], 120))
    assert sizing.count == 0 and sizing.pool_short and not sizing.reachable
    section = capacity_section(sizing, scn)
    assert section["pool_short"] and section["left_missed"]["points_below_target"]["chat"] > 0
    assert capacity_line(section).startswith("pool short: this pool leaves chat ")


def level_at(scn: Scenario, problem: RosterProblem, h: int) -> float:
    req = problem.requirements
    heads = req[["interval_start", "channel"]].assign(scheduled_heads=h)
    return summarize_service(evaluate_coverage(req, heads, scn), scn)["chat"]["service_level"]


def test_a_cap_too_small_hires_the_cap_when_it_helps_and_reports_what_is_left():
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 1}]
    scn = scenario("09:00-13:00", [BLOCK], profiles)
    probe = chat_problem(scn, [], 120)
    need = heads_needed(scn, probe)
    short, capped = level_at(scn, probe, need - 2), level_at(scn, probe, need - 1)
    assert 0 < short < capped < 0.8
    sizing = size_pool(chat_problem(scn, [agent(i, contract="part_time") for i in range(need - 2)], 120))
    assert sizing.count == 1 and not sizing.reachable and sizing.pool_short
    section = capacity_section(sizing, scn)
    assert section["left_missed"]["points_below_target"]["chat"] == pytest.approx(100 * (0.8 - capped), abs=0.02)
    assert capacity_line(section).startswith("pool short: even 1 hire(s) (1 chat part_time) leave chat ")


def test_hires_that_no_template_takes_to_the_short_hours_name_the_templates_not_the_pool():
    """Chat wanted 09:00-17:00, templates only up to 13:00: no hire can work the afternoon, so the line
    names the binding cause in the templates instead of asking for wider [hire] caps (the audit's
    "pool short: even 40 hire(s) ... widen the [hire] caps" on a week whose only full-time template
    started at 19:00)."""
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 3}]
    scn = scenario("09:00-17:00", [AM], profiles)
    need = heads_needed(scn, chat_problem(scn, [], 60))
    sizing = size_pool(chat_problem(scn, [agent(i, contract="part_time") for i in range(need)], 60))
    assert sizing.pool_short and not sizing.reachable
    cause = binding_cause(sizing.roster.shortfall)
    assert cause["cause"].startswith("no shift template covers")
    section = capacity_section(sizing, scn, cause=cause)
    line = capacity_line(section)
    assert line.startswith("templates short: ") and section["structural_cause"] == cause["cause"]
    assert cause["cause"] in line and "roster.templates" in line and "[hire] caps" not in line
    assert capacity_section(sizing, scn)["note"].startswith("pool short: ")  # no cause given: as before


def test_hires_work_only_the_templates_their_profile_names():
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 5, "templates": ["late"]}]
    late = {"name": "late", "starts": ["13:00"], "span_h": 4, "lunch": False, "contracts": ["part_time"]}
    scn = scenario("09:00-17:00", [AM, PM], profiles, hire_templates=[late])
    pool = [agent(i, contract="part_time") for i in range(30)]
    p = chat_problem(scn, pool, 60)
    sizing = size_pool(p)
    hired = {a.agent_id for a in sizing.hired}
    shifts = sizing.roster.shifts
    assert set(shifts.loc[shifts["agent_id"].isin(hired), "template"]) <= {"late"}
    assert "late" not in set(shifts.loc[~shifts["agent_id"].isin(hired), "template"])
    assert validate_roster(sizing.problem, sizing.roster) == []


def test_the_weekly_rest_day_binds_the_counting_model_across_the_previous_plan():
    # the pool worked Mon-Sat of this ISO week in the previous plan: one full rest day a week leaves it no
    # Sunday, so Sunday's heads are all hires (without the previous plan, none)
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 30}]
    scn = scenario("09:00-13:00", [BLOCK], profiles, labour={**BASE.labour.model_dump(), "max_days_per_week": 6,
                                                             "max_consecutive_days": 7})
    sunday = MON + dt.timedelta(days=6)
    days = (sunday,)
    need = heads_needed(scn, chat_problem(scn, [], 120, days))
    pool = [agent(i, contract="part_time") for i in range(need)]
    prev = pd.DataFrame([{"agent_id": a.agent_id, "date": MON + dt.timedelta(days=d), "paid_hours": 4.0,
                          "shift_start": pd.Timestamp(MON + dt.timedelta(days=d)) + pd.Timedelta(hours=9),
                          "shift_end": pd.Timestamp(MON + dt.timedelta(days=d)) + pd.Timedelta(hours=13)}
                         for a in pool for d in range(6)])
    p = dataclasses.replace(chat_problem(scn, pool, 120, days), previous_shifts=prev)
    assert all(p.days_left_in_week(a.agent_id, sunday) == 0 for a in pool)
    sizing = size_pool(p)
    assert sizing.count == need and sizing.proven
    assert set(sizing.roster.shifts["agent_id"]) <= {a.agent_id for a in sizing.hired}
    assert validate_roster(sizing.problem, sizing.roster) == []
    fresh = size_pool(chat_problem(scn, pool, 120, days))
    assert fresh.count == 0


def test_hire_ids_skip_the_pool_and_hires_csv_lists_each_hire():
    profiles = [{"skills": ["chat"], "contract": "part_time", "hourly_cost": 40, "cap": 3}]
    scn = scenario("09:00-13:00", [BLOCK], profiles)
    pool = [Agent("H1-001", "taken", ("chat",), "part_time", 30.0)]
    cands = hire_candidates(scn, pool)
    assert [a.agent_id for a, _ in cands] == ["H1-002", "H1-003", "H1-004"]
    shifts = pd.DataFrame({"agent_id": ["H1-002", "H1-002"], "paid_hours": [4.0, 4.0], "cost": [160.0, 160.0]})
    frame = hires_frame([cands[0][0]], {a.agent_id: p for a, p in cands}, scn, shifts)
    assert (frame.iloc[0]["shifts"], frame.iloc[0]["paid_hours"], frame.iloc[0]["cost"]) == (2, 8.0, 320.0)
    assert frame.iloc[0]["profile"] == "chat part_time" and frame.iloc[0]["team"] == "招聘"


# -- the service level in the model, against the report ------------------------------------------------------
def model_level(problem: RosterProblem, heads: dict, channel: str, target: float) -> float:
    """The model's level of ``channel`` with ``heads`` fixed [(day, minute, channel) -> heads]: the
    least deficit below a target above it, as a level."""
    model = cp_model.CpModel()
    tables = {channel: service_tables(problem, heads_cap=max(heads.values()))[channel]}  # no pool: heads given
    sv = add_service_targets(problem, model, lambda d, t, ch: heads.get((d, t, ch), 0), tables)
    model.minimize(sv.deficit())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return target - solver.value(sv.deficit()) / 10_000


@pytest.mark.parametrize("channel,seed", [(ch, seed) for ch in ("chat", "phone", "email") for seed in (1, 2, 3)])
def test_the_model_level_never_exceeds_the_report_and_stays_within_three_basis_points(channel, seed):
    """Random heads per interval (60-110% of the requirement) over three days, with the night's backlog
    (chat, phone) or a 24 h window (email)."""
    scn = BASE.model_copy(update={"channels": {**BASE.channels, channel: BASE.channels[channel].model_copy(
        update={"service_level_target": 0.9999})}})
    rng = np.random.default_rng(seed)
    days = [MON + dt.timedelta(days=i) for i in range(3)]
    stamps = pd.date_range(pd.Timestamp(days[0]), periods=72, freq="h")
    forecast = pd.DataFrame({"interval_start": stamps, "channel": channel,
                             "contacts": rng.uniform(5, 150, len(stamps)), "aht_s": rng.uniform(250, 450, len(stamps))})
    mask = pd.Series([9 <= t.hour < 18 for t in stamps], index=pd.DatetimeIndex(stamps))
    req = compute_requirements(forecast, scn, mask)
    p = RosterProblem.build(scn, [], req, days, calendar=CAL)
    need = req["required_scheduled"].to_numpy()
    heads_col = np.where(req["open"], np.round(need * rng.uniform(0.6, 1.1, len(req))), 0).astype(int)
    heads = {(days.index(t.date()), t.hour * 60, channel): int(h)
             for t, h in zip(req["interval_start"], heads_col)}
    frame = req[["interval_start", "channel"]].assign(scheduled_heads=heads_col)
    cov = evaluate_coverage(req, frame, scn)
    # an interval whose queue is unstable answers nobody in time (the report interpolates a little)
    cov.loc[~np.isfinite(cov["asa_s"].to_numpy(float)) & cov["open"], "service_level"] = 0.0
    report = summarize_service(cov, scn)[channel]["service_level"]
    assert report < 0.9999
    level = model_level(p, heads, channel, 0.9999)
    assert report - 3e-4 <= level <= report


# -- the [hire] table ---------------------------------------------------------------------------------------
def write(tmp_path, body):
    p = tmp_path / "s.toml"
    p.write_text(f'extends = "{DEFAULT_SCENARIO.as_posix()}"\n' + body, encoding="utf-8")
    return p


PROFILE = '[[hire.profiles]]\nskills = ["chat"]\ncontract = "part_time"\nhourly_cost = 40\ncap = 3\n'


@pytest.mark.parametrize("body,key,text", [
    ('[hire]\nprofiles = []\n', "hire.profiles", "at least 1 item"),
    ('[hire]\n[[hire.profiles]]\nskills = ["fax"]\nhourly_cost = 40\ncap = 3\n', "hire.profiles.0.skills",
     "unknown channel 'fax'"),
    ('[hire]\n[[hire.profiles]]\nskills = ["chat"]\nhourly_cost = 0\ncap = 3\n', "hire.profiles.0.hourly_cost",
     "greater than 0"),
    ('[hire]\n[[hire.profiles]]\nskills = ["chat"]\nhourly_cost = 40\ncap = -1\n', "hire.profiles.0.cap",
     "greater than or equal to 0"),
    ('[hire]\n[[hire.profiles]]\nskills = ["chat"]\nhourly_cost = 40\n', "hire.profiles.0.cap", "Field required"),
    ('[hire]\n[[hire.profiles]]\nskills = ["chat"]\nhourly_cost = 40\ncap = 3\ncontract = "intern"\n',
     "hire.profiles.0.contract", "'full_time' or 'part_time'"),
    ('[hire]\n[[hire.profiles]]\nskills = ["chat"]\nhourly_cost = 40\ncap = 3\nshift = "day"\n',
     "hire.profiles.0.shift", "unknown key"),
    ('[hire]\n' + PROFILE + 'templates = ["night"]\n', "hire.profiles.0.templates", "unknown template 'night'"),
    ('[hire]\n' + PROFILE + 'templates = ["day"]\n', "hire.profiles.0.templates",
     "template 'day' does not allow part_time"),
    ('[hire]\n' + PROFILE + '[[hire.templates]]\nname = "day"\nstarts = ["09:00"]\nspan_h = 9\n', "hire.templates",
     "'day' is already a roster template"),
    ('[hire]\n' + PROFILE + PROFILE, "hire", "profile name 'chat part_time' is used twice"),
    ('[hire]\ntime_limit_s = 0\n' + PROFILE, "hire.time_limit_s", "greater than or equal to 1"),
])
def test_hire_keys_are_validated_on_load(tmp_path, body, key, text):
    p = write(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert msg.startswith(str(p.resolve())) and f"field '{key}'" in msg and text in msg, msg


def test_a_hire_template_and_a_named_roster_template_load(tmp_path):
    sc = load_scenario(write(tmp_path, '[hire]\n' + PROFILE + 'templates = ["part_am", "eve"]\n'
                             '[[hire.templates]]\nname = "eve"\nstarts = ["14:00"]\nspan_h = 4\nlunch = false\n'
                             'contracts = ["part_time"]\n'))
    assert sc.hire_only_templates == {"eve"} and [t.name for t in sc.all_templates][-1] == "eve"


# -- what the plan says ---------------------------------------------------------------------------------------
def test_missed_targets_counts_unstable_queues_too():
    ok = {"service_level": 0.85, "target": 0.8, "unstable_intervals": 0}
    assert missed_targets({"chat": ok}) == []
    assert missed_targets({"chat": ok | {"service_level": 0.79}}) == ["chat"]
    assert missed_targets({"chat": ok | {"unstable_intervals": 2}}) == ["chat"]
    assert missed_targets({"chat": ok | {"service_level": None}}) == []


def test_a_missed_target_says_how_it_is_missed():
    """A channel above its weekly level is missed by an unstable interval: the note says which it is
    (a month at chat 94.4% said only "chat, phone missed")."""
    ok = {"service_level": 0.944, "target": 0.8, "unstable_intervals": 0}
    service = {"chat": ok | {"unstable_intervals": 2}, "phone": ok | {"service_level": 0.731, "unstable_intervals": 1},
               "email": ok}
    assert missed_text(service) == "chat (2 unstable intervals), phone 73.1% against 80% (1 unstable interval)"
    assert missed_text({"email": ok}) == ""
    section = capacity_section(None, load_scenario(DEFAULT_SCENARIO), missed=missed_text(service))
    assert section["pool_short"] is None and section["note"].startswith("missed: chat (2 unstable intervals), ")


def test_binding_cause_is_the_kind_with_the_most_missing_heads():
    causes = [
        ("2025-11-11T10:00", "chat", 5, "46 chat-skilled agents could cover 2025-11-11 10:00: 12 work it, the others "
                                        "are already at max_days_per_week (33), at lunch (1)"),
        ("2025-11-11T11:00", "phone", 4, "27 phone-skilled agents could cover 2025-11-11 11:00: 7 work it, the others "
                                         "are already at max_days_per_week (20)"),
        ("2025-11-11T20:00", "chat", 7, "pool has 12 chat-skilled agents; 2025-11-11 20:00 needs 31"),
        ("2025-11-12T20:00", "chat", 1, "pool has 12 chat-skilled agents; 2025-11-12 20:00 needs 19"),
    ]
    frame = pd.DataFrame([{"interval_start": pd.Timestamp(t), "channel": c, "missing": m, "cause": x}
                          for t, c, m, x in causes])
    top = binding_cause(frame)
    assert top["kind"] == "agents already at max_days_per_week" and top["missing"] == 9 and top["of"] == 17
    assert top["intervals"] == 2 and top["cause"] == causes[0][3]
    frame.loc[3, "missing"] = 3  # now the pool's skill count weighs 10
    top = binding_cause(frame)
    assert top["cause"] == causes[2][3] and top["missing"] == 10
    assert cause_kind(causes[2][3]) == cause_kind(causes[3][3])
    assert binding_cause(frame.iloc[0:0]) is None


# -- the plan command, end to end (full weeks) ----------------------------------------------------------------
# --hire auto on the real week it is for, 2025-W46, is checked by the README's example (test_readme.CHECKS)
@pytest.mark.slow
def test_a_week_that_meets_its_targets_does_not_run_the_sizing(default_week_plan):
    """The default week meets its targets: no sizing, no time spent on it (the session's default plan)."""
    result, out = default_week_plan
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert missed_targets(summary["channels"]) == []
    assert summary["capacity"] == {"pool_short": False, "sized": False, "note": "every channel meets its target"}
    assert "capacity_s" not in summary["timings_s"]
    assert "binding cause" not in result.output and "pool short" not in result.output


def test_hire_auto_without_a_hire_table_is_a_one_line_error(tmp_path):
    from typer.testing import CliRunner

    from scheduler.cli import app

    assert load_scenario(DEFAULT_SCENARIO).hire is not None
    p = tmp_path / "nohire.toml"
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8")
    head, _, rest = text.partition("[hire]")
    rest = rest[rest.index("[labour]"):]
    events = DEFAULT_SCENARIO.parent / "events_cn.csv"
    p.write_text((head + rest).replace('events = "events_cn.csv"', f'events = "{events.as_posix()}"'),
                 encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", "--week", "2025-W11", "--scenario", str(p), "--hire", "auto",
                                      "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert f"{p}, field 'hire': --hire auto needs a [hire] table in scenario 'baseline'" in result.output
    assert not (tmp_path / "x").exists()


def test_the_console_names_the_binding_cause_and_the_capacity_in_one_line_each(tmp_path, monkeypatch):
    """The plan command's output when a target is missed (the plan itself stubbed: no solve here)."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from scheduler.cli import app

    cause = {"cause": "pool has 12 chat-skilled agents; 2025-11-11 20:00 needs 31", "kind": "pool has # ...",
             "missing": 40, "of": 52, "intervals": 3}
    capacity = {"pool_short": True, "sized": True, "hires_total": 19, "proven_minimal": True, "hires_lower_bound": 19,
                "verified": True, "targets_reachable": True, "hired": False,
                "hires": [{"skills": "chat|phone", "contract": "part_time", "count": 19}]}
    summary = {"channels": {"chat": {"contacts": 900.0, "service_level": 0.61, "target": 0.8, "answer_within": "30 s",
                                     "asa_s": 40.0, "unstable_intervals": 0}},
               "paid_hours": 100.0, "cost": 4000.0, "premium_cost": 0.0, "agents_used": 12, "agents_in_pool": 12,
               "understaffed_agent_intervals": 52, "solver": {"status": "OPTIMAL", "objective": 1.0, "best_bound": 1.0,
                                                              "gap": 0.0, "wall_s": 1.0},
               "binding_cause": cause, "capacity": capacity, "warnings": []}
    stub = SimpleNamespace(summary=summary, notes=[], hires=None)
    monkeypatch.setattr("scheduler.plan.run_plan", lambda inputs: stub)
    monkeypatch.setattr("scheduler.plan.write_plan", lambda result, target, force=False: target)
    result = CliRunner().invoke(app, ["plan", "--week", "2025-W46", "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert ("binding cause (40 of 52 missing agent-intervals, 3 interval(s)): pool has 12 chat-skilled agents; "
            "2025-11-11 20:00 needs 31") in lines
    assert ("pool short: hire 19 (proven minimal): 19 chat|phone part_time to meet every target; "
            "plan --hire auto adds them") in lines
    summary["channels"]["chat"]["service_level"] = 0.85  # targets met: neither line
    result = CliRunner().invoke(app, ["plan", "--week", "2025-W46", "--out", str(tmp_path / "p")])
    assert "binding cause" not in result.output and "pool short" not in result.output


def test_the_level_table_of_a_large_shop_matches_the_report_at_every_head_count():
    """A large shop needs hundreds of heads at once: the table takes more copies than one coverage call
    holds (``COPIES_PER_CALL``, fictive years within pandas' timestamps) and still gives, at each head
    count, the level the report computes for that many heads (it overflowed at ~215 before)."""
    stamps = pd.date_range(pd.Timestamp(MON) + pd.Timedelta(hours=9), periods=3, freq="h")
    forecast = pd.DataFrame({"interval_start": stamps, "channel": "chat", "contacts": [1200.0, 1500.0, 1800.0],
                             "aht_s": 420.0})
    req = compute_requirements(forecast, BASE, pd.Series(True, index=pd.DatetimeIndex(stamps)))
    top = 2 * COPIES_PER_CALL  # 300: one call of 301 fictive years would pass 2262
    sl, stable = levels_by_heads(req, BASE, top)
    assert sl.shape == stable.shape == (3, top + 1)
    for h in (0, 150, COPIES_PER_CALL - 1, COPIES_PER_CALL, 250, top):
        cov = evaluate_coverage(req, req[["interval_start", "channel"]].assign(scheduled_heads=h), BASE)
        np.testing.assert_allclose(sl[:, h], np.nan_to_num(cov["service_level"].to_numpy(float)))
        assert list(stable[:, h]) == list(np.isfinite(cov["asa_s"].to_numpy(float)))
    assert stable[:, top].all() and not stable[:, 50].any()  # the table reaches past the queues' edge


def test_a_sizing_roster_out_of_budget_is_not_reported_as_what_the_hires_leave():
    """2025-W47 after W46 in the year's chain: the plan's own roster reached chat 87.6%, the sizing's roster
    with 1 hire, stopped by its budget short of the counting model's levels, 35%; the line said "even 1
    hire(s) leave chat 45.11 points below target", a figure of the budget, not of the pool."""
    section = {"sized": True, "hires_total": 1, "proven_minimal": False, "hires_lower_bound": 1,
               "verified": False, "targets_reachable": False, "hired": False,
               "hires": [{"skills": "chat|phone", "contract": "part_time", "count": 1}],
               "left_missed": {"unstable_intervals": 63, "points_below_target": {"chat": 45.11}}}
    line = capacity_line(section)
    assert line == ("pool short: at least 1 hire(s) needed (1 chat|phone part_time); the sizing's roster with them "
                    "still missed the targets when its budget ran out: raise hire.time_limit_s")
    assert capacity_line({**section, "hires_lower_bound": 0}).startswith("capacity unknown:")
    verified = capacity_line({**section, "verified": True})
    assert verified.startswith("pool short: even 1 hire(s) (1 chat|phone part_time) leave chat 45.11 points")


@pytest.mark.parametrize("lower, start", [
    (0, "capacity unknown: the sizing found no roster meeting every target in its budget, and no hire is proven"),
    (3, "pool short: at least 3 hire(s) needed (none found); the sizing found no roster in its budget"),
])
def test_a_sizing_out_of_budget_claims_only_what_it_proved(lower, start):
    """A sizing with no roster in its budget and a lower bound of 0 hires proved nothing short: the line
    said "pool short: at least 0 hire(s) needed" on 2025-10 planned as a month."""
    section = {"sized": True, "hires_total": 0, "hires": [], "proven_minimal": False, "hires_lower_bound": lower,
               "verified": False, "targets_reachable": None, "hired": False}
    assert capacity_line(section).startswith(start)


def test_a_hire_profile_with_no_skill_the_scenario_serves_is_refused():
    """A chat-and-email shop's scenario whose [hire] still offered phone-only agents sized hires that could
    answer nobody; the profile is refused by its key."""
    from factories import BASE, scenario

    channels = {c: v for c, v in BASE.model_dump()["channels"].items() if c != "phone"}
    hire = BASE.model_dump()["hire"]
    hire["profiles"] = [{**hire["profiles"][0], "skills": ["phone"]}]
    with pytest.raises(ValueError, match=r"hire\.profiles\.0\.skills: none of phone is a channel the scenario "
                                         r"serves \(chat, email\)"):
        scenario(channels=channels, hire=hire)
    hire["profiles"] = [{**hire["profiles"][0], "skills": ["chat", "phone"]}]
    assert scenario(channels=channels, hire=hire).hire.profiles[0].skills == ["chat", "phone"]
