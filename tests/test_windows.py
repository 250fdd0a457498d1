"""A long horizon searched window by window (scheduler.roster.windows): the windows only ever improve the
whole model's first roster, the bound reported is the whole model's, a window holds the shifts outside
it, the roster obeys every rule, and the same inputs give the same roster."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from factories import MON, agent, problem, scenario
from ortools.sat.python import cp_model

from scheduler.horizon import month_scenario, window_roster
from scheduler.roster import greedy, solve_roster, windows
from scheduler.roster import model as roster_model
from scheduler.roster.model import build_model
from scheduler.roster.report import stopped_by_clock
from scheduler.roster.windows import FIRST_SHARE, _values, _window_model
from scheduler.validation import validate_roster

TWO_WEEKS = [MON + dt.timedelta(days=i) for i in range(14)]


def _agents():
    return [agent(i, skills=(("chat",), ("chat", "phone"), ("phone",))[i % 3], cost=28 + i % 5,
                  contract="part_time" if i % 4 == 3 else "full_time") for i in range(1, 25)]


def _demand(day, minute):
    """Uneven days and hours, so that no first roster is already optimal."""
    wave = (day.toordinal() * 7 + minute // 60 * 3) % 5
    return {"chat": 4 + wave + (day.weekday() >= 5) * 3, "phone": 2 + (wave > 2)}


def _problem(limit: float, window_days: int):
    scn = scenario(roster={"time_limit_s": limit, "window_days": window_days, "agent_friendly": False})
    return problem(scn, _agents(), TWO_WEEKS, _demand, seed=5)


def test_windows_improve_the_first_roster_and_report_the_whole_model_s_bound(monkeypatch):
    monkeypatch.setattr(roster_model, "WALL_SAFETY", 30.0)  # the deterministic budget stops every solve
    monkeypatch.setattr(windows, "WINDOW_S", 1.0)  # half a deterministic unit a window: several windows
    monkeypatch.setattr(greedy, "poor", lambda figures: False)  # the first search alone, never searched again
    limit = 10.0
    whole = solve_roster(_problem(limit * FIRST_SHARE, window_days=0))  # the windows' first search alone
    windowed = solve_roster(_problem(limit, window_days=4))
    assert whole.solver["status"] != "OPTIMAL", "the instance must leave the windows something to do"
    assert windowed.solver["windows"]["solved"] >= 2 and windowed.solver["windows"]["improved"] >= 1
    assert windowed.solver["best_bound"] == whole.solver["best_bound"]
    assert windowed.solver["best_bound"] <= windowed.solver["objective"] <= whole.solver["objective"]
    assert validate_roster(_problem(limit, window_days=4), windowed) == []
    assert not stopped_by_clock(windowed.solver["stopped_by"])


def test_the_same_inputs_give_the_same_roster_by_windows(monkeypatch):
    """On a smaller budget than the test above (a window that improves is all it takes)."""
    monkeypatch.setattr(roster_model, "WALL_SAFETY", 30.0)
    first, again = (solve_roster(_problem(2.0, window_days=4)) for _ in range(2))
    assert first.solver["windows"]["solved"] >= 1 and first.solver["windows"]["improved"] >= 1
    pd.testing.assert_frame_equal(first.shifts, again.shifts)
    assert first.solver["objective"] == again.solver["objective"]


def test_a_window_holds_every_shift_outside_it():
    p = _problem(2.0, window_days=4)
    built = build_model(p)
    solver = roster_model.make_solver(p)
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    held = _values(built, solver)
    sub = cp_model.CpSolver()
    sub.parameters.max_deterministic_time = 1.0  # the held roster is its hint: any roster it finds will do
    sub.parameters.num_workers = 1
    assert sub.solve(_window_model(built, held, (3, 7))) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    outside = 0
    for cand, x in zip(built.rv.cands, built.rv.x):
        if not 3 <= cand.day < 7:
            outside += 1
            assert sub.value(x) == held[x.index], f"day {cand.day} outside the window changed"
    assert outside > 0
    assert sub.objective_value <= solver.objective_value + 1e-6  # the held roster is a solution of the window


def test_a_month_is_searched_by_windows_and_its_warm_start_is_not():
    base = scenario()
    month = month_scenario(base)
    assert base.roster.window_days == 0
    assert month.roster.window_days == base.roster.month.window_days == 7
    assert window_roster(month.roster, 30).window_days == 0


def test_a_plan_by_windows_with_the_terms_on_is_the_full_model_in_one_stage(monkeypatch):
    """With the agent-friendly terms on, a windowed horizon is not solved in stages: the full model (pairs
    and start times priced per agent) is searched by windows, its roster obeys every rule, and the bound
    it reports holds for its objective. The same horizon searched whole is solved in two stages."""
    monkeypatch.setattr(roster_model, "WALL_SAFETY", 30.0)
    monkeypatch.setattr(windows, "WINDOW_S", 1.0)
    monkeypatch.setattr(greedy, "poor", lambda figures: False)
    scn = scenario(roster={"time_limit_s": 6.0, "window_days": 4})
    p = problem(scn, _agents(), TWO_WEEKS, _demand, seed=5)
    roster = solve_roster(p)
    assert "stages" not in roster.solver
    assert roster.solver["windows"]["solved"] >= 1
    assert {"rest_pairs", "start_times"} <= set(roster.solver["objective_terms"])
    assert roster.solver["best_bound"] <= roster.solver["objective"] + 1e-6
    assert validate_roster(p, roster) == []
    whole = problem(scenario(roster={"time_limit_s": 2.0, "window_days": 0}), _agents(), TWO_WEEKS, _demand, seed=5)
    assert set(solve_roster(whole).solver["stages"]) == {"counts", "agents"}
